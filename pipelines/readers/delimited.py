"""Reads CSV/TSV exports: sniffed delimiter, header row found by name, record start lines kept."""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipelines.readers.base import (ERROR, LINE, LINE_BREAK, FileError, RawTable, as_read, frame_from_rows,
                                    line_end, mark_damaged, mark_nul_rows, unique_headers)
from pipelines.readers.encoding import decode
from pipelines.standardize.arrow_text import matches
from pipelines.standardize.text import visible

_CANDIDATES = ",;\t|"
# A cell may be long (notes, pasted mails): the csv module's default limit of 128 KiB would reject the record.
csv.field_size_limit(2**31 - 1)


def header_key(text: str) -> str:
    """How headers are compared: NFKC, case-folded, trimmed, without invisible characters (a BOM or a zero-width
    space inside a header, left by exports pasted together)."""
    return visible(unicodedata.normalize("NFKC", str(text))).strip().casefold()


def first_lines(text: str, n: int) -> str:
    """The first n physical lines (base.LINE_BREAK)."""
    for i, brk in enumerate(LINE_BREAK.finditer(text)):
        if i == n - 1:
            return text[:brk.start()]
    return text


# The characters of each line the delimiter is sniffed from: csv.Sniffer's quote pattern backtracks over a long
# line of delimiters (a quoted line with 100,000 commas took 40 s); the first 2,000 tell the delimiter as well.
SNIFF_LINE = 2048


def sniff_delimiter(sample: str) -> str:
    sample = "\n".join(line[:SNIFF_LINE] for line in sample.split("\n"))
    try:
        return csv.Sniffer().sniff(sample, delimiters=_CANDIDATES).delimiter
    except csv.Error:
        first = first_lines(sample, 1)
        return max(_CANDIDATES, key=first.count)


# The rows the header is looked for in (exports may open with a title, the filters used, a blank line or two),
# and the lines read_csv reads first: the header among them, and the rows after it fit_width samples.
HEADER_SEARCH = 30


def naming_count(rows: list[list[str | None]], expected: set[str]) -> tuple[int | None, int]:
    """(index, count): the first of the first HEADER_SEARCH rows naming the most mapped columns, and how many it
    names; (None, 0) when none names one. Most, not first: a title or instructions row above the header
    ('Email: the contact's e-mail') names one."""
    wanted = {header_key(e) for e in expected}
    best, most = None, 0
    for i, row in enumerate(rows[:HEADER_SEARCH]):
        named = len(wanted & {header_key(c) for c in row if c is not None})
        if named > most:
            best, most = i, named
    return best, most


def naming_row(rows: list[list[str | None]], expected: set[str]) -> int | None:
    """Index of the row among the first HEADER_SEARCH rows that names the most mapped columns, or None."""
    return naming_count(rows, expected)[0]


def fit_width(header: list[str], rows: list[list[str]]) -> list[str]:
    """The header, fitted to rows that all end with as many empty fields more or fewer than it (an export writing
    delimiters after the last field of the rows but not of the header, or the other way round: Excel pads a
    header with ',,' where a column below was ever used). Only when every sampled row agrees; otherwise each row
    that does not fit is an error of its own."""
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    if not rows or not header or len({len(r) for r in rows}) != 1:
        return header
    width = len(rows[0])
    blank_tail = len(header) - len(_rstripped(header))
    if width < len(header) and len(header) - width <= blank_tail:
        return header[:width]
    if width > len(header) and all(not c.strip() for r in rows for c in r[len(header):]):
        return header + [""] * (width - len(header))
    return header


def _rstripped(cells: list[str]) -> list[str]:
    """The cells without the empty ones at the end."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def find_header(rows: list[list[str]], expected: set[str], header_row: int | None) -> int:
    """Index (0-based) of the header among the first rows: the given one, else the first naming a mapped column."""
    if header_row is not None:
        return header_row - 1
    found = naming_row(rows, expected)
    return 0 if found is None else found


def utf8_buffer(data: bytes, text: str, codec: str) -> pa.Buffer:
    """The decoded text in UTF-8, for Arrow: the file's own bytes when it is UTF-8 or ASCII (without the BOM
    when the decoding dropped it), else the text encoded."""
    name = codecs.lookup(codec).name
    if name == "utf-8-sig" and data.startswith(codecs.BOM_UTF8):
        return pa.py_buffer(memoryview(data)[len(codecs.BOM_UTF8):])
    if name in ("utf-8", "utf-8-sig", "ascii"):
        return pa.py_buffer(data)
    return pa.py_buffer(text.encode("utf-8"))


def _arrow_read(data: pa.Buffer, delim: str, width: int, skip_rows: int = 0) -> pa.Table | None:
    """Arrow's multithreaded reader over records of one line and width text fields each (columns c0, c1, ...);
    None when a row does not fit or Arrow cannot read the text."""
    invalid: list[int] = []

    def on_invalid(row) -> str:
        invalid.append(row.number)
        return "skip"

    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            data,
            read_options=pacsv.ReadOptions(skip_rows=skip_rows, column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=False, ignore_empty_lines=False,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeError):
        return None
    return None if invalid else table


def _with_lines(table: pa.Table, headers: list[str], lines) -> pa.Table:
    """Rows read without error, under their headers, with the line each starts on."""
    table = table.rename_columns(headers).append_column(LINE, pa.array(lines, pa.int64()))
    return table.append_column(ERROR, pa.nulls(table.num_rows, pa.string()))


def _fast_read(text: str, data: pa.Buffer, delim: str, header_index: int, headers: list[str]) -> pa.Table | None:
    """Arrow's reader, used only when every record is one physical line (no quoted newline, no malformed row)
    so that line numbers follow from row numbers, and no quote sits inside a field (Arrow reads '"a "b" c"'
    leniently where the csv module refuses it); otherwise None. Blank records are skipped."""
    if _quote_inside_a_field(data, delim):
        return None
    table = _arrow_read(data, delim, len(headers), skip_rows=header_index + 1)
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if table is None or physical != header_index + 1 + table.num_rows:
        return None
    first = header_index + 2
    lines = np.arange(first, first + table.num_rows, dtype=np.int64)
    keep = ~_blank_rows(table)
    return _with_lines(table, headers, lines) if keep.all() else _with_lines(table.filter(keep), headers, lines[keep])


def _blank_rows(table: pa.Table) -> np.ndarray:
    """Rows whose every field is empty or whitespace: skipped, as the csv module's path skips blank records."""
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        blank &= pc.equal(pc.utf8_trim_whitespace(column), "").to_numpy(zero_copy_only=False)
        if not blank.any():   # usually settled by the first column (a record id)
            break
    return blank


def _inside_pattern(delim: str, line_break: str = "") -> str:
    """A quote after a character other than the delimiter and before one other than the delimiter, a quote or
    the end of its line: '"ab"c', '""x', 'a"b', '=HYPERLINK("x")'."""
    d = "\\" + delim if delim in "]\\^-[" else delim
    return f'[^{d}{line_break}]"[^{d}"\\r{line_break}]'


def _whole_text(data: pa.Buffer) -> pa.Array:
    """The whole text (data: UTF-8) as one Arrow string, without copying it."""
    return pa.LargeStringArray.from_buffers(1, pa.py_buffer(np.array([0, data.size], np.int64)), data)


def _quote_inside_a_field(data: pa.Buffer, delim: str) -> bool:
    """Whether some line of the text (data: UTF-8) holds a quote inside a field (_inside_pattern): one search
    over the whole text."""
    return bool(pc.any(pc.match_substring_regex(_whole_text(data), _inside_pattern(delim, "\\n"))).as_py())


def _lines(data: pa.Buffer) -> pa.Array:
    """The text's physical lines (data: UTF-8), split at each '\n' by Arrow (a line keeps its '\r'; after a final
    line break comes one empty string that is no line)."""
    return pc.list_flatten(pc.split_pattern(_whole_text(data), "\n"))


def _quoting_to_check(lines: pa.Array, delim: str) -> tuple[bool, list[int]]:
    """(some line has an odd number of quotes, the 0-based numbers of the lines holding a quote after a
    character other than a delimiter: '"ab"c', '""x', 'a"b', '=HYPERLINK("x")'), found by Arrow over the whole
    text's lines (_lines). Those lines are where the csv module may refuse a line or read it otherwise than
    Arrow; a file usually has none."""
    quotes = pc.count_substring(lines, '"')
    odd = pc.any(pc.equal(pc.bit_wise_and(quotes, 1), 1)).as_py()
    return bool(odd), np.flatnonzero(matches(lines, _inside_pattern(delim))).tolist()


def _invalid_lines(lines: pa.Array, texts: list[str], first: int, physical: int) -> list[tuple[int, str]] | None:
    """The (line number, text) of the lines Arrow could not read as a row, in order: the lines from `first` on
    whose text (a final '\r' aside) is one of theirs. Arrow reads each line on its own here (no value spans
    lines), so equal lines read alike and every line found is one it refused; None when the count differs."""
    if not texts:
        return []
    read = lines.slice(first - 1, physical - first + 1)
    wanted = {t.rstrip("\r") for t in texts}   # a line ends in one '\r' at most here (_line_read's first test)
    found = np.flatnonzero(pc.is_in(read, value_set=pa.array(sorted(wanted | {t + "\r" for t in wanted}),
                                                             pa.string())).to_numpy(zero_copy_only=False))
    if len(found) != len(texts):
        return None
    return [(first + int(i), read[int(i)].as_py().rstrip("\r")) for i in found]


def _line_read(text: str, delim: str, header_index: int, headers: list[str],
               data: pa.Buffer | None = None) -> pa.Table | None:
    """The same rows as _exact_read when no record spans two lines but some lines are blank or have the wrong
    number of fields (one such line in a million would send _fast_read's whole file to Python's csv module).
    Arrow reads every line as one row, on all cores (a thread does not number the rows it refuses: their lines
    are found by their text, _invalid_lines); Python's csv module counts the fields of those lines only, each
    becoming an error row on its own line number. None when such a line might open a multi-line value or its
    quoting is broken: then _exact_read decides."""
    if text.count("\r") != text.count("\r\n"):
        return None
    width = len(headers)
    names = [f"c{i}" for i in range(width)]
    refused: list[str] = []

    def on_invalid(row) -> str:
        refused.append(row.text)
        return "skip"
    data = data if data is not None else pa.py_buffer(text.encode("utf-8"))
    try:
        table = pacsv.read_csv(
            data,
            read_options=pacsv.ReadOptions(skip_rows=header_index + 1, column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=False, ignore_empty_lines=False,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeError):
        return None
    first = header_index + 2
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical != first - 1 + table.num_rows + len(refused):
        return None
    lines = _lines(data)
    invalid = _invalid_lines(lines, refused, first, physical)
    if invalid is None:
        return None
    # a value holding a line break: a quote left open ran past its line (at the end of the file, say)
    if any(pc.any(pc.match_substring(column, "\n")).as_py() for column in table.columns):
        return None
    bad = {number for number, _ in invalid}
    numbers = np.arange(first, physical + 1, dtype=np.int64)   # the line of each row Arrow read
    if bad:
        numbers = np.delete(numbers, np.array(sorted(bad), dtype=np.int64) - first)
    odd, inside = _quoting_to_check(lines, delim)
    if odd:
        return None
    for index in inside:
        number = index + 1
        if number < first or number in bad:
            continue
        try:
            fields = next(csv.reader([lines[index].as_py().rstrip("\r")], delimiter=delim, strict=True), [])
        except csv.Error:
            return None
        row = int(np.searchsorted(numbers, number))
        if fields != [table.column(i)[row].as_py() for i in range(width)]:
            return None
    keep = ~_blank_rows(table)
    parts = [_with_lines(table.filter(keep), headers, numbers[keep])] if keep.any() else []
    bad_lines, bad_errors, bad_rows, bad_unplaced = [], [], [], []
    for number, line in invalid:
        line = line[:-1] if line.endswith("\r") else line
        if '"' in line:
            if line.count('"') % 2:
                return None
            try:
                fields = next(csv.reader([line], delimiter=delim, strict=True), [])
            except csv.Error:
                return None
            if not any(f.strip() for f in fields):
                continue
        else:
            if not line.replace(delim, "").strip():
                continue
            fields = line.split(delim)
        if len(fields) == width:  # Arrow and the csv module disagree on this line: leave the file to _exact_read
            return None
        bad_lines.append(number)
        bad_errors.append(f"{len(fields)} fields where the header has {width}")
        bad_rows.append([None] * width)
        bad_unplaced.append(unplaced(fields))
    if bad_lines:
        parts.append(frame_from_rows(headers, bad_rows, bad_lines, bad_errors, bad_unplaced))
    if not parts:
        return None
    table = pa.concat_tables(parts, promote_options="default")
    return table.take(pc.sort_indices(table.column(LINE))) if len(parts) > 1 else table


def unplaced(fields: list[str]) -> str | None:
    """The UNPLACED content of a row with the wrong number of fields: its fields, which cannot be placed under
    the headers (a lone one neither: under the first header it would read as the record's id; base.drop_footer
    reads a report's footer line from here)."""
    return as_read(fields) if fields else None


def _preamble(text: str, delim: str) -> list[list[str]]:
    """The records of the first HEADER_SEARCH lines, read as _exact_read reads them; [] when one is broken or
    spans several lines (a quoted title over two lines): the line readers number records by their lines."""
    head = first_lines(text, HEADER_SEARCH)
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=delim, strict=True)
    try:
        rows = list(reader)
    except csv.Error:
        return []
    return rows if reader.line_num == len(rows) else []


def read_csv(path: Path, encoding: str, delimiter: str, header_row: int | None, expected: set[str]) -> RawTable:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileError(path, None, f"cannot read file: {exc.strerror}") from None
    kind = binary_kind(data)
    if kind:
        raise FileError(path, None, f"not a text file: {kind} under a delimited file's name; deliver the CSV export "
                                    "itself (or give the workbook its own ending: .xlsx, .xls, .xlsb or .ods)")
    text, codec, damaged = decode(path, data, encoding)
    if text.endswith("\x1a"):   # a DOS end-of-file mark (old Windows and dBase/FoxPro exports): no record
        text, data = text[:-1], data[:-1]   # (data is read only when it is the UTF-8 text: utf8_buffer)
    if not text.strip():
        raise FileError(path, 1, "file is empty")
    utf8 = text.encode("utf-8") if damaged else data   # a damaged file's text holds U+FFFD where its bytes did not
    raw = mark_damaged(path, _read_text(path, utf8, text, codec, delimiter, header_row, expected), damaged,
                       codec)
    return mark_nul_rows(raw) if "\x00" in text else raw


# The first bytes of files that are no text: a workbook or archive renamed .csv would be read as legacy-encoded
# text and refused for a byte somewhere, with the advice to set an encoding.
_MAGIC = {b"PK\x03\x04": "a ZIP archive (an XLSX workbook?)", b"\x1f\x8b": "a gzip-compressed file",
          b"\xd0\xcf\x11\xe0": "an OLE file (an old .xls workbook? name it .xls)",
          b"%PDF": "a PDF document", b"7z\xbc\xaf": "a 7-Zip archive", b"Rar!": "a RAR archive",
          b"PAR1": "a Parquet file (set the source's format: parquet)"}


def binary_kind(data: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC.items() if data.startswith(magic)), None)


def _read_text(path: Path, data: bytes, text: str, codec: str, delimiter: str, header_row: int | None,
               expected: set[str]) -> RawTable:
    delim = sniff_delimiter(text[:65536]) if delimiter == "auto" else delimiter
    notes = [f"encoding {codec}", f"delimiter {delim!r}"]
    head = _preamble(text, delim)
    if head and all(row and any(c.strip() for c in row) for row in head):
        h = find_header(head, expected, header_row)
        if h < len(head):
            utf8 = utf8_buffer(data, text, codec)
            headers = unique_headers(fit_width(head[h], head[h + 1:]))
            fast = _fast_read(text, utf8, delim, h, headers)
            if fast is None:
                fast = _line_read(text, delim, h, headers, utf8)
            if fast is not None:
                return RawTable(headers, fast, h + 1, notes)
    return _exact_read(path, text, delim, header_row, expected, notes)


def _exact_read(path: Path, text: str, delim: str, header_row: int | None, expected: set[str],
                notes: list[str]) -> RawTable:
    """Python's csv module, tracking the physical line where each record starts (quoted newlines, blank
    lines and malformed rows included). A record whose quoting is broken is its first line alone: reading
    starts again on the next line, so a stray quote cannot swallow the records after it (the csv module would
    read on to the next quote, or to the end of the file, as one value). A stray quote that a later stray quote
    closes (O"Brien on one line, Smith" three lines down) reads as one value over lines that are each a record
    of the header's width: such a record is read again as its first line broken (_stray_quotes)."""
    starts = [0] + [m.end() for m in LINE_BREAK.finditer(text)]  # offset of each physical line
    broken: set[int] = set()
    for _ in range(_STRAY_ROUNDS):   # each round reads the whole text again; a round finds every stray pair it sees
        records = _records(text, delim, starts, broken)
        h, headers = _header(path, records, header_row, expected)
        stray = _stray_quotes(text, starts, records[h + 1:], delim, len(headers))
        if not stray or stray <= broken:
            break
        broken |= stray
    physical = _physical_lines(text, starts)
    header_line = physical[records[h][0]]
    width = len(headers)
    rows, lines, errors, content = [], [], [], []
    for line, row, err, _ in records[h + 1:]:
        if err is None and len(row) != width:
            err = f"{len(row)} fields where the header has {width}"
        rows.append(row if err is None else [None] * width)
        lines.append(physical[line])
        errors.append(err)
        # a record of the wrong width: its fields; a broken one (its first line alone): the line's text
        content.append(None if err is None else unplaced(row) if row is not None
                       else as_read(_line_text(text, starts, line)))
    return RawTable(headers, frame_from_rows(headers, rows, lines, errors, content), header_line, notes)


def _physical_lines(text: str, starts: list[int]) -> list[int]:
    """The physical line (base.line_end) of each line the csv module counts (1-based: index 0 unused). The csv
    module also ends a line at a lone CR; in a text with LFs such a CR is a character of its line (a cell's
    line break typed on a Mac), and the records after it would be numbered a line too far."""
    if line_end(text) != "\n" or text.count("\r") == text.count("\r\n"):
        return list(range(len(starts) + 1))
    feeds = np.fromiter((m.start() for m in re.finditer("\n", text)), dtype=np.int64)
    return [0] + (np.searchsorted(feeds, np.asarray(starts), side="left") + 1).tolist()


def _records(text: str, delim: str, starts: list[int], broken: set[int]
             ) -> list[tuple[int, list[str] | None, str | None, int]]:
    """(first line, fields or None, error, last line) of each record the csv module reads, restarting on the
    line after a record whose quoting is broken; a record starting on a line of `broken` is that line alone."""
    records: list[tuple[int, list[str] | None, str | None, int]] = []
    base, start = 0, 1     # lines before the reader's text; the line the next record starts on
    buffer = io.StringIO(text, newline="")   # one buffer: a restart seeks in it, copying nothing
    reader = csv.reader(buffer, delimiter=delim, strict=True)
    while True:
        error = STRAY_QUOTE if start in broken else None
        if error is None:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                detail = "a quote opened on this line is never closed" if "end of data" in str(exc) else exc
                error = f"broken quoting: {detail}"
        if error is not None:
            records.append((start, None, error, start))
            base = start
            buffer.seek(starts[start] if start < len(starts) else len(text))
            reader = csv.reader(buffer, delimiter=delim, strict=True)
            start = base + 1
            continue
        if row and any(c.strip() for c in row):
            records.append((start, row, None, base + reader.line_num))
        start = base + reader.line_num + 1
    return records


# Rounds of reading again after stray quotes (a pair found can uncover another it hid): a file is read at most
# this many times, and the last reading stands.
_STRAY_ROUNDS = 5
STRAY_QUOTE = ("broken quoting: a quote opened on this line closes lines further down, over lines that each read "
               "as a record of their own (a stray quote)")


def _stray_quotes(text: str, starts: list[int], records: list, delim: str, width: int) -> set[int]:
    """The first lines of the records read over several lines whose every line, read alone, is a record of
    the header's width (its quotes read as quotes or as plain characters): two stray quotes, not a value
    holding line breaks. A real multi-line value (an address over two lines) leaves a line of other width."""
    return {first for first, row, err, last in records
            if err is None and last > first and all(_reads_as_record(_line_text(text, starts, n), delim, width)
                                                    for n in range(first, last + 1))}


def _line_text(text: str, starts: list[int], n: int) -> str:
    """Physical line n of text (1 is the first), without its line break."""
    return text[starts[n - 1]:starts[n] if n < len(starts) else len(text)].rstrip("\r\n")


def _reads_as_record(line: str, delim: str, width: int) -> bool:
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):
        try:
            if len(next(csv.reader([line], delimiter=delim, quoting=quoting), [])) == width:
                return True
        except csv.Error:
            pass
    return False


def _header(path: Path, records: list, header_row: int | None, expected: set[str]) -> tuple[int, list[str]]:
    """The header's position among the records, and its unique names fitted to the rows' width."""
    # the header among the records read whole (a broken title line above it is no candidate)
    good = [i for i, (_, r, _, _) in enumerate(records[:HEADER_SEARCH]) if r is not None]
    if header_row is not None:
        found = [i for i in good if records[i][0] == header_row]
    else:
        h = find_header([records[i][1] for i in good], expected, None)
        found = [good[h]] if h < len(good) else []
    if not found:
        raise FileError(path, header_row or 1, "no header row found")
    h = found[0]
    sample = [r for line, r, _, _ in records[h + 1:] if r is not None and line <= HEADER_SEARCH]  # as read_csv's
    return h, unique_headers(fit_width(records[h][1], sample))
