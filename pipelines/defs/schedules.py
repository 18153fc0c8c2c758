"""Jobs, the nightly schedule, and the sensor that rebuilds the customer masters after a nightly run."""
from dagster import (AssetKey, AssetSelection, DagsterRunStatus, DefaultScheduleStatus, DefaultSensorStatus,
                     RunRequest, SkipReason, build_schedule_from_partitioned_job, define_asset_job,
                     run_status_sensor)

nightly_job = define_asset_job("nightly_job", selection=AssetSelection.groups("nightly"))
master_job = define_asset_job("master_job", selection=AssetSelection.groups("master"))
# On from the start: a nightly pipeline whose schedule and sensors wait for someone to switch them on in the UI
# runs nothing at night
nightly_schedule = build_schedule_from_partitioned_job(nightly_job, hour_of_day=2, minute_of_hour=30,
                                                       default_status=DefaultScheduleStatus.RUNNING)
# what a nightly run writes that the masters read
CLEAN_RECORDS = AssetKey("customers_clean")


def built_clean_records(run) -> bool:
    """Whether a run wrote a night's clean records: a nightly_job run, or a run of the asset graph ('Materialize'
    or a backfill launched from the assets in the UI, `dagster asset materialize`) that selected them."""
    return run.job_name == nightly_job.name or CLEAN_RECORDS in (run.asset_selection or ())


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, request_job=master_job,
                   default_status=DefaultSensorStatus.RUNNING)
def masters_after_nightly(context):
    """A night's clean records are in: match them into the customer masters."""
    if not built_clean_records(context.dagster_run):
        return SkipReason(f"run of {context.dagster_run.job_name} wrote no clean records")
    night = context.dagster_run.tags.get("dagster/partition")
    # the night is passed on so the report job (pipelines/defs/reports.py) can follow the masters
    return RunRequest(run_key=f"masters-after-{context.dagster_run.run_id}",
                      tags={"crm/night": night} if night else {})
