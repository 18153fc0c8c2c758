"""A file writing its dates day first in a source declared month first (a Salesforce org set up in the UK) is read
day first: 05/03/1990 is 5 March there, not 3 May. One typo (13/04 among month-first dates) turns no file."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines import cleanse
from pipelines.ingest import ingest_partition, with_constants
from pipelines.rules import load_rules
from pipelines.standardize import date_order
from pipelines.warehouse.store import connect, replace_partition

REPO = Path(__file__).resolve().parents[2]
NIGHT = "2026-11-20"


def _export(path: Path, prefix: str, births: list[str]) -> None:
    lines = ["Id,FirstName,LastName,Email,Birthdate,CreatedDate"]
    for i, birth in enumerate(births):
        lines.append(f"003{prefix}{i:011d},Ann{i},Lee,ann{prefix}{i}@example.org,{birth},{birth} 10:30 AM")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_each_file_is_read_in_the_order_its_dates_show(tmp_path):
    night = tmp_path / "landing" / "salesforce" / NIGHT
    night.mkdir(parents=True)
    _export(night / "uk.csv", "A", ["13/04/1990", "05/03/1990", "25/12/1985", "01/02/1970"])
    _export(night / "us.csv", "B", ["04/13/1990", "05/03/1990", "12/25/1985"])
    # month first, with one slip of a day first among 30 dates: still month first
    _export(night / "us_typo.csv", "C", ["13/04/1990"] + ["05/03/1990"] * 29)
    rules = load_rules(REPO / "rules")
    raw = with_constants(ingest_partition(tmp_path / "landing", NIGHT, rules.sources).raw,
                         partition_date=NIGHT, run_id="r")
    with connect(tmp_path / "w.duckdb") as con:
        replace_partition(con, NIGHT, {"raw_customers": raw})
        night_summary = cleanse.cleanse_night(con, NIGHT, rules, "r")
        assert [Path(f).name for f in night_summary.other_date_order] == ["uk.csv"]
        rows = con.execute("select source_file, source_line, birth_date, created_at from customers_clean "
                           "order by source_file, source_line").fetchall()
    born = {(Path(f).name, line): b for f, line, b, _ in rows}
    assert born[("uk.csv", 2)] == dt.date(1990, 4, 13)
    assert born[("uk.csv", 3)] == dt.date(1990, 3, 5)      # 5 March, as the file writes it
    assert born[("uk.csv", 5)] == dt.date(1970, 2, 1)
    assert born[("us.csv", 3)] == dt.date(1990, 5, 3)      # 3 May in the month-first file of the same night
    assert born[("us_typo.csv", 3)] == dt.date(1990, 5, 3)
    created = {(Path(f).name, line): c for f, line, _, c in rows}
    assert created[("uk.csv", 3)].date() == dt.date(1990, 3, 5)   # every date field of the file, times too


def test_formats_turned_to_an_order():
    assert date_order.in_order("%m/%d/%Y, %I:%M %p", day_first=True) == "%d/%m/%Y, %I:%M %p"
    assert date_order.in_order("%d.%m.%Y", day_first=False) == "%m.%d.%Y"
    assert date_order.in_order("%d.%m.%Y", day_first=True) == "%d.%m.%Y"
    assert date_order.in_order("%Y-%m-%d", day_first=True) == "%Y-%m-%d"   # year first: never turned
    assert date_order.in_order("%d-%b-%Y", day_first=False) == "%d-%b-%Y"
    assert date_order.other_order(10, 4, 0, declared_day_first=False)
    assert not date_order.other_order(30, 1, 0, declared_day_first=False)   # a slip, not the file's order
    assert not date_order.other_order(10, 4, 1, declared_day_first=False)   # both orders: not told
    assert date_order.other_order(10, 0, 3, declared_day_first=True)
