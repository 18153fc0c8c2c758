"""The CLI refuses settings that would fail a run midway, and shows the review queue masked unless asked."""
from __future__ import annotations

from pathlib import Path

from pipelines.cli import main
from pipelines.settings import load_settings, problems


def test_a_file_where_a_folder_belongs_is_refused_before_the_run(tmp_path, monkeypatch, capsys):
    (tmp_path / "reports").write_text("not a folder")
    monkeypatch.setenv("CRM_REPORTS", str(tmp_path / "reports"))
    monkeypatch.setenv("CRM_WAREHOUSE", str(tmp_path / "reports" / "w.duckdb"))
    monkeypatch.setenv("CRM_LANDING", str(tmp_path / "landing"))
    found = problems(load_settings())
    assert len(found) == 2 and "CRM_REPORTS" in found[0] and "CRM_WAREHOUSE" in found[1]
    assert main(["run", "--date", "2026-11-20"]) == 2
    err = capsys.readouterr().err
    assert "CRM_REPORTS is" in err and "a file: it must be a folder" in err and "Traceback" not in err
    assert not (tmp_path / "landing").exists()   # nothing was started


def test_the_default_settings_have_no_problem():
    assert problems(load_settings()) == []


def test_the_review_queue_is_masked_unless_the_steward_asks(tmp_path, monkeypatch, capsys):
    import json

    from pipelines.warehouse.store import connect

    warehouse = tmp_path / "w.duckdb"
    with connect(warehouse) as con:
        evidence = {"values": {"full_name": ["张三丰", "张三丰"], "phone": ["+8613812348000", "+8613812348001"],
                               "email": ["zsf@example.com", None], "gender": ["M", "U"]}}
        con.execute("insert into match_review values ('salesforce:1', 'hubspot:2', 'CM-1', 'CM-2', 0.7, ?)",
                    [json.dumps(evidence, ensure_ascii=False)])
    monkeypatch.setenv("CRM_WAREHOUSE", str(warehouse))
    assert main(["review"]) == 0
    out = capsys.readouterr().out
    assert "张**" in out and "138****8000" in out and "z***@example.com" in out and "(empty)" in out
    assert "张三丰" not in out and "13812348000" not in out and "zsf@" not in out and "--show-values" in out
    assert [line.split()[2] for line in out.splitlines() if line.strip().startswith("gender")] == ["?"]   # U: unknown
    assert main(["review", "--show-values"]) == 0
    out = capsys.readouterr().out
    assert "张三丰" in out and "+8613812348000" in out and "zsf@example.com" in out


def test_review_without_a_warehouse_says_so_and_makes_none(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CRM_WAREHOUSE", str(tmp_path / "missing" / "w.duckdb"))
    assert main(["review"]) == 1
    assert "no warehouse at" in capsys.readouterr().err and not (tmp_path / "missing").exists()


def test_a_reports_folder_that_cannot_be_written_is_refused_before_the_run(tmp_path, monkeypatch, capsys):
    """The expectation checks write Data Docs there: failing midway, they held the night out of the masters. (A
    read-only mount or another owner's folder; os.access tells, for root too on a read-only mount.)"""
    import os

    from pipelines import settings as settings_module

    reports = tmp_path / "reports"
    reports.mkdir()
    real = os.access
    monkeypatch.setattr(settings_module.os, "access",
                        lambda path, mode: False if Path(path) == reports else real(path, mode))
    monkeypatch.setenv("CRM_REPORTS", str(reports))
    monkeypatch.setenv("CRM_LANDING", str(tmp_path / "landing"))
    assert main(["run", "--date", "2026-11-20"]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert not (tmp_path / "landing").exists()   # nothing was started


def test_bad_command_line_values_are_one_line_errors_not_tracebacks(capsys):
    import pytest

    for argv in (["run", "--date", ""], ["generate", "--out", "x", "--start", "2026-13-45"],
                 ["generate", "--out", "x", "--people", "-5"], ["review", "--limit", "-1"]):
        try:
            code = main(argv)
        except SystemExit as exc:   # argparse's own exit for a bad value
            code = exc.code
        assert code == 2, argv
        err = capsys.readouterr().err
        assert "Traceback" not in err and err.strip(), argv


def test_runs_on_one_warehouse_wait_for_each_other(tmp_path):
    """A second run waits for the first (a lock beside the warehouse); the lock goes with the run."""
    import threading
    import time

    from pipelines.cli import _one_run_at_a_time

    warehouse = tmp_path / "w.duckdb"
    order = []

    def second():
        with _one_run_at_a_time(warehouse):
            order.append("second")

    with _one_run_at_a_time(warehouse):
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.3)
        order.append("first done")
    waiting.join(timeout=10)
    assert order == ["first done", "second"]


def test_another_dagster_home_gets_the_repos_settings_and_keeps_the_runs(tmp_path, monkeypatch):
    """Without a dagster.yaml there, Dagster's defaults applied (telemetry on, no writer pool) and the runs went
    into the repo's .dagster_home all the same."""
    import os

    from pipelines.cli import REPO_ROOT, dagster_home

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv("CRM_DAGSTER_STORAGE", raising=False)
    monkeypatch.delenv("CRM_DAGSTER_LOGS", raising=False)
    dagster_home()
    assert (tmp_path / "dagster.yaml").read_text() == (REPO_ROOT / "dagster.yaml").read_text()
    assert os.environ["CRM_DAGSTER_STORAGE"] == str(tmp_path / "storage") and (tmp_path / "logs").is_dir()


def test_data_docs_that_cannot_be_written_are_a_warning_not_a_failed_check(caplog, tmp_path):
    """Written by an action inside the GX checkpoint, a full disk or read-only folder failed the expectation
    check and so held the night out of the masters."""
    import logging

    from pipelines.expectations import _update_docs

    class Context:
        def build_data_docs(self, **_):
            raise PermissionError(13, "Permission denied")

    class Identifier:
        expectation_suite_identifier = "suite"

    with caplog.at_level(logging.WARNING):
        _update_docs(Context(), Identifier(), tmp_path)
    assert "Data Docs not written" in caplog.text and "Permission denied" in caplog.text
