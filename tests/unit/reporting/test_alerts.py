"""Alerts: a planted drop in e-mail validity fires against several nights of history; rules load with file:line."""
from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from pipelines.reporting.metrics import refresh_metrics
from pipelines.rules import RulesError, load_alerts
from pipelines.warehouse.store import connect

REPO = Path(__file__).resolve().parents[3]
FIRST = date(2026, 11, 1)
NIGHTS = [str(FIRST + timedelta(days=i)) for i in range(6)]


def night_rows(night: str, valid_emails: int, rows: int = 20) -> pd.DataFrame:
    return pd.DataFrame({
        "partition_date": pd.Timestamp(night), "run_id": "r", "source_system": "crm_a",
        "source_file": f"crm_a/{night}/f.csv", "source_line": range(2, rows + 2),
        "source_record_id": [f"{night}-{i}" for i in range(rows)], "gender": "U", "phone_valid": False,
        "email_raw": [f"user{i}@example.com" for i in range(rows)],
        "email_valid": [i < valid_emails for i in range(rows)], "quality_flags": [[] for _ in range(rows)],
    })


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    path = tmp_path_factory.mktemp("alerts") / "w.duckdb"
    rules = load_alerts(REPO / "rules")
    raised = {}
    with connect(path) as con:
        for night, valid in zip(NIGHTS, [19, 19, 18, 19, 19, 12]):   # 95 %, 95, 90, 95, 95, then 60 %
            con.register("_rows", night_rows(night, valid))
            con.execute("insert into customers_clean by name select * from _rows")
            con.unregister("_rows")
            raised[night] = refresh_metrics(con, night, f"run-{night}", rules).alerts
        rerun = refresh_metrics(con, NIGHTS[-1], "rerun", rules).alerts
        stored = con.execute("select rule, source_system, run_id from alerts order by all").fetchall()
    return raised, rerun, stored


def test_planted_drop_in_email_validity_raises_an_alert(history):
    raised, _, _ = history
    last = raised[NIGHTS[-1]]
    fired = last[(last["rule"] == "email_validity_drop") & (last["source_system"] == "crm_a")]
    assert len(fired) == 1
    alert = fired.iloc[0]
    assert (alert["table_name"], alert["field"], alert["metric"]) == ("customers_clean", "email", "validity")
    assert alert["value"] == pytest.approx(0.60)
    assert alert["baseline"] == pytest.approx((0.95 * 4 + 0.90) / 5)
    assert alert["threshold"] == pytest.approx(0.05)
    assert "email" in alert["message"] and "validity" in alert["message"]
    assert set(last["rule"]) == {"email_validity_drop"}  # nothing else moved


def test_ordinary_wobble_raises_nothing(history):
    raised, _, _ = history
    assert all(raised[n].empty for n in NIGHTS[:-1])  # 90 % after 95 % is a drop of 5 points: not above 0.05


def test_rerun_replaces_the_nights_alerts(history):
    raised, rerun, stored = history
    assert len(rerun) == len(raised[NIGHTS[-1]])
    assert {r[2] for r in stored} == {"rerun"}
    assert len(stored) == len(rerun)
    # the baseline to the last digit: its mean is summed in a fixed order, not in the order rows arrive
    assert rerun["baseline"].tolist() == raised[NIGHTS[-1]]["baseline"].tolist()


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(REPO / "rules", folder)
    text = (folder / "alerts.yaml").read_text(encoding="utf-8")
    assert old in text
    (folder / "alerts.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize("old, new, expected", [
    ("    kind: drop\n", "    knid: drop\n", "unknown key 'knid'"),
    ("    kind: drop\n", "    kind: fall\n", "'fall' is not one of"),
    ("    metric: validity\n", "    metric: valdity\n", "'valdity' is not one of"),
    ("    threshold: 0.05\n", "    threshold: lots\n", "expected a number"),
    ("    min_history: 5\n", "    min_history: 9\n", "min_history <= nights"),
])
def test_broken_alert_rule_names_file_line_and_key(tmp_path, old, new, expected):
    folder = _broken(tmp_path, old, new)
    with pytest.raises(RulesError) as err:
        load_alerts(folder)
    message = str(err.value)
    line = (folder / "alerts.yaml").read_text(encoding="utf-8").splitlines().index(new.rstrip("\n")) + 1
    assert f"alerts.yaml:{line}:" in message and expected in message and "alerts." in message


def test_alerts_end_the_same_whatever_order_the_nights_ran_in(tmp_path):
    """A backfill runs nights in any order: the last night judged before the earlier ones had their metrics
    raised no alert then; judged again when they arrive, it raises the one the in-order run raises."""
    rules = load_alerts(REPO / "rules")
    tables = {}
    for order in ("in order", "last first"):
        with connect(tmp_path / f"{order}.duckdb") as con:
            for night, valid in zip(NIGHTS, [19, 19, 18, 19, 19, 12]):
                con.register("_rows", night_rows(night, valid))
                con.execute("insert into customers_clean by name select * from _rows")
                con.unregister("_rows")
            nights = NIGHTS if order == "in order" else NIGHTS[-1:] + NIGHTS[:-1]
            for night in nights:
                refresh_metrics(con, night, f"run-{night}", rules)
            tables[order] = con.execute("select partition_date, run_id, rule, source_system, field, value, baseline "
                                        "from alerts order by all").fetchall()
    assert tables["in order"] == tables["last first"]
    assert {(str(a[0]), a[2]) for a in tables["in order"]} == {(NIGHTS[-1], "email_validity_drop")}
