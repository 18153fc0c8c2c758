"""quality_metrics of a hand-built night equal the values worked out by hand; reruns replace, history stays."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.reporting.metrics import refresh_metrics
from pipelines.rules import load_alerts
from pipelines.warehouse.store import connect

REPO = Path(__file__).resolve().parents[3]
NIGHT, BEFORE = "2026-11-20", "2026-11-19"
BASE = {"run_id": "r", "source_file": "f.csv", "phone_valid": True, "email_valid": True, "gender": "U",
        "quality_flags": [], "country": "CN"}


def clean(night: str, source: str, record: str, line: int, **values) -> dict:
    return {**BASE, "partition_date": night, "source_system": source, "source_record_id": record,
            "source_line": line, "source_file": f"{source}/{night}/f.csv", **values}


ROWS = [
    clean(NIGHT, "salesforce", "s1", 2, full_name="Ann Lee", gender="F", phone="+8613812348000",
          phone_raw="13812348000", email="ann@example.com", email_raw="ann@example.com", province="北京市",
          city="北京市", district="朝阳区", street="建国路88号", last_activity_at="2026-11-10"),
    clean(NIGHT, "salesforce", "s2", 3, full_name="Bob Stone", phone_raw="12345", phone_valid=False,
          email="bob@example.com", email_raw="bob@example.com", province="北京市", street="长安街1号",
          last_activity_at="2025-01-01", quality_flags=["invalid_phone"]),
    clean(NIGHT, "salesforce", "s3", 4, phone="+8613812348000", phone_raw="+86 138 1234 8000", email_raw="bad@",
          email_valid=False, country="US", quality_flags=["unknown_gender", "invalid_email"]),
    clean(NIGHT, "hubspot", "h1", 2, full_name="Ann Li", gender="F", phone="+8613812348000",
          phone_raw="13812348000", email="ann@example.com", email_raw="ann@example.com", city="北京市",
          district="朝阳区", last_activity_at="2026-11-19"),
    clean(BEFORE, "salesforce", "s4", 2, full_name="Bob Stone", phone="+8613900000000", phone_raw="13900000000",
          email_raw=None, last_activity_at="2026-11-01"),
]
QUARANTINE = [
    {"partition_date": NIGHT, "run_id": "r", "source_system": "salesforce", "source_file": "f", "source_line": 9,
     "field": "identity", "rule": "no_identity", "reason": "x"},
    {"partition_date": NIGHT, "run_id": "r", "source_system": "hubspot", "source_file": "f", "source_line": 9,
     "field": "source_record_id", "rule": "missing_record_id", "reason": "x"},
]
XREF = [("salesforce", "s1", "M1"), ("hubspot", "h1", "M1"), ("salesforce", "s2", "M2"), ("salesforce", "s4", "M2"),
        ("salesforce", "s3", "M3")]


def insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("_rows", frame)
    con.execute(f"insert into {table} by name select * from _rows")
    con.unregister("_rows")


@pytest.fixture(scope="module")
def metrics(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("metrics") / "w.duckdb"
    with connect(path) as con:
        frame = pd.DataFrame(ROWS)
        for col in ("partition_date", "last_activity_at"):
            frame[col] = pd.to_datetime(frame[col])
        insert(con, "customers_clean", frame)
        insert(con, "quarantine", pd.DataFrame(QUARANTINE).assign(partition_date=lambda f: pd.to_datetime(f.partition_date)))
        insert(con, "customer_xref", pd.DataFrame(XREF, columns=["source_system", "source_record_id", "master_id"])
               .assign(matched_at=pd.Timestamp("2026-11-20")))
        alerts = load_alerts(REPO / "rules")
        refresh_metrics(con, BEFORE, "run-0", alerts)
        refresh_metrics(con, NIGHT, "run-1", alerts)
        first = con.execute("select * exclude (run_id, computed_at) from quality_metrics order by all").fetchall()
        refresh_metrics(con, NIGHT, "run-2", alerts)
        rows = con.execute("select source_system, table_name, field, metric, value, numerator, denominator, "
                           "partition_date::varchar, run_id from quality_metrics").fetchall()
        again = con.execute("select * exclude (run_id, computed_at) from quality_metrics order by all").fetchall()
    return {"values": {(r[7], r[0], r[1], r[2], r[3]): (r[4], r[5], r[6]) for r in rows},
            "runs": {(r[7], r[8]) for r in rows}, "first": first, "again": again}


def value(metrics: dict, source: str, table: str, field: str, metric: str, night: str = NIGHT) -> float:
    return metrics["values"][(night, source, table, field, metric)][0]


@pytest.mark.parametrize("source, table, field, metric, expected", [
    ("salesforce", "customers_clean", "*", "row_count", 3),
    ("salesforce", "quarantine", "*", "row_count", 1),
    ("salesforce", "customers_clean", "*", "pass_rate", 3 / 4),
    ("all", "customers_clean", "*", "pass_rate", 4 / 6),
    ("salesforce", "customers_clean", "full_name", "completeness", 2 / 3),
    ("salesforce", "customers_clean", "gender", "completeness", 2 / 3),   # F and an unknown spelling: written
    ("salesforce", "customers_clean", "email", "completeness", 1.0),       # raw value present, even if invalid
    ("salesforce", "customers_clean", "phone", "validity", 2 / 3),
    ("salesforce", "customers_clean", "email", "validity", 2 / 3),
    ("all", "customers_clean", "email", "validity", 3 / 4),
    ("salesforce", "customers_clean", "gender", "validity", 1 / 2),        # F valid, unknown_gender not; U n/a
    ("salesforce", "customers_clean", "district", "validity", 1 / 2),      # CN rows with an address: s1, s2
    ("hubspot", "customers_clean", "district", "validity", 1.0),
    ("salesforce", "customers_clean", "phone", "uniqueness", 1 / 2),
    ("all", "customers_clean", "phone", "uniqueness", 1 / 3),
    ("salesforce", "customers_clean", "last_activity_at", "timeliness", 1 / 2),   # 10 days yes, 688 days no
    ("salesforce", "customers_clean", "last_activity_at", "age_days_median", (10 + 688) / 2),
    ("salesforce", "customer_xref", "full_name", "consistency", 0.0),      # Ann Lee vs Ann Li, same master
    ("salesforce", "customer_xref", "phone", "consistency", 1.0),
    ("salesforce", "customer_xref", "gender", "consistency", 1.0),
    ("hubspot", "customer_xref", "email", "consistency", 1.0),
    ("salesforce", "customer_xref", "master_id", "duplicate_rate", 1 / 3),  # s2 shares M2 with s4 of last night
    ("hubspot", "customer_xref", "master_id", "duplicate_rate", 0.0),
    ("all", "customer_xref", "master_id", "records_per_master", 4 / 3),
    ("salesforce", "quarantine", "no_identity", "quarantine_count", 1),
    ("all", "quarantine", "missing_record_id", "quarantine_count", 1),
    ("salesforce", "customers_clean", "invalid_email", "flag_count", 1),
    ("all", "customers_clean", "invalid_phone", "flag_count", 1),
])
def test_metric_equals_hand_computed(metrics, source, table, field, metric, expected):
    assert value(metrics, source, table, field, metric) == pytest.approx(expected)


def test_no_comparison_no_consistency_row(metrics):
    # s2's only other record is from its own source: nothing to compare, so no consistency row for birth_date
    assert (NIGHT, "salesforce", "customer_xref", "birth_date", "consistency") not in metrics["values"]


def test_rerun_replaces_the_night_and_keeps_history(metrics):
    assert metrics["first"] == metrics["again"]
    assert metrics["runs"] == {(BEFORE, "run-0"), (NIGHT, "run-2")}
    assert value(metrics, "salesforce", "customers_clean", "*", "row_count", BEFORE) == 1


def test_a_source_that_sent_nothing_tonight_counts_zero_rows(tmp_path):
    """A night whose only file was rejected, or a source gone silent, had no row_count at all: no alert could
    see it. Every source that ever delivered counts its rows, zero included."""
    with connect(tmp_path / "w.duckdb") as con:
        con.execute("insert into pipeline_runs values ('r1', '2026-11-01', 'salesforce', 'salesforce/2026-11-01/a.csv', "
                    "1, 1, 0, 'read', null, now(), now()), ('r2', '2026-11-02', 'salesforce', "
                    "'salesforce/2026-11-02/a.csv', 0, 0, 0, 'rejected', 'x', now(), now())")
        refresh_metrics(con, "2026-11-02", "r2", load_alerts(REPO / "rules"))
        rows = con.execute("select source_system, value from quality_metrics where partition_date = '2026-11-02' "
                           "and metric = 'row_count' and table_name = 'customers_clean' order by 1").fetchall()
    assert rows == [("all", 0.0), ("salesforce", 0.0)]


def test_a_night_without_rows_is_a_gap_on_the_trend_charts_not_a_night_left_out(tmp_path):
    """Its nights came from the charted metrics: a night with no rows vanished, and the nights either side of it
    looked consecutive."""
    from pipelines.reporting.report import trends

    with connect(tmp_path / "w.duckdb") as con:
        con.execute("insert into quality_metrics (partition_date, run_id, source_system, table_name, field, metric, "
                    "value, computed_at) values "
                    "('2026-11-01', 'r', 'all', 'customers_clean', '*', 'pass_rate', 0.9, now()), "
                    "('2026-11-02', 'r', 'all', 'customers_clean', '*', 'row_count', 0, now()), "
                    "('2026-11-03', 'r', 'all', 'customers_clean', '*', 'pass_rate', 0.8, now())")
        charts = trends(con, "2026-11-03")
    assert len(charts) == 1
    assert [label for _, label in charts[0].x_labels] == ["11-01", "11-02", "11-03"]
    (series,) = charts[0].series
    assert [tip.split(": ")[0] for _, _, tip in series.dots] == ["all 2026-11-01", "all 2026-11-03"]
