"""The crm-quality command as a user runs it: exit codes, summary, no traceback."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
from dagster import AssetKey

REPO = Path(__file__).resolve().parents[2]


def cli(args: list[str], tmp_path: Path, landing: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CRM_LANDING": str(landing), "CRM_WAREHOUSE": str(tmp_path / "w.duckdb"),
           "DAGSTER_HOME": str(REPO), "CRM_DAGSTER_STORAGE": str(tmp_path / "dagster"),
           "CRM_DAGSTER_LOGS": str(tmp_path / "logs"), "CRM_REPORTS": str(tmp_path / "reports")}
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)


def test_run_one_night_prints_summary(small_landing, tmp_path):
    proc = cli(["run", "--date", "2026-11-21"], tmp_path, small_landing)
    assert proc.returncode == 0, proc.stderr
    assert "salesforce" in proc.stdout and "wukong" in proc.stdout and "Traceback" not in proc.stderr
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("select count(*) from pipeline_runs where status = 'completed'").fetchone()[0] == 3
    assert "customer masters" in proc.stdout
    clean = con.execute("select count(distinct (source_system, source_record_id)) from customers_clean").fetchone()[0]
    assert con.execute("select count(*) from customer_xref").fetchone()[0] == clean
    con.close()
    report = tmp_path / "reports" / "2026-11-21" / "index.html"
    assert f"report 2026-11-21: {report}" in proc.stdout and report.exists()
    report.unlink()
    proc = cli(["report", "--date", "2026-11-21"], tmp_path, tmp_path / "no-landing")  # the warehouse alone
    assert proc.returncode == 0, proc.stderr
    assert report.exists() and (tmp_path / "reports" / "index.html").exists()
    proc = cli(["report", "--date", "2026-10-01"], tmp_path, tmp_path / "no-landing")
    assert proc.returncode == 1 and "no run of night 2026-10-01" in proc.stderr and "Traceback" not in proc.stderr
    os.environ["CRM_MODEL"] = str(tmp_path / "model.json")   # retrained on the warehouse's records
    try:
        proc = cli(["train"], tmp_path, tmp_path / "no-landing")
    finally:
        del os.environ["CRM_MODEL"]
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))["comparisons"]
    # a rerun with the night's files gone (a moved or unmounted landing folder) deletes nothing
    proc = cli(["run", "--date", "2026-11-21"], tmp_path, tmp_path / "no-landing")
    assert proc.returncode == 1 and "the landing folder" in proc.stderr and "does not exist" in proc.stderr
    (tmp_path / "empty-landing").mkdir()
    proc = cli(["run", "--date", "2026-11-21"], tmp_path, tmp_path / "empty-landing")
    assert proc.returncode == 1 and "nothing landed for 2026-11-21" in proc.stderr, proc.stderr
    assert "a run would delete them" in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    partial = tmp_path / "partial-landing"   # one source's folder of the night moved away
    shutil.copytree(small_landing, partial)
    shutil.rmtree(partial / "wukong" / "2026-11-21")
    proc = cli(["run", "--date", "2026-11-21"], tmp_path, partial)
    assert proc.returncode == 1 and "from wukong (" in proc.stdout + proc.stderr, proc.stderr
    emptied = tmp_path / "emptied-landing"   # a re-delivery cut off: the source's files landed, empty
    shutil.copytree(small_landing, emptied)
    for export in (emptied / "salesforce" / "2026-11-21").iterdir():
        export.write_bytes(b"")
    proc = cli(["run", "--date", "2026-11-21"], tmp_path, emptied)
    assert proc.returncode == 1 and "all rejected or held no row" in proc.stdout + proc.stderr, proc.stderr
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("select count(*) from customer_xref").fetchone()[0] == clean
    con.close()


def test_bad_input_gives_a_message_not_a_traceback(small_landing, tmp_path):
    proc = cli(["run", "--date", "21/11/2026"], tmp_path, small_landing)
    assert proc.returncode == 2 and "YYYY-MM-DD" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli(["run", "--all"], tmp_path, tmp_path / "empty")
    assert proc.returncode == 1 and "nothing landed" in proc.stderr and "Traceback" not in proc.stderr
    for date, why in (("2099-12-31", "in the future: the last night is"), ("2023-12-31", "before the first night"),
                      ("2026-02-30", "no such day")):
        for command in ("run", "report"):
            proc = cli([command, "--date", date], tmp_path, small_landing)
            line = proc.stderr.strip()  # one line, no traceback
            assert proc.returncode == 2 and "\n" not in line, (command, date, proc.stderr)
            assert line.startswith(f"crm-quality: --date {date} is not a nightly partition: {why}"), line
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    env = {**os.environ, "CRM_WAREHOUSE": str(tmp_path / "a-file" / "w.duckdb")}
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--date", "2026-11-21"], env={
        **env, "CRM_LANDING": str(small_landing), "CRM_DAGSTER_STORAGE": str(tmp_path / "dagster"),
        "CRM_DAGSTER_LOGS": str(tmp_path / "logs"), "DAGSTER_HOME": str(REPO)}, capture_output=True, text=True,
        cwd=tmp_path, timeout=600)
    assert proc.returncode == 2 and "CRM_WAREHOUSE" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    for home in (str(tmp_path / "no-such-folder"), "", "relative/folder"):
        env = {**os.environ, "DAGSTER_HOME": home, "CRM_LANDING": str(small_landing),
               "CRM_WAREHOUSE": str(tmp_path / "w.duckdb")}
        proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--all"], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=600)
        assert proc.returncode == 1 and "DAGSTER_HOME" in proc.stderr and "Traceback" not in proc.stderr, home


def test_broken_rules_refuse_the_run_before_it_starts_with_the_file_and_key(small_landing, tmp_path):
    """A rules error failed every stage of every night (and one in alerts.yaml only after the night's rows were
    written), under a summary of nothing: every rules file is now loaded first, each error named."""
    rules = tmp_path / "rules"
    rules.mkdir()
    for f in (REPO / "rules").glob("*.yaml"):
        (rules / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    for name, old, new in (("validation.yaml", "    action: flag\n", "    action: flagg\n"),
                           ("alerts.yaml", "    kind:", "    knd:")):
        (rules / name).write_text((rules / name).read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    env_rules = {"CRM_RULES": str(rules)}
    os.environ.update(env_rules)
    try:
        proc = cli(["run", "--date", "2026-11-20"], tmp_path, small_landing)
    finally:
        os.environ.pop("CRM_RULES")
    assert proc.returncode == 2
    assert "validation.yaml" in proc.stderr and "flagg" in proc.stderr and "Traceback" not in proc.stderr
    assert "alerts.yaml:" in proc.stderr and "'knd'" in proc.stderr
    assert "raw_customers" not in proc.stdout and not (tmp_path / "w.duckdb").exists()


def test_definitions_load_with_one_asset_per_table():
    from pipelines.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {"raw_customers", "customers_clean", "quarantine", "pipeline_runs", "customer_master",
                    "customer_xref", "match_review", "master_id_history", "customer_name_history",
                    "customer_address_history", "quality_metrics", "alerts", "steward_report"}
    assert defs.resolve_job_def("nightly_job") is not None and defs.resolve_job_def("master_job") is not None
    assert defs.resolve_sensor_def("masters_after_nightly") is not None
    assert defs.resolve_job_def("report_job") is not None and defs.resolve_sensor_def("reports_after_masters")
    assert AssetKey("customers_clean") in defs.resolve_asset_graph().get_all_asset_keys()


def test_run_all_skips_folders_that_are_not_nights_and_runs_the_others(tmp_path):
    """A folder dated before the first partition or after today (UTC) is reported and skipped; the good night runs."""
    landing = tmp_path / "landing"
    good = landing / "salesforce" / "2026-11-20"
    shutil.copytree(REPO / "data" / "samples" / "salesforce" / "2026-11-20", good)
    for bad in ("2023-12-31", "2099-12-31", "2026-11-5", "latest"):
        shutil.copytree(good, landing / "salesforce" / bad)
    (landing / "salesforce" / "stray.csv").write_text("Id,Email\n")
    (landing / "salesforce" / ".DS_Store").write_text("")
    proc = cli(["run", "--all", "--no-masters"], tmp_path, landing)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout and "DagsterUnknownPartitionError" not in proc.stderr
    assert f"skipped landing folder {landing / 'salesforce' / '2023-12-31'}: before the first night, 2024-01-01" \
        in proc.stderr
    assert f"skipped landing folder {landing / 'salesforce' / '2099-12-31'}: in the future" in proc.stderr
    # a misnamed night's folder or a file outside any was passed over without a word
    for name in ("2026-11-5", "latest"):
        assert f"skipped landing folder {landing / 'salesforce' / name}: not a date written YYYY-MM-DD" in proc.stderr
    assert f"skipped file {landing / 'salesforce' / 'stray.csv'}: not in a night's folder" in proc.stderr
    assert "[1/1] 2026-11-20" in proc.stdout and "5 landing folder(s) or file(s) skipped" in proc.stderr
    assert ".DS_Store" not in proc.stderr
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        nights = con.execute("select distinct partition_date::varchar, status from pipeline_runs").fetchall()
    finally:
        con.close()
    assert nights == [("2026-11-20", "completed")]
    assert (tmp_path / "reports" / "2026-11-20" / "index.html").exists()


def test_a_warehouse_held_by_another_process_is_a_message_not_a_traceback(small_landing, tmp_path):
    """DuckDB lets one process write a file: an analyst's open session, a second run at the same time."""
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               f"con = duckdb.connect({str(tmp_path / 'w.duckdb')!r}); print('held', flush=True); "
                               "time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = cli(["review"], tmp_path, small_landing)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "one process write a warehouse at a time" in proc.stderr and "\n" not in proc.stderr.strip()


def test_review_prints_no_terminal_escape_from_a_record(small_landing, tmp_path):
    """A record id or value holding an escape sequence (ESC [2J clears the screen, ESC ]8 makes a link) or a
    right-to-left override is printed without it, with --show-values too."""
    hostile = "003\x1b[2J\x1b]8;;http://x\x07id\u202e"
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create table match_review (unique_id_l varchar, unique_id_r varchar, match_probability double, "
                    "evidence varchar)")
        con.execute("insert into match_review values (?, 'hubspot:2', 0.7, ?)", [
            f"salesforce:{hostile}", json.dumps({"values": {"full_name": [f"Ann{hostile}", "Ann"]}})])
    for args in (["review"], ["review", "--show-values"]):
        proc = cli(args, tmp_path, small_landing)
        assert proc.returncode == 0, proc.stderr
        assert "salesforce:003" in proc.stdout and "\x1b" not in proc.stdout and "\u202e" not in proc.stdout
        assert "\x07" not in proc.stdout


def test_an_override_is_recorded_in_its_standard_form_or_refused(small_landing, tmp_path, monkeypatch):
    """A phone override without a country code would fail the masters' expectations on every later run."""
    decisions = tmp_path / "decisions.csv"
    monkeypatch.setenv("CRM_DECISIONS", str(decisions))
    refused = cli(["review", "--override", "CM-1", "phone", "138 1234 5678"], tmp_path, small_landing)
    assert refused.returncode == 2 and "with its country code" in refused.stderr and not decisions.exists()
    recorded = cli(["review", "--override", "CM-1", "phone", "+86 138 1234 5678"], tmp_path, small_landing)
    assert recorded.returncode == 0, recorded.stderr
    from pipelines.matching.decisions import load_decisions
    assert load_decisions(decisions).overrides == [("CM-1", "phone", "+8613812345678")]


def test_ctrl_c_or_sigterm_mid_run_stops_with_130_and_the_next_run_goes_through(small_landing, tmp_path):
    """A stop is neither a traceback nor a success: exit 130, the nights not run named, the warehouse released."""
    for stop in (signal.SIGINT, signal.SIGTERM):
        env = {**os.environ, "CRM_LANDING": str(small_landing), "CRM_WAREHOUSE": str(tmp_path / "w.duckdb"),
               "DAGSTER_HOME": str(REPO), "CRM_DAGSTER_STORAGE": str(tmp_path / "dagster"),
               "CRM_DAGSTER_LOGS": str(tmp_path / "logs"), "CRM_REPORTS": str(tmp_path / "reports")}
        proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--all"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path, start_new_session=True)
        for line in proc.stdout:   # the first night has begun
            if line.startswith("[1/"):
                break
        os.killpg(proc.pid, stop)   # to the whole process group, as Ctrl-C in a terminal: its helpers print nothing
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 130, (stop, err)
        assert "interrupted" in err and "Traceback" not in err, err
        assert "2026-11-21" in err   # the second night, named as not run
    proc = cli(["run", "--all"], tmp_path, small_landing)
    assert proc.returncode == 0, proc.stderr


def test_a_warehouse_that_is_not_duckdb_stops_the_run_in_one_line_naming_it(small_landing, tmp_path):
    (tmp_path / "w.duckdb").write_bytes(b"PK\x03\x04 not a database, a zip someone saved under its name" * 100)
    for args in (["run", "--date", "2026-11-20"], ["review"], ["report", "--date", "2026-11-20"]):
        proc = cli(args, tmp_path, small_landing)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert str(tmp_path / "w.duckdb") in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "night" not in proc.stdout   # no summary of nothing


def test_the_run_names_a_column_lost_from_the_surrogate_id_and_a_misspelt_mapping(tmp_path):
    """创建时间 renamed 创建日期: every record a new id, and the counts alone looked fine: the run names the file
    and the field. A mapping's header misspelt (Phone1 for Phone 1) leaves the field empty: the run names the
    header the file has instead. Headers only, no values."""
    from openpyxl import Workbook

    folder = tmp_path / "landing" / "wukong" / "2026-11-20"
    folder.mkdir(parents=True)
    wb = Workbook()
    ws = wb.active
    ws.append(["客户名称", "手机", "创建日期"])
    ws.append(["王小明", "13911452876", "2025-01-01 10:00:00"])
    wb.save(folder / "客户.xlsx")
    proc = cli(["run", "--date", "2026-11-20", "--no-masters"], tmp_path, tmp_path / "landing")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "wukong/2026-11-20/客户.xlsx: record ids hashed without created_at (创建时间)" in out, out
    assert "王小明" not in out and "13911452876" not in out
    report = (tmp_path / "reports" / "2026-11-20" / "index.html").read_text(encoding="utf-8")
    assert "surrogate ids hashed without created_at (创建时间)" in report
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    sources = (rules / "sources.yaml").read_text(encoding="utf-8")
    (rules / "sources.yaml").write_text(sources.replace("phone: [手机, 电话]", "phone: [手机号]"), encoding="utf-8")
    ws.delete_cols(3)
    ws.cell(row=1, column=3, value="创建时间")
    ws.cell(row=2, column=3, value="2025-01-01 10:00:00")
    wb.save(folder / "客户.xlsx")
    os.environ["CRM_RULES"] = str(rules)
    try:
        proc = cli(["run", "--date", "2026-11-20", "--no-masters"], tmp_path, tmp_path / "landing")
    finally:
        del os.environ["CRM_RULES"]
    assert proc.returncode == 0, proc.stderr
    assert "客户.xlsx: phone left empty: the file has none of its headers (手机号) but has '手机'" in proc.stdout, \
        proc.stdout
    assert "record ids hashed without phone (手机号)" in proc.stdout   # the phone is part of WukongCRM's id
    assert "created_at" not in proc.stdout and "13911452876" not in proc.stdout
