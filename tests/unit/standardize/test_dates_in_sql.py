"""Dates parsed in SQL (read_raw_for_cleansing.sql) are exactly what pandas makes of them: over a seeded corpus
of real and broken spellings, every value DuckDB reads gets the timestamp parse_timestamps gives it, for the
formats of every source; what DuckDB leaves null goes to parse_timestamps anyway."""
from __future__ import annotations

import random

import duckdb
import pandas as pd
import pytest

from pipelines import cleanse
from pipelines.standardize import dates

YEARS = ["24", "0024", "999", "1677", "1900", "1969", "2024", "2262", "2900", "12024"]
MONTHS = ["1", "01", "12", "13", "00", "Jan", "jan", "JAN", "January", "Sept"]
DAYS = ["5", "05", "29", "30", "31", "32", "0"]
TIMES = ["", " 10:00", " 10:00:00", " 9:5:3", "T10:00:00", "T10:00:00Z", "T10:00:00.1Z", "T10:00:00.123Z",
         "T10:00:00.123456Z", "T10:00:00.123456789Z", "T25:00:00", " 10:00:60", " 10:00 PM", "+08:00", " ",
         ".000Z"]
_moments = random.Random(20261130)
MOMENTS = [pd.Timestamp("1900-01-01") + pd.Timedelta(seconds=_moments.randrange(4_000_000_000),
                                                     microseconds=_moments.randrange(1_000_000)) for _ in range(60)]


def corpus(formats: list[str], n: int = 3000) -> list[str]:
    """Every format's own output for random moments (what exports write), then broken and odd spellings."""
    rng = random.Random(20261201)
    written = [m.strftime(f) for f in formats for m in MOMENTS]
    out = ["2024-01-05", "20240105", "2024.01.05", "5.1.2024", "05-Jan-2024", "Jan 5, 2024", "2024/1/5 10:00",
           "1/5/2024", "12/31/2024 23:59", "2024年1月5日", "45000", "1704412800000", "2024-02-29", "2023-02-29",
           "1677-09-21", "1677-09-22", "2262-04-10", "2262-04-11", "N/A", "", "2024-01-05T10:00:00.000Z"]
    for _ in range(n):
        y, m, d, t = rng.choice(YEARS), rng.choice(MONTHS), rng.choice(DAYS), rng.choice(TIMES)
        shape = rng.randrange(6)
        value = [f"{y}-{m}-{d}", f"{y}/{m}/{d}", f"{d}.{m}.{y}", f"{m}/{d}/{y}", f"{d}-{m}-{y}",
                 f"{m} {d}, {y}"][shape] + t
        out.append(value if rng.random() > 0.1 else value.replace("-", ""))
    return written + out


@pytest.mark.parametrize("other_order", [False, True])
def test_dates_read_in_sql_are_those_pandas_reads(rules, other_order):
    """In either order of day and month: the source's, and the other one a file may write (date_order.py)."""
    case, params = cleanse.date_formats_case(rules)
    every = [f for s in rules.sources.values() for f in s.date_formats] + rules.standardization.date_formats
    values = corpus(list(dict.fromkeys(every)))
    sources = sorted(rules.sources) + ["unknown_source"]
    frame = pd.DataFrame([(s, v) for s in sources for v in values], columns=["source_system", "value"])
    con = duckdb.connect()
    con.register("frame", frame.assign(i=range(len(frame)), _other_date_order=other_order))
    # the shape of read_raw_for_cleansing.sql: parsed in one step, kept in pandas' range in the next
    in_sql = con.execute(f"select {dates.sql_in_range('t')} as t from (select i, {case.format(text='value')} as t "
                         f"from frame) order by i", params).df()["t"]
    read = in_sql.notna().to_numpy()
    std = rules.standardization
    for source in sources:
        rows = (frame["source_system"] == source).to_numpy()
        spec = rules.sources.get(source)
        formats = cleanse._formats(spec, rules, other_order)
        day_first = bool(spec and spec.day_first) != bool(spec and other_order)
        expected, _ = dates.parse_timestamps(frame.loc[rows, "value"].replace("", None), formats,
                                             day_first, (std.excel_date_min, std.excel_date_max))
        got = in_sql[rows].astype("datetime64[ns]")
        mask = read[rows]
        differ = frame.loc[rows].loc[mask & (got.to_numpy() != expected.to_numpy()), "value"].tolist()
        assert not differ, f"{source}: SQL and pandas disagree on {differ[:10]}"
        # and it reads every value written in one of the source's formats it takes on
        own = {m.strftime(f) for f in dates.sql_formats(formats) for m in MOMENTS}
        written = frame.loc[rows, "value"].isin(own).to_numpy()
        assert written.any() and mask[written].all()


def test_formats_after_one_sql_cannot_read_are_left_to_pandas():
    assert dates.sql_formats(["%Y-%m-%d", "%d.%m.%Y %z", "%Y/%m/%d"]) == ["%Y-%m-%d"]
    assert dates.sql_formats(["%y-%m-%d", "%Y-%m-%d"]) == []
    assert dates.sql_formats(["%Y%%%m"]) == ["%Y%%%m"]
    assert dates.sql_formats(["%Y-%m-%d", "%Y-%m-%d %", "%Y/%m/%d"]) == ["%Y-%m-%d"]  # DuckDB would refuse it
