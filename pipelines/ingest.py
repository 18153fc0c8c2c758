"""Reads a night's landed exports of every source into raw_customers rows and a per-file ledger."""
from __future__ import annotations

import difflib
import errno
import json
import os
import re
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines import collector, workers
from pipelines.interrupts import is_interrupt
from pipelines.readers import FileError, RawTable, read_file
from pipelines.readers.base import AS_READ, ERROR, LINE, REPEATED, UNPLACED, WORKBOOKS, file_format
from pipelines.readers.excel import data_sheets
from pipelines.readers.delimited import HEADER_SEARCH, header_key
from pipelines.rules import MAPPABLE_FIELDS, Source
from pipelines.warehouse.store import ident, sql

SEP = "chr(31)"


@dataclass
class IngestResult:
    raw: pa.Table         # raw_customers rows (without partition_date and run_id)
    files: pd.DataFrame   # the ingest_files ledger


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _clean(col: str) -> str:
    return f"nullif(trim({ident(col)}::varchar), '')"


# Codes a spreadsheet export marks as text with a leading apostrophe (Shopify writes '7291234567890 and
# '+16135550123): the mark is not part of the id, phone or postcode. Names keep theirs ('t Hooft).
MARKED_AS_TEXT = ("phone", "postcode", "national_id")


def _unmarked(expression: str) -> str:
    return f"regexp_replace({expression}, '^''([0-9A-Za-z+])', '\\1')"


def _field_value(field: str, col: str) -> str:
    return _unmarked(_clean(col)) if field in MARKED_AS_TEXT else _clean(col)




def _not_placeholder(value: str, placeholders: tuple[str, ...]) -> str:
    """value, or null where it is one of the placeholders (case ignored)."""
    if not placeholders:
        return value
    listed = "[" + ", ".join(literal(p) for p in placeholders) + "]"
    return f"case when list_contains({listed}, lower({value})) then null else {value} end"


# From this many unmapped columns on, and from one per WIDE_ROWS rows, their extra JSON is built by unpivoting
# the file (wide_extra_sql): DuckDB's planning of one expression per column grows with the square of their number
# (1,000 columns 2 s, 2,000 13 s, 10,000 six minutes), where the unpivot takes 2 s for 10,000. Per cell the
# unpivot costs twice the expressions (400 columns of 100,000 rows: 21 s against 10 s), so a long file keeps them.
WIDE_EXTRA = 1000
WIDE_ROWS = 12


def wide_extra_sql(headers: list[str]) -> str:
    """The extra JSON members of the given columns, per "__line" (_wide_line, _wide_members), from the file
    unpivoted: one row per cell, members in the columns' order (_wide_order: k, ord)."""
    kept = ", ".join(ident(h) for h in ["__line"] + headers)
    return f"""
        with cells as (
            unpivot (select {kept} from _file) on columns(* exclude ("__line")) into name k value v
        )
        select "__line" as _wide_line,
               string_agg(to_json(k)::varchar || ':' || to_json(nullif(trim(v::varchar), '')), ',' order by o.ord)
                   as _wide_members
        from cells join _wide_order as o using (k)
        where nullif(trim(v::varchar), '') is not null
        group by "__line"
    """


def mapping_sql(source: Source, headers: list[str], rows: int = 0, unplaced: bool = False) -> tuple[str, list[str]]:
    """The SQL mapping a file (_file) of so many rows to raw_customers' columns, and the unmapped columns whose
    extra JSON comes from _wide_extra (wide_extra_sql) when there are many (WIDE_EXTRA, WIDE_ROWS), else none.
    With unplaced, the file has an UNPLACED column: a malformed record's content as read goes to its extra."""
    by_key = {header_key(h): h for h in reversed(headers)}
    repeats: dict[str, list[str]] = {}
    for h in headers:
        if (repeat := REPEATED.fullmatch(h)) is not None:
            repeats.setdefault(repeat.group(1).casefold(), []).append(h)
    used: set[str] = set()
    fields, extra_entries = [], []
    for field in MAPPABLE_FIELDS:
        cols = [by_key[header_key(c)] for c in source.columns.get(field, []) if header_key(c) in by_key]
        # a header the file repeats (two Email columns: Email, Email__2 by unique_headers): its repeats are
        # the field's next columns, the first holding a value wins
        cols = list(dict.fromkeys(r for c in cols for r in [c, *repeats.get(c.casefold(), [])]))
        used.update(cols)
        values = [_field_value(field, c) for c in cols]
        # several columns (手机, 电话): the first holding a value wins, a placeholder (无, N/A) holding none; when
        # they all hold placeholders, the first as written
        given = [_not_placeholder(v, source.placeholders) for v in values] if len(cols) > 1 else values
        fields.append(f"coalesce({', '.join(given + values[:1] if len(cols) > 1 else values)}) as {field}" if cols
                      else f"null::varchar as {field}")
        for j, col in enumerate(cols[1:], start=1):  # a second phone column is kept when the first one won
            before = ", ".join(given[:j])
            extra_entries.append((col, f"case when coalesce({before}) is not null then {_clean(col)} end"))
    id_header = next((by_key[header_key(h)] for h in source.record_id if header_key(h) in by_key), None)
    if id_header:
        used.add(id_header)
    unused = [h for h in headers if h not in used]
    wide = unused if len(unused) >= WIDE_EXTRA and len(unused) * WIDE_ROWS >= rows else []
    extra_entries += [] if wide else [(h, _clean(h)) for h in unused]
    # the JSON object of the non-empty values, written as text: concat_ws skips the null members (a quarter
    # of the cost of building a map of them and converting it)
    members = [f"case when {v} is not null then {literal(json.dumps(k, ensure_ascii=False) + ':')} "
               f"|| to_json({v}) end" for k, v in extra_entries] + (["_w._wide_members"] if wide else [])
    if unplaced:   # JSON text already (base.as_read)
        members.append(f"case when {ident(UNPLACED)} is not null then "
                       f"{literal(json.dumps(AS_READ, ensure_ascii=False) + ':')} || {ident(UNPLACED)} end")
    extra = f"('{{' || concat_ws(',', {', '.join(members)}) || '}}')::json" if members else "'{}'::json"
    if id_header:
        # a numeric id a spreadsheet wrote as a float (8102.0) is the id 8102
        column = _unmarked(_clean(id_header))
        record_id = f"regexp_replace({column}, '^([0-9]+)\\.0+$', '\\1')"
    else:
        parts = f" || {SEP} || ".join(f"coalesce({_field_value(f, by_key[header_key(c)])}, '')"
                                  for f in source.surrogate_key for c in source.columns[f] if header_key(c) in by_key)
        parts = parts or "''"
        record_id = (f"case when \"__error\" is null then 'sk-' || substr(sha256({literal(source.name)} || {SEP} || "
                     f"{parts}), 1, 20) end")
    final_id = salesforce_18("record_id") if source.record_id_format == "salesforce" else "record_id"
    # qualified: a file may have columns of any name, _wide_line among them
    rows = '_file left join _wide_extra as _w on _file."__line" = _w._wide_line' if wide else "_file"
    return sql("map_source_columns").format(
        fields=",\n        ".join(fields), extra=extra, record_id=record_id, final_id=final_id,
        surrogate="false" if id_header else "true", rows=rows,
    ), wide


_SALESFORCE_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_18(column: str) -> str:
    """A Salesforce id in its 18-character form: a 15-character id (reports, the UI, formulas) gets the three
    characters that encode the case of its letters, as Salesforce computes them, so 0035g00000A1b2c and
    0035g00000A1b2cAAB are one record."""
    chunks = []
    for chunk in range(3):
        bits = " + ".join(f"(case when substr({column}, {chunk * 5 + i + 1}, 1) between 'A' and 'Z' then {1 << i} "
                          "else 0 end)" for i in range(5))
        chunks.append(f"substr('{_SALESFORCE_SUFFIX}', 1 + {bits}, 1)")
    return (f"case when regexp_full_match({column}, '[a-zA-Z0-9]{{15}}') then {column} || {' || '.join(chunks)} "
            f"else {column} end")


def _closest_headers(missing: list[tuple[str, ...]], headers: list[str]) -> str:
    """A hint naming the file's headers closest to the missing ones ('LastName': the file has 'Last_Name'), for a
    mapping in sources.yaml; headers only, never a value. missing: each column's accepted headers."""
    def fold(header: str) -> str:
        return re.sub(r"[\s_\-.]", "", header.casefold())
    folded = {fold(h): h for h in headers}
    close = []
    for options in missing:
        found = [f for c in options for f in difflib.get_close_matches(fold(c), list(folded), n=1, cutoff=0.75)]
        if found:
            close.append(f"{options[0]}: the file has '{folded[found[0]]}'")
    return ("; closest headers: " + ", ".join(close) + " (a report or another export layout? map them in "
            "sources.yaml)") if close else ""


def _above_header_note(table: RawTable, line: str) -> str | None:
    """The note for a file whose header was found below its first line (or row, `line`): the lines above it (a
    title, the filters of a report, blank lines) are not records, and are not read."""
    above = table.header_line - 1
    if above < 1:
        return None
    lines = f"{line} 1" if above == 1 else f"{line}s 1-{above}"
    return f"{lines} above the header ({line} {table.header_line}) not read"


def absent_fields_note(table: RawTable, source: Source) -> str | None:
    """The note for a file in which some mapped fields have none of their headers: the fields, their headers,
    and the file's closest unmapped header (a typo in sources.yaml, a renamed column); headers only."""
    present = {header_key(h) for h in table.headers}
    mapped = {header_key(c) for cols in source.columns.values() for c in cols} | {header_key(c) for c in source.record_id}
    unmapped = [h for h in table.headers if header_key(h) not in mapped]
    absent = [(field, cols) for field, cols in source.columns.items() if cols
              and not any(header_key(c) in present for c in cols)]
    if not absent:
        return None
    parts = []
    for field, cols in absent:
        hint = _closest_headers([tuple(cols)], unmapped)
        close = hint.split("the file has ", 1)[1].split(" (a report", 1)[0] if hint else None
        parts.append(f"{field} ({' / '.join(cols[:3])}{' / …' if len(cols) > 3 else ''}"
                     f"{'; closest header: ' + close if close else ''})")
    return ABSENT_FIELDS + ", ".join(parts)


ABSENT_FIELDS = "mapped fields with none of their headers in the file, left empty: "


def surrogate_gap_note(table: RawTable, source: Source) -> str | None:
    """The note for a file lacking a column a surrogate id is hashed from (a renamed 创建时间): its records' ids
    differ from those of files that have it, so a record delivered both ways is two records to the masters."""
    present = {header_key(h) for h in table.headers}
    if any(header_key(h) in present for h in source.record_id):   # the file has its ids: nothing is hashed
        return None
    gaps = [f"{field} ({' / '.join(source.columns[field])})" for field in source.surrogate_key
            if source.columns.get(field) and not any(header_key(c) in present for c in source.columns[field])]
    return SURROGATE_GAP + ", ".join(gaps) if gaps else None


SURROGATE_GAP = "surrogate ids hashed without "


def check_columns(path: Path, table: RawTable, source: Source) -> None:
    present = {header_key(h) for h in table.headers}
    absent = [options for options in dict.fromkeys(source.required_headers())
              if not any(header_key(c) in present for c in options)]
    if not absent:
        return
    missing = [" or ".join(options) for options in absent]
    sheets = "".join("; " + n for n in table.notes if n.startswith("sheet "))
    if not present & {header_key(c) for c in _expected_headers(source)} and source.header_row is not None:
        raise FileError(path, source.header_row, f"missing required column(s) {', '.join(missing)}: the header row "
                                                 f"set in sources.yaml (header_row: {source.header_row}) names no "
                                                 "column of the source's mapping: is the header on another row? "
                                                 f"(leave header_row out to have it found){sheets}")
    if not present & {header_key(c) for c in _expected_headers(source)} and file_format(path, source.format) in (
            "jsonl", "parquet"):
        keys = ", ".join(table.headers[:10]) + (", …" if len(table.headers) > 10 else "")
        raise FileError(path, None, f"missing required column(s) {', '.join(missing)}: no key or column of the "
                                    f"source's mapping in the file (it has: {keys}); a JSON file whose records are "
                                    "wrapped in an object ({\"users\": [...]}: an API response) is read as one "
                                    "record: deliver the export itself (JSON Lines, or one array of objects)")
    if not present & {header_key(c) for c in _expected_headers(source)}:
        raise FileError(path, None, f"missing required column(s) {', '.join(missing)}: no header row, none of the "
                                    f"first {HEADER_SEARCH} rows names a column of the source's mapping (set "
                                    f"header_row in sources.yaml if the header is further down; an export in "
                                    f"another language needs its headers in the mapping){sheets}")
    raise FileError(path, table.header_line or None,
                    f"missing required column(s) {', '.join(missing)} (header has {len(table.headers)} columns"
                    f"{sheets}){_closest_headers(absent, table.headers)}")


def map_file(con: duckdb.DuckDBPyConnection, table: RawTable, source: Source) -> pa.Table:
    query, wide = mapping_sql(source, table.headers, table.frame.num_rows, UNPLACED in table.frame.column_names)
    con.register("_file", table.frame)
    try:
        if wide:
            con.register("_wide_order", pa.table({"k": pa.array(wide, pa.string()),
                                                  "ord": pa.array(range(len(wide)), pa.int64())}))
            con.execute(f"create or replace temp table _wide_extra as {wide_extra_sql(wide)}")
        return con.sql(query).to_arrow_table()
    finally:
        con.unregister("_file")
        if wide:
            con.unregister("_wide_order")
            con.execute("drop table if exists _wide_extra")


def _expected_headers(source: Source) -> set[str]:
    return ({c for cols in source.columns.values() for c in cols} | set(source.record_id)
            | {c for cs in source.required_headers() for c in cs})


def _matches_pattern(path: Path, source: Source) -> bool:
    return any(fnmatchcase(path.name.casefold(), p.casefold()) for p in source.file_pattern)  # CONTACTS.CSV: *.csv


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path, rel: str, source: Source
                ) -> tuple[pa.Table | None, list[dict]]:
    """A landed file's records and its ledger entries: one entry, or one per sheet of a workbook holding
    records on several (excel.data_sheets). Such a sheet is a file of its own in the ledger and the lineage,
    named `<file>#<sheet>`, its lines the sheet's Excel rows; a sheet that fails is rejected alone."""
    sheets, left_out = [], []
    if path.is_file() and _matches_pattern(path, source) and file_format(path, source.format) in WORKBOOKS:
        try:
            sheets, left_out = data_sheets(path, source.sheet, source.header_row, _expected_headers(source),
                                           source.required_headers())
        except Exception as exc:  # a workbook too broken to look into: read as one file, rejected by its reader
            if is_interrupt(exc):
                raise KeyboardInterrupt from exc
    read = ([_ingest_sheet(con, path, f"{rel}#{name}", source, name) for name in sheets] if sheets
            else [_ingest_sheet(con, path, rel, source, source.sheet)])
    entries = [entry for _, entry in read]
    if left_out:   # the sheets of records not read are named in the file's (its first sheet's) notes
        entries[0]["notes"] = "; ".join(n for n in [entries[0]["notes"], *left_out] if n)
    frames = [frame for frame, _ in read if frame is not None]
    return (pa.concat_tables(frames, promote_options="permissive") if len(frames) > 1 else
            frames[0] if frames else None), entries


def _ingest_sheet(con: duckdb.DuckDBPyConnection, path: Path, rel: str, source: Source, sheet: str | int
                  ) -> tuple[pa.Table | None, dict]:
    entry = {"source_system": source.name, "source_file": rel, "status": "read", "rows_read": 0,
             "error": None, "notes": None, "columns": None}
    try:
        if _looping(path):
            raise FileError(path, None, "a link that leads back to itself (a loop of links), not a file: deliver the "
                                        "file itself")
        if _dangling(path):
            raise FileError(path, None, f"a link to {file_label(os.readlink(path))}, which is not there: deliver the "
                                        "file itself")
        if _linked_folder(path):
            raise FileError(path, None, f"a link to a folder ({file_label(os.readlink(path))}), not a file: deliver "
                                        "the file itself")
        if _special(path):
            raise FileError(path, None, "not a regular file (a named pipe, socket or device), not read: deliver the "
                                        "export as a file")
        if not _matches_pattern(path, source):
            raise FileError(path, None, f"file name does not match the source's file_pattern "
                                        f"'{', '.join(source.file_pattern)}' (to read this one, add its pattern to the source's "
                                        "file_pattern, with format: auto, or deliver the export as the source reads it)")
        table = read_file(path, source.format, encoding=source.encoding, delimiter=source.delimiter,
                          sheet=sheet, header_row=source.header_row, expected=_expected_headers(source),
                          footer_lines=source.footer_lines)
        check_columns(path, table, source)
        frame = map_file(con, table, source)
    except Exception as exc:  # one unreadable file must not stop the night; the ledger says which and why
        if is_interrupt(exc):   # the run was stopped while reading: the file is not at fault
            raise KeyboardInterrupt from exc
        entry.update(status="rejected", error=f"{rel}{':' + str(exc.line) if exc.line else ''}: {exc.message}"
                     if isinstance(exc, FileError) else f"{rel}: could not be read ({type(exc).__name__})")
        return None, entry
    frame = with_constants(frame, source_system=source.name, source_file=rel)
    line = "row" if file_format(path, source.format) in WORKBOOKS else "line"
    notes = table.notes + [n for n in (_above_header_note(table, line), surrogate_gap_note(table, source),
                                       absent_fields_note(table, source)) if n]
    entry.update(rows_read=frame.num_rows, notes="; ".join(notes),
                 columns=json.dumps(table.headers, ensure_ascii=False))
    return frame, entry


def file_label(name: str) -> str:
    """A landed file's (or folder's) name as the ledger and the lineage write it. Names unpacked from a zip made
    on Chinese Windows are GBK bytes, not UTF-8: Python holds the bytes it cannot decode as surrogates, which no
    table or terminal takes. Such a name is read as GB18030, else written with its bytes escaped (\\xbf)."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = os.fsencode(name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return _escaped(name)


def _escaped(name: str) -> str:
    """The name with the bytes UTF-8 cannot read written escaped (\\xbf)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _labels(names: list[str]) -> list[str]:
    """file_label of each name, unique: a GBK name that reads as another file's UTF-8 name keeps its bytes
    escaped, so the two stay two files in the ledger and the lineage."""
    labels = [file_label(n) for n in names]
    taken = {label for n, label in zip(names, labels) if label == n}
    return [label if label == n or label not in taken else _escaped(n) for n, label in zip(names, labels)]


def _dangling(path: Path) -> bool:
    """A link to a file that is not there (moved, or on a share not mounted): a delivery that failed, reported."""
    return path.is_symlink() and not path.exists()


def _looping(path: Path) -> bool:
    """A link that leads back to itself, directly or through others (loop.csv -> loop.csv)."""
    try:
        os.stat(path)
    except OSError as exc:
        return path.is_symlink() and exc.errno == errno.ELOOP
    return False


def _linked_folder(path: Path) -> bool:
    """A link to a folder under a file's name (self.csv -> .): reported, never walked into."""
    return path.is_symlink() and path.is_dir()


def _special(path: Path) -> bool:
    """A named pipe, socket or device in the landing folder: reading it could wait forever, so it is reported."""
    return path.exists() and not path.is_file() and not path.is_dir()


def _hidden(path: Path) -> bool:
    """Files no one delivered: dot files (.DS_Store, editors' swap files) and Office's lock files (~$name.xlsx)."""
    return path.name.startswith((".", "~$"))


def landed_files(landing: Path, partition: str) -> list[tuple[str, Path]]:
    """(source folder name, file) for every file landed for the night, sorted for reproducibility: those in the
    night's folder, and those in folders below it (which are not read, but reported)."""
    if not landing.exists():
        return []
    return sorted((d.name, f) for d in landing.iterdir() if d.is_dir()
                  for f in sorted((d / partition).rglob("*"))
                  if (f.is_file() or _dangling(f) or _special(f) or _linked_folder(f))
                  and not _hidden(f)
                  and not any(part.startswith(".") for part in f.relative_to(d / partition).parts[:-1]))


def _in_subfolder(source_name: str, rel: str) -> dict:
    return {"source_system": source_name, "source_file": rel, "status": "rejected", "rows_read": 0, "notes": None,
            "columns": None, "error": f"{rel}: in a folder below the night's folder, not read (move it up to have "
                                      "it read)"}


# Nights at least this large (bytes of known sources' files) read their files in worker processes, two at a
# time; a small night would spend longer starting the workers than reading.
PARALLEL_BYTES = 32 * 2**20


# Reading a spreadsheet costs about ten times what a delimited file of the same size does (measured: a 12 MB
# workbook 2.7 s, a 113 MB CSV 1.5 s).
_COST_PER_BYTE = {".xlsx": 10, ".xlsm": 10, ".xls": 10, ".xlsb": 10, ".ods": 10}


def _read_cost(file: tuple[str, Path, str]) -> int:
    path = file[1]
    return _size(path) * _COST_PER_BYTE.get(path.suffix.lower(), 1)


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _files_read_here(known: list[tuple[str, Path, str]], workers: int) -> set[Path]:
    """The files this process reads itself while the workers read the others: its share when the files are
    dealt, costliest first, to whichever of the workers and this process has the least to read so far."""
    load = [0] * (workers + 1)    # the last is this process
    here = set()
    for file in sorted(known, key=_read_cost, reverse=True):
        lane = min(range(len(load)), key=lambda i: (load[i], -i))   # this process first among equals
        load[lane] += _read_cost(file)
        if lane == workers:
            here.add(file[1])
    return here


def read_landed_file(path: Path, rel: str, source: Source) -> tuple[pa.Table | None, list[dict]]:
    """ingest_file with a DuckDB connection of its own: what a worker process runs for one file."""
    con = duckdb.connect()
    try:
        with collector.paused():  # a file's rows as Python lists set off full collections (collector.py)
            return ingest_file(con, path, rel, source)
    finally:
        con.close()


def _unknown_source(source_name: str, rel: str) -> dict:
    return {"source_system": source_name, "source_file": rel, "status": "rejected", "rows_read": 0, "notes": None,
            "columns": None, "error": f"{rel}: no source named '{source_name}' in sources.yaml"}


def _result(future: Future | None, path: Path, rel: str, source: Source) -> tuple[pa.Table | None, list[dict]]:
    """A file's result from its worker; read here when it had none or its worker died (killed for memory,
    say): a lost worker costs time, not the file."""
    if future is not None:
        try:
            return future.result()
        except BrokenProcessPool:
            pass
    return read_landed_file(path, rel, source)


def ingest_partition(landing: Path, partition: str, sources: dict[str, Source]) -> IngestResult:
    """Every landed file of the night read and mapped, in the order of landed_files. On a large night the
    files are read in worker processes, the largest first, so a big export and the small ones overlap."""
    landed = landed_files(landing, partition)
    nested = {path for name, path in landed if path.parent != landing / name / partition}
    labels = _labels([path.relative_to(landing).as_posix() for _, path in landed])
    files = [(file_label(name), path, label) for (name, path), label in zip(landed, labels)]
    known = [(name, path, rel) for name, path, rel in files if name in sources and path not in nested]
    parallel = len(known) > 1 and sum(_size(path) for _, path, _ in known) >= PARALLEL_BYTES
    frames, entries = [], []
    with workers.pool() if parallel else nullcontext():
        executor = workers.current()
        started, done = {}, {}
        if executor is not None:
            here = _files_read_here(known, workers.count())
            for name, path, rel in sorted(known, key=_read_cost, reverse=True):
                if path not in here:
                    started[path] = executor.submit(read_landed_file, path, rel, sources[name])
            for name, path, rel in known:   # meanwhile, instead of waiting for the workers
                if path in here:
                    done[path] = read_landed_file(path, rel, sources[name])
        for name, path, rel in files:
            if name not in sources or path in nested:
                entries.append(_unknown_source(name, rel) if name not in sources else _in_subfolder(name, rel))
                continue
            frame, file_entries = done.pop(path, None) or _result(started.get(path), path, rel, sources[name])
            frames.append(frame)
            entries.extend(file_entries)
    frames = [f for f in frames if f is not None and f.num_rows]
    raw = pa.concat_tables(frames, promote_options="permissive") if frames else None
    ledger = pd.DataFrame(entries)
    # how the source delivers (rules/sources.yaml): a full delivery read whole tells deletions (warehouse/holds.py)
    ledger["delivery"] = [sources[name].delivery if name in sources else None
                          for name in ledger.get("source_system", pd.Series(dtype=object))]
    return IngestResult(raw, ledger)


def with_constants(table: pa.Table, **columns: str) -> pa.Table:
    """The table with constant text columns (lineage, partition, run id) in front."""
    for name, value in reversed(list(columns.items())):
        table = table.add_column(0, name, pa.array([value] * table.num_rows, pa.string()))
    return table


__all__ = ["IngestResult", "ingest_partition", "LINE", "ERROR"]
