"""Reads JSON Lines (line = physical line) and Parquet (line = 1-based row number) exports."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.readers.base import LINE_BREAK, FileError, RawTable, frame_from_rows, unique_headers
from pipelines.readers.encoding import damage_message, decode


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, np.ndarray):  # a Parquet list column
        value = value.tolist()
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_jsonl(path: Path, encoding: str) -> RawTable:
    text, codec, damaged = decode(path, path.read_bytes(), encoding)
    records, lines, errors = [], [], []
    for n, line in enumerate(LINE_BREAK.split(text), start=1):  # a JSON string may hold U+2028 unescaped
        if not line.strip():
            continue
        if n in damaged:
            records.append({})
            errors.append(damage_message(n, damaged[n]))
            lines.append(n)
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            records.append(obj)
            errors.append(None)
        except ValueError as exc:
            records.append({})
            errors.append(f"invalid JSON: {exc}")
        lines.append(n)
    headers = unique_headers(list(dict.fromkeys(k for r in records for k in r)))
    keys = list(dict.fromkeys(k for r in records for k in r))
    rows = [[_text(r.get(k)) for k in keys] for r in records]
    return RawTable(headers, frame_from_rows(headers, rows, lines, errors), 0, [f"encoding {codec}"])


def read_parquet(path: Path) -> RawTable:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several error types for corrupt files
        raise FileError(path, None, f"not a readable Parquet file ({type(exc).__name__})") from None
    headers = unique_headers([str(c) for c in df.columns])
    rows = [[_text(v) for v in row] for row in df.itertuples(index=False, name=None)]
    return RawTable(headers, frame_from_rows(headers, rows, list(range(1, len(rows) + 1)), [None] * len(rows)), 0)
