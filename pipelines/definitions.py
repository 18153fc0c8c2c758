"""The one Definitions object: assets, jobs, schedules and resources of crm-quality."""
from dagster import Definitions

from pipelines.defs.assets import MASTER_ASSETS, NIGHTLY_ASSETS
from pipelines.defs.checks import MASTER_CHECKS, NIGHTLY_CHECKS
from pipelines.defs.dead_runs import release_dead_runs_sensor
from pipelines.defs.executor import one_run_at_a_time_executor
from pipelines.defs.reports import REPORT_ASSETS, report_job, report_resources, reports_after_masters
from pipelines.defs.resources import default_resources
from pipelines.defs.schedules import master_job, masters_after_nightly, nightly_job, nightly_schedule

defs = Definitions(
    assets=NIGHTLY_ASSETS + MASTER_ASSETS + REPORT_ASSETS,
    asset_checks=NIGHTLY_CHECKS + MASTER_CHECKS,
    jobs=[nightly_job, master_job, report_job],
    schedules=[nightly_schedule],
    sensors=[masters_after_nightly, reports_after_masters, release_dead_runs_sensor],
    resources={**default_resources(), **report_resources()},
    # every run the UI's daemon launches holds the warehouse's run lock, as `crm-quality run` does
    executor=one_run_at_a_time_executor,
)
