"""The report job follows a master run for the night that run was tagged with, and skips an untagged one."""
from dagster import DagsterInstance, RunRequest, SkipReason, build_run_status_sensor_context, job, op

from pipelines.defs.reports import NIGHT_TAG, reports_after_masters
from pipelines.defs.schedules import masters_after_nightly


@op
def noop():
    return None


@job
def stand_in_master_job():
    noop()


def tick(tags: dict, sensor=reports_after_masters):
    instance = DagsterInstance.ephemeral()
    result = stand_in_master_job.execute_in_process(instance=instance, tags=tags)
    context = build_run_status_sensor_context(sensor_name=sensor.name, dagster_instance=instance,
                                              dagster_run=result.dagster_run,
                                              dagster_event=result.get_run_success_event())
    return sensor(context), result.run_id


def test_tagged_master_run_requests_that_nights_report():
    request, run_id = tick({NIGHT_TAG: "2026-11-21"})
    assert isinstance(request, RunRequest)
    assert request.partition_key == "2026-11-21" and request.run_key == f"report-after-{run_id}"


def test_untagged_master_run_is_skipped_with_a_reason():
    skip, _ = tick({})
    assert isinstance(skip, SkipReason) and "crm-quality report" in skip.skip_message


def test_master_run_carries_the_night_of_the_nightly_run():
    request, _ = tick({"dagster/partition": "2026-11-21"}, masters_after_nightly)
    assert request.tags[NIGHT_TAG] == "2026-11-21"
