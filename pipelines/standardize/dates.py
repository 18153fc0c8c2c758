"""Dates and timestamps in the formats real exports use (ISO, US, 年月日, Excel serials, epoch ms)."""
from __future__ import annotations

import datetime as dt
import re
import warnings

import numpy as np
import pandas as pd
from dateutil import parser as dateutil_parser
from dateutil.parser import UnknownTimezoneWarning

_CJK_DATE = re.compile(r"(\d{2,4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


# two defaults that differ in year, month and day: a part a value lacks is taken from the default
_DEFAULTS = (dt.datetime(1, 1, 1), dt.datetime(2, 2, 2))
EPOCH_END = 4_102_444_800   # 2100-01-01 in seconds since 1970


def _unreadable(text: str, day_first: bool) -> bool:
    """Whether a value pandas' mixed reader parsed is no date after all. Without a year: dateutil, under it, takes
    the missing year and month from today ('10:30', an Excel time cell, becomes today at 10:30), so a rerun on
    another day would read another date. Without a day (1985-07, Jul 1985): it makes up the 1st, a birthday no
    one has. With a word it took for an unknown time zone ('2026-11-01 10:00 WANG': initials, a name) and
    dropped: the value is not the date it reads as."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            first, second = (dateutil_parser.parse(text, default=d, dayfirst=day_first) for d in _DEFAULTS)
        except (ValueError, OverflowError):
            return False
    partial = first.date() != second.date()   # a year, month or day came from the default
    return partial or any(issubclass(w.category, UnknownTimezoneWarning) for w in caught)


def _year(digits: str) -> str:
    """A 年 year as four digits: two digits as strptime's %y reads them (00-68 -> 20xx, 69-99 -> 19xx)."""
    if len(digits) == 2:
        return ("20" if int(digits) <= 68 else "19") + digits
    return digits


# a Chinese time (10时20分, 10点20分30秒) as 10:20 / 10:20:30; a weekday (星期二, 周二, 礼拜二) dropped
_CJK_TIME = re.compile(r"(\d{1,2})\s*[时時点點]\s*(\d{1,2})\s*分(?:\s*(\d{1,2})\s*秒)?")
_CJK_WEEKDAY = re.compile(r"[(（]?(?:星期|周|礼拜|禮拜)[一二三四五六日天][)）]?")
# Chinese half-day words before a time (2024/03/05 下午3:30): written as AM / PM after it
_HALF_DAY = re.compile(r"(上午|早上|凌晨|中午|下午|晚上|夜里|半夜)\s*(\d{1,2})[:：](\d{2}(?:[:：]\d{2})?)")
_AFTER_NOON = ("中午", "下午", "晚上")
# the night's words: 12:30 is half past midnight (晚上12:30, 半夜12:30), not noon; 夜里 and 半夜 span midnight, so
# 1 to 5 o'clock are the small hours (夜里2:00 is 02:00) and 6 to 11 the evening (夜里10:00 is 22:00)
_NIGHT = ("晚上", "夜里", "半夜", "凌晨")
_SPANNING_MIDNIGHT = ("夜里", "半夜")
# 晚上12:30 on the 5th is the night of the 5th: half past midnight on the 6th (so are 夜里/半夜 12:30 and their
# small hours, 夜里2:00); 凌晨 is the early morning of the day written
_NEXT_DAY = re.compile(r"(?:晚上|夜里|半夜)\s*12\s*[:：时時点點]|(?:夜里|半夜)\s*0?[1-5]\s*[:：时時点點]")


def _half_day(match: re.Match) -> str:
    """A half-day word and the time after it as the time with AM or PM (strptime's and dateutil's 12-hour clock):
    中午/下午 12:30 is noon (12:30 PM), 晚上/夜里/半夜/凌晨 12:30 half past midnight (12:30 AM). A 24-hour time
    after the word (下午 15:30) says its hour itself: the word is dropped, as 15:30 PM reads as nothing."""
    word, hour, rest = match.group(1), int(match.group(2)), match.group(3).replace("：", ":")
    if hour > 12 or hour == 0:
        return f"{hour:02d}:{rest}"
    if word in _NIGHT and hour == 12:
        half = "AM"
    elif word in _SPANNING_MIDNIGHT:
        half = "AM" if hour < 6 else "PM"
    else:
        half = "PM" if word in _AFTER_NOON else "AM"
    return f"{hour}:{rest} {half}"


def _prepare(text: str) -> str:
    """年月日 as 2024-01-05 (12年3月5日 is 2012), 10时20分 as 10:20, 下午3:30 as 3:30 PM (晚上12:30 as 12:30 AM); a
    weekday dropped."""
    text = _CJK_DATE.sub(lambda m: f"{_year(m.group(1))}-{int(m.group(2)):02d}-{int(m.group(3)):02d} ", text)
    text = _CJK_WEEKDAY.sub(" ", text)
    text = _CJK_TIME.sub(lambda m: f"{m.group(1)}:{int(m.group(2)):02d}"
                         + (f":{int(m.group(3)):02d}" if m.group(3) else ""), text)
    text = re.sub(r"\s+", " ", text)
    text = _HALF_DAY.sub(_half_day, text)
    return text.strip()


# An offset written after UTC or GMT (UTC+8, GMT+08:00, JavaScript's GMT+0800 (China Standard Time)): dateutil reads
# the sign the POSIX way, inverted, so 10:00 UTC+8 became 18:00 UTC. Written as +08:00, it is read as meant. A
# zone's name in brackets after it is dropped.
_NAMED_OFFSET = re.compile(r"\s*(?:UTC|GMT)\s*([+-])(\d{1,2})(?::?(\d\d))?(?:\s*\([^()]*\))?\s*$", re.I)


def _offset(match: re.Match) -> str:
    return f" {match.group(1)}{int(match.group(2)):02d}:{match.group(3) or '00'}"


# a year a twelve-digit YYYYMMDDhhmm value may have: as milliseconds since 1970 such a number is a moment of 1976
CALENDAR_YEARS = (1900, 2100)


def as_number_text(values: pd.Series) -> pd.Series:
    """Texts stripped, a date column a spreadsheet saved as numbers read as written: 19900305.0 is 19900305,
    45356.0 the serial 45356."""
    return values.str.strip().str.replace(r"^(\d+)\.0+$", r"\1", regex=True)


def calendar_minutes(values: pd.Series) -> pd.Series:
    """The timestamps of twelve-digit values that read as YYYYMMDDhhmm (202403051004 is 2024-03-05 10:04) with a
    year in CALENDAR_YEARS; NaT for any other value. The same digits are epoch milliseconds too (1976-05-31
    15:04:11.004): a date column's 12-digit number that is a valid date and time is far likelier written by a
    database or a form (%Y%m%d%H%M) than a moment of 1976. One a calendar cannot hold (202402301004, 197301011260)
    stays milliseconds. Values as parse_timestamps prepares them (as_number_text)."""
    text = values.astype(object).where(values.notna(), "").astype(str)
    twelve = text.str.fullmatch(r"\d{12}").to_numpy(bool)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if twelve.any():
        read = pd.to_datetime(text[twelve], format="%Y%m%d%H%M", errors="coerce")
        out[twelve] = read.where(read.dt.year.between(*CALENDAR_YEARS))
    return out


def parse_timestamps(raw: pd.Series, formats: list[str], day_first: bool,
                     excel_range: tuple[float, float]) -> tuple[pd.Series, pd.Series]:
    """(timestamps, unparseable flag). Each distinct value is tried against the formats in order, then
    as an Excel serial, epoch milliseconds or a YYYYMMDDhhmm(ss) stamp, then by pandas' own reader;
    timezone-aware values become UTC.
    Vectorised: only 年月日 values go through a Python regex, and results go back to rows by position."""
    uniques = pd.Index(raw.dropna().unique(), dtype=object)
    if not len(uniques):
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]"), pd.Series(False, index=raw.index)
    prepared = as_number_text(pd.Series(uniques, dtype=object))
    cjk = prepared.str.contains("[年午上晨晚夜时時点點星周礼禮]", regex=True).fillna(False).to_numpy(bool)
    next_day = np.zeros(len(prepared), dtype=bool)
    if cjk.any():
        next_day[cjk] = prepared[cjk].str.contains(_NEXT_DAY).fillna(False).to_numpy(bool)
        prepared[cjk] = prepared[cjk].map(_prepare)
    zoned = prepared.str.contains(r"(?i)(?:UTC|GMT)\s*[+-]\d", regex=True).fillna(False).to_numpy(bool)
    if zoned.any():
        prepared[zoned] = prepared[zoned].str.replace(_NAMED_OFFSET, _offset, regex=True)
    parsed = pd.Series(pd.NaT, index=prepared.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna()
        if not todo.any():
            break
        width = compact_width(fmt)
        if width:
            todo &= prepared.str.len().eq(width)
        parsed[todo] = pd.to_datetime(prepared[todo], format=fmt, errors="coerce", utc=True).dt.tz_localize(None)
    todo = parsed.isna()
    if todo.any():
        number = prepared[todo].str.match(_NUMBER).fillna(False).astype(bool)
        numeric = number[number].index
        if len(numeric):
            values = prepared[numeric].astype(float)
            serial = values[values.between(*excel_range)]
            # to the second: a time cell's fraction is a binary float (45356.4166666667 is 10:00, not 10:00:00.000003)
            parsed[serial.index] = pd.Timestamp("1899-12-30") + pd.to_timedelta(serial, unit="D").dt.round("s")
            # milliseconds since 1970, as API exports write them, up to 2099 (a longer number is no date pandas
            # holds). Seconds are not read: a nine- or ten-digit number in a date column is as often a phone
            # number or a mistyped date, which would pass for a day in 1973-2099.
            epoch = values[values.between(1e11, EPOCH_END * 1000, inclusive="left")]
            parsed[epoch.index] = pd.to_datetime(epoch, unit="ms", errors="coerce")
            # fourteen digits: a timestamp written YYYYMMDDhhmmss (database dumps, 19900102000000)
            stamp = prepared[numeric][prepared[numeric].str.fullmatch(r"\d{14}")]
            parsed[stamp.index] = pd.to_datetime(stamp, format="%Y%m%d%H%M%S", errors="coerce")
            # twelve digits that are a date and time YYYYMMDDhhmm (202403051004) are that minute, not milliseconds
            minutes = calendar_minutes(prepared[numeric])
            minutes = minutes[minutes.notna()]
            parsed[minutes.index] = minutes
        rest = number[~number].index
        if len(rest):
            with warnings.catch_warnings():   # their messages quote the value (PII): never printed
                warnings.simplefilter("ignore")
                parsed[rest] = pd.to_datetime(prepared[rest], errors="coerce", dayfirst=day_first, format="mixed",
                                              utc=True).dt.tz_localize(None)
            read = [i for i in rest if pd.notna(parsed[i])]
            parsed[[i for i in read if _unreadable(prepared[i], day_first)]] = pd.NaT
    if next_day.any():
        parsed[next_day] += pd.Timedelta(days=1)
    position = uniques.get_indexer(raw)
    values = parsed.to_numpy(dtype="datetime64[ns]")
    out = pd.Series(np.where(position >= 0, values[np.maximum(position, 0)], np.datetime64("NaT")),
                    index=raw.index, dtype="datetime64[ns]")
    return out, raw.notna() & out.isna()


# strptime directives DuckDB reads exactly as pandas does (tests/unit/standardize/test_dates_in_sql.py): a format
# using any other (%z, %a, %y, ...) ends the list SQL tries, so that formats keep their order of precedence.
SQL_DIRECTIVES = "YmdHMSfbB%"
_SQL_FORMAT = re.compile(f"(?:[^%]|%[{SQL_DIRECTIVES}])*", re.S)
# pandas' nanosecond timestamps end at these days: DuckDB reads years outside them (and years of 1 to 3
# digits for %Y), which pandas refuses; such values are left to pandas.
SQL_RANGE = ("1677-09-22", "2262-04-11")


_COMPACT = re.compile(r"(?:%[YmdHMS])+")


def compact_width(fmt: str) -> int | None:
    """The length of a value a format without separators (%Y%m%d) reads, or None for another format. Such a format
    reads only values of that length: strptime also takes 1990111 (1990-11-01 or 1990-01-11?) and 201212 (a
    month, 2012-12) as days."""
    if not _COMPACT.fullmatch(fmt):
        return None
    return sum(4 if d == "Y" else 2 for d in fmt[1::2])


def sql_formats(formats: list[str]) -> list[str]:
    """The leading formats of the list that DuckDB's strptime reads as pandas does. A format without separators
    ends the list (DuckDB's strptime takes shorter values too: parse_timestamps reads it, see compact_width)."""
    out = []
    for fmt in formats:
        if not _SQL_FORMAT.fullmatch(fmt) or compact_width(fmt):   # another directive, or a '%' ending the format
            break
        out.append(fmt)
    return out


def sql_in_range(column: str) -> str:
    """SQL keeping a parsed timestamp column only inside pandas' range (null elsewhere, for parse_timestamps)."""
    return (f"case when {column} >= timestamp '{SQL_RANGE[0]}' and {column} < timestamp '{SQL_RANGE[1]}' "
            f"then {column} end")


def fill_unparsed(parsed: pd.Series | None, raw: pd.Series, parse) -> tuple[pd.Series, pd.Series]:
    """(timestamps, unparseable flag) of raw: parsed where SQL read the value, parse(values) for the rest."""
    out = (parsed.astype("datetime64[ns]") if parsed is not None
           else pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]"))
    todo = raw.notna() & out.isna()
    bad = pd.Series(False, index=raw.index)
    if todo.any():
        out.loc[todo], bad.loc[todo] = parse(raw[todo])
    return out, bad


def out_of_range(values: pd.Series, earliest: str, night: pd.Series | pd.Timestamp) -> pd.Series:
    """Dates before `earliest` or after the day of their night (the partition date, not the wall clock: a rerun
    of a night judges its dates as the first run did)."""
    latest = pd.to_datetime(night)
    latest = latest.dt.normalize() if isinstance(latest, pd.Series) else latest.normalize()
    return values.notna() & ((values < pd.Timestamp(earliest)) | (values.dt.normalize() > latest))


__all__ = ["parse_timestamps", "out_of_range", "np"]
