"""Dates and timestamps in the formats real exports use (ISO, US, 年月日, Excel serials, epoch ms)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

_CJK_DATE = re.compile(r"(\d{2,4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def _prepare(text: str) -> str:
    return _CJK_DATE.sub(lambda m: f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}", text).strip()


def parse_timestamps(raw: pd.Series, formats: list[str], day_first: bool,
                     excel_range: tuple[float, float]) -> tuple[pd.Series, pd.Series]:
    """(timestamps, unparseable flag). Each distinct value is tried against the formats in order, then
    as an Excel serial or epoch milliseconds, then by pandas' own reader; timezone-aware values become UTC."""
    uniques = pd.Series(raw.dropna().unique(), dtype=object)
    prepared = uniques.map(_prepare)
    parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna()
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(prepared[todo], format=fmt, errors="coerce", utc=True).dt.tz_localize(None)
    numeric = parsed.isna() & prepared.str.match(_NUMBER)
    if numeric.any():
        values = prepared[numeric].astype(float)
        serial = values.between(*excel_range)
        parsed[numeric & serial.reindex(parsed.index, fill_value=False)] = (
            pd.Timestamp("1899-12-30") + pd.to_timedelta(values[serial], unit="D"))
        epoch = values.between(1e11, 1e13)  # milliseconds since 1970, as API exports write them
        parsed[numeric & epoch.reindex(parsed.index, fill_value=False)] = pd.to_datetime(values[epoch], unit="ms")
    rest = parsed.isna() & ~prepared.str.match(_NUMBER)
    if rest.any():
        parsed[rest] = pd.to_datetime(prepared[rest], errors="coerce", dayfirst=day_first, format="mixed",
                                      utc=True).dt.tz_localize(None)
    lookup = dict(zip(uniques, parsed))
    out = raw.map(lookup).astype("datetime64[ns]")
    return out, raw.notna() & out.isna()


def out_of_range(values: pd.Series, earliest: str, today: pd.Timestamp | None = None) -> pd.Series:
    today = today or pd.Timestamp.now().normalize()
    return values.notna() & ((values < pd.Timestamp(earliest)) | (values > today))


__all__ = ["parse_timestamps", "out_of_range", "np"]
