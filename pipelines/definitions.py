"""The one Definitions object: assets, jobs, schedules and resources of crm-quality."""
from dagster import Definitions

from pipelines.defs.assets import NIGHTLY_ASSETS
from pipelines.defs.resources import default_resources
from pipelines.defs.schedules import nightly_job, nightly_schedule

defs = Definitions(
    assets=NIGHTLY_ASSETS,
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    resources=default_resources(),
)
