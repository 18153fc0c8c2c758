"""The report assets of a night: quality_metrics + alerts -> steward_report, and the job that runs them."""
from pathlib import Path

from dagster import (AssetExecutionContext, AssetKey, AssetSelection, AssetSpec, ConfigurableResource,
                     DagsterRunStatus, DefaultSensorStatus, MaterializeResult, MetadataValue, RunRequest,
                     SkipReason, asset, define_asset_job, multi_asset, run_status_sensor)
from dagster_duckdb import DuckDBResource

from pipelines.defs.partitions import nightly
from pipelines.defs.resources import PipelineConfig, ensure_tables
from pipelines.defs.schedules import master_job
from pipelines.reporting.metrics import refresh_metrics
from pipelines.reporting.report import build_report
from pipelines.rules import load_alerts, load_validation
from pipelines.settings import load_settings

POOL = "warehouse"
NIGHT_TAG = "crm/night"  # set by masters_after_nightly (schedules.py)
UPSTREAM = ["customers_clean", "quarantine", "pipeline_runs", "customer_xref"]


class ReportConfig(ConfigurableResource):
    """Where the steward reports are written (CRM_REPORTS); the GX Data Docs live in its gx/ folder."""

    reports: str


def report_resources() -> dict:
    return {"report": ReportConfig(reports=str(load_settings().reports))}


@multi_asset(
    specs=[
        AssetSpec("quality_metrics", deps=UPSTREAM, partitions_def=nightly, group_name="reports",
                  description="Completeness, validity, uniqueness, consistency, timeliness, duplicate and rule "
                              "counts per source and field; history across nights."),
        AssetSpec("alerts", deps=["quality_metrics"], partitions_def=nightly, group_name="reports",
                  description="Metrics that moved beyond a threshold of rules/alerts.yaml against their history."),
    ],
    partitions_def=nightly, pool=POOL,
)
def quality_metrics_and_alerts(context: AssetExecutionContext, warehouse: DuckDBResource, pipeline: PipelineConfig):
    rules = load_alerts(Path(pipeline.rules))
    ensure_tables(warehouse)
    with warehouse.get_connection() as con:
        result = refresh_metrics(con, context.partition_key, context.run.run_id, rules)
        rates = dict(con.execute(
            "select field || ':' || metric, round(value, 4) from quality_metrics where partition_date = ? "
            "and source_system = 'all' and metric in ('pass_rate', 'validity')", [context.partition_key]).fetchall())
    for message in result.alerts.get("message", []):
        context.log.warning(f"alert: {message}")  # metric names and rates only
    yield MaterializeResult(asset_key=AssetKey("quality_metrics"),
                            metadata={"dagster/row_count": result.metrics, **rates})
    yield MaterializeResult(asset_key=AssetKey("alerts"), metadata={
        "dagster/row_count": len(result.alerts),
        "rules_fired": ", ".join(sorted(set(result.alerts.get("rule", [])))) or "none",
    })


@asset(partitions_def=nightly, pool=POOL, group_name="reports",
       deps=["quality_metrics", "alerts", "customers_clean", "quarantine", "pipeline_runs", "match_review"],
       description="The steward's HTML report of the night (<reports>/<date>/index.html), masked, with CSVs.")
def steward_report(context: AssetExecutionContext, warehouse: DuckDBResource, pipeline: PipelineConfig,
                   report: ReportConfig):
    rule_fields = {name: rule.field for name, rule in load_validation(Path(pipeline.rules)).items()}
    ensure_tables(warehouse)
    with warehouse.get_connection() as con:
        result = build_report(con, context.partition_key, Path(report.reports), rule_fields)
    return MaterializeResult(metadata={
        "path": MetadataValue.path(str(result.path)),
        "index": MetadataValue.path(str(result.index)),
        "alerts": result.alerts,
        "failing_rules": len(result.failing_rules),
        "csv_files": len(result.csv_files),
        "preview": MetadataValue.md(result.preview),
    })


REPORT_ASSETS = [quality_metrics_and_alerts, steward_report]
report_job = define_asset_job("report_job", selection=AssetSelection.groups("reports"))


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, monitored_jobs=[master_job], request_job=report_job,
                   default_status=DefaultSensorStatus.RUNNING)
def reports_after_masters(context):
    """The masters of a night are built: write that night's metrics, alerts and steward report."""
    night = context.dagster_run.tags.get(NIGHT_TAG)
    if not night:
        return SkipReason("the master run names no night (started by hand?): run `crm-quality report --date D`")
    return RunRequest(run_key=f"report-after-{context.dagster_run.run_id}", partition_key=night)
