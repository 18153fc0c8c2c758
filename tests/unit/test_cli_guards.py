"""The CLI refuses settings that would fail a run midway, and shows the review queue masked unless asked."""
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


def test_the_review_queue_is_masked_unless_the_steward_asks(tmp_path, monkeypatch, capsys):
    import json

    from pipelines.warehouse.store import connect

    warehouse = tmp_path / "w.duckdb"
    with connect(warehouse) as con:
        evidence = {"values": {"full_name": ["张三丰", "张三丰"], "phone": ["+8613812348000", "+8613812348001"],
                               "email": ["zsf@example.com", None]}}
        con.execute("insert into match_review values ('salesforce:1', 'hubspot:2', 'CM-1', 'CM-2', 0.7, ?)",
                    [json.dumps(evidence, ensure_ascii=False)])
    monkeypatch.setenv("CRM_WAREHOUSE", str(warehouse))
    assert main(["review"]) == 0
    out = capsys.readouterr().out
    assert "张**" in out and "138****8000" in out and "z***@example.com" in out and "(empty)" in out
    assert "张三丰" not in out and "13812348000" not in out and "zsf@" not in out and "--show-values" in out
    assert main(["review", "--show-values"]) == 0
    out = capsys.readouterr().out
    assert "张三丰" in out and "+8613812348000" in out and "zsf@example.com" in out
