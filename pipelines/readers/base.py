"""The shared shape of a read file (text cells + line numbers) and the dispatch by format."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

LINE = "__line"
ERROR = "__error"
# A malformed record's content as read, when its cells cannot be placed under the headers (a row of the wrong
# number of fields, broken quoting, a line that is not JSON): JSON text, kept in raw_customers' extra under
# AS_READ, so the record's values are in the warehouse and not only in the landed file.
UNPLACED = "__unplaced"
AS_READ = "(row as read)"
# A physical line break, as the csv module and a text editor count them (str.splitlines also breaks at U+2028,
# U+0085 and form feeds, which are ordinary characters inside a cell or a JSON string).
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_end(text: str | bytes) -> str | bytes:
    """The character a text's physical lines end at, as editors, grep and spreadsheets count them: LF (CRLF
    included) in any text holding one, where a lone CR (inside a cell) is a character of its line; CR in a text
    without an LF (an old Mac file). Of the text's own type: str or bytes."""
    lf, cr = ("\n", "\r") if isinstance(text, str) else (b"\n", b"\r")
    return lf if lf in text else cr


class FileError(Exception):
    """A file that cannot be read at all; the message names the file and the line."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path, self.line, self.message = str(path), line, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


@dataclass
class RawTable:
    """Cells as text (an Arrow table), one column per header, plus LINE (where the record starts) and ERROR."""

    headers: list[str]
    frame: pa.Table
    header_line: int = 1
    notes: list[str] = field(default_factory=list)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")   # NUL and other C0 controls: no part of a column's name


# a repeated header as unique_headers names it (Phone Number__2): the header and its repeat's number
REPEATED = re.compile(r"(.+)__([0-9]+)")


def unique_headers(headers: list[str]) -> list[str]:
    """Blank headers become column_N, repeated ones get __2, __3 so no column is lost. Repeats are found
    ignoring case (DuckDB's column names are case-insensitive), and a header spelled like one of the reader's
    own columns (LINE, ERROR) counts as a repeat of it, so an export cannot overwrite a record's line."""
    taken = {LINE, ERROR, UNPLACED}
    out = []
    for i, h in enumerate(headers, start=1):
        h = _CONTROL.sub("", h or "").strip() or f"column_{i}"
        name, n = h, 1
        while name.casefold() in taken:
            n += 1
            name = f"{h}__{n}"
        taken.add(name.casefold())
        out.append(name)
    return out


def frame_from_rows(headers: list[str], rows: list[list], lines: list[int], errors: list[str | None],
                    unplaced: list[str | None] | None = None) -> pa.Table:
    """The rows' cells under their headers, with LINE and ERROR, and UNPLACED when a row has content as read
    (as_read) that its cells do not hold."""
    frame = pd.DataFrame(rows, columns=headers, dtype=object) if rows else pd.DataFrame(columns=headers, dtype=object)
    schema = pa.schema([(h, pa.string()) for h in headers])
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    table = table.append_column(LINE, pa.array(lines, pa.int64()))
    table = table.append_column(ERROR, pa.array(errors, pa.string()))
    if unplaced and any(u is not None for u in unplaced):
        table = table.append_column(UNPLACED, pa.array(unplaced, pa.string()))
    return table


# Characters of a malformed record kept as read at most (a line of megabytes is cut, its length said)
AS_READ_MAX = 65_536


def as_read(content: list[str] | str) -> str:
    """A malformed record's fields (or, unparsed, its text) as the JSON text of UNPLACED."""
    written = json.dumps(content, ensure_ascii=False)
    if len(written) <= AS_READ_MAX:
        return written
    return json.dumps(f"{written[:AS_READ_MAX]}… (cut: {len(written):,} characters in all)", ensure_ascii=False)


REPEATED_HEADER = "the header row again (exports joined into one file?)"
_HEADER_TRIM = " \t\"'\ufeff"


def mark_repeated_headers(raw: RawTable) -> RawTable:
    """Rows that repeat the header (two exports joined with `cat`, a paginated export) are errors, not
    customers: a row whose value equals its column's header, ignoring case, quotes and a BOM, in at least half
    of the columns. Arrow compares one column over every row; only rows that match it are looked at further."""
    named = [h for h in raw.headers if h.strip()]
    table = raw.frame
    if not named or not table.num_rows:
        return raw
    key = [h.strip(_HEADER_TRIM).lower() for h in raw.headers]
    first = pc.utf8_lower(pc.utf8_trim(table.column(raw.headers[0]), _HEADER_TRIM))
    candidates = np.flatnonzero(pc.fill_null(pc.equal(first, key[0]), False).to_numpy(zero_copy_only=False))
    if not len(candidates):
        return raw
    rows = table.select(raw.headers).take(pa.array(candidates)).to_pylist()
    # half the columns, and two at least when there are two (a customer named 'Name' in an Id,Name file is one)
    needed = max(min(2, len(key)), -(-len(key) // 2))
    repeated = [i for i, row in zip(candidates.tolist(), rows)
                if sum(str(v or "").strip(_HEADER_TRIM).lower() == k for v, k in zip(row.values(), key)) >= needed]
    if not repeated:
        return raw
    errors = table.column(ERROR).to_pylist()
    for i in repeated:
        errors[i] = errors[i] or REPEATED_HEADER
    index = table.column_names.index(ERROR)
    return RawTable(raw.headers, table.set_column(index, ERROR, pa.array(errors, pa.string())), raw.header_line,
                    raw.notes)


def mark_damaged(path: Path, raw: RawTable, damaged: dict[int, int], codec: str = "utf-8") -> RawTable:
    """Each record holding a line with bytes the file's encoding rejects (encoding.decode) becomes an error row
    naming its first such line, its values emptied; damage in the header or above it is an error of the whole
    file."""
    from pipelines.readers.encoding import damage_message

    if not damaged:
        return raw
    first = min(damaged)
    if first <= raw.header_line:
        raise FileError(path, first, damage_message(first, damaged[first], codec, " in the header"))
    table = raw.frame
    lines = table.column(LINE).to_numpy()
    hit: dict[int, str] = {}   # record -> the message of its first damaged line
    for line, offset in sorted(damaged.items()):
        row = int(np.searchsorted(lines, line, side="right")) - 1
        if row >= 0:
            hit.setdefault(row, damage_message(line, offset, codec))
    errors = table.column(ERROR).to_pylist()
    bad = np.zeros(table.num_rows, dtype=bool)
    for row, message in hit.items():
        errors[row], bad[row] = message, True
    return _emptied(raw, bad, errors)


def _emptied(raw: RawTable, bad: np.ndarray, errors: list[str | None]) -> RawTable:
    """raw with the values of the rows marked bad emptied and ERROR replaced by errors; its other columns (LINE,
    UNPLACED) as they were."""
    table = raw.frame
    mask = pa.array(bad)
    columns = [pc.if_else(mask, pa.scalar(None, pa.string()), table.column(h)) for h in raw.headers]
    others = [name for name in table.column_names if name not in raw.headers and name != ERROR]
    frame = pa.table(columns + [table.column(name) for name in others] + [pa.array(errors, pa.string())],
                     names=raw.headers + others + [ERROR])
    return RawTable(raw.headers, frame, raw.header_line, raw.notes)


def mark_nul_rows(raw: RawTable) -> RawTable:
    """Each record holding a NUL character (a zero byte: a file damaged in transfer, or binary pasted into a
    cell) becomes an error row naming its line, its values emptied, as a record with bytes its encoding rejects
    does (mark_damaged): a NUL read as a space would change a value silently (A\x00nn as 'A nn')."""
    table = raw.frame
    bad = np.zeros(table.num_rows, dtype=bool)
    for h in raw.headers:
        column = table.column(h)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            bad |= pc.fill_null(pc.match_substring(column, "\x00"), False).to_numpy(zero_copy_only=False)
    if not bad.any():
        return raw
    lines = table.column(LINE).to_pylist()
    errors = table.column(ERROR).to_pylist()
    for row in np.flatnonzero(bad):
        errors[row] = errors[row] or (f"a NUL character (a zero byte) in the record on line {lines[row]}: the file "
                                      "is damaged there; re-export it")
    return _emptied(raw, bad, errors)


def drop_footer(raw: RawTable, patterns: list[str], fmt: str) -> RawTable:
    """The lines an export ends with below its records (a Salesforce report's 'Confidential Information - Do Not
    Distribute', its copyright and 'Generated By:' lines, the company's name) are not records: the last rows of
    the file that are footer-shaped are dropped, with a note naming their lines, when one of them matches a
    pattern of the source's footer_lines. Footer-shaped is a line of one field in a CSV (no delimiter: the row
    an error of one field), a row with its first cell alone in a workbook. Any other row ends the footer: a
    record above it, malformed or not, stays a row."""
    table = raw.frame
    if not patterns or not table.num_rows or not raw.headers or fmt != "csv" and fmt not in WORKBOOKS:
        return raw
    tail = table.slice(max(0, table.num_rows - FOOTER_ROWS))

    def filled(header: str) -> np.ndarray:
        cells = pc.utf8_length(pc.utf8_trim_whitespace(tail.column(header)))
        return pc.fill_null(pc.greater(cells, 0), False).to_numpy(zero_copy_only=False)
    # a row of one filled cell: the first column's in a CSV line, any column's in a workbook (a formatted report
    # starts its table, and writes its footer, in column B)
    count = np.zeros(tail.num_rows, dtype=np.int64)
    lone_text = [""] * tail.num_rows
    for h in raw.headers:
        here = filled(h)
        count += here
        if fmt in WORKBOOKS or h == raw.headers[0]:
            at = np.flatnonzero(here)
            for i, text in zip(at, tail.column(h).take(pa.array(at)).to_pylist()):
                lone_text[i] = lone_text[i] or text.strip()
    first_only = count == 1
    cells = [text if one else "" for one, text in zip(first_only, lone_text)]
    if fmt == "csv":
        # A one-field line: its error says so, and its field is kept as read (delimited.unplaced). A line Excel
        # padded with delimiters to the table's width (Confidential…;;;;) reads as a row of its first cell
        # alone, and a line its own commas split (Copyright … salesforce.com, inc. …) as a row of the wrong
        # width: such rows are footer lines from the first that matches a pattern on (a record with its id
        # alone above the footer stays a row).
        errors = tail.column(ERROR).to_pylist()
        content = tail.column(UNPLACED).to_pylist() if UNPLACED in tail.column_names else [None] * tail.num_rows
        footer_started = False
        for i, (error, unread) in enumerate(zip(errors, content)):
            lone_field = error is not None and error.startswith("1 fields where")
            text = _joined_fields(unread) if error and re.match(r"\d+ fields where", error) else cells[i]
            footer_started = footer_started or any(re.search(p, text) for p in patterns)
            cells[i] = text if lone_field or footer_started else ""
    lone = np.array([bool(c) for c in cells])
    start = tail.num_rows
    while start and lone[start - 1]:
        start -= 1
    if start == tail.num_rows:
        return raw
    block = tail.slice(start)
    texts = cells[start:]
    if not any(re.search(p, t) for p in patterns for t in texts):
        return raw
    lines = block.column(LINE).to_pylist()
    where = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"
    return RawTable(raw.headers, table.slice(0, table.num_rows - block.num_rows), raw.header_line,
                    raw.notes + [f"footer: {where} not read (the export's footer, not records)"])


def _joined_fields(content: str | None) -> str:
    """The fields of a line with the wrong number of them, from its content as read (as_read: a JSON list, or
    a cut text), joined as the line wrote them (the comma that split a footer's sentence put back)."""
    value = json.loads(content) if content else ""
    text = ",".join(value) if isinstance(value, list) else value if isinstance(value, str) else ""
    return text.strip().rstrip(",;\t ")


FOOTER_ROWS = 20   # a footer is a few lines; rows further up are records however they look


# The spreadsheet formats, all read by the one workbook reader (excel.read_workbook): Excel 2007+ (.xlsx, .xlsm),
# Excel 97-2003 (.xls), Excel binary (.xlsb) and OpenDocument (.ods)
WORKBOOKS = ("xlsx", "xls", "xlsb", "ods")
# format: auto reads a file by its name's ending
BY_SUFFIX = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls",
             ".xlsb": "xlsb", ".ods": "ods", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
             ".parquet": "parquet"}


def file_format(path: Path, fmt: str) -> str:
    """The format a file is read in: the source's, or with format auto its name's ending's ('' if unknown)."""
    return BY_SUFFIX.get(path.suffix.casefold(), "") if fmt == "auto" else fmt


def read_file(path: Path, fmt: str, *, encoding: str = "auto", delimiter: str = "auto",
              sheet: str | int = 0, header_row: int | None = None, expected: set[str] | None = None,
              footer_lines: list[str] | None = None) -> RawTable:
    """The file's cells as text, its footer (footer_lines: see drop_footer) left out. A file named .xls that holds
    delimited text (what many web systems' 'export to Excel' writes, and Excel opens) is read as such."""
    from pipelines.readers.excel import TEXT_AS_XLS, delimited_text

    fmt = file_format(path, fmt)
    if not fmt:
        raise FileError(path, None, f"cannot tell the format of a '{path.suffix}' file: set the source's format "
                                    "in sources.yaml (csv, xlsx, xls, xlsb, ods, jsonl or parquet)")
    # an .xls name read as a workbook (format xls, auto, or the xlsx a source set before .xls had its own)
    text = (fmt == "xls" or fmt in WORKBOOKS and path.suffix.casefold() == ".xls") and delimited_text(path)
    fmt = "csv" if text else fmt
    raw = _read(path, fmt, encoding, delimiter, sheet, header_row, expected)
    raw.notes[:0] = [TEXT_AS_XLS] if text else []
    return drop_footer(raw, footer_lines or [], fmt)


def _read(path: Path, fmt: str, encoding: str, delimiter: str, sheet: str | int, header_row: int | None,
          expected: set[str] | None) -> RawTable:
    from pipelines.readers import columnar, delimited, excel

    if fmt == "csv":
        return mark_repeated_headers(delimited.read_csv(path, encoding, delimiter, header_row, expected or set()))
    if fmt in WORKBOOKS:
        return mark_repeated_headers(excel.read_workbook(path, sheet, header_row, expected or set()))
    if fmt == "jsonl":
        return columnar.read_jsonl(path, encoding, expected or set())
    if fmt == "parquet":
        return mark_nul_rows(columnar.read_parquet(path))
    raise FileError(path, None, f"unknown format '{fmt}'")
