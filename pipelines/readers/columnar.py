"""Reads JSON Lines (line = physical line; a file of one JSON array: the line its element starts on) and Parquet
(line = 1-based row number) exports."""
from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.readers.base import (ERROR, LINE, LINE_BREAK, FileError, RawTable, as_read, frame_from_rows,
                                    mark_nul_rows, unique_headers)
from pipelines.readers.delimited import binary_kind, header_key
from pipelines.readers.encoding import damage_message, decode


class _Number(float):
    """A JSON number with a fraction or exponent, and its text as written: 1.38001E+10 is what the exporter
    wrote (Excel's damage, which the rules flag), not 13800100000, digits a float made up."""

    def __new__(cls, text: str):
        number = super().__new__(cls, text)
        number.text = text
        return number


_INTEGRAL = re.compile(r"-?[0-9]+\.0+")


def _dumps(value: object) -> str:
    """A nested JSON value as JSON text, its numbers as the file wrote them (json.dumps writes a float's value:
    1.38001E+10 would become 13800100000.0)."""
    marked: list[str] = []
    nonce = uuid.uuid4().hex   # no value of the file holds it

    def mark(v: object) -> object:
        if isinstance(v, _Number):
            marked.append(v.text)
            return f"{nonce}{len(marked) - 1}{nonce}"
        if isinstance(v, dict):
            return {k: mark(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [mark(x) for x in v]
        return v
    text = json.dumps(mark(value), ensure_ascii=False, default=str)
    if not marked:
        return text
    return re.sub(f'"{nonce}([0-9]+){nonce}"', lambda m: marked[int(m.group(1))], text)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")   # C0 controls but tab and line breaks, DEL


def _text(value: object) -> str | None:
    if isinstance(value, _Number):   # as written; 8102.0 is the id 8102, every digit written
        return value.text.split(".")[0] if _INTEGRAL.fullmatch(value.text) else value.text
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, np.ndarray):  # a Parquet list column
        value = value.tolist()
    if isinstance(value, (dict, list, tuple)):
        return _dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):   # as a spreadsheet cell is read (excel.cell_text): no digits made up
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, bytes):   # binary: its text when it is UTF-8 text, else its hex digits
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            return value.hex()
        # bytes that happen to decode (an IP address 10.0.0.1 is \n\0\0\1) hold control characters no text
        # has: a NUL would read as a damaged record
        return value.hex() if _CONTROL.search(text) else text
    return str(value)


class _Object(dict):
    """A JSON object that also keeps its key/value pairs in order, a repeated key's every value included."""

    def __init__(self, pairs: list[tuple[str, object]]):
        super().__init__(pairs)
        self.pairs = pairs


def _flat(pairs: list[tuple[str, object]], prefix: str = "") -> list[tuple[str, object]]:
    """An object's pairs with nested objects spread out as parent.child keys ({"address": {"city": …}} gives
    address.city, which a mapping can name, as Parquet struct columns are); arrays stay one JSON value."""
    out = []
    for key, value in pairs:
        if isinstance(value, _Object) and value.pairs:
            out += _flat(value.pairs, f"{prefix}{key}.")
        else:
            out.append((prefix + key, value))
    return out


def _columns(record: _Object) -> list[tuple[tuple[str, int], str, object]]:
    """(column, spelling, value) of each pair (nested objects spread out): keys equal as headers are compared
    (case, full-width forms, surrounding spaces: delimited.header_key) share a column, and a key that comes again
    in the same object goes to a column of its own (…__2)."""
    seen: dict[str, int] = {}
    out = []
    for key, value in _flat(record.pairs):
        folded = header_key(key)
        seen[folded] = seen.get(folded, -1) + 1
        out.append(((folded, seen[folded]), key, value))
    return out


# Columns a JSON Lines file is read into at most: the keys of nested objects are spread out (address.city), and a
# file whose records each hold keys of their own (custom.field_<id>) would otherwise make a table of rows x keys
# cells (15,000 lines: 5.5 GB). Beyond it, the keys held by the fewest records (one record's own always) go to
# one column, as a JSON object per record.
MAX_COLUMNS = 500
OTHER_KEYS = "other keys"


def _array_elements(text: str) -> Iterator[tuple[int, str]]:
    """A file holding one JSON array (a .json export, an API dump) as (line where the element starts, its text):
    its elements are its records, as JSON Lines' lines are. A broken element is one broken record up to the next
    element that starts a line indented as the elements are (an export writing one element per line, or
    indented) and reads; without such a line, the rest is one broken record."""
    decoder = json.JSONDecoder()
    at = text.index("[") + 1
    line = 1 + text.count("\n", 0, at)
    first: str | None = None   # the indentation of the elements, once one starts a line

    def resume(start: int) -> int | None:
        """Where the next element after a broken one starts: a line indented as the elements are, opening an
        object that reads, after an element's comma."""
        if first is None:
            return None
        for m in re.compile(r",[ \t\r]*\n" + re.escape(first) + r"\{").finditer(text, start):
            try:
                decoder.raw_decode(text, m.end() - 1)
                return m.end() - 1
            except ValueError:
                continue
        return None

    def skip(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i
    while True:
        start = skip(at)
        if start >= len(text) or text[start] == "]":
            return
        line += text.count("\n", at, start)
        if first is None:   # an element starting a line sets it (one after the '[' on its line does not)
            indent = text[text.rfind("\n", 0, start) + 1:start]
            first = indent if not indent.strip() else None
        try:
            _, end = decoder.raw_decode(text, start)
        except ValueError:
            after = resume(start)
            if after is None:
                yield line, text[start:]
                return
            yield line, text[start:after].rstrip().rstrip(",")
            line += text.count("\n", start, after)
            at = after
            continue
        yield line, text[start:end]
        line += text.count("\n", start, end)
        at = skip(end)
        if at < len(text) and text[at] == ",":
            at += 1
        elif at < len(text) and text[at] != "]":
            yield line + text.count("\n", end, at), text[at:]
            return


def read_jsonl(path: Path, encoding: str, expected: set[str] = frozenset()) -> RawTable:
    """A JSON Lines file's records, a column per key (nested keys as parent.child); `expected` (the source's
    mapped and required headers) keep their own column however many keys the file has."""
    data = path.read_bytes()
    kind = binary_kind(data)
    if kind:
        raise FileError(path, None, f"not a text file: {kind} under a JSON Lines file's name; deliver the JSON Lines "
                                    "export itself")
    text, codec, damaged = decode(path, data, encoding)
    records, lines, errors, unread = [], [], [], []
    array = text.lstrip("\ufeff \t\r\n").startswith("[")
    pieces = _array_elements(text) if array else enumerate(LINE_BREAK.split(text), start=1)
    for n, line in pieces:  # a JSON string may hold U+2028 unescaped
        if not line.strip():
            continue
        lines.append(n)
        unread.append(None)
        if n in damaged:
            records.append([])
            errors.append(damage_message(n, damaged[n], codec))
            unread[-1] = as_read(line)
            continue
        try:
            # NaN and Infinity (not JSON, but Python's and JavaScript's writers emit them) kept as written; a BOM
            # opening a line is the start of another export joined to the file (cat a.jsonl b.jsonl), not content
            obj = json.loads(line.lstrip().removeprefix("\ufeff"), object_pairs_hook=_Object, parse_float=_Number,
                             parse_constant=_Number)
            if not isinstance(obj, _Object):
                raise ValueError("not a JSON object")
            record = _columns(obj)
            if "\\ud" in line.lower() and not _encodable(record):
                raise ValueError("a character cut in half (a lone UTF-16 surrogate escape such as \\ud83d: the "
                                 "exporter truncated an emoji or a rare character)")
            records.append(record)
            errors.append(None)
        except ValueError as exc:
            records.append([])
            errors.append(f"invalid JSON: {exc}")
            unread[-1] = as_read(line)
        except RecursionError:
            records.append([])
            errors.append("invalid JSON: nested too deeply to be a record")
            unread[-1] = as_read(line)
    if all(e is not None for e in errors):   # not one line read: a file error, not a quarantine of every line
        first = f" (line {lines[0]}: {errors[0]})" if lines else ""
        raise FileError(path, None, f"no line is a JSON object{first}: deliver JSON Lines, one object per line, "
                        "or one JSON array of objects, not pretty-printed JSON" if lines else "the file is empty")
    spelling: dict[tuple[str, int], str] = {}
    used: Counter = Counter()
    for record in records:
        for column, key, _ in record:
            spelling.setdefault(column, key)   # a column is named as its key is first spelled
            used[column] += 1
    notes = [f"encoding {codec}"]
    columns = list(spelling)
    rare: set = set()
    if len(columns) > MAX_COLUMNS:   # keys of their own per record: a column each would be rows x keys cells
        wanted = {header_key(h) for h in expected}
        kept = {column for column in columns if header_key(spelling[column]) in wanted}
        kept |= {column for column, n in used.most_common(max(0, MAX_COLUMNS - 1 - len(kept))) if n > 1}
        rare = set(columns) - kept
        columns = [c for c in columns if c in kept]
        notes.append(f"{len(rare):,} keys held by few records kept together in the column '{OTHER_KEYS}' "
                     f"(the file has {len(spelling):,} distinct keys; a column each for the {len(kept):,} most "
                     "held by two records or more)")
    headers = unique_headers([spelling[c] for c in columns] + ([OTHER_KEYS] if rare else []))
    at = {column: i for i, column in enumerate(columns)}
    rows = []
    for record in records:
        row: list = [None] * len(headers)
        others = {}
        for column, key, value in record:
            if column in rare:
                others[key] = _text(value)
            else:
                row[at[column]] = _text(value)
        if others:
            row[-1] = json.dumps(others, ensure_ascii=False)
        rows.append(row)
    raw = RawTable(headers, frame_from_rows(headers, rows, lines, errors, unread), 0, notes)
    return mark_nul_rows(raw) if "\x00" in text or "\\u0000" in text else raw


def _encodable(record: list) -> bool:
    """Whether a record's keys and values are text UTF-8 can hold: JSON may escape half a character."""
    try:
        for _column, key, value in record:
            key.encode("utf-8")
            text = _text(value)
            if text is not None:
                text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_exact(kind: pa.DataType) -> bool:
    """Types Arrow writes as text exactly as _text would: integers (every digit, also in a column with nulls,
    which pandas would make float), text, booleans, decimals, dates."""
    return (pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
            or pa.types.is_boolean(kind) or pa.types.is_decimal(kind) or pa.types.is_date(kind)
            or pa.types.is_null(kind))


def _short_float(value: np.floating) -> str | None:
    if np.isnan(value):
        return None
    return np.format_float_positional(value, unique=True, trim="-") if abs(float(value)) < 1e16 else str(value)


def _text_column(column: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """A Parquet column as text: cast by Arrow where that is exact, else each value by _text (floats without a
    trailing .0, timestamps as pandas writes them, nested values as JSON, binary as text or hex)."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if _is_exact(column.type):
        return column.cast(pa.string())
    if pa.types.is_floating(column.type) and column.type.bit_width < 64:
        # a float32 as the shortest text that is the same float32 (0.1, not the float64 0.10000000149011612)
        return pa.array([_short_float(v) for v in column.to_pandas().to_numpy()], pa.string())
    values = column.to_pandas() if pa.types.is_timestamp(column.type) or pa.types.is_floating(column.type) \
        else column.to_pylist()
    return pa.array([_text(v) for v in values], pa.string())


def _repeated_columns(path: Path) -> list[str]:
    """The top-level column names a Parquet file's schema holds more than once ([] when it cannot be read)."""
    try:
        names = pq.read_schema(path).names
    except Exception:  # noqa: BLE001 - no schema to read: the caller names the error it had
        return []
    return sorted({n for n in names if names.count(n) > 1})[:10]


def _what_it_is(path: Path) -> str:
    """What a file that pyarrow cannot read as Parquet is, from its first bytes."""
    from pipelines.readers.excel import not_this_format

    with path.open("rb") as fh:
        head = fh.read(65536)
    return (not_this_format(path, head, "Parquet file") or ("not a Parquet file (it does not start with PAR1)"
            if not head.startswith(b"PAR1") else "damaged or cut off (re-export it)"))


def read_parquet(path: Path) -> RawTable:
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several error types for corrupt files
        twice = _repeated_columns(path)
        raise FileError(path, None, f"not a readable Parquet file: column(s) named twice ({', '.join(twice)}); "
                                    "re-export with one name per column" if twice
                        else f"not a readable Parquet file ({type(exc).__name__}: duplicate column names?)"
                        if isinstance(exc, pa.ArrowInvalid) and "duplicate" in str(exc).lower()
                        else f"not a readable Parquet file ({type(exc).__name__}): {_what_it_is(path)}") from None
    while any(pa.types.is_struct(t) for t in table.schema.types):   # struct columns spread out as parent.child
        table = table.flatten()
    headers = unique_headers([str(c) for c in table.column_names])
    n = table.num_rows
    columns = [_text_column(table.column(i)) for i in range(table.num_columns)]
    out = pa.table(columns + [pa.array(range(1, n + 1), pa.int64()), pa.nulls(n, pa.string())],
                   names=headers + [LINE, ERROR])
    return mark_nul_rows(RawTable(headers, out, 0))
