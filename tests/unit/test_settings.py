"""Settings that would fail a run after its data is written are refused before it starts."""
from __future__ import annotations

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
