"""Reads workbooks (XLSX, XLS, XLSB, ODS) with calamine; a record's line is its spreadsheet row number."""
from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook, PasswordError, SheetVisibleEnum

from pipelines.readers.base import FileError, RawTable, frame_from_rows, unique_headers
from pipelines.readers.delimited import HEADER_SEARCH, binary_kind, find_header, header_key, naming_count


def cell_text(value: object) -> str | None:
    """Excel cells as the text a steward sees: 13800138000.0 -> '13800138000', dates ISO."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, dt.datetime):
        # a time of day alone is a date-time on day 0 of the spreadsheet's calendar in OpenDocument
        return value.time().isoformat() if value.date() == _DAY_ZERO else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


_DAY_ZERO = dt.date(1899, 12, 30)


def _mapped_headers(book: CalamineWorkbook, shown: list[int], expected: set[str]) -> tuple[dict[int, set[str]], int]:
    """Per sheet, the mapped columns (their delimited.header_key) its header row names (the first rows' row
    naming the most), and the sheet naming the most (the first among equals)."""
    wanted = {header_key(e) for e in expected}
    named = {}
    for i in shown:
        rows = [[cell_text(v) for v in row] for row in book.get_sheet_by_index(i).to_python(nrows=HEADER_SEARCH)]
        index = naming_count(rows, expected)[0]
        named[i] = set() if index is None else wanted & {header_key(c) for c in rows[index] if c is not None}
    return named, max(shown, key=lambda i: (len(named[i]), -i))


def _visible(book: CalamineWorkbook) -> list[int]:
    """The indexes of the sheets a reader of the workbook sees: hidden ones (an old copy, a lookup list) are
    not records to load, unless every sheet is hidden."""
    shown = [i for i, meta in enumerate(book.sheets_metadata) if meta.visible == SheetVisibleEnum.Visible]
    return shown or list(range(len(book.sheet_names)))


def _default_sheet(sheet: str | int, header_row: int | None, expected: set[str]) -> bool:
    """Whether the sheet is the source's default: found by the columns it names, not configured."""
    return not isinstance(sheet, str) and sheet == 0 and header_row is None and bool(expected)


def _sheet(book: CalamineWorkbook, sheet: str | int, expected: set[str], header_row: int | None):
    """The configured sheet; when that is the default (the first, header row found by name), the first of the
    visible sheets naming the most mapped columns (exports often open with a cover, summary or instructions
    sheet, which may name a column or two)."""
    if isinstance(sheet, str):
        return book.get_sheet_by_name(sheet)
    if not _default_sheet(sheet, header_row, expected):
        return book.get_sheet_by_index(sheet)
    shown = _visible(book)
    if len(shown) == 1:
        return book.get_sheet_by_index(shown[0])
    return book.get_sheet_by_index(_mapped_headers(book, shown, expected)[1])


def data_sheets(path: Path, sheet: str | int, header_row: int | None, expected: set[str],
                required: list[tuple[str, ...]]) -> tuple[list[str], list[str]]:
    """The sheets of a workbook that each hold records, when there are several, and notes on the sheets left
    out. Read as the source's default (the first sheet, header found by name): the sheet naming the most mapped
    columns, and every other visible sheet whose header row names two or more and has each required column (a
    workbook split into one sheet per region or owner, or at Excel's row limit; a later sheet may hold fewer
    columns). Cover, instructions and summary sheets name fewer; a lookup list (Country, State) lacks the required
    columns, and a note names it. No sheets: read the one sheet read_workbook picks (a single sheet, a configured
    one, or a workbook calamine cannot open)."""
    if not _default_sheet(sheet, header_row, expected) or oversized_sheets(path):   # read_workbook refuses it
        return [], []
    try:
        book = open_book(path)
        shown = _visible(book)
        if len(shown) < 2:
            return [], []
        named, best = _mapped_headers(book, shown, expected)
    except Exception:  # an unreadable workbook: read_workbook names the problem
        return [], []
    chosen, notes = [], []
    for i in shown:
        # the required columns are among the expected ones (ingest._expected_headers), so among those named
        missing = [" or ".join(options) for options in required
                   if not any(header_key(c) in named[i] for c in options)]
        if i == best or len(named[i]) >= 2 and not missing:
            chosen.append(book.sheet_names[i])
        elif len(named[i]) >= 2:
            notes.append(f"sheet {book.sheet_names[i]} not read: it names {len(named[i])} mapped columns but not "
                         f"{', '.join(missing)}")
    return (chosen, notes) if len(chosen) > 1 else ([], notes)


def open_book(path: Path) -> CalamineWorkbook:
    """The workbook, opened as what the file holds whatever its name's ending says (an .xls saved under an .xlsx
    name is read as the .xls it is). By its name when that fits (calamine's errors then say more: a password)."""
    kind = workbook_kind(path)
    if not kind or path.suffix in _SUFFIXES[kind]:   # calamine takes the endings in lower case only
        return CalamineWorkbook.from_path(str(path))
    with path.open("rb") as fh:
        return CalamineWorkbook.from_filelike(fh)


_SUFFIXES = {"xls": (".xls",), "xlsx": (".xlsx", ".xlsm"), "xlsb": (".xlsb",), "ods": (".ods",)}


def workbook_kind(path: Path) -> str:
    """The kind of workbook the file holds, from its bytes: xls (an OLE file), xlsb, ods or xlsx (a ZIP file,
    told apart by its parts); '' for anything else."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE):
        return "xls"
    if not head.startswith(b"PK"):
        return ""
    try:
        with zipfile.ZipFile(path) as book:
            names = set(book.namelist())
    except (zipfile.BadZipFile, OSError):
        return ""
    return "xlsb" if "xl/workbook.bin" in names else "ods" if "content.xml" in names else "xlsx"


# What the reader cannot take from a workbook of each kind (the XLSX's own XML gives them); said in its notes
NOT_READ = {
    "xls": "an Excel 97-2003 workbook: number formats are not applied (a ZIP code formatted 00000 reads 2134)",
    "xlsb": "an Excel binary workbook: merged cells and number formats are not read (a header over two rows is "
            "the row naming the most columns; a section heading or a value merged over rows is a row like any "
            "other)",
    "ods": "an OpenDocument workbook: number formats are not applied (a ZIP code formatted 00000 reads 2134)",
}
TEXT_AS_XLS = "a delimited text file under an .xls name (a web system's 'export to Excel'): read as text"
_OLE = b"\xd0\xcf\x11\xe0"
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")   # the stream a password-protected XLSX's OLE file holds


def _markup(head: bytes) -> str | None:
    """What a file starting with markup is: the HTML table, the Excel 2003 XML or the web archive that a web
    system's 'export to Excel' writes under an Excel name (Excel opens each, with a warning)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"mime-version:"):
        return ("a web page archive (MHTML) saved with an Excel name: open it in Excel or WPS and save it as .xlsx, "
                "or export CSV")
    if b"urn:schemas-microsoft-com:office:spreadsheet" in text and text.startswith(b"<?xml"):
        return "an Excel 2003 XML spreadsheet saved with an Excel name: open it in Excel or WPS and save it as .xlsx"
    if text.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta", b"<head", b"<style", b"<body")):
        return ("an HTML or XML page saved with an Excel name (a web system's 'export to Excel' writes an HTML "
                "table so): open it in Excel or WPS and save it as .xlsx, or export CSV")
    return None


def delimited_text(path: Path) -> bool:
    """Whether a file is text (tab- or comma-separated, as many web systems' 'export to Excel' writes under an
    .xls name) rather than a workbook or markup: no workbook's or archive's signature, no NUL byte or other
    control character but tab, line breaks and a DOS end-of-file mark (UTF-16 text, as Excel saves 'Unicode
    text', has its BOM)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return False
    if not head.strip() or binary_kind(head) or _markup(head):
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f]", head)


def _what_it_is(path: Path) -> str:
    """What a file that is no workbook calamine reads looks like, from its first bytes: the usual cases have
    their own fix."""
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(_OLE):
        if _ENCRYPTED in path.read_bytes():
            return "a password-protected (encrypted) workbook: save it without a password, as .xlsx"
        return ("an OLE file that is no readable .xls: a password-protected .xls, a damaged one, or another Office "
                "document (Word?)")
    return _markup(head) or not_this_format(path, head, "workbook") or "corrupt, or not a workbook"


def not_this_format(path: Path, head: bytes, what: str) -> str | None:
    """What a file that cannot be read in its format is, when it is empty or delimited text (a CSV export under
    a workbook's or a Parquet file's name); None otherwise."""
    if not head:
        return "the file is empty (0 bytes): the export was cut off or is still being copied; deliver it again"
    first = head.split(b"\n", 1)[0]
    if delimited_text(path) and re.search(rb"[,;\t|]", first):
        return (f"delimited text (a CSV export?) under a {what}'s name: give it its .csv ending, or deliver the "
                f"{what} itself")
    return None


# Elements with or without a namespace prefix (<x:c> from the .NET OpenXML SDK), attributes in any order.
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_COMPUTED = re.compile(rb"<(?:\w+:)?v>")   # a value, empty or not ("<v></v>": the formula computed ""); "<v/>" none
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _sheet_paths(book: zipfile.ZipFile) -> dict[str, str | None]:
    """The path inside the workbook of each sheet, by name (workbook.xml names them, its relationships file says
    where each is); None for a sheet whose relationship is missing."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_REL))
        out[sheet.get("name")] = None if target is None else (
            target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target))
    return out


def uncomputed_formulas(path: Path, sheet_name: str) -> dict[int, str]:
    """{Excel row: first cell} of the cells holding a formula without a stored value: files written by a program
    (openpyxl, some exporters) rather than saved by Excel. calamine reads such a cell as empty, so a value would
    be lost silently; the rows are errors instead. Found in the same reading of the sheet's XML as its size
    (_sheet_facts)."""
    facts = _facts_of(path).get(sheet_name)
    return dict(facts[3]) if facts else {}


def _formulas(data: bytes) -> tuple[tuple[int, str], ...]:
    """(Excel row, first cell) of a sheet's uncomputed formulas (uncomputed_formulas). A sheet without formulas
    costs two substring searches ('<f' or a prefixed ':f' must be there for any)."""
    if not (b"<f" in data or b":f" in data) or not _FORMULA.search(data):
        return ()
    out: dict[int, str] = {}
    for cell in _CELL.finditer(data):
        body = cell.group(2) or b""
        ref = _REF.search(cell.group(1))
        if ref and _FORMULA.search(body) and not _COMPUTED.search(body):
            out.setdefault(int(ref.group(2)), (ref.group(1) + ref.group(2)).decode())
    return tuple(out.items())


# A sheet's cells are read into one rectangle, from its first used cell to its last: a stray value far from the
# data (XFD100000 in a sheet of 2 rows) would make it billions of cells, and the reader's allocation fails by
# aborting the process, not by an error Python can catch. Such a sheet is refused first: above this many cells
# when fewer than one in _SPARSE of them holds anything, and above _MAX_CELLS always.
_SPARSE = 20
_WIDE_CELLS = 20_000_000
_MAX_CELLS = 200_000_000
_ROW_TAG = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]+)"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


# A cell tag that is not empty (<c r="B7" t="s"><v>3</v></c>): a cell only formatted (<c r="A1048576" s="1"/>, a
# border drawn to the sheet's end) holds nothing, and the reader skips it
_VALUE_CELL = rb'<(?:\w+:)?c r="(%s)([0-9]+)"[^>]*(?<!/)>'


def _extent(data: bytes) -> tuple[int, int, int]:
    """(last row, last column, cells written) of a sheet's XML, by a few searches: the last row from the last
    cells holding something (from the row tags when cells carry no reference); the columns beyond Z looked at only
    when the sheet has any."""
    cells = re.compile(_VALUE_CELL % rb"[A-Z]{1,3}")
    last_row = (max((int(m.group(2)) for m in cells.finditer(data[-65536:])), default=0)
                or max((int(m.group(2)) for m in cells.finditer(data)), default=0)
                or max((int(m.group(1)) for m in _ROW_TAG.finditer(data)), default=0))
    last_column = 26
    for letters in (3, 2):
        wide = {m.group(1) for m in re.finditer(_VALUE_CELL % (rb"[A-Z]{%d}" % letters), data)}
        if wide:
            last_column = max(_column_number(m) for m in wide)
            break
    return last_row, last_column, data.count(b"<c ") + data.count(b":c ")


def oversized_sheets(path: Path) -> list[str]:
    """What is wrong with each sheet too large to read (see _SPARSE): its name, where its cells end and how
    many hold anything. A file that is no readable workbook gives none (the reader names its problem)."""
    out = []
    for name, (rows, columns, written, _) in _facts_of(path).items():
        cells = rows * columns
        if cells > _MAX_CELLS or cells > _WIDE_CELLS and cells > _SPARSE * max(written, 1):
            out.append(f"sheet {name} spans {cells:,} cells (to row {rows:,}, column {columns:,}) of which "
                       f"{written:,} are written: a value far from the data? Delete the rows and columns "
                       "beyond the data, save it again")
    return out


def _facts_of(path: Path) -> dict[str, tuple[int, int, int, tuple[tuple[int, str], ...]]]:
    try:
        stat = path.stat()
    except OSError:
        return {}
    return _sheet_facts(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _sheet_facts(path: str, _mtime: int, _size: int) -> dict[str, tuple[int, int, int, tuple[tuple[int, str], ...]]]:
    """Per sheet: its extent (last row, last column, cells written) and its uncomputed formulas, from one reading
    of its XML, for the file as it is (its time and size in the key): data_sheets, read_workbook and
    uncomputed_formulas all ask. Empty for a file that is no readable workbook."""
    out = {}
    try:
        with zipfile.ZipFile(path) as book:
            members = set(book.namelist())
            if "content.xml" in members and "xl/workbook.xml" not in members:   # OpenDocument
                return _ods_extents(book)
            for name, member in _sheet_paths(book).items():
                if member in members:
                    data = book.read(member)
                    out[name] = (*_extent(data), _formulas(data))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError, RuntimeError, NotImplementedError,
            zlib.error, EOFError):   # RuntimeError: encrypted; NotImplementedError: deflate64; zlib: corrupt
        return {}
    return out


def _ods_extents(book: zipfile.ZipFile) -> dict[str, tuple[int, int, int, tuple]]:
    """_sheet_facts of an OpenDocument workbook (calamine reads none before allocating a sheet's rectangle): per
    sheet its extent (last row and column holding anything, repeated rows and cells counted as they repeat) and
    its cells holding a value, by searches of content.xml. A sheet whose last row times its declared columns is
    below _WIDE_CELLS cannot be refused, and is not looked at row by row (its cells written are then that
    product)."""
    out, data = {}, book.read("content.xml")
    table = data.find(b"<table:table ")
    while table >= 0:
        opened = data.find(b">", table)
        closed = data.find(b"</table:table>", opened)
        closed = len(data) if closed < 0 else closed
        name = _ODS_NAME.search(data, table, opened)
        first_row = data.find(b"<table:table-row", opened, closed)
        declared = sum(_repeats(m.group(1)) for m in _ODS_COLUMN.finditer(data, opened, max(first_row, opened)))
        last = max(data.rfind(b"office:value-type=", opened, closed), data.rfind(b"<text:", opened, closed))
        last_row = 0 if last < 0 else (
            data.count(b"<table:table-row ", opened, last) + data.count(b"<table:table-row>", opened, last)
            + sum(int(n) - 1 for n in _ODS_ROWS_REPEATED.findall(data, opened, last)))
        key = html.unescape(name.group(1).decode("utf-8", "replace")) if name else ""
        out[key] = ((last_row, declared, last_row * declared, ()) if declared and last_row * declared <= _WIDE_CELLS
                    else _ods_rows(data, opened, closed))
        table = data.find(b"<table:table ", closed)
    return out


def _ods_rows(data: bytes, opened: int, closed: int) -> tuple[int, int, int, tuple]:
    """(last row, last column, cells written, ()) of the sheet between opened and closed in content.xml, row by
    row: the last cell holding anything in each row (a value, or text) and the cells repeated before it."""
    row = last_row = last_column = written = 0
    at = data.find(b"<table:table-row", opened, closed)
    while at >= 0:
        tag_end = data.find(b">", at)
        after = tag_end + 1
        if data[at + 16:at + 17] in (b" ", b">", b"/"):   # not <table:table-row-group> or <table:table-rows>
            repeated = _ODS_ROWS_REPEATED.search(data, at, tag_end)
            repeated = int(repeated.group(1)) if repeated else 1
            row += repeated
            if data[tag_end - 1:tag_end] != b"/":
                after = data.find(b"</table:table-row>", tag_end, closed)
                after = closed if after < 0 else after
                end = max(data.rfind(b"office:value-type=", tag_end, after), data.rfind(b"<text:", tag_end, after))
                if end >= 0:
                    column = (data.count(b"<table:table-cell", tag_end, end)
                              + data.count(b"<table:covered-table-cell", tag_end, end)
                              + sum(int(n) - 1 for n in _ODS_COLUMNS_REPEATED.findall(data, tag_end, end)))
                    last_row, last_column = row, max(last_column, column)
                    written += data.count(b"office:value-type=", tag_end, after) * repeated
        at = data.find(b"<table:table-row", after, closed)
    return last_row, last_column, written, ()


def _repeats(attributes: bytes) -> int:
    found = _ODS_COLUMNS_REPEATED.search(attributes)
    return int(found.group(1)) if found else 1


_ODS_NAME = re.compile(rb'\btable:name="([^"]*)"')
_ODS_COLUMN = re.compile(rb"<table:table-column(?=[\s/>])([^>]*)>")
_ODS_ROWS_REPEATED = re.compile(rb'number-rows-repeated="([0-9]+)"')
_ODS_COLUMNS_REPEATED = re.compile(rb'number-columns-repeated="([0-9]+)"')


def zero_padded_cells(path: Path, sheet_name: str) -> dict[tuple[int, int], int]:
    """{(row index, column index): digits} of the sheet's number cells whose format pads them with zeros (Excel's
    Zip Code format 00000, a 邮编 column formatted 000000): calamine reads the number (2134), a steward sees
    02134. Empty for a workbook without such a format (most), found without reading its sheets then."""
    try:
        stat = path.stat()
    except OSError:
        return {}
    return _zero_padded(str(path), stat.st_mtime_ns, stat.st_size).get(sheet_name, {})


_ATTRIBUTE = re.compile(rb'\b(r|s|t)="([^"]*)"')


@lru_cache(maxsize=16)
def _zero_padded(path: str, _mtime: int, _size: int) -> dict[str, dict[tuple[int, int], int]]:
    out: dict[str, dict[tuple[int, int], int]] = {}
    try:
        with zipfile.ZipFile(path) as book:
            styles = _padding_styles(book)
            if not styles:
                return {}
            members = set(book.namelist())
            for name, member in _sheet_paths(book).items():
                if member not in members:
                    continue
                cells = {}
                styled = rb"|".join(str(i).encode() for i in styles)   # only the cells of those styles are looked at
                for tag in re.finditer(rb'<(?:\w+:)?c\b([^>]*\bs="(?:%s)"[^>]*)>' % styled, book.read(member)):
                    attributes = dict(_ATTRIBUTE.findall(tag.group(1)))
                    width = styles.get(int(attributes.get(b"s", b"0") or 0))
                    ref = re.fullmatch(rb"([A-Z]{1,3})([0-9]+)", attributes.get(b"r", b""))
                    if width and ref and attributes.get(b"t", b"n") == b"n":
                        cells[(int(ref.group(2)) - 1, _column_number(ref.group(1)) - 1)] = width
                out[name] = cells
    except (KeyError, ValueError, zipfile.BadZipFile, ElementTree.ParseError, OSError, RuntimeError,
            NotImplementedError, zlib.error, EOFError):
        return {}
    return out


def _padding_styles(book: zipfile.ZipFile) -> dict[int, int]:
    """{cell style index: digits} of the styles whose number format is zeros alone (00000)."""
    try:
        styles = ElementTree.fromstring(book.read("xl/styles.xml"))
    except KeyError:
        return {}
    codes = {f.get("numFmtId"): f.get("formatCode") or "" for f in styles.iter(f"{_MAIN}numFmt")}
    formats = styles.find(f"{_MAIN}cellXfs")
    return {i: len(codes[xf.get("numFmtId")]) for i, xf in enumerate(formats if formats is not None else [])
            if re.fullmatch(r"0{2,}", codes.get(xf.get("numFmtId"), ""))}


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")


def ods_merges(path: Path, sheet_name: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The merged cells of an OpenDocument sheet, as calamine gives an XLSX's ((top, left), (bottom, right)),
    0-based: calamine reads none from .ods, its content.xml says where they are (a cell spanning rows or columns;
    repeated rows and cells counted as they repeat). An ODS without any costs one substring search."""
    try:
        with zipfile.ZipFile(path) as book:
            content = book.read("content.xml")
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, zlib.error, EOFError):
        return []
    if b"-spanned=" not in content:
        return []
    merges, inside, row, column = [], False, 0, 0
    try:
        for event, element in ElementTree.iterparse(io.BytesIO(content), events=("start", "end")):
            tag = element.tag
            if tag == f"{_TABLE}table":
                inside = event == "start" and element.get(f"{_TABLE}name") == sheet_name
                if not inside and event == "end" and merges:
                    break
            elif not inside:
                continue
            elif tag == f"{_TABLE}table-row":
                column = 0
                if event == "end":
                    row += int(element.get(f"{_TABLE}number-rows-repeated", 1))
                    element.clear()
            elif tag in _CELLS and event == "start":
                down = int(element.get(f"{_TABLE}number-rows-spanned", 1))
                across = int(element.get(f"{_TABLE}number-columns-spanned", 1))
                if down > 1 or across > 1:
                    merges.append(((row, column), (row + down - 1, column + across - 1)))
            elif tag in _CELLS:
                column += int(element.get(f"{_TABLE}number-columns-repeated", 1))
    except (ElementTree.ParseError, ValueError):
        return []
    return merges


# An Excel 5.0/95 (BIFF5) workbook's globals start with this BOF record; its text is 8-bit, in the code page its
# CODEPAGE record names. calamine reads the single-byte code pages (1252 …) but not the double-byte ones of
# Chinese, Japanese and Korean Windows: each character would come out as U+FFFD and a NUL.
_BIFF5_BOF = b"\x09\x08\x08\x00\x00\x05\x05\x00"
_CODEPAGE = re.compile(rb"\x42\x00\x02\x00(..)", re.S)
_DOUBLE_BYTE = {932: "Shift-JIS, Japanese", 936: "GBK, Chinese", 949: "Korean", 950: "Big5, Chinese"}


def double_byte_excel95(path: Path) -> str | None:
    """The code page of an Excel 5.0/95 .xls written in a double-byte one (a GBK-era workbook), which calamine
    would read as garbage; None for any other file."""
    data = path.read_bytes()
    start = data.find(_BIFF5_BOF)
    found = _CODEPAGE.search(data, start, start + 512) if start >= 0 else None
    page = int.from_bytes(found.group(1), "little") if found else 0
    return f"{page} ({_DOUBLE_BYTE[page]})" if page in _DOUBLE_BYTE else None


def _unreadable(path: Path, exc: Exception) -> FileError:
    if isinstance(exc, PasswordError):
        return FileError(path, None, "a password-protected (encrypted) workbook: save it without a password")
    if "Cell limit exceeded" in str(exc):   # calamine's own guard (.ods, .xlsb): its message holds counts only
        counts = str(exc).partition("(")[2].rstrip(")")
        return FileError(path, None, f"a sheet spans too many cells to read ({counts}): a value far from the data? "
                                     "Delete the rows and columns beyond the data, save it again")
    return FileError(path, None, f"not a readable workbook ({type(exc).__name__}): {_what_it_is(path)}")


def read_workbook(path: Path, sheet: str | int, header_row: int | None, expected: set[str]) -> RawTable:
    """The records of a workbook of any kind calamine reads (XLSX, XLS, XLSB, ODS), read as what the file holds.
    What only an XLSX's XML gives (a stray cell far from the data refused before reading, formulas without a
    stored value, zero-padding number formats) is looked for in XLSX files; merged cells in XLSX, XLS (both from
    calamine) and ODS (ods_merges)."""
    oversized = oversized_sheets(path)
    if oversized:
        raise FileError(path, None, "; ".join(oversized))
    kind = workbook_kind(path)
    page = double_byte_excel95(path) if kind == "xls" else None
    if page:
        raise FileError(path, None, f"an Excel 5.0/95 workbook whose text is in code page {page}, which cannot be "
                                    "read faithfully: open it in Excel or WPS and save it as .xlsx")
    try:
        book = open_book(path)
    except Exception as exc:  # calamine raises its own error types for corrupt or non-workbook files
        raise _unreadable(path, exc) from None
    if isinstance(sheet, str) and sheet not in book.sheet_names:
        raise FileError(path, None, f"no sheet named '{sheet}' (sheets: {', '.join(book.sheet_names)}): set sheet "
                                    "in sources.yaml")
    if isinstance(sheet, int) and not 0 <= sheet < len(book.sheet_names):
        raise FileError(path, None, f"no sheet number {sheet} (the workbook has {len(book.sheet_names)}, the first "
                                    "is 0): set sheet in sources.yaml")
    try:
        ws = _sheet(book, sheet, expected, header_row)
        grid = ws.to_python(skip_empty_area=False)
    except Exception as exc:
        raise _unreadable(path, exc) from None
    if header_row is not None and header_row > len(grid):
        raise FileError(path, header_row, f"header_row {header_row} is below the sheet's last row ({len(grid)}) "
                                          f"in sheet {ws.name}")
    # text cells (most of them) taken as they are, without a call each
    cells = [[(v or None) if type(v) is str else cell_text(v) for v in row] for row in grid]
    for (r, c), digits in zero_padded_cells(path, ws.name).items():   # 2134 formatted 00000 is the ZIP code 02134
        if r < len(cells) and c < len(cells[r]) and isinstance(cells[r][c], str) and cells[r][c].isdigit():
            cells[r][c] = cells[r][c].zfill(digits)
    # a row of spaces alone (ASCII or the full-width U+3000 a Chinese input method types) is a blank row
    nonempty = [i for i, row in enumerate(cells) if any(c is not None and (type(c) is not str or c.strip())
                                                        for c in row)]
    if not nonempty:
        raise FileError(path, 1, "sheet is empty")
    h = find_header([cells[i] for i in nonempty[:HEADER_SEARCH]], expected, header_row)
    h_index = nonempty[h] if header_row is None else header_row - 1
    merges = ws.merged_cell_ranges or (ods_merges(path, ws.name) if kind == "ods" else [])
    first_header, h_index, header_cells = _header_rows(merges, cells, h_index)
    headers = unique_headers(header_cells)
    width = len(headers)
    # the table's own columns: up to its last named header (the used range may reach further, a note beside the
    # title in column G widening every row)
    named = 1 + max((i for i, v in enumerate(header_cells) if v is not None and str(v).strip()), default=width - 1)
    merged, headings = _fill_merged(merges, cells, h_index, named)
    uncomputed = uncomputed_formulas(path, ws.name)
    rows, lines, errors = [], [], []
    # a row of formulas alone reads as empty: it is a row all the same (an error, below)
    formula_rows = {r - 1 for r in uncomputed if r - 1 > h_index}
    for i in sorted(formula_rows.union(nonempty)):
        if i > h_index and i not in headings:
            row = cells[i] if i < len(cells) else []
            rows.append((row + [None] * width)[:width])
            lines.append(i + 1)
            cell = uncomputed.get(i + 1)
            errors.append(None if cell is None else f"cell {cell} holds a formula without a stored value (the file "
                                                    "was not saved by Excel): open it in Excel and save it")
    notes = [f"sheet {ws.name} (of {', '.join(book.sheet_names)})"]
    notes += [NOT_READ[kind]] if kind in NOT_READ else []
    shown = _visible(book)
    hidden = [n for i, n in enumerate(book.sheet_names) if i not in shown and n != ws.name]
    notes += [f"hidden sheet(s) not read: {', '.join(hidden)}"] if hidden else []
    notes += [f"{merged} merged cell range(s) below the header: each row of a range read as its first cell, in "
              "its first column"] if merged else []
    notes += [f"row(s) {', '.join(str(i + 1) for i in sorted(headings))} not read: one cell merged across every "
              "column (a section heading, not a record)"] if headings else []
    notes += [f"header written over rows {first_header + 1}-{h_index + 1} (merged cells): each column named by its "
              "lowest header cell"] if first_header < h_index else []
    return RawTable(headers, frame_from_rows(headers, rows, lines, errors), h_index + 1, notes)


def _header_rows(merges: list, cells: list[list], h_index: int) -> tuple[int, int, list]:
    """(first header row, last header row, the header's cells) of a header written over two rows, as Chinese
    reports draw it: 客户名称 and 手机 merged down over both rows, 联系方式 merged across above 邮箱 and 地址. Each
    column is named by its lowest header cell (邮箱, not 联系方式; 客户名称 from its merged cell above), and the
    records start below the second row. A header of one row is returned as it is (h_index twice)."""
    ranges = [((t, l), (b, r)) for (t, l), (b, r) in merges if t < len(cells) and l < len(cells[t])]
    down = [(t, b) for (t, l), (b, r) in ranges if t < b and t <= h_index <= b and b - t == 1]
    across = [(l, r) for (t, l), (b, r) in ranges if t == b == h_index and r > l]
    below = cells[h_index + 1] if h_index + 1 < len(cells) else []
    # merged down from the row above into the header, or down from the header into the next row; or a group
    # merged across the header with a text under each of its columns and nothing under the other columns (a
    # record under a merged 地址 header fills the other columns too)
    grouped = {c for l, r in across for c in range(l, r + 1)}
    if any(t == h_index - 1 for t, _ in down):
        top, bottom = h_index - 1, h_index
    elif any(t == h_index for t, _ in down) or across and all(
            c < len(below) and isinstance(below[c], str) and below[c].strip() for c in grouped) and not any(
            v is not None and str(v).strip() for c, v in enumerate(below) if c not in grouped):
        top, bottom = h_index, h_index + 1
    else:
        return h_index, h_index, cells[h_index]
    width = max(len(cells[top]), len(cells[bottom]))
    named = []
    for c in range(width):
        lower = cells[bottom][c] if c < len(cells[bottom]) else None
        upper = cells[top][c] if c < len(cells[top]) else None
        named.append(lower if lower is not None and str(lower).strip() else upper)
    return top, bottom, named


def _fill_merged(merges: list, cells: list[list], h_index: int, width: int) -> tuple[int, set[int]]:
    """Cells merged below the header (one 省市区 over three customers' rows) hold their value in the first cell
    only: each row of such a range gets it, in the range's first column. A range merged across columns (one
    address over Street, City and State) is one value of its first column, as a reader of the sheet sees it: the
    other columns stay empty, never copies of it (a street read as the city and the province). Ranges in or
    above the header (a title merged across the columns) are left. A row that is one cell merged across every
    column up to the last named one, width (华南区 over a region's customers), is a section heading. The number of
    ranges filled, and the headings' row indexes."""
    filled, headings = 0, set()
    for (top, left), (bottom, right) in merges:
        if top <= h_index or top >= len(cells) or left >= len(cells[top]):
            continue
        if top == bottom and left == 0 and right >= width - 1 > 0:
            headings.add(top)
            continue
        value = cells[top][left]
        for r in range(top, min(bottom, len(cells) - 1) + 1):
            if left < len(cells[r]):
                cells[r][left] = value
        filled += 1
    return filled, headings
