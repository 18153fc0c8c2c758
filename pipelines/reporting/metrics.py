"""Computes a night's quality_metrics and alerts in DuckDB and replaces that night's rows in one transaction."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import duckdb
import pandas as pd

from pipelines.rules import AlertRule
from pipelines.warehouse.store import sql, transaction

RULE_COLUMNS = ("rule", "table_name", "metric", "field", "source", "kind", "threshold", "nights", "min_history")


@dataclass
class MetricsResult:
    metrics: int
    alerts: pd.DataFrame


def rules_frame(rules: dict[str, AlertRule]) -> pd.DataFrame:
    rows = [{**asdict(r), "rule": r.name, "table_name": r.table} for r in rules.values()]
    return pd.DataFrame(rows, columns=list(RULE_COLUMNS)).astype(
        {"threshold": "float64", "nights": "int64", "min_history": "int64"})


def _realert_later_nights(con: duckdb.DuckDBPyConnection, partition: str, window: int) -> None:
    """The alerts of the nights after this one whose history window holds it, judged again: a backfill runs
    nights in any order, and a night judged before an earlier one had its metrics lacked that history. Each
    keeps the run id of its own metrics. So the alerts table ends the same whatever the order nights ran in."""
    later = con.execute("select partition_date::varchar, max(run_id) from quality_metrics where partition_date > ? "
                        "group by 1 order by 1 limit ?", [partition, window]).fetchall()
    for night, run_id in later:
        _judge(con, night, run_id)


def _judge(con: duckdb.DuckDBPyConnection, night: str, run_id: str) -> None:
    """A night's alerts replaced by detect_alerts.sql's, against its metrics' history (alert_rules registered)."""
    con.execute("delete from alerts where partition_date = $partition", {"partition": night})
    con.execute(f"insert into alerts by name {sql('detect_alerts')}", {"partition": night, "run_id": run_id})


def refresh_metrics(con: duckdb.DuckDBPyConnection, partition: date | str, run_id: str,
                    rules: dict[str, AlertRule]) -> MetricsResult:
    """Readers see the night's old metrics and alerts or the new ones, never a mix."""
    params = {"partition": str(partition), "run_id": run_id}
    con.register("alert_rules", rules_frame(rules))
    try:
        with transaction(con):
            con.execute("delete from quality_metrics where partition_date = $partition", {"partition": str(partition)})
            con.execute(f"insert into quality_metrics by name {sql('quality_metrics')}", params)
            _judge(con, str(partition), run_id)
            _realert_later_nights(con, str(partition), max((r.nights for r in rules.values()), default=0))
    finally:
        con.unregister("alert_rules")
    metrics = con.execute("select count(*) from quality_metrics where partition_date = ?", [str(partition)]).fetchone()[0]
    alerts = con.execute("select * from alerts where partition_date = ? order by rule, source_system, field",
                         [str(partition)]).df()
    return MetricsResult(metrics=int(metrics), alerts=alerts)
