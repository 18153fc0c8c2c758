"""The report assets materialised for real on a small warehouse: escaping, masking, CSV safety, a real browser."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import DagsterInstance, materialize

from pipelines.defs.reports import REPORT_ASSETS, ReportConfig
from pipelines.defs.resources import PipelineConfig, warehouse_resource
from pipelines.warehouse.store import connect

REPO = Path(__file__).resolve().parents[2]
NIGHTS = ("2026-11-20", "2026-11-21", "2026-11-22")
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
PHONE = "13812348000"
RLO = "\u202e"   # a right-to-left override: "evil\u202egnp.csv" displays as evilvsc.png
HEADERS = ["Id", "Name", "Phone", "Email"]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    con.register("_rows", pd.DataFrame(rows))
    con.execute(f"insert into {table} by name select * from _rows")
    con.unregister("_rows")


def night_rows(night: str) -> dict[str, list[dict]]:
    """Ten customers, 90 % valid e-mails; on the last night 50 %, and a hostile flagged record with payloads."""
    valid = 5 if night == NIGHTS[-1] else 9
    lineage = {"partition_date": night, "run_id": "r", "source_system": "crm_a", "source_file": f"crm_a/{night}/x.csv"}
    clean = [{**lineage, "source_line": i + 2, "source_record_id": f"{night}-{i}", "full_name": f"张{i}",
              "gender": "F", "phone": f"+86{PHONE}", "phone_raw": PHONE, "phone_valid": True,
              "email": f"u{i}@example.com", "email_raw": f"u{i}@example.com", "email_valid": i < valid,
              "quality_flags": [] if i < valid else ["invalid_email"], "country": "CN", "district": "朝阳区",
              "street": "建国路88号"} for i in range(10)]
    raw = [{**lineage, "source_line": r["source_line"], "source_record_id": r["source_record_id"],
            "full_name": r["full_name"], "phone": PHONE, "email": r["email_raw"]} for r in clean]
    files = [{**lineage, "status": "read", "rows_read": 10, "columns": json.dumps(HEADERS)}]
    if night == NIGHTS[-1]:
        clean[-1].update(source_record_id=FORMULA, full_name=SCRIPT, source_file=f"crm_a/{night}/evil{RLO}gnp.csv")
        raw[-1].update(source_record_id=FORMULA, full_name=SCRIPT, email=f"{FORMULA}@x.com",
                       source_file=clean[-1]["source_file"])
        files[0]["columns"] = json.dumps(HEADERS + [SCRIPT, "wang.lei@example.org 13912345678"])
        files[0]["notes"] = f"sheet {RLO}stnemom (of {RLO}stnemom)"     # a workbook's sheet name, as read
        files.append({**lineage, "source_file": "crm_a/broken.csv", "status": "rejected", "rows_read": 0,
                      "error": "crm_a/broken.csv:1: <b>bold</b> header"})
        files.append({**lineage, "source_file": f"crm_a/{night}/bad{RLO}vsc.csv", "status": "rejected",
                      "rows_read": 0, "error": f"crm_a/{night}/bad{RLO}vsc.csv: not a text file"})
    stamp = pd.Timestamp(night) + pd.Timedelta(hours=3)
    runs = [{"run_id": "r", "partition_date": night, "source_system": "crm_a", "source_file": f["source_file"],
             "rows_in": f["rows_read"], "rows_clean": 10 if f["status"] == "read" else 0, "rows_quarantined": 0,
             "status": f["status"], "error": f.get("error"), "started": stamp, "finished": stamp} for f in files]
    return {"customers_clean": clean, "raw_customers": raw, "ingest_files": files, "pipeline_runs": runs}


def build_warehouse(path: Path) -> None:
    with connect(path) as con:
        for night in NIGHTS:
            for table, rows in night_rows(night).items():
                insert(con, table, rows)
        evidence = {"values": {"full_name": [SCRIPT, "张三"], "phone": [f"+86{PHONE}", f"+86{PHONE}"]}}
        insert(con, "match_review", [{"unique_id_l": f"crm_a:1{RLO}2", "unique_id_r": "crm_b:2",
                                      "match_probability": 0.9, "evidence": json.dumps(evidence, ensure_ascii=False)}])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    warehouse, reports = tmp / "w.duckdb", tmp / "reports"
    build_warehouse(warehouse)
    resources = {"warehouse": warehouse_resource(str(warehouse)),
                 "pipeline": PipelineConfig(landing=str(tmp / "landing"), rules=str(REPO / "rules"),
                                            model=str(tmp / "model.json"), decisions=str(tmp / "decisions.csv")),
                 "report": ReportConfig(reports=str(reports))}
    instance = DagsterInstance.ephemeral()
    results = [materialize(REPORT_ASSETS, partition_key=night, resources=resources, instance=instance)
               for night in NIGHTS]
    return reports, warehouse, results


def test_every_night_has_a_report_and_the_index_lists_them(report):
    reports, _, results = report
    assert all(r.success for r in results)
    index = (reports / "index.html").read_text(encoding="utf-8")
    for night in NIGHTS:
        assert (reports / night / "index.html").exists()
        assert f'href="{night}/index.html"' in index
    meta = results[-1].asset_materializations_for_node("steward_report")[0].metadata
    assert meta["path"].value == str(reports / NIGHTS[-1] / "index.html")


def test_hostile_values_are_escaped_and_personal_values_masked(report):
    reports, _, _ = report
    html = (reports / NIGHTS[-1] / "index.html").read_text(encoding="utf-8")
    assert SCRIPT not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html        # the new column, shown as text in schema drift
    assert "&lt;b&gt;bold&lt;/b&gt;" in html                        # the rejected file's reason
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in html     # the record id of the flagged row
    assert PHONE not in html and "u9@example.com" not in html and "张9" not in html
    assert "138****8000" in html and "=***@x.com" in html and "&lt;***" in html and "张*" in html
    assert "<script" not in html.lower()
    # a header that holds an e-mail and a phone (a data row read as part of the header) is masked in schema drift
    assert "wang.lei" not in html and "13912345678" not in html and "<td class=\"mono\">w***</td>" in html


def test_the_report_lists_the_nights_files_with_their_rows(report):
    """Rows per source hid which file of a source brought them: each file of the night's run is listed."""
    reports, _, _ = report
    html = (reports / NIGHTS[-1] / "index.html").read_text(encoding="utf-8")
    assert "<h3>Files</h3>" in html
    assert f'<td class="mono">crm_a/{NIGHTS[-1]}/x.csv</td><td>read</td>' in html
    assert '<td class="mono">crm_a/broken.csv</td><td>rejected</td>' in html


def test_no_right_to_left_override_reaches_the_page_or_the_csv(report):
    """File names (whoever delivered the file chose them), errors naming them and record ids are shown as written
    but without the invisible characters that would make them display reversed."""
    reports, _, _ = report
    html = (reports / NIGHTS[-1] / "index.html").read_text(encoding="utf-8")
    assert RLO not in html
    assert f'<td class="mono">crm_a/{NIGHTS[-1]}/badvsc.csv</td><td>rejected</td>' in html    # files of the night
    assert f"<td>crm_a/{NIGHTS[-1]}/badvsc.csv: not a text file</td>" in html                  # rejected files
    assert f'<td class="mono">crm_a/{NIGHTS[-1]}/evilgnp.csv</td>' in html                     # failing examples
    assert '<span class="mono">crm_a:12</span>' in html                                         # review queue
    assert "sheet stnemom (of stnemom)" in html                                                  # a file's notes
    text = (reports / NIGHTS[-1] / "failing_invalid_email.csv").read_text(encoding="utf-8-sig")
    assert RLO not in text and f"crm_a/{NIGHTS[-1]}/evilgnp.csv" in text


def test_example_csv_is_masked_and_formula_safe(report):
    reports, _, _ = report
    path = reports / NIGHTS[-1] / "failing_invalid_email.csv"
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    hostile = [r for r in rows if "HYPERLINK" in r["source_record_id"]][0]
    assert hostile["source_record_id"] == "'" + FORMULA
    assert hostile["email"] == "'=***@x.com" and hostile["name"] == "<***" and hostile["phone"] == "138****8000"
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
    assert PHONE not in path.read_text(encoding="utf-8-sig")


def test_planted_drop_is_alerted_at_the_top_of_the_report(report):
    reports, warehouse, results = report
    html = (reports / NIGHTS[-1] / "index.html").read_text(encoding="utf-8")
    banner = html[html.index('id="alerts"'):html.index("<h2>")]
    assert 'class="alert"' in html and "email_validity_drop" in banner
    assert 'class="ok" id="alerts"' in (reports / NIGHTS[1] / "index.html").read_text(encoding="utf-8")
    con = duckdb.connect(str(warehouse), read_only=True)
    alerts = con.execute("select partition_date::varchar, rule, source_system, value, baseline from alerts "
                         "where field = 'email' order by all").fetchall()
    assert alerts == [(NIGHTS[-1], "email_validity_drop", "all", 0.5, 0.9),
                      (NIGHTS[-1], "email_validity_drop", "crm_a", 0.5, 0.9)]
    meta = {e.asset_key.path[-1]: e.materialization.metadata for e in results[-1].get_asset_materialization_events()}
    assert meta["alerts"]["dagster/row_count"].value == 2 and meta["steward_report"]["alerts"].value == 2


def test_no_personal_value_in_dagster_metadata(report):
    _, _, results = report
    for result in results:
        for event in result.get_asset_materialization_events():
            text = str(event.materialization.metadata)
            assert PHONE not in text and SCRIPT not in text and "example.com" not in text.replace("***@example", "")


def test_report_renders_in_a_real_browser(report, tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "chromium is missing: apt-get install -y chromium (.ci/run installs it)"
    reports, _, _ = report
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((reports / NIGHTS[-1] / "index.html").as_uri())
            charts = page.locator("figure.chart svg")
            assert charts.count() >= 3
            assert charts.first.is_visible()
            assert page.locator("figure.chart svg polyline").count() >= 3
            assert page.locator("script").count() == 0
            assert "alert(1)" in page.inner_text("body")                 # shown as text, not run
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
