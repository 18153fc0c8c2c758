"""Dates as more exports write them: an offset of hours alone (+08, PostgreSQL), twelve-digit YYYYMMDDhhmm
stamps, Chinese night words before 12 o'clock, and birth dates a JavaScript date picker wrote in UTC. Each is
checked where it is read (dates.parse_timestamps), through cleanse.standardize, and with the SQL reading of
read_raw_for_cleansing.sql (cleanse.date_formats_case) agreeing."""
from __future__ import annotations

import dataclasses

import duckdb
import pandas as pd
import pytest

from pipelines import cleanse
from pipelines.rules import MAPPABLE_FIELDS
from pipelines.standardize import dates
from pipelines.standardize.dates import calendar_minutes, parse_timestamps


def _parse(rules, values: list[str], day_first: bool = False) -> tuple[list[str], list[bool]]:
    std = rules.standardization
    out, bad = parse_timestamps(pd.Series(values, dtype=object), std.date_formats, day_first,
                                (std.excel_date_min, std.excel_date_max))
    return [str(t) for t in out], bad.tolist()


def _raw(source: str, night: str = "2026-11-08", **fields: list) -> pd.DataFrame:
    """Rows as raw_customers holds them, one per value of the fields given, all of one source."""
    n = len(next(iter(fields.values())))
    raw = pd.DataFrame({field: [None] * n for field in MAPPABLE_FIELDS}, dtype=object)
    raw["full_name"], raw["extra"] = "Ann Lee", "{}"
    for field, values in fields.items():
        raw[field] = values
    return raw.assign(partition_date=pd.Timestamp(night), run_id="r", source_system=source,
                      source_file="contacts.csv", source_line=range(2, 2 + n),
                      source_record_id=[f"r{i}" for i in range(n)], parse_error=None)


def _with_sql_dates(raw: pd.DataFrame, rules) -> pd.DataFrame:
    """raw with the _parsed_<field> columns read_raw_for_cleansing.sql adds (date_formats_case, then kept in
    pandas' range), so that standardize takes the SQL reading where DuckDB has one."""
    case, params = cleanse.date_formats_case(rules)
    con = duckdb.connect()
    frame = raw[["source_system"] + cleanse.PARSED_DATES].assign(
        i=range(len(raw)), _other_date_order=raw.get("_other_date_order", False))
    con.register("frame", frame)
    picked = ", ".join(f"{dates.sql_in_range(case.format(text=f))} as _parsed_{f}" for f in cleanse.PARSED_DATES)
    parsed = con.execute(f"select {picked} from frame order by i", params).df()
    out = raw.copy()
    for f in cleanse.PARSED_DATES:
        out[f"_parsed_{f}"] = parsed[f"_parsed_{f}"].astype("datetime64[ns]").to_numpy()
    return out


def _times(out: pd.Series) -> list[str]:
    return [str(t) for t in out]


# --- 1. an offset written as hours alone -------------------------------------------------------------------------

def test_an_offset_of_hours_alone_is_read_once():
    """2024-03-05 10:00:00+08 is 02:00 UTC, as +08:00 and +0800 are; the zone is seen, so it is not moved from the
    source's time a second time (it was: 18:00 the day before)."""
    from pipelines.cleanse import _UTC_OFFSET, _ZONED

    values = pd.Series(["2024-03-05 10:00:00+08", "2024-03-05 10:00+08", "2024-03-05T10:00:00.123-05",
                        "2024-03-05 10:00:00 +08", "2024-03-05 10:00:00+08:00", "2024-03-05 10:00:00+0800"])
    assert values.str.contains(_ZONED, regex=True).all()
    assert values.str.replace(_UTC_OFFSET, r"\1", regex=True).tolist() == [
        "2024-03-05 10:00:00", "2024-03-05 10:00", "2024-03-05T10:00:00.123", "2024-03-05 10:00:00",
        "2024-03-05 10:00:00", "2024-03-05 10:00:00"]


@pytest.mark.parametrize("text", ["05-03-1990", "2024-03-05", "1990-03-05", "03-05-24", "2024-03-05 10:00",
                                  "2024-03-05 10:00:00", "10:00 05-03-1990", "2024-03-05T10:00:00.123",
                                  "1990-3-5", "5-3-90"])
def test_a_dates_own_dashes_are_no_zone(text):
    from pipelines.cleanse import _IN_UTC, _UTC_OFFSET, _ZONED

    series = pd.Series([text])
    assert not series.str.contains(_ZONED, regex=True)[0]
    assert not series.str.contains(_IN_UTC, regex=True)[0]
    assert series.str.replace(_UTC_OFFSET, r"\1", regex=True)[0] == text


def test_hours_alone_through_standardize(rules):
    """WukongCRM (Asia/Shanghai): 创建时间 10:00:00+08 is 02:00 UTC, 10:00:00 without a zone too; a birth date at
    midnight +08 keeps its written day, as with +08:00."""
    raw = _raw("wukong", created_at=["2024-03-05 10:00:00+08", "2024-03-05 10:00:00", "2024-03-05 10:00:00+08:00",
                                     "2024-03-05 10:00:00-05"],
               birth_date=["1990-03-05 00:00:00+08", "1990-03-05 00:00:00+08:00", "1990-03-05 00:00:00-05",
                           "05-03-1990"])
    for frame in (raw, _with_sql_dates(raw, rules)):
        out = cleanse.standardize(frame.copy(), rules)
        assert _times(out["created_at"]) == ["2024-03-05 02:00:00", "2024-03-05 02:00:00", "2024-03-05 02:00:00",
                                             "2024-03-05 15:00:00"]
        assert _times(out["birth_date"]) == ["1990-03-05 00:00:00"] * 3 + ["1990-05-03 00:00:00"]
        assert not out["_bad_dates"].any() and not out["_bad_birth_date"].any()


# --- 2. twelve digits YYYYMMDDhhmm -------------------------------------------------------------------------------

def test_twelve_digits_that_are_a_date_and_time_are_that_minute(rules):
    """202403051004 is 2024-03-05 10:04 (it was read as 1976-05-31 15:04:11.004 milliseconds); twelve digits a
    calendar cannot hold, or outside 1900-2100, stay milliseconds; thirteen digits are milliseconds."""
    values = ["202403051004", "199001020000", "202403051004.0", "202402301004", "123456789012", "210012312359",
              "210101010000", "1709632800000", "20240305100400"]
    got, bad = _parse(rules, values)
    assert got == ["2024-03-05 10:04:00", "1990-01-02 00:00:00", "2024-03-05 10:04:00",
                   str(pd.Timestamp(202402301004, unit="ms")), str(pd.Timestamp(123456789012, unit="ms")),
                   "2100-12-31 23:59:00", str(pd.Timestamp(210101010000, unit="ms")), "2024-03-05 10:00:00",
                   "2024-03-05 10:04:00"]
    assert not any(bad)


def test_calendar_minutes_reads_only_twelve_digit_stamps():
    values = pd.Series(["202403051004", "20240305100400", "2024030510", "189912312359", "202413010000", None,
                        " 202403051004", "2024-03-05"], dtype=object)
    assert _times(calendar_minutes(values)) == ["2024-03-05 10:04:00"] + ["NaT"] * 7


def test_twelve_digit_stamps_of_a_local_time_source_are_moved_and_milliseconds_are_not(rules):
    raw = _raw("wukong", created_at=["202403051004", "1709632800000", "202402301004", "202403051004.0"],
               birth_date=["199003050000", None, None, None])
    for frame in (raw, _with_sql_dates(raw, rules)):
        out = cleanse.standardize(frame.copy(), rules)
        assert _times(out["created_at"]) == ["2024-03-05 02:04:00", "2024-03-05 10:00:00",
                                             str(pd.Timestamp(202402301004, unit="ms")), "2024-03-05 02:04:00"]
        assert _times(out["birth_date"])[0] == "1990-03-05 00:00:00"
    out = cleanse.standardize(_raw("salesforce", created_at=["202403051004"] * 4), rules)
    assert _times(out["created_at"]) == ["2024-03-05 10:04:00"] * 4


# --- 3. Chinese half-day words before 12 o'clock ----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2024/3/5 晚上 12:30", "2024-03-06 00:30:00"),    # just after midnight, not noon: the 6th
    ("2024/3/5 晚上12:30", "2024-03-06 00:30:00"),
    ("2024/3/5 夜里12:30", "2024-03-06 00:30:00"),
    ("2024/3/5 半夜 12:05", "2024-03-06 00:05:00"),
    ("2024/3/5 凌晨12:30", "2024-03-05 00:30:00"),
    ("2024/3/5 中午12:30", "2024-03-05 12:30:00"),    # noon
    ("2024/3/5 下午 12:30", "2024-03-05 12:30:00"),
    ("2024/3/5 中午 1:15", "2024-03-05 13:15:00"),
    ("2024/3/5 晚上 8:05", "2024-03-05 20:05:00"),
    ("2024/3/5 夜里 10:00", "2024-03-05 22:00:00"),    # 夜里 and 半夜 span midnight
    ("2024/3/5 夜里 2:00", "2024-03-06 02:00:00"),
    ("2024/3/5 半夜 3:00:15", "2024-03-06 03:00:15"),
    ("2024/3/5 凌晨 3:30", "2024-03-05 03:30:00"),
    ("2024/3/5 上午 9:30", "2024-03-05 09:30:00"),
    ("2024/3/5 下午 3:30", "2024-03-05 15:30:00"),
    ("2024/3/5 下午 15:30", "2024-03-05 15:30:00"),   # a 24-hour time says its hour itself
    ("2024年3月5日 晚上12点30分", "2024-03-06 00:30:00"),
    ("2024年3月5日 中午12点30分", "2024-03-05 12:30:00"),
    ("2024/3/5 晚上 12：30", "2024-03-06 00:30:00"),
])
def test_half_day_words_before_twelve_o_clock(rules, text, expected):
    got, bad = _parse(rules, [text])
    assert got == [expected] and bad == [False]


def test_half_past_midnight_through_standardize(rules):
    """晚上12:30 of the 5th in WukongCRM is 00:30 China time on the 6th, 16:30 UTC on the 5th."""
    raw = _raw("wukong", updated_at=["2024/3/5 晚上 12:30", "2024/3/5 中午 12:30", None, None])
    out = cleanse.standardize(raw, rules)
    assert _times(out["updated_at"])[:2] == ["2024-03-05 16:30:00", "2024-03-05 04:30:00"]


# --- 4. birth dates written in UTC by a source in another time zone ---------------------------------------------

BIRTHS = ["1990-03-04T16:00:00.000Z", "1990-03-04T16:00:00Z", "1990-03-04 16:00 UTC", "1990-03-04 16:00:00+00",
          "1990-03-04T16:00:00+00:00", "Sun Mar 04 1990 16:00:00 GMT+0000 (Coordinated Universal Time)",
          "1990-03-05T00:00:00+08:00", "1990-03-05 00:00:00+08", "1990-03-04T23:00:00-05:00",
          "1990-03-05T00:00:00.000Z", "1990-03-05", "1990-03-04 16:00:00"]


def test_a_birth_date_written_in_utc_is_a_day_of_its_sources_time(rules):
    """A JavaScript date picker in China writes midnight of 5 March as 1990-03-04T16:00:00.000Z: WukongCRM's
    (Asia/Shanghai) birth date is the 5th. A date written with another offset keeps its written day; midnight UTC
    is a day written as a timestamp and keeps it; a time without a zone keeps its day."""
    raw = _raw("wukong", birth_date=BIRTHS)
    expected = ["1990-03-05"] * 8 + ["1990-03-04", "1990-03-05", "1990-03-05", "1990-03-04"]
    for frame in (raw, _with_sql_dates(raw, rules)):
        out = cleanse.standardize(frame.copy(), rules)
        assert [str(d)[:10] for d in out["birth_date"]] == expected
        assert not out["_bad_birth_date"].any()


def test_a_birth_date_of_a_source_in_utc_keeps_its_written_day(rules):
    raw = _raw("salesforce", birth_date=BIRTHS)
    for frame in (raw, _with_sql_dates(raw, rules)):
        out = cleanse.standardize(frame.copy(), rules)
        assert [str(d)[:10] for d in out["birth_date"]] == ["1990-03-04"] * 6 + [
            "1990-03-05", "1990-03-05", "1990-03-04", "1990-03-05", "1990-03-05", "1990-03-04"]


def test_a_utc_birth_date_read_in_sql_is_moved_too(rules):
    """A source in local time whose formats read the Z literally (%Y-%m-%dT%H:%M:%S.%fZ) has its value read by
    DuckDB, not by parse_timestamps: its day is the same. West of Greenwich, midnight UTC keeps its day."""
    wukong = rules.sources["wukong"]
    zoned = dataclasses.replace(rules, sources={**rules.sources, "wukong": dataclasses.replace(
        wukong, date_formats=["%Y-%m-%dT%H:%M:%S.%fZ"] + wukong.date_formats)})
    raw = _with_sql_dates(_raw("wukong", birth_date=["1990-03-04T16:00:00.000Z", "1990-03-05T00:00:00.000Z"]),
                          zoned)
    assert raw["_parsed_birth_date"].notna().all()
    out = cleanse.standardize(raw, zoned)
    assert [str(d)[:10] for d in out["birth_date"]] == ["1990-03-05", "1990-03-05"]
    west = dataclasses.replace(rules, sources={**rules.sources, "wukong": dataclasses.replace(
        wukong, timezone="America/New_York")})
    out = cleanse.standardize(_raw("wukong", birth_date=["1990-03-05T05:00:00.000Z", "1990-03-05T00:00:00.000Z",
                                                         "1990-03-05T00:00:00-05:00", "1990-03-05"]), west)
    assert [str(d)[:10] for d in out["birth_date"]] == ["1990-03-05"] * 4


def test_the_sql_reading_agrees_with_pandas_on_these_spellings(rules):
    """No value here is read differently by DuckDB's strptime and parse_timestamps, for any source."""
    values = ["2024-03-05 10:00:00+08", "2024-03-05 10:00+08", "202403051004", "2024/3/5 晚上 12:30",
              "1990-03-04T16:00:00.000Z", "1990-03-04T16:00:00Z", "1990-03-04 16:00:00+00", "199003050000"]
    case, params = cleanse.date_formats_case(rules)
    std = rules.standardization
    con = duckdb.connect()
    for source in sorted(rules.sources) + ["unknown_source"]:
        frame = pd.DataFrame({"source_system": source, "value": values, "_other_date_order": False})
        con.register("frame", frame)
        in_sql = con.execute(f"select {dates.sql_in_range(case.format(text='value'))} as t from frame",
                             params).df()["t"].astype("datetime64[ns]")
        spec = rules.sources.get(source)
        expected, _ = parse_timestamps(frame["value"], (spec.date_formats if spec else []) + std.date_formats,
                                       bool(spec and spec.day_first), (std.excel_date_min, std.excel_date_max))
        read = in_sql.notna()
        assert (in_sql[read] == expected[read]).all(), source
        con.unregister("frame")
