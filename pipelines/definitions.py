"""The one Definitions object: assets, jobs, schedules and resources of crm-quality."""
from dagster import Definitions

from pipelines.defs.assets import MASTER_ASSETS, NIGHTLY_ASSETS
from pipelines.defs.resources import default_resources
from pipelines.defs.schedules import master_job, masters_after_nightly, nightly_job, nightly_schedule

defs = Definitions(
    assets=NIGHTLY_ASSETS + MASTER_ASSETS,
    jobs=[nightly_job, master_job],
    schedules=[nightly_schedule],
    sensors=[masters_after_nightly],
    resources=default_resources(),
)
