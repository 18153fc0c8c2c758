"""Cleansing a night in chunks gives exactly the tables of one pass: every version of a record is in the same
chunk, so the duplicate rule still sees them together; rows in = clean + quarantined."""
from __future__ import annotations

from pathlib import Path

from pipelines import cleanse
from pipelines.ingest import ingest_partition, with_constants
from pipelines.rules import load_rules
from pipelines.warehouse.store import connect, replace_partition

REPO = Path(__file__).resolve().parents[2]
NIGHT = "2026-11-20"


def tables(con) -> tuple[list, list]:
    clean = con.execute("select * from customers_clean order by source_file, source_line").fetchall()
    quarantine = con.execute("select * from quarantine order by source_file, source_line, rule").fetchall()
    return clean, quarantine


def test_chunks_give_the_same_tables(tmp_path):
    rules = load_rules(REPO / "rules")
    result = ingest_partition(REPO / "data" / "samples", NIGHT, rules.sources)
    raw = with_constants(result.raw, partition_date=NIGHT, run_id="r")
    with connect(tmp_path / "w.duckdb") as con:
        replace_partition(con, NIGHT, {"raw_customers": raw})
        whole = cleanse.cleanse_night(con, NIGHT, rules, "r", chunk_rows=10**9)
        one_pass = tables(con)
        chunked = cleanse.cleanse_night(con, NIGHT, rules, "r", chunk_rows=700)
        assert tables(con) == one_pass
    assert (chunked.clean, chunked.quarantined, chunked.by_rule) == (whole.clean, whole.quarantined, whole.by_rule)
    assert whole.clean + whole.quarantined == raw.num_rows
    assert whole.by_rule.get("duplicate_record_id", 0) >= 1
