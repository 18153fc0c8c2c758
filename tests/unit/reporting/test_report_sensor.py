"""The report job follows a master run for the night that run was tagged with, and skips an untagged one; the
masters follow any run that wrote a night's clean records."""
from dagster import AssetKey, DagsterInstance, RunRequest, SkipReason, build_run_status_sensor_context, job, op

from pipelines.defs.reports import NIGHT_TAG, reports_after_masters
from pipelines.defs.schedules import masters_after_nightly


@op
def noop():
    return None


@job
def stand_in_master_job():
    noop()


def tick(tags: dict, sensor=reports_after_masters, **run_fields):
    """The sensor's answer to a successful run with these tags (its job name and asset selection changed by
    run_fields: a stand-in for a nightly_job run or a run of the asset graph)."""
    instance = DagsterInstance.ephemeral()
    result = stand_in_master_job.execute_in_process(instance=instance, tags=tags)
    run = result.dagster_run._replace(**run_fields) if run_fields else result.dagster_run
    context = build_run_status_sensor_context(sensor_name=sensor.name, dagster_instance=instance,
                                              dagster_run=run, dagster_event=result.get_run_success_event())
    return sensor(context), result.run_id


def test_tagged_master_run_requests_that_nights_report():
    request, run_id = tick({NIGHT_TAG: "2026-11-21"})
    assert isinstance(request, RunRequest)
    assert request.partition_key == "2026-11-21" and request.run_key == f"report-after-{run_id}"


def test_untagged_master_run_is_skipped_with_a_reason():
    skip, _ = tick({})
    assert isinstance(skip, SkipReason) and "crm-quality report" in skip.skip_message


def test_master_run_carries_the_night_of_the_nightly_run():
    request, _ = tick({"dagster/partition": "2026-11-21"}, masters_after_nightly, job_name="nightly_job")
    assert request.tags[NIGHT_TAG] == "2026-11-21"


def test_a_backfill_of_the_assets_from_the_ui_is_followed_by_the_masters():
    """'Materialize' or a backfill launched from the asset graph runs Dagster's own asset job, not nightly_job:
    the masters (and after them the report) follow it too when it wrote customers_clean."""
    request, run_id = tick({"dagster/partition": "2026-11-22"}, masters_after_nightly, job_name="__ASSET_JOB",
                           asset_selection=frozenset({AssetKey("raw_customers"), AssetKey("customers_clean")}))
    assert isinstance(request, RunRequest) and request.tags[NIGHT_TAG] == "2026-11-22"
    assert request.run_key == f"masters-after-{run_id}"


def test_a_run_that_wrote_no_clean_records_starts_no_masters():
    skip, _ = tick({}, masters_after_nightly, job_name="master_job", asset_selection=frozenset())
    assert isinstance(skip, SkipReason)
    skip, _ = tick({"dagster/partition": "2026-11-22"}, masters_after_nightly, job_name="__ASSET_JOB",
                   asset_selection=frozenset({AssetKey("quality_metrics")}))
    assert isinstance(skip, SkipReason)
