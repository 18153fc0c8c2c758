"""Loads the steward-editable YAML under rules/ into typed objects; a typo fails with file, line and key."""
from __future__ import annotations

import codecs
import datetime
import re
import zoneinfo
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import phonenumbers
import yaml

from pipelines.readers.base import WORKBOOKS
from pipelines.readers.delimited import header_key
from pipelines.standardize.text import clean_text

FORMATS = ("csv", *WORKBOOKS, "jsonl", "parquet", "auto")
ACTIONS = ("quarantine", "flag")
# Canonical input fields a source may map its headers to (see checks/schemas.py for the output schema).
MAPPABLE_FIELDS = (
    "full_name", "given_name", "family_name", "gender", "birth_date", "phone", "email",
    "country", "province", "city", "district", "street", "address", "postcode", "company", "national_id",
    "created_at", "updated_at", "last_activity_at", "email_opt_out", "email_opt_in", "deleted", "active",
)


STRATEGIES = ("most_recent", "most_trusted", "most_frequent", "valid_first", "true_first")
# The golden address's parts: they survive together, from one record (matching/golden.py).
ADDRESS_FIELDS = ("province", "city", "district", "street", "postcode")
GOLDEN_FIELDS = ("full_name", "given_name", "family_name", "gender", "birth_date", "phone", "email", "country",
                 "province", "city", "district", "street", "postcode", "company", "email_opt_out")


class RulesError(ValueError):
    """A rules file that cannot be used, with the file, line and key that are wrong."""


def _unclosed_quote(text: str, before: int) -> int | None:
    """The last line (1-based) before line index `before` holding an odd number of double quotes outside a
    comment: where a quoted value was left open (YAML reads on, and fails lines further down)."""
    found = None
    for number, line in enumerate(text.splitlines()[:before], start=1):
        if not line.lstrip().startswith("#") and (line.count('"') - line.count('\\"')) % 2:
            found = number
    return found


class _Doc:
    """One YAML file: its data plus the line of every key, for error messages."""

    def __init__(self, path: Path):
        self.path = path
        try:
            text = path.read_text(encoding="utf-8")
            self.node = yaml.compose(text)
            self.data = yaml.safe_load(text) or {}
        except FileNotFoundError:
            raise RulesError(f"{path}: rules file not found") from None
        except IsADirectoryError:
            raise RulesError(f"{path}: a folder where a rules file should be") from None
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[:exc.start].count(b"\n") + 1
            raise RulesError(f"{path}:{line}: not UTF-8 (saved in a legacy encoding such as GBK or ANSI?): save the "
                             "file as UTF-8") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            if mark is None:
                raise RulesError(f"{path}: not valid YAML: {exc}") from None
            what = "; ".join(str(p) for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p)
            # an unclosed quote is found lines below where it opened: that line is named first
            opened = _unclosed_quote(text, mark.line)
            line = (f"{opened}: not valid YAML: a quote opened on this line is not closed on it (the error shows "
                    f"on line {mark.line + 1}, column {mark.column + 1})" if opened
                    else f"{mark.line + 1}: not valid YAML (column {mark.column + 1})")
            raise RulesError(f"{path}:{line}: {what}") from None
        self._no_repeated_keys(self.node)

    def _no_repeated_keys(self, node) -> None:
        """PyYAML keeps the last of a key given twice: a copied block left with its old name would silently
        replace the first. Here it is an error at the second one's line."""
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        raise RulesError(f"{self.path}:{key.start_mark.line + 1}: key '{key.value}' is given twice")
                    seen.add(key.value)
                self._no_repeated_keys(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                self._no_repeated_keys(item)

    def line(self, keys: tuple) -> int:
        node, line = self.node, 1
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                hit = next(((k, v) for k, v in node.value if k.value == str(key)), None)
                if hit is None:
                    break
                line, node = hit[0].start_mark.line + 1, hit[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def fail(self, keys: tuple, message: str) -> RulesError:
        where = ".".join(str(k) for k in keys) or "(top)"
        return RulesError(f"{self.path}:{self.line(keys)}: {where}: {message}")


def _mapping(doc: _Doc, keys: tuple, value: Any, allowed: set[str], required: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise doc.fail(keys, "expected a mapping of key: value")
    for key in value:
        if key not in allowed:
            raise doc.fail(keys + (key,), f"unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")
    for key in required:
        if key not in value:
            raise doc.fail(keys, f"missing required key '{key}'")
    return value


def _str_list(doc: _Doc, keys: tuple, value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, (str, int)) for v in items):
        raise doc.fail(keys, "expected a text or a list of texts")
    return [str(v) for v in items]


def _day_list(doc: _Doc, keys: tuple, value: Any) -> list[str]:
    """Days written YYYY-MM-DD, quoted or not (YAML reads 1900-01-01 unquoted as a date)."""
    items = [] if value is None else value if isinstance(value, list) else [value]
    out = []
    for item in items:
        text = item.isoformat() if isinstance(item, datetime.date) else str(item)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise doc.fail(keys, f"'{text}' is not a day written YYYY-MM-DD")
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            raise doc.fail(keys, f"'{text}' is not a day of the calendar") from None
        out.append(text)
    return out


def _text(doc: _Doc, keys: tuple, value: Any, default: str | None = None) -> str | None:
    """One text (a number is read as its text); a list or a mapping is an error."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise doc.fail(keys, "expected one text, not a list or a mapping")
    return str(value)


def _required_text(doc: _Doc, keys: tuple, value: Any) -> str:
    text = _text(doc, keys, value)
    if not text:
        raise doc.fail(keys, "give a value")
    return text


def _int(doc: _Doc, keys: tuple, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise doc.fail(keys, f"expected a whole number, not {value!r}")
    return value


def _row(doc: _Doc, keys: tuple, value: Any) -> int:
    """A row number as a steward counts rows: 1 is the first."""
    row = _int(doc, keys, value)
    if row < 1:
        raise doc.fail(keys, f"rows are numbered from 1 (the first row), not {row}")
    return row


def _flag(doc: _Doc, keys: tuple, value: Any, default: bool) -> bool:
    """true or false, unquoted: a quoted "no" is a non-empty text, which Python would take for true."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise doc.fail(keys, f"expected true or false (unquoted), not {value!r}")
    return value


def _date_formats(doc: _Doc, keys: tuple, value: Any) -> list[str]:
    """strptime formats, each checked here: a bad directive ('%Q', a '%' at the end) is an error naming the
    file and line, not a failed night."""
    formats = _str_list(doc, keys, value)
    for fmt in formats:
        if "%" not in fmt:   # yyyy-MM-dd (Java's, Excel's) matches only itself
            raise doc.fail(keys, f"date format {fmt!r} has no % directive: write strptime formats, e.g. %Y-%m-%d "
                                 "for yyyy-MM-dd")
        try:
            pd.to_datetime(pd.Series(["2024-01-05"]), format=fmt, errors="coerce")
        except ValueError as exc:
            raise doc.fail(keys, f"date format {fmt!r}: {exc}") from None
    return formats


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    file_pattern: tuple[str, ...]   # one glob or several (a product exporting CSV or XLSX)
    format: str
    encoding: str
    delimiter: str
    sheet: str | int
    header_row: int | None
    record_id: tuple[str, ...]   # the id's header, or its headers in several export layouts; () when none
    surrogate_key: list[str]
    phone_region: str
    date_formats: list[str]
    day_first: bool
    required_columns: list[tuple[str, ...]]   # each column's headers: any one of them (several export layouts)
    columns: dict[str, list[str]]
    record_id_format: str | None = None   # salesforce: 15-character ids written in their 18-character form
    footer_lines: list[str] = field(default_factory=list)   # patterns of the lines an export ends with
    timezone: str = "UTC"   # the IANA zone of the export's times written without an offset
    # changes: a night's files hold new and changed records; full: every live record, so a record missing from a
    # night delivered whole is deleted in the source (warehouse/holds.py)
    delivery: str = "changes"
    # rows that are no customers (Zendesk's agents): header as written -> its values that say so, folded (NFKC,
    # case-folded, trimmed: fold_value)
    not_customers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # standardization.yaml's null tokens (set by load_rules): a field's column holding one (无, N/A) is empty when
    # the field has several columns, so the next one's value is taken
    placeholders: tuple[str, ...] = ()

    def required_headers(self) -> list[tuple[str, ...]]:
        """Each column a file must have, as its accepted headers (one of them is enough), the record id's
        included, unless a surrogate key stands in for it (a layout of the export that has no id column)."""
        return self.required_columns + ([self.record_id] if self.record_id and not self.surrogate_key else [])


RECORD_ID_FORMATS = ("salesforce",)
DELIVERIES = ("changes", "full")   # the first is the default


@dataclass(frozen=True)
class ValidationRule:
    name: str
    action: str
    field: str
    description: str
    priority: int


NAME_FIELDS = ("full_name", "given_name", "family_name")


@dataclass(frozen=True)
class Standardization:
    null_tokens: set[str]
    gender: dict[str, str]
    booleans: dict[str, bool]
    # words saying which way an e-mail subscription stands (True: opted out), read alike in an opt-out column and
    # an opt-in one, where booleans' yes and no are turned round
    subscription: dict[str, bool]
    countries: dict[str, str]
    name_prefixes: list[str]
    compound_surnames: list[str]
    date_formats: list[str]
    birth_date_min: str
    excel_date_min: float
    excel_date_max: float
    address_suffixes: list[str]
    address_aliases: dict[str, str]
    phone_extension_markers: list[str] = field(default_factory=list)
    summary_labels: list[str] = field(default_factory=list)
    names_among_null_tokens: set[str] = field(default_factory=set)
    name_placeholders: set[str] = field(default_factory=set)   # 测试, test, 客户: no one's name, emptied in name fields
    birth_date_placeholders: list[str] = field(default_factory=list)   # 1900-01-01: a form's default, no birthday
    organisation_words: list[str] = field(default_factory=list)
    japanese_honorifics: list[str] = field(default_factory=list)   # 様, さん: after a Japanese name, no part of it
    address_divisions_added: dict[str, str] = field(default_factory=dict)   # adcode -> name
    address_ethnic_groups: list[str] = field(default_factory=list)   # 苗, 侗 …: cut from autonomous divisions' names
    # a province written in Latin letters (casefolded: GD, guangdong) -> its name (广东省), for rows in CN
    address_latin_provinces: dict[str, str] = field(default_factory=dict)
    address_latin_province_words: list[str] = field(default_factory=list)   # sheng, province: cut before the look-up
    address_latin_division_words: list[str] = field(default_factory=list)   # district, shi: cut before the look-up
    address_places_abroad: dict[str, list[str]] = field(default_factory=dict)   # TW: [台北市 …]: a country's places
    phone_placeholders: list[str] = field(default_factory=list)   # +8613800138000: E.164 numbers typed as filler
    phone_placeholder_patterns: list[str] = field(default_factory=list)   # regular expressions over E.164
    email_placeholder_local_parts: list[str] = field(default_factory=list)   # noemail, test (casefolded)
    email_placeholder_domains: list[str] = field(default_factory=list)   # example.com (casefolded)
    email_common_domains: list[str] = field(default_factory=list)   # gmail.com, qq.com: typos of them are flagged
    # words saying whether a record is live (True: inactive, deleted), read alike in a deleted column and an active
    # one, where booleans' yes and no are turned round
    record_status: dict[str, bool] = field(default_factory=dict)

    def null_tokens_of(self, field_name: str) -> set[str]:
        """The null tokens of a field: a name field keeps the ones that are also names and adds the placeholders."""
        if field_name in NAME_FIELDS:
            return (self.null_tokens - self.names_among_null_tokens) | self.name_placeholders
        return self.null_tokens


@dataclass(frozen=True)
class Survivorship:
    source_ranking: list[str]
    fields: dict[str, str]


@dataclass(frozen=True)
class Matching:
    merge_threshold: float
    review_low: float
    seed: int
    max_pairs_for_u: int
    deterministic_rules: list[str]
    recall_of_deterministic_rules: float
    em_blocks: list[str]
    blocking_rules: list[str]
    m_floor: float = 0.01
    max_records_for_training: int = 200_000
    birth_years_apart: int | None = 10


@dataclass(frozen=True)
class Rules:
    folder: Path
    sources: dict[str, Source]
    standardization: Standardization
    validation: dict[str, ValidationRule] = field(default_factory=dict)


_SOURCE_KEYS = {
    "description", "file_pattern", "format", "encoding", "delimiter", "sheet", "record_id",
    "surrogate_key", "phone_region", "date_formats", "day_first", "required_columns", "columns", "trust",
    "header_row", "record_id_format", "footer_lines", "timezone", "delivery", "not_customers",
}


def _source(doc: _Doc, name: str, raw: Any) -> Source:
    keys = ("sources", name)
    raw = _mapping(doc, keys, raw, _SOURCE_KEYS, {"file_pattern", "format", "columns"})
    fmt = str(raw["format"]).lower()
    if fmt not in FORMATS:
        raise doc.fail(keys + ("format",), f"'{fmt}' is not one of {', '.join(FORMATS)}")
    columns_raw = _mapping(doc, keys + ("columns",), raw["columns"], set(MAPPABLE_FIELDS))
    columns = {k: _str_list(doc, keys + ("columns", k), v) for k, v in columns_raw.items()}
    mapped: dict[str, str] = {}
    for k, headers in columns.items():
        if not headers or not all(h.strip() for h in headers):
            raise doc.fail(keys + ("columns", k), "give the header (or headers) this field is read from")
        for header in headers:   # one column read as two fields: an e-mail field full of phone numbers
            other = mapped.setdefault(header_key(header), k)
            if other != k:
                raise doc.fail(keys + ("columns", k), f"header '{header}' is already mapped to {other}: a column "
                                                      "is read as one field")
    surrogate = _str_list(doc, keys + ("surrogate_key",), raw.get("surrogate_key"))
    for f in surrogate:
        if f not in columns:
            raise doc.fail(keys + ("surrogate_key",), f"'{f}' is not a mapped field of this source")
    record_id = raw.get("record_id")
    if record_id is None and not surrogate:
        raise doc.fail(keys, "give record_id (the id column) or surrogate_key (fields hashed into an id)")
    if "trust" in raw:
        raise doc.fail(keys + ("trust",), "sources are ranked for survivorship in survivorship.yaml "
                                          "(source_ranking), not here: remove trust")
    delimiter = _text(doc, keys + ("delimiter",), raw.get("delimiter"), "auto")
    delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
    if delimiter != "auto" and len(delimiter) != 1:
        raise doc.fail(keys + ("delimiter",), f"a delimiter is one character (or auto, tab), not {delimiter!r}")
    encoding = _text(doc, keys + ("encoding",), raw.get("encoding"), "auto").lower()
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise doc.fail(keys + ("encoding",), f"unknown encoding '{encoding}' (e.g. utf-8, gb18030, auto)") from None
    region = _text(doc, keys + ("phone_region",), raw.get("phone_region"), "CN").upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise doc.fail(keys + ("phone_region",), f"'{region}' is not a region phonenumbers knows: an ISO 3166-1 "
                                                 "alpha-2 code such as CN, US or GB")
    header_row = raw.get("header_row")
    sheet = raw.get("sheet", 0)
    if isinstance(sheet, bool) or not isinstance(sheet, (str, int)):
        raise doc.fail(keys + ("sheet",), "expected a sheet name or its number (0 is the first)")
    if "sheet" in raw and fmt not in (*WORKBOOKS, "auto"):
        raise doc.fail(keys + ("sheet",), f"a sheet is read from workbooks: this source's format is {fmt}")
    return Source(
        name=name,
        description=_text(doc, keys + ("description",), raw.get("description"), ""),
        file_pattern=_file_pattern(doc, keys + ("file_pattern",), raw["file_pattern"]),
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        header_row=None if header_row in (None, "auto") else _row(doc, keys + ("header_row",), header_row),
        record_id=_headers(doc, keys + ("record_id",), record_id),
        surrogate_key=surrogate,
        phone_region=region,
        date_formats=_date_formats(doc, keys + ("date_formats",), raw.get("date_formats")),
        day_first=_flag(doc, keys + ("day_first",), raw.get("day_first"), False),
        required_columns=_required(doc, keys + ("required_columns",), raw.get("required_columns")),
        columns=columns,
        record_id_format=_record_id_format(doc, keys + ("record_id_format",), raw.get("record_id_format")),
        footer_lines=_patterns(doc, keys + ("footer_lines",), raw.get("footer_lines")),
        timezone=_timezone(doc, keys + ("timezone",), raw.get("timezone")),
        delivery=_choice(doc, keys + ("delivery",), raw.get("delivery", DELIVERIES[0]), DELIVERIES),
        not_customers=_not_customers(doc, keys + ("not_customers",), raw.get("not_customers"),
                                     _headers(doc, keys + ("record_id",), record_id)),
    )


def fold_value(text: str) -> str:
    """How a value of a not_customers column is compared: as text.clean_text cleans a field (NFKC, whitespace
    folded), case-folded."""
    return (clean_text(text) or "").casefold()


def _not_customers(doc: _Doc, keys: tuple, raw: Any, record_id: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """{header: [values]}: a row whose column holds one of the values is no customer (a Zendesk agent)."""
    out: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    ids = {header_key(h) for h in record_id}
    raw = {} if raw is None else raw
    for header, values in _mapping(doc, keys, raw, set(raw) if isinstance(raw, dict) else set()).items():
        where = keys + (header,)
        if not isinstance(header, str) or not header.strip():
            raise doc.fail(where, f"a header is a text (the column's name as the export writes it), not {header!r}")
        if header_key(header) in seen:
            raise doc.fail(where, f"header '{header}' is given twice (as '{seen[header_key(header)]}'): headers are "
                                  "matched ignoring case and full-width forms")
        if header_key(header) in ids:
            raise doc.fail(where, f"'{header}' is the record id: a column of the rows' kind (role, 状态) tells a "
                                  "non-customer, not its id")
        if not isinstance(values, list) or not values or not all(
                isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip() for v in values):
            raise doc.fail(where, "expected a list of texts, the values saying a row is no customer ([agent, "
                                  "admin]); quote yes/no/true/false (\"false\"), which YAML reads as true or false")
        seen[header_key(header)] = header
        out[header] = tuple(dict.fromkeys(fold_value(v) for v in values))
    return out


def _timezone(doc: _Doc, keys: tuple, value: Any) -> str:
    """An IANA time zone name (Asia/Shanghai, America/New_York); UTC when not given."""
    name = _text(doc, keys, value, "UTC")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise doc.fail(keys, f"'{name}' is not a time zone: an IANA name such as Asia/Shanghai or UTC") from None
    return name


def _one_or_several(doc: _Doc, keys: tuple, value: Any, empty: str, one: Callable) -> tuple[str, ...]:
    """A text or a list of texts, as a tuple (an empty list is an error saying `empty`); a single value is read
    by `one` (None gives ())."""
    if isinstance(value, list):
        items = tuple(_required_text(doc, keys, v) for v in value)
        if not items:
            raise doc.fail(keys, empty)
        return items
    single = one(doc, keys, value)
    return () if single is None else (single,)


def _headers(doc: _Doc, keys: tuple, value: Any) -> tuple[str, ...]:
    """A header, or a list of them (the same column in several export layouts of one product); () for none."""
    return _one_or_several(doc, keys, value, "give the header (or the headers of the export layouts)", _text)


def _required(doc: _Doc, keys: tuple, value: Any) -> list[tuple[str, ...]]:
    """required_columns: headers, an entry a list of headers when any one of them will do."""
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    return [_headers(doc, keys, v) for v in value]


def _patterns(doc: _Doc, keys: tuple, value: Any, re2: bool = False) -> list[str]:
    """A list of regular expressions, each compiled here once so a mistake stops the run at load, naming it: for
    Python's re, or with re2 for RE2, which Arrow runs over whole columns (no backreferences, no look-arounds)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    patterns = _str_list(doc, keys, value)
    for i, pattern in enumerate(patterns):
        try:
            pc.match_substring_regex(pa.array([""]), pattern) if re2 else re.compile(pattern)
        except (re.error, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            where, syntax = (keys + (i,), " of RE2's syntax (no backreferences or look-arounds)") if re2 else (keys, "")
            raise doc.fail(where, f"'{pattern}' is not a regular expression{syntax}: {exc}") from None
    return patterns


def _file_pattern(doc: _Doc, keys: tuple, value: Any) -> tuple[str, ...]:
    patterns = _one_or_several(doc, keys, value, "give a value: a glob such as *.csv, or a list of them",
                               _required_text)
    for pattern in patterns:
        if "/" in pattern or "\\" in pattern:
            raise doc.fail(keys, f"'{pattern}' names a folder: a pattern matches the names of the files in the "
                                 "night's folder (<landing>/<source>/<YYYY-MM-DD>/), which files in folders below "
                                 "it never are")
    return patterns


def _record_id_format(doc: _Doc, keys: tuple, value: Any) -> str | None:
    if value is None:
        return None
    if value not in RECORD_ID_FORMATS:
        raise doc.fail(keys, f"'{value}' is not one of {', '.join(RECORD_ID_FORMATS)} (or leave it out)")
    return value


def load_sources(folder: Path) -> dict[str, Source]:
    doc = _Doc(folder / "sources.yaml")
    top = _mapping(doc, (), doc.data, {"sources"}, {"sources"})
    raw_sources = _mapping(doc, ("sources",), top["sources"], set(top["sources"] or {}))
    for name in raw_sources:
        if not re.fullmatch(r"[^/\\.][^/\\]*", str(name)):
            raise doc.fail(("sources", name), f"'{name}' cannot be a folder's name: a source's exports land in "
                                              "<landing>/<source name>/ (no '/' or '\\', not starting with '.')")
    return {name: _source(doc, str(name), raw) for name, raw in raw_sources.items()}


_STD_KEYS = {
    "null_tokens", "gender", "booleans", "countries", "names", "dates", "addresses",
}


def _invert(doc: _Doc, keys: tuple, raw: Any) -> dict[str, str]:
    """{canonical: [synonym, ...]} -> {synonym (casefolded): canonical}."""
    out: dict[str, str] = {}
    for canonical, synonyms in _mapping(doc, keys, raw, set(raw or {})).items():
        for syn in _str_list(doc, keys + (canonical,), synonyms) + [str(canonical)]:
            out[syn.casefold()] = str(canonical)
    return out


def load_standardization(folder: Path) -> Standardization:
    doc = _Doc(folder / "standardization.yaml")
    raw = _mapping(doc, (), doc.data, _STD_KEYS | {"phones", "emails"}, _STD_KEYS)
    phones = _mapping(doc, ("phones",), raw.get("phones") or {}, {"extension_markers", "placeholders",
                                                                   "placeholder_patterns"})
    emails = _mapping(doc, ("emails",), raw.get("emails") or {}, {"placeholder_local_parts", "placeholder_domains",
                                                                   "common_domains"})
    bools = _mapping(doc, ("booleans",), raw["booleans"], {"truthy", "falsy", "unsubscribed", "subscribed",
                                                           "active", "inactive"}, {"truthy", "falsy"})
    names = _mapping(doc, ("names",), raw["names"], {"prefixes", "compound_surnames", "summary_labels",
                                                      "names_among_null_tokens", "organisation_words",
                                                      "japanese_honorifics", "placeholders"})
    dates = _mapping(doc, ("dates",), raw["dates"], {"formats", "birth_date_min", "birth_date_placeholders",
                                                   "excel_serial_range"})
    addr = _mapping(doc, ("addresses",), raw["addresses"], {"suffixes", "aliases", "divisions_added", "ethnic_groups",
                                                            "latin_provinces", "latin_province_words",
                                                            "latin_division_words", "places_abroad"})
    excel_range = dates.get("excel_serial_range", [1, 73051])
    return Standardization(
        null_tokens={t.casefold() for t in _str_list(doc, ("null_tokens",), raw["null_tokens"])},
        gender=_invert(doc, ("gender",), raw["gender"]),
        booleans={
            **{v.casefold(): True for v in _str_list(doc, ("booleans", "truthy"), bools["truthy"])},
            **{v.casefold(): False for v in _str_list(doc, ("booleans", "falsy"), bools["falsy"])},
        },
        subscription={
            **{v.casefold(): True for v in _str_list(doc, ("booleans", "unsubscribed"), bools.get("unsubscribed"))},
            **{v.casefold(): False for v in _str_list(doc, ("booleans", "subscribed"), bools.get("subscribed"))},
        },
        record_status={
            **{v.casefold(): True for v in _str_list(doc, ("booleans", "inactive"), bools.get("inactive"))},
            **{v.casefold(): False for v in _str_list(doc, ("booleans", "active"), bools.get("active"))},
        },
        countries=_invert(doc, ("countries",), raw["countries"]),
        name_prefixes=_str_list(doc, ("names", "prefixes"), names.get("prefixes")),
        compound_surnames=_str_list(doc, ("names", "compound_surnames"), names.get("compound_surnames")),
        date_formats=_date_formats(doc, ("dates", "formats"), dates.get("formats")),
        birth_date_min=str(dates.get("birth_date_min", "1900-01-01")),
        excel_date_min=float(excel_range[0]),
        excel_date_max=float(excel_range[1]),
        address_suffixes=_str_list(doc, ("addresses", "suffixes"), addr.get("suffixes")),
        address_aliases={str(k): str(v) for k, v in (addr.get("aliases") or {}).items()},
        address_divisions_added=_divisions(doc, ("addresses", "divisions_added"), addr.get("divisions_added")),
        address_ethnic_groups=_str_list(doc, ("addresses", "ethnic_groups"), addr.get("ethnic_groups")),
        address_latin_provinces=_invert(doc, ("addresses", "latin_provinces"), addr.get("latin_provinces") or {}),
        address_latin_province_words=[w.casefold() for w in _str_list(doc, ("addresses", "latin_province_words"),
                                                                         addr.get("latin_province_words"))],
        address_latin_division_words=[w.casefold() for w in _str_list(doc, ("addresses", "latin_division_words"),
                                                                         addr.get("latin_division_words"))],
        address_places_abroad=_places_abroad(doc, ("addresses", "places_abroad"), addr.get("places_abroad")),
        phone_extension_markers=_str_list(doc, ("phones", "extension_markers"), phones.get("extension_markers")),
        phone_placeholders=_str_list(doc, ("phones", "placeholders"), phones.get("placeholders")),
        phone_placeholder_patterns=_patterns(doc, ("phones", "placeholder_patterns"),
                                             phones.get("placeholder_patterns"), re2=True),
        email_placeholder_local_parts=[t.casefold() for t in _str_list(
            doc, ("emails", "placeholder_local_parts"), emails.get("placeholder_local_parts"))],
        email_placeholder_domains=[t.casefold() for t in _str_list(
            doc, ("emails", "placeholder_domains"), emails.get("placeholder_domains"))],
        email_common_domains=[t.casefold() for t in _str_list(doc, ("emails", "common_domains"),
                                                              emails.get("common_domains"))],
        summary_labels=_str_list(doc, ("names", "summary_labels"), names.get("summary_labels")),
        # a rules folder from before the key still keeps Li Na's given name
        names_among_null_tokens={t.casefold() for t in _str_list(
            doc, ("names", "names_among_null_tokens"), names.get("names_among_null_tokens", ["na", "nan"]))},
        birth_date_placeholders=_day_list(doc, ("dates", "birth_date_placeholders"),
                                          dates.get("birth_date_placeholders")),
        name_placeholders={t.casefold() for t in _str_list(doc, ("names", "placeholders"), names.get("placeholders"))},
        organisation_words=_str_list(doc, ("names", "organisation_words"), names.get("organisation_words")),
        japanese_honorifics=_str_list(doc, ("names", "japanese_honorifics"), names.get("japanese_honorifics")),
    )


def _places_abroad(doc: _Doc, keys: tuple, raw: Any) -> dict[str, list[str]]:
    """{ISO country code: place names}; a code must be one phonenumbers knows (the row's phone is read there)."""
    import phonenumbers

    out = {}
    for code, names in _mapping(doc, keys, raw or {}, set(raw or {})).items():
        if str(code) not in phonenumbers.SUPPORTED_REGIONS:
            raise doc.fail(keys + (code,), f"'{code}' is not a two-letter ISO country code")
        out[str(code)] = _str_list(doc, keys + (code,), names)
    return out


def _divisions(doc: _Doc, keys: tuple, raw: Any) -> dict[str, str]:
    out = {}
    for code, name in _mapping(doc, keys, raw or {}, set(raw or {})).items():
        if not re.fullmatch(r"\d{6}", str(code)) or str(code).endswith("00") or not str(name).strip():
            raise doc.fail(keys + (code,), "give a six-digit district or county adcode (not a province's or city's, "
                                           "ending 00) and its name")
        out[str(code)] = str(name).strip()
    return out


def load_validation(folder: Path) -> dict[str, ValidationRule]:
    doc = _Doc(folder / "validation.yaml")
    top = _mapping(doc, (), doc.data, {"rules"}, {"rules"})
    rules = {}
    for i, (name, raw) in enumerate(_mapping(doc, ("rules",), top["rules"], set(top["rules"] or {})).items()):
        keys = ("rules", name)
        raw = _mapping(doc, keys, raw, {"action", "field", "description"}, {"action", "field"})
        if raw["action"] not in ACTIONS:
            raise doc.fail(keys + ("action",), f"'{raw['action']}' is not one of {', '.join(ACTIONS)}")
        rules[name] = ValidationRule(name, raw["action"], str(raw["field"]), str(raw.get("description", "")), i)
    return rules


def load_rules(folder: Path) -> Rules:
    folder = Path(folder)
    std = load_standardization(folder)
    placeholders = tuple(sorted(t for t in std.null_tokens - std.names_among_null_tokens if t))
    sources = {name: replace(source, placeholders=placeholders)
               for name, source in load_sources(folder).items()}
    return Rules(folder, sources, std, load_validation(folder))


def load_survivorship(folder: Path) -> Survivorship:
    doc = _Doc(Path(folder) / "survivorship.yaml")
    raw = _mapping(doc, (), doc.data, {"source_ranking", "fields"}, {"source_ranking", "fields"})
    fields = _mapping(doc, ("fields",), raw["fields"], set(GOLDEN_FIELDS))
    for name, strategy in fields.items():
        if strategy not in STRATEGIES:
            raise doc.fail(("fields", name), f"'{strategy}' is not one of {', '.join(STRATEGIES)}")
    street = fields.get("street", "most_recent")
    for name in ADDRESS_FIELDS:
        if fields.get(name, street) != street:
            raise doc.fail(("fields", name), f"an address survives whole, from the record street's strategy "
                                             f"({street}) picks: give {name} that strategy or leave it out")
    return Survivorship(_str_list(doc, ("source_ranking",), raw["source_ranking"]), dict(fields))


def load_matching(folder: Path) -> Matching:
    doc = _Doc(Path(folder) / "matching.yaml")
    top = {"thresholds", "training", "blocking_rules"}
    raw = _mapping(doc, (), doc.data, top, top)
    th = _mapping(doc, ("thresholds",), raw["thresholds"], {"merge", "review_low", "birth_years_apart"},
                  {"merge", "review_low"})
    tr = _mapping(doc, ("training",), raw["training"], {"seed", "max_pairs_for_u", "deterministic_rules",
                                                          "recall_of_deterministic_rules", "em_blocks", "m_floor",
                                                          "max_records_for_training"},
                  {"deterministic_rules", "em_blocks"})
    merge, low = float(th["merge"]), float(th["review_low"])
    if not 0 < low <= merge <= 1:
        raise doc.fail(("thresholds",), "need 0 < review_low <= merge <= 1")
    return Matching(
        merge_threshold=merge, review_low=low,
        seed=int(tr.get("seed", 42)), max_pairs_for_u=int(tr.get("max_pairs_for_u", 1_000_000)),
        deterministic_rules=_str_list(doc, ("training", "deterministic_rules"), tr["deterministic_rules"]),
        recall_of_deterministic_rules=float(tr.get("recall_of_deterministic_rules", 0.7)),
        em_blocks=_str_list(doc, ("training", "em_blocks"), tr["em_blocks"]),
        blocking_rules=_str_list(doc, ("blocking_rules",), raw["blocking_rules"]),
        m_floor=_m_floor(doc, tr.get("m_floor", 0.01)),
        max_records_for_training=_positive_int(doc, ("training", "max_records_for_training"),
                                               tr.get("max_records_for_training", 200_000)),
        birth_years_apart=(None if th.get("birth_years_apart", 10) is None else
                           _positive_int(doc, ("thresholds", "birth_years_apart"), th.get("birth_years_apart", 10))),
    )


def _positive_int(doc: _Doc, key: tuple, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise doc.fail(key, "need a whole number of at least 2")
    return value


def _m_floor(doc: _Doc, value) -> float:
    if not isinstance(value, (int, float)) or not 0 <= value < 0.5:
        raise doc.fail(("training", "m_floor"), "need a number in [0, 0.5)")
    return float(value)


ALERT_KINDS = ("drop", "rise", "zscore", "pct_change")
ALERT_TABLES = ("customers_clean", "quarantine", "customer_xref")
ALERT_METRICS = ("completeness", "validity", "uniqueness", "consistency", "timeliness", "age_days_median",
                 "duplicate_rate", "records_per_master", "quarantine_count", "flag_count", "row_count", "pass_rate")
_ALERT_KEYS = {"description", "table", "metric", "field", "source", "kind", "threshold", "nights", "min_history"}


@dataclass(frozen=True)
class AlertRule:
    name: str
    description: str
    table: str
    metric: str
    field: str
    source: str
    kind: str
    threshold: float
    nights: int
    min_history: int


def _choice(doc: _Doc, keys: tuple, value: Any, allowed: tuple) -> str:
    if value not in allowed:
        raise doc.fail(keys, f"'{value}' is not one of {', '.join(allowed)}")
    return str(value)


def _positive(doc: _Doc, keys: tuple, value: Any, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or kind(value) != value:
        raise doc.fail(keys, f"expected a {'whole ' if kind is int else ''}number >= 0, not {value!r}")
    return kind(value)


def _alert(doc: _Doc, name: str, raw: Any, defaults: dict) -> AlertRule:
    keys = ("alerts", name)
    raw = _mapping(doc, keys, raw, _ALERT_KEYS, {"table", "metric", "kind", "threshold"})
    nights = _positive(doc, keys + ("nights",), raw.get("nights", defaults.get("nights", 7)), int)
    min_history = _positive(doc, keys + ("min_history",), raw.get("min_history", defaults.get("min_history", 2)), int)
    if not 1 <= min_history <= nights:
        raise doc.fail(keys + ("min_history",), f"need 1 <= min_history <= nights ({nights})")
    return AlertRule(
        name=str(name), description=str(raw.get("description", "")),
        table=_choice(doc, keys + ("table",), raw["table"], ALERT_TABLES),
        metric=_choice(doc, keys + ("metric",), raw["metric"], ALERT_METRICS),
        field=str(raw.get("field", "any")), source=str(raw.get("source", "any")),
        kind=_choice(doc, keys + ("kind",), raw["kind"], ALERT_KINDS),
        threshold=_positive(doc, keys + ("threshold",), raw["threshold"], float),
        nights=nights, min_history=min_history,
    )


def load_alerts(folder: Path) -> dict[str, AlertRule]:
    doc = _Doc(Path(folder) / "alerts.yaml")
    top = _mapping(doc, (), doc.data, {"defaults", "alerts"}, {"alerts"})
    defaults = _mapping(doc, ("defaults",), top.get("defaults") or {}, {"nights", "min_history"})
    alerts = _mapping(doc, ("alerts",), top["alerts"] or {}, set(top["alerts"] or {}))
    return {str(name): _alert(doc, str(name), raw, defaults) for name, raw in alerts.items()}


def rules_problems(folder: Path) -> list[str]:
    """Every rules file loaded, as a run's stages would load them: the first error of each (file, line, key), so
    a run can refuse to start instead of failing each stage of each night."""
    out = []
    for load in (load_sources, load_standardization, load_validation, load_survivorship, load_matching, load_alerts):
        try:
            load(Path(folder))
        except RulesError as exc:
            if str(exc) not in out:
                out.append(str(exc))
    return out
