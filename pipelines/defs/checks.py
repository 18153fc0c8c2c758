"""Asset checks shown in the Dagster UI: rows conserved, keys unique, required fields, expectation suites.

Blocking checks with ERROR severity stop the assets downstream for that partition (or, for the masters, that
run). Metadata holds counts and rates only, never a customer value.
"""
import datetime as dt
import warnings
from pathlib import Path

from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, MetadataValue, PreviewWarning,
                     asset_check)
from dagster_duckdb import DuckDBResource

from pipelines.defs.partitions import nightly
from pipelines.defs.resources import ExpectationsConfig, ensure_tables
from pipelines.warehouse import holds
from pipelines.warehouse.store import sql

POOL = "warehouse"
# Per-partition checks are a preview feature of Dagster 1.13; we depend on it knowingly, once, here.
warnings.filterwarnings("ignore", message=".*partitions_def on an AssetCheckSpec.*", category=PreviewWarning)
WARN = AssetCheckSeverity.WARN


def _counts(warehouse: DuckDBResource, statement: str, params: dict) -> dict[str, int]:
    ensure_tables(warehouse)
    with warehouse.get_connection() as con:
        holds.matchable(con)   # the view of customers_clean the masters read (check_customer_xref.sql)
        cursor = con.execute(sql(statement), params)
        names = [d[0] for d in cursor.description]
        return {n: int(v or 0) for n, v in zip(names, cursor.fetchone())}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _held(context: AssetCheckExecutionContext, warehouse: DuckDBResource, result: AssetCheckResult) -> AssetCheckResult:
    """A customers_clean check's result, its verdict recorded in night_holds: a blocking failure holds the
    night's rows out of the customer masters, in this run and every later one, until a rerun passes."""
    with warehouse.get_connection() as con:
        holds.record(con, context.partition_key, context.check_specs[0].key.to_user_string(), _fails(result), _now())
    return result


def _fails(result: AssetCheckResult) -> bool:
    return not result.passed and result.severity == AssetCheckSeverity.ERROR


def _rate(good: int, total: int) -> float:
    return round(good / total, 6) if total else 1.0


@asset_check(asset="customers_clean", partitions_def=nightly, blocking=True, pool=POOL,
             description="One row per source_system + source_record_id in the night; a duplicate blocks the "
                         "masters and pipeline_runs.")
def unique_record_key(context: AssetCheckExecutionContext, warehouse: DuckDBResource) -> AssetCheckResult:
    c = _counts(warehouse, "check_customers_clean", {"partition": context.partition_key})
    return _held(context, warehouse, AssetCheckResult(
        passed=c["duplicate_keys"] == 0 and c["no_record_id"] == 0, metadata={
            "rows": c["rows"], "duplicate_keys": c["duplicate_keys"], "extra_copies": c["extra_copies"],
            "missing_record_id": c["no_record_id"], "unique_rate": _rate(c["rows"] - c["extra_copies"], c["rows"])}))


@asset_check(asset="customers_clean", partitions_def=nightly, blocking=True, pool=POOL,
             description="Every clean record has an identity (name, phone or e-mail) and its file and line.")
def required_fields(context: AssetCheckExecutionContext, warehouse: DuckDBResource) -> AssetCheckResult:
    c = _counts(warehouse, "check_customers_clean", {"partition": context.partition_key})
    return _held(context, warehouse, AssetCheckResult(passed=c["no_identity"] == 0 and c["no_lineage"] == 0, metadata={
        "rows": c["rows"], "no_identity": c["no_identity"], "no_file_or_line": c["no_lineage"],
        "identity_rate": _rate(c["rows"] - c["no_identity"], c["rows"])}))


@asset_check(asset="quarantine", name="required_fields", partitions_def=nightly, pool=POOL,
             description="Every quarantined row names its rule, field, reason, file and line.")
def quarantine_required_fields(context: AssetCheckExecutionContext, warehouse: DuckDBResource) -> AssetCheckResult:
    c = _counts(warehouse, "check_quarantine", {"partition": context.partition_key})
    return AssetCheckResult(passed=c["no_rule"] == 0 and c["no_lineage"] == 0, severity=WARN, metadata={
        "rows": c["rows"], "no_rule": c["no_rule"], "no_file_or_line": c["no_lineage"]})


@asset_check(asset="pipeline_runs", partitions_def=nightly, blocking=True, pool=POOL,
             description="Per read file, rows in = clean + quarantined: no record is lost or counted twice.")
def rows_conserved(context: AssetCheckExecutionContext, warehouse: DuckDBResource) -> AssetCheckResult:
    ensure_tables(warehouse)
    now = _now()
    params = {"partition": context.partition_key, "run_id": context.run.run_id, "started": now, "finished": now}
    with warehouse.get_connection() as con:
        files = con.execute(sql("summarize_run"), params).df()
    read = files[files["status"] != "rejected"]
    unbalanced = read[read["status"] == "unbalanced"]
    return AssetCheckResult(passed=unbalanced.empty, metadata={
        "files_read": len(read), "files_unbalanced": len(unbalanced),
        "unbalanced_files": ", ".join(unbalanced["source_file"]) or "none",
        "rows_in": int(read["rows_in"].sum()), "rows_clean": int(read["rows_clean"].sum()),
        "rows_quarantined": int(read["rows_quarantined"].sum())})


@asset_check(asset="customer_master", blocking=True, pool=POOL,
             description="One row per master_id, and every master holds at least one source record.")
def unique_master_id(warehouse: DuckDBResource) -> AssetCheckResult:
    c = _counts(warehouse, "check_customer_master", {})
    return AssetCheckResult(passed=c["duplicate_ids"] == 0 and c["no_id"] == 0 and c["empty_masters"] == 0,
                            metadata={"rows": c["rows"], "duplicate_ids": c["duplicate_ids"],
                                      "missing_id": c["no_id"], "empty_masters": c["empty_masters"]})


@asset_check(asset="customer_xref", blocking=True, pool=POOL,
             description="One xref row per source record the masters read (clean, not held, not deleted), "
                         "each pointing at an existing master, and none for any other record.")
def one_row_per_record(warehouse: DuckDBResource) -> AssetCheckResult:
    c = _counts(warehouse, "check_customer_xref", {})
    passed = (c["duplicate_records"] == 0 and c["records_without_master"] == 0 and c["unknown_masters"] == 0
              and c["records_not_read"] == 0)
    return AssetCheckResult(passed=passed, metadata={
        "rows": c["rows"], "duplicate_records": c["duplicate_records"],
        "records_without_master": c["records_without_master"], "unknown_masters": c["unknown_masters"],
        # an xref row of a record the masters must not read: gone from customers_clean, held or deleted
        "records_not_read": c["records_not_read"]})


def _run_suite(context: AssetCheckExecutionContext, table: str, warehouse: DuckDBResource,
               expectations: ExpectationsConfig, partition: str | None) -> AssetCheckResult:
    from pipelines.expectations import load_suite, store_results, validate

    suite = load_suite(Path(expectations.suites) / f"{table}.yaml")
    where, params = ("where partition_date = ?", [partition]) if partition else ("", [])
    ensure_tables(warehouse)
    with warehouse.get_connection() as con:
        frame = con.execute(f"select * from {table} {where}", params).df()  # table: one of SUITE_TABLES
        outcome = validate(suite, frame, Path(expectations.store), Path(expectations.docs),
                           run_name=partition or "masters")
        store_results(con, outcome, context.run.run_id, partition,
                      _now())
    failed = outcome.rows[~outcome.rows["success"]]
    blocking = failed[failed["severity"] == "error"]   # an expectation of severity error failed: downstream waits
    return AssetCheckResult(
        passed=outcome.success, severity=AssetCheckSeverity.ERROR if len(blocking) else WARN,
        metadata={"rows": len(frame), "expectations": len(outcome.rows), "failed": len(failed),
                  "failed_blocking": len(blocking),
                  "pass_rate": _rate(len(outcome.rows) - len(failed), len(outcome.rows)),
                  "failed_expectations": ", ".join(failed["expectation"]) or "none",
                  "data_docs": MetadataValue.path(str(Path(expectations.docs) / "index.html"))})


def _suite_check(table: str, partitioned: bool):
    if table not in SUITE_TABLES:
        raise ValueError(f"no expectation suite for table {table}")
    @asset_check(asset=table, name="expectations", blocking=True, pool=POOL,
                 partitions_def=nightly if partitioned else None,
                 description=f"The expectation suite checks/expectations/{table}.yaml (Great Expectations); "
                             "a failed expectation of severity error blocks, one of severity warn only warns.")
    def _check(context: AssetCheckExecutionContext, warehouse: DuckDBResource,
               expectations: ExpectationsConfig) -> AssetCheckResult:
        result = _run_suite(context, table, warehouse, expectations, context.partition_key if partitioned else None)
        return _held(context, warehouse, result) if table == "customers_clean" else result

    return _check


# The tables with a suite; only these fixed names reach the SQL of _run_suite.
SUITE_TABLES = ("customers_clean", "quarantine", "customer_master", "customer_xref")
NIGHTLY_CHECKS = [unique_record_key, required_fields, quarantine_required_fields, rows_conserved,
                  _suite_check("customers_clean", True), _suite_check("quarantine", True)]
# The checks whose verdicts hold or release a night's customers_clean rows (_held). The asset holds its new rows
# on each of them as it writes them (holds.pending), so a check that raises or never runs keeps them out of the
# masters; its pass releases its hold.
HELD_CHECKS = sorted(key.to_user_string() for check in NIGHTLY_CHECKS for key in check.check_keys
                     if key.asset_key.to_user_string() == "customers_clean")
MASTER_CHECKS = [unique_master_id, one_row_per_record,
                 _suite_check("customer_master", False), _suite_check("customer_xref", False)]


def _blocks(evaluation) -> bool:  # an evaluation of a run's result; _fails judges a check's own result
    return not evaluation.passed and evaluation.blocking and evaluation.severity == AssetCheckSeverity.ERROR


def blocked_by(result) -> list[str]:
    """The failed checks of a materialisation result that stopped the assets downstream."""
    return [e.asset_check_key.to_user_string() for e in result.get_asset_check_evaluations() if _blocks(e)]


def failed_checks(result) -> list[str]:
    """One line per failed check of a materialisation result: check, partition, whether it blocked, counts, and
    the failed expectations of a suite (their names, never a value)."""
    lines = []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            continue
        counts = {k: v.value for k, v in evaluation.metadata.items()
                  if isinstance(v.value, (int, float)) and not isinstance(v.value, bool) and v.value}
        night = f" for {evaluation.partition}" if evaluation.partition else ""
        what = "blocking: downstream assets not built" if _blocks(evaluation) else "warning: nothing stopped"
        names = evaluation.metadata.get("failed_expectations")
        lines.append(f"check {evaluation.asset_check_key.to_user_string()} failed{night} ({what}); "
                     + ", ".join(f"{k}={v}" for k, v in counts.items())
                     + (f"; failed: {names.value}" if names and names.value != "none" else ""))
    return lines
