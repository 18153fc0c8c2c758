"""The nightly assets, one per table: raw_customers -> customers_clean + quarantine -> pipeline_runs."""

from datetime import datetime, timezone
from pathlib import Path

from dagster import (AssetExecutionContext, AssetKey, AssetSpec, Config, Failure, MaterializeResult, asset,
                     multi_asset)
import pandas as pd
import pyarrow.compute as pc
from dagster_duckdb import DuckDBResource

from pipelines import cleanse as cleansing
from pipelines.defs.checks import HELD_CHECKS
from pipelines.defs.metadata import clean_metadata, column_schema
from pipelines.defs.partitions import nightly
from pipelines.defs.resources import PipelineConfig, ensure_tables
from pipelines.ingest import ingest_partition, with_constants
from pipelines.matching.master import build_masters
from pipelines.warehouse import holds
from pipelines.warehouse.store import append, replace_partition, sql
from pipelines.warehouse.value_cache import DuckDBValueStore

POOL = "warehouse"


def _started(context: AssetExecutionContext) -> datetime:
    stats = context.instance.get_run_stats(context.run.run_id)
    ts = stats.start_time if stats and stats.start_time else None
    return datetime.fromtimestamp(ts, timezone.utc).replace(tzinfo=None) if ts else datetime.utcnow()


@asset(partitions_def=nightly, pool=POOL, group_name="nightly",
       description="Every landed export row of the night as read: text cells, lineage, unmapped columns in extra.")
def raw_customers(context: AssetExecutionContext, warehouse: DuckDBResource, pipeline: PipelineConfig):
    rules = pipeline.load_rules()
    result = ingest_partition(Path(pipeline.landing), context.partition_key, rules.sources)
    raw = (with_constants(result.raw, partition_date=context.partition_key, run_id=context.run.run_id)
           if result.raw is not None else pd.DataFrame())
    files = result.files.assign(partition_date=context.partition_key, run_id=context.run.run_id)
    ensure_tables(warehouse)
    with warehouse.get_connection() as con:
        _refuse_to_empty(con, context.partition_key, pipeline.landing,
                         set(files["source_system"]) if len(files) else set(),
                         set(pc.unique(raw.column("source_system")).to_pylist()) if result.raw is not None else set())
        replace_partition(con, context.partition_key, {"raw_customers": raw, "ingest_files": files})
    rejected = files[files["status"] == "rejected"] if len(files) else files
    for error in rejected.get("error", []):
        context.log.warning(f"rejected file: {error}")  # file, line and reason only, never values
    return MaterializeResult(metadata={
        "dagster/row_count": len(raw) if result.raw is None else raw.num_rows, "files_read": int(len(files) - len(rejected)),
        "files_rejected": int(len(rejected)),
    })


def _refuse_to_empty(con, night: str, landing: str, landed: set[str], read: set[str]) -> None:
    """A source with no row read for a night the warehouse holds rows of would have that night's rows replaced
    with nothing, and its customers would leave the masters: refused, naming the sources. No file landed (a
    moved or unmounted landing folder, a rerun before the files are back), or its files were all rejected or
    empty (a re-delivery cut off or still being copied). A source that never delivered that night is fine."""
    held = con.execute("select source_system, count(*) from raw_customers where partition_date = ? "
                       "group by all order by 1", [night]).fetchall()
    gone = [(source, rows) for source, rows in held if source not in read]
    if gone:
        which = ", ".join(f"{source} ({rows} rows; "
                          + ("its files landed for the night were all rejected or held no row)" if source in landed
                             else "no file landed)") for source, rows in gone)
        raise Failure(description=f"no row read for {night} under {landing} from {which}, which the warehouse "
                                  "holds rows of: a run would delete them. Land the night's files again and rerun it.")


@multi_asset(
    specs=[
        AssetSpec("customers_clean", deps=["raw_customers"], partitions_def=nightly, group_name="nightly",
                  description="Validated, standardised customer records (one per accepted source row)."),
        AssetSpec("quarantine", deps=["raw_customers"], partitions_def=nightly, group_name="nightly",
                  description="Rows kept out of customers_clean, with the rule, field, file and line."),
    ],
    partitions_def=nightly, pool=POOL,
)
def customers_clean_and_quarantine(context: AssetExecutionContext, warehouse: DuckDBResource,
                                   pipeline: PipelineConfig):
    rules = pipeline.load_rules()
    ensure_tables(warehouse)
    with warehouse.get_connection() as con:
        night = cleansing.cleanse_night(con, context.partition_key, rules, context.run.run_id,
                                        DuckDBValueStore(con))
        # held out of the masters until each customers_clean check passes on these rows (warehouse/holds.py). The
        # checks are ops of their own: the asset's context does not list them, so every one holds (one the run
        # leaves out keeps its hold until it runs).
        holds.pending(con, context.partition_key, context.run.run_id, HELD_CHECKS, datetime.utcnow())
        schema = column_schema(con, "customers_clean")
        metadata = clean_metadata(con, context.partition_key, night.quarantined, schema)
    if night.other_date_order:   # file names only, no values
        context.log.info("dates read in the order of day and month their file writes (13/04/1990: day first), "
                         "not their source's declared one: " + ", ".join(night.other_date_order))
        metadata["files_dates_in_other_order"] = ", ".join(night.other_date_order)
    yield MaterializeResult(asset_key=AssetKey("customers_clean"),
                            metadata={"dagster/row_count": night.clean, **metadata})
    yield MaterializeResult(asset_key=AssetKey("quarantine"), metadata={
        "dagster/row_count": night.quarantined, **{f"rule:{k}": v for k, v in night.by_rule.items()},
    })


@asset(partitions_def=nightly, pool=POOL, group_name="nightly", deps=["customers_clean", "quarantine"],
       description="A log row per landed file and run: rows in, clean, quarantined, status; history is kept.")
def pipeline_runs(context: AssetExecutionContext, warehouse: DuckDBResource):
    ensure_tables(warehouse)
    params = {"partition": context.partition_key, "run_id": context.run.run_id,
              "started": _started(context), "finished": datetime.utcnow()}
    with warehouse.get_connection() as con:
        summary = con.execute(sql("summarize_run"), params).df()
        append(con, "pipeline_runs", summary)
    unbalanced = int((summary["status"] == "unbalanced").sum()) if len(summary) else 0
    # An unbalanced file fails the blocking asset check rows_conserved (pipelines/defs/checks.py).
    return MaterializeResult(metadata={
        "dagster/row_count": len(summary),
        "rows_in": int(summary["rows_in"].sum()) if len(summary) else 0,
        "rows_clean": int(summary["rows_clean"].sum()) if len(summary) else 0,
        "rows_quarantined": int(summary["rows_quarantined"].sum()) if len(summary) else 0,
        "files_rejected": int((summary["status"] == "rejected").sum()) if len(summary) else 0,
        "files_unbalanced": unbalanced,
    })


MASTER_TABLES = {
    "customer_master": "One golden record per real person, with a stable master id and each field's source.",
    "customer_xref": "Every source record and the master it belongs to.",
    "match_review": "Record pairs in the uncertainty band, with the evidence per field, for a steward.",
    "master_id_history": "Merges and splits of master ids: old id, new id, when and why.",
    "customer_name_history": "Every name a customer has carried (former names such as a married name).",
    "customer_address_history": "Every address a customer has had, with first and last night seen.",
}
MASTER_SPECS = [AssetSpec(name, deps=["customers_clean"], group_name="master", description=text)
                for name, text in MASTER_TABLES.items()]


class MasterConfig(Config):
    """Launchpad options of the master build."""

    full_rebuild: bool = False  # score every record again instead of only new and changed ones


@multi_asset(specs=MASTER_SPECS, pool=POOL)
def customer_master_tables(context: AssetExecutionContext, config: MasterConfig, warehouse: DuckDBResource,
                           pipeline: PipelineConfig):
    ensure_tables(warehouse)
    with warehouse.get_connection() as con:
        rules = pipeline.load_rules()
        result = build_masters(con, pipeline.load_matching(), pipeline.load_survivorship(),
                               Path(pipeline.model), Path(pipeline.decisions), full=config.full_rebuild,
                               salesforce_sources=frozenset(s.name for s in rules.sources.values()
                                                            if s.record_id_format == "salesforce"),
                               extension_markers=tuple(rules.standardization.phone_extension_markers))
        deleted = holds.deleted(con)
    context.log.info(f"{'full rebuild' if result.full else 'incremental'}: {result.scored} of {result.records} "
                     "records scored")
    if result.trained:
        context.log.info(f"no trained model at {pipeline.model}: trained one and saved it there")
    for problem in result.unapplied_decisions:   # ids only, no customer value
        context.log.warning(f"steward decision not applied: {problem}")
    counts = {"customer_master": result.masters, "customer_xref": result.records,
              "match_review": result.review_pairs}
    for spec in MASTER_SPECS:
        meta = {"dagster/row_count": counts[spec.key.path[-1]]} if spec.key.path[-1] in counts else {}
        if spec.key.path[-1] == "customer_master":
            meta["unapplied_decisions"] = "; ".join(result.unapplied_decisions) or "none"
            # records deleted in their source (marked, or missing from a full delivery): counts, no values
            meta["deleted_in_sources"] = "; ".join(
                f"{source}: {marked} marked deleted or no customer, {missing} missing from a full delivery"
                for source, marked, missing in deleted) or "none"
        if spec.key.path[-1] == "master_id_history":
            meta = {"merges": result.merges, "splits": result.splits}
        yield MaterializeResult(asset_key=spec.key, metadata=meta)


NIGHTLY_ASSETS = [raw_customers, customers_clean_and_quarantine, pipeline_runs]
MASTER_ASSETS = [customer_master_tables]
