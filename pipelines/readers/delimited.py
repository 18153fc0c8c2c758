"""Reads CSV/TSV exports: sniffed delimiter, header row found by name, record start lines kept."""
from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

from pipelines.readers.base import FileError, RawTable, frame_from_rows, unique_headers
from pipelines.readers.encoding import decode

_CANDIDATES = ",;\t|"


def header_key(text: str) -> str:
    """How headers are compared: NFKC, case-folded, trimmed."""
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_CANDIDATES).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(_CANDIDATES, key=first.count)


def find_header(rows: list[list[str]], expected: set[str], header_row: int | None) -> int:
    """Index (0-based) of the header among the first rows: the given one, else the first naming a mapped column."""
    if header_row is not None:
        return header_row - 1
    wanted = {header_key(e) for e in expected}
    for i, row in enumerate(rows[:10]):
        if wanted & {header_key(c) for c in row if c is not None}:
            return i
    return 0


def read_csv(path: Path, encoding: str, delimiter: str, header_row: int | None, expected: set[str]) -> RawTable:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileError(path, None, f"cannot read file: {exc.strerror}") from None
    text, codec = decode(path, data, encoding)
    if not text.strip():
        raise FileError(path, 1, "file is empty")
    delim = sniff_delimiter(text[:65536]) if delimiter == "auto" else delimiter
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    records: list[tuple[int, list[str] | None, str | None]] = []
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            records.append((start, None, f"broken quoting: {exc}"))
            start = reader.line_num + 1
            continue
        if row and any(c.strip() for c in row):
            records.append((start, row, None))
        start = reader.line_num + 1
    preamble = [r for _, r, _ in records[:10] if r is not None]
    h = find_header(preamble, expected, header_row)
    if h >= len(records) or records[h][1] is None:
        raise FileError(path, 1, "no header row found")
    header_line = records[h][0]
    headers = unique_headers(records[h][1])
    width = len(headers)
    rows, lines, errors = [], [], []
    for line, row, err in records[h + 1:]:
        if err is None and len(row) != width:
            err = f"{len(row)} fields where the header has {width}"
        rows.append(row if err is None else [None] * width)
        lines.append(line)
        errors.append(err)
    notes = [f"encoding {codec}", f"delimiter {delim!r}"]
    return RawTable(headers, frame_from_rows(headers, rows, lines, errors), header_line, notes)
