"""Jobs, the nightly schedule, and the sensor that rebuilds the customer masters after a nightly run."""
from dagster import (AssetSelection, DagsterRunStatus, RunRequest, build_schedule_from_partitioned_job,
                     define_asset_job, run_status_sensor)


nightly_job = define_asset_job("nightly_job", selection=AssetSelection.groups("nightly"))
master_job = define_asset_job("master_job", selection=AssetSelection.groups("master"))
nightly_schedule = build_schedule_from_partitioned_job(nightly_job, hour_of_day=2, minute_of_hour=30)


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, monitored_jobs=[nightly_job], request_job=master_job)
def masters_after_nightly(context):
    """A night's clean records are in: match them into the customer masters."""
    night = context.dagster_run.tags.get("dagster/partition")
    # the night is passed on so the report job (pipelines/defs/reports.py) can follow the masters
    return RunRequest(run_key=f"masters-after-{context.dagster_run.run_id}",
                      tags={"crm/night": night} if night else {})
