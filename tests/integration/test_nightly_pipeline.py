"""Real Dagster materialisations of the nightly assets into a DuckDB file under tmp_path."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from pipelines.defs.assets import NIGHTLY_ASSETS
from pipelines.defs.resources import PipelineConfig, warehouse_resource

REPO = Path(__file__).resolve().parents[2]
DATA_TABLES = ("raw_customers", "ingest_files", "customers_clean", "quarantine")


def run_night(landing: Path, warehouse: Path, date: str, rules: Path = REPO / "rules"):
    resources = {"warehouse": warehouse_resource(str(warehouse)),
                 "pipeline": PipelineConfig(landing=str(landing), rules=str(rules),
                                            model=str(REPO / "data/models/splink_model.json"),
                                            decisions=str(warehouse.parent / "decisions.csv"))}
    return materialize(NIGHTLY_ASSETS, partition_key=date, resources=resources,
                       instance=DagsterInstance.ephemeral(), raise_on_error=False)


def snapshot(warehouse: Path, date: str) -> dict:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t: con.execute(f"select * exclude (run_id) from {t} where partition_date = ? order by all",
                               [date]).fetchall() for t in DATA_TABLES}
    finally:
        con.close()


@pytest.fixture(scope="module")
def night(small_landing, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    result = run_night(small_landing, warehouse, "2026-11-20")
    assert result.success
    return warehouse, result


def test_every_row_accounted_for_per_file(night, small_landing):
    warehouse, result = night
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute("""
        select f.source_file, f.rows_read,
               (select count(*) from customers_clean c where c.source_file = f.source_file),
               (select count(*) from quarantine q where q.source_file = f.source_file),
               (select count(*) from raw_customers r where r.source_file = f.source_file)
        from ingest_files f where f.status = 'read'""").fetchall()
    assert len(rows) == 3
    for source_file, rows_in, clean, quarantined, raw in rows:
        assert rows_in == clean + quarantined == raw, source_file
        assert clean > 0
    assert sum(r[3] for r in rows) >= 4  # the generator plants defects
    # and the physical data rows of each CSV match rows_in (XLSX: rows below the header)
    runs = con.execute("select source_file, rows_in, rows_clean, rows_quarantined, status from pipeline_runs").fetchall()
    assert {r[4] for r in runs} == {"completed"}
    assert all(r[1] == r[2] + r[3] for r in runs)
    assert sum(r[1] for r in runs) == con.execute("select count(*) from raw_customers").fetchone()[0]


def test_no_row_in_both_clean_and_quarantine(night):
    warehouse, _ = night
    con = duckdb.connect(str(warehouse), read_only=True)
    both = con.execute("""select count(*) from customers_clean c join quarantine q
                          using (source_file, source_line)""").fetchone()[0]
    assert both == 0


def test_quarantine_names_rule_field_file_and_line(night, small_landing):
    warehouse, _ = night
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute("select source_file, source_line, field, rule, reason from quarantine").fetchall()
    rules = {r[3] for r in rows}
    assert {"duplicate_record_id", "missing_record_id", "unparseable_record", "no_identity"} <= rules
    broken = [r for r in rows if r[3] == "unparseable_record"][0]
    lines = (small_landing / broken[0]).read_text(encoding="utf-8").splitlines()
    assert lines[broken[1] - 1].startswith('"003BROKEN"')  # the line a steward opens is the bad one


def test_rerun_gives_identical_tables(night, small_landing):
    warehouse, _ = night
    before = snapshot(warehouse, "2026-11-20")
    assert run_night(small_landing, warehouse, "2026-11-20").success
    assert snapshot(warehouse, "2026-11-20") == before


def test_bad_files_are_rejected_and_the_night_goes_on(small_landing, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(small_landing, landing)
    night = "2026-11-21"
    hubspot = landing / "hubspot" / night / "contacts.csv"
    # a second HubSpot file without the Email column, and a Salesforce file in GBK while UTF-8 is declared
    header, *body = hubspot.read_bytes().decode("gb18030").splitlines()
    cols = header.split('","')
    drop = cols.index("Email")
    trimmed = ['","'.join(c for i, c in enumerate(line.split('","')) if i != drop) for line in [header] + body[:3]]
    (landing / "hubspot" / night / "contacts_extra.csv").write_text("\n".join(trimmed) + "\n", encoding="utf-8")
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    text = (rules / "sources.yaml").read_text(encoding="utf-8")
    (rules / "sources.yaml").write_text(text.replace("    encoding: auto", "    encoding: utf-8", 1), encoding="utf-8")
    sf = landing / "salesforce" / night / "contacts.csv"
    sf.write_bytes(sf.read_bytes().decode("utf-8").replace("Manager", "经理").encode("gbk"))
    warehouse = tmp_path / "w.duckdb"
    result = run_night(landing, warehouse, night, rules)
    assert result.success
    con = duckdb.connect(str(warehouse), read_only=True)
    files = dict(con.execute("select source_file, coalesce(error, 'ok') from ingest_files").fetchall())
    assert "missing required column(s) Email" in files[f"hubspot/{night}/contacts_extra.csv"]
    assert files[f"hubspot/{night}/contacts_extra.csv"].startswith(f"hubspot/{night}/contacts_extra.csv:1:")
    assert "not valid utf-8" in files[f"salesforce/{night}/contacts.csv"]
    assert f"salesforce/{night}/contacts.csv:" in files[f"salesforce/{night}/contacts.csv"]
    assert files[f"wukong/{night}/客户.xlsx"] == "ok" and files[f"hubspot/{night}/contacts.csv"] == "ok"
    status = dict(con.execute("select source_file, status from pipeline_runs").fetchall())
    assert status[f"salesforce/{night}/contacts.csv"] == "rejected"
    assert status[f"wukong/{night}/客户.xlsx"] == "completed"
    assert con.execute("select count(*) from customers_clean where source_system = 'wukong'").fetchone()[0] > 0
