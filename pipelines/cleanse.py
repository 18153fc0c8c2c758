"""Standardises raw_customers rows, validates them and splits them into customers_clean and quarantine."""
from __future__ import annotations

import dataclasses
import json
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from checks.rule_checks import DATE_FIELDS, outcomes
from checks.schemas import CANONICAL_FIELDS, CleanCustomer, failure_cases, rule_schema
from checks.triage import Triage, triage
from pipelines import collector, workers
from pipelines.readers.base import REPEATED
from pipelines.readers.delimited import header_key
from pipelines.rules import MAPPABLE_FIELDS, NAME_FIELDS, Rules, Source, Standardization
from pipelines.standardize import (addresses, arrow_text, codes, date_order, dates, emails, names, not_customers,
                                   phones, text)
from pipelines.standardize.cache import ValueStore
from pipelines.warehouse.serial import Serial
from pipelines.warehouse.store import append, clear_partition, read_arrow, to_frame, transaction
from pipelines.warehouse.value_cache import DuckDBValueStore

# Rows standardised at a time (CRM_CHUNK_ROWS): pandas holds one chunk of object columns, not the whole night.
# All versions of a record are in one chunk (see read_raw_for_cleansing.sql). Measured at 1,000,000 rows
# (docs/benchmarks.md): one pass 147-171 s with 6.8-7.0 GB held, chunks of 200,000 132-150 s with 2.6 GB (the
# library calls of a chunk overlap its other work, so chunks no longer cost time); later, back to back,
# chunks of 200,000 61.8 s and of 100,000 69.6 s (1.8-1.9 GB held either way).
CHUNK_ROWS = int(os.environ.get("CRM_CHUNK_ROWS", "200000"))
LINEAGE = ["partition_date", "run_id", "source_system", "source_file", "source_line", "source_record_id"]
QUARANTINE_COLUMNS = LINEAGE + ["field", "rule", "reason", "other_rules"]


@dataclass
class Cleansed:
    rows: pd.DataFrame        # the chunk's standardised rows, flags applied; _clean marks the customers_clean ones
    quarantine: pd.DataFrame

    @property
    def clean(self) -> int:
        return int(self.rows["_clean"].sum())


# customers_clean's columns, in the order of the table
CLEAN_COLUMNS = ["partition_date", "run_id"] + CANONICAL_FIELDS + ["quality_flags"]


# A time's zone at the end of its text: Z, +08:00, +0800, +08 (PostgreSQL writes hours alone), UTC, UTC+8,
# GMT+0800 (China Standard Time)
_ZONE = r"(?:Z|[+-]\d\d(?::?\d\d)?|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d\d)?)?)(?:\s*\([^()]*\))?\s*$"
# A zone of offset zero: Z, +00:00, -0000, +00, UTC, GMT, UTC+0, GMT+0000 (Coordinated Universal Time)
_ZERO_ZONE = r"(?:Z|[+-]00(?::?00)?|(?:UTC|GMT)(?:\s*[+-]0{1,2}(?::?00)?)?)(?:\s*\([^()]*\))?\s*$"
# A zone counts after a time (T00:00:00+08:00, 00:00 GMT, 10:00:00+08): a date's own dashes (05-03-1990,
# 2024-03-05) are none, as no time comes before them
_TIME = r"\d:\d\d(?::\d\d(?:\.\d+)?)?"
_UTC_OFFSET = rf"(?i)({_TIME})\s*{_ZONE}"   # the time kept, its zone dropped (a birth date keeps its day)
_ZONED = rf"(?i){_TIME}\s*{_ZONE}"   # a time written with its zone: parse_timestamps has it in UTC already
_IN_UTC = rf"(?i){_TIME}\s*{_ZERO_ZONE}"   # a time written in UTC (1990-03-04T16:00:00.000Z)
# milliseconds since 1970 (dates.parse_timestamps): an instant, in UTC; but twelve digits that are a date and time
# (202403051004, dates.calendar_minutes) are that minute, written in the source's time
_EPOCH_MS = r"^\s*\d{12,13}(?:\.\d*)?\s*$"


def _source_dates(raw: pd.DataFrame, field: str, rules: Rules) -> tuple[pd.Series, pd.Series]:
    """(timestamps, unparseable flag) of a date field: read in SQL where read_raw_for_cleansing.sql parsed it
    (_parsed_<field>), by dates.parse_timestamps with the source's formats for the other values. Times are
    returned in UTC (_in_utc); a birth date is a day, not an instant, in its source's time (_local_days)."""
    std = rules.standardization

    def parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
        if field == "birth_date":   # a day, not an instant: 1990-03-05T00:00:00+08:00 is born on the 5th
            values = values.str.replace(_UTC_OFFSET, r"\1", regex=True)
        out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        bad = pd.Series(False, index=values.index)
        systems = raw.loc[values.index, "source_system"]   # not a copy of the rows' every column
        other = (raw.loc[values.index, "_other_date_order"].fillna(False).astype(bool) if "_other_date_order" in raw
                 else pd.Series(False, index=values.index))
        for (name, other_order), rows in values.groupby([systems, other]).groups.items():
            source = rules.sources.get(name)
            out.loc[rows], bad.loc[rows] = dates.parse_timestamps(
                values.loc[rows], _formats(source, rules, other_order), _day_first(source, other_order),
                (std.excel_date_min, std.excel_date_max))
        return out, bad
    out, bad = dates.fill_unparsed(raw.get(f"_parsed_{field}"), raw[field], parse)
    return (_local_days(out, raw, field, rules) if field == "birth_date" else _in_utc(out, raw, field, rules)), bad


def _local_rows(times: pd.Series, raw: pd.DataFrame, field: str, rules: Rules):
    """(time zone, rows, their text as Arrow) of each source whose timezone is not UTC, for its rows holding a
    time. Only the source's rows are searched (a whole-column pandas search cost 5 s a night at 1,000,000 rows)."""
    local = {name: s.timezone for name, s in rules.sources.items() if s.timezone != "UTC"}
    if not local or not times.notna().any():
        return
    for name, zone in local.items():
        rows = times.index[(raw["source_system"] == name).to_numpy() & times.notna().to_numpy()]
        if len(rows):
            text = raw.loc[rows, field]
            yield zone, rows, arrow_text.to_arrow(text.where(text.notna(), "").astype(str))


def _in_utc(times: pd.Series, raw: pd.DataFrame, field: str, rules: Rules) -> pd.Series:
    """Times of sources whose exports write local time without an offset (sources.yaml timezone: 悟空CRM's China
    time) moved to UTC, as the times written with an offset are: otherwise a WukongCRM update at 15:00 China
    time (07:00 UTC) sorts after a Salesforce one at 10:00 UTC, and most_recent picks the older value. Epoch
    milliseconds are an instant already; a twelve-digit YYYYMMDDhhmm stamp is local time like any other."""
    out = times
    for zone, rows, text in _local_rows(times, raw, field, rules):
        epoch = arrow_text.matches(text, _EPOCH_MS)
        if epoch.any():   # few rows: the twelve digits read as a date and time are no milliseconds
            written = dates.as_number_text(raw.loc[rows[epoch], field].astype(str))
            epoch[epoch] = dates.calendar_minutes(written).isna().to_numpy()
        rows = rows[~(arrow_text.matches(text, _ZONED) | epoch)]
        # a time in the hour a fall-back repeats is read as its first occurrence (summer time), not emptied
        moved = times.loc[rows].dt.tz_localize(zone, ambiguous=np.ones(len(rows), dtype=bool),
                                               nonexistent="shift_forward")
        out = out.copy() if out is times else out
        out.loc[rows] = moved.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    return out


def _local_days(births: pd.Series, raw: pd.DataFrame, field: str, rules: Rules) -> pd.Series:
    """Birth dates written in UTC by a source whose timezone is not UTC, moved to the source's time before their
    day is taken: a JavaScript date picker in China writes midnight of 1990-03-05 as 1990-03-04T16:00:00.000Z.
    A birth date written with another offset keeps its written day (_UTC_OFFSET dropped the offset), as does
    one of a source in UTC. Midnight UTC itself (1990-03-05T00:00:00.000Z) is a day written as a UTC timestamp,
    not a local midnight: it keeps its day (west of Greenwich it would fall on the day before)."""
    out = births
    for zone, rows, text in _local_rows(births, raw, field, rules):
        rows = rows[arrow_text.matches(text, _IN_UTC)]
        rows = rows[(births.loc[rows] != births.loc[rows].dt.normalize()).to_numpy()]
        if len(rows):
            moved = births.loc[rows].dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
            out = out.copy() if out is births else out
            out.loc[rows] = moved.to_numpy()
    return out


# Text made only of printable ASCII, tab/newline and CJK unified ideographs (basic block and extension A) is
# final once its whitespace is folded: NFKC and clean_text change none of these characters. Such values are
# cleaned in SQL; a row holding any other character (full-width forms, accents, invisible characters) goes to
# Python's NFKC.
SETTLED_TEXT = r"[\t\n\r -~\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}]*"
# Such text whose whitespace is already folded (single spaces between words, none at either end, not empty): most
# values. One match settles them; only the others are folded and measured against SETTLED_TEXT.
_VISIBLE = r"!-~\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}"
FINAL_TEXT = f"[{_VISIBLE}]+(?: [{_VISIBLE}]+)*"


PARSED_DATES = list(DATE_FIELDS) + ["birth_date"]


def cleansing_select(rules: Rules) -> tuple[dict[str, str], dict[str, object]]:
    """SQL fragments for read_raw_for_cleansing.sql, and the parameters they use besides the chunk's: per
    canonical field, whether its text is final as it is (FINAL_TEXT), else whether it is settled and its
    whitespace-folded form (measured once), then the cleaned value: null for a null token, the folded form
    when settled, else the text as read (for Python's NFKC). Date fields of settled rows are parsed with their
    source's formats (_parsed_<field>)."""
    final = "regexp_full_match({f}, '{final}') as _final_{f}"
    measured = ("case when _final_{f} then true else regexp_full_match({f}, '{settled}') end as _settled_{f}, "
                "case when _final_{f} then {f} else nullif(trim(regexp_replace({f}, '\\s+', ' ', 'g')), '') end "
                "as _folded_{f}")
    cleaned = ("case when list_contains(${tokens}, lower(_folded_{f})) then null "
               "when _settled_{f} then _folded_{f} else {f} end as {f}")
    fields = MAPPABLE_FIELDS
    assert len(fields) < 63, "nfkc_fields holds one bit per field in a BIGINT"
    strptime, params = date_formats_case(rules)
    parsed = ("case when _settled_{f} and not list_contains($null_tokens, lower(_folded_{f})) then "
              + strptime.format(text="_folded_{f}") + " end as _strptime_{f}")
    fragments = {
        "field_names": ", ".join(fields),
        "helper_names": ", ".join([f"_final_{f}, _settled_{f}, _folded_{f}" for f in fields]
                                  + [f"_strptime_{f}" for f in PARSED_DATES]),
        "final": ",\n        ".join(final.format(f=f, final=FINAL_TEXT) for f in fields),
        "measured": ",\n        ".join(measured.format(f=f, settled=SETTLED_TEXT) for f in fields),
        "cleaned": ",\n    ".join(cleaned.format(f=f, tokens="name_null_tokens" if f in NAME_FIELDS else "null_tokens")
                                   for f in fields),
        "parsed": ",\n        ".join(parsed.replace("{f}", f) for f in PARSED_DATES),
        "in_range": ",\n    ".join(f"{dates.sql_in_range('_strptime_' + f)} as _parsed_{f}" for f in PARSED_DATES),
        "nfkc_fields": " + ".join(f"(case when coalesce(_settled_{f}, true) then 0 else {1 << i} end)"
                                  for i, f in enumerate(fields))}
    fragments["not_customers"], kinds = not_customers.select(rules)
    std = rules.standardization
    return fragments, {"other_order_files": [], "null_tokens": sorted(std.null_tokens),
                       "name_null_tokens": sorted(std.null_tokens_of("full_name")), **params, **kinds}


def _day_first(source: Source | None, other_order: bool = False) -> bool:
    """Whether a file of the source is read day first: the source's order (day_first), or the other one for a
    file that writes its dates so (date_order.py)."""
    return bool(source and source.day_first) != bool(source and other_order)


def _formats(source: Source | None, rules: Rules, other_order: bool = False) -> list[str]:
    """The formats a source's dates are tried with: its own, then the global ones; for a file writing its dates
    in the other order of day and month than the source declares, every year-last format in that order."""
    formats = (source.date_formats if source else []) + rules.standardization.date_formats
    if other_order and source:
        return [date_order.in_order(f, _day_first(source, other_order)) for f in formats]
    return formats


def date_formats_case(rules: Rules) -> tuple[str, dict[str, object]]:
    """SQL parsing `{text}` with its row's source's formats, as far as DuckDB reads them as pandas does
    (dates.sql_formats), and the parameters it uses (source names and format lists, never spliced in)."""
    fallback = dates.sql_formats(_formats(None, rules))   # a row of no source declared: the global formats
    params: dict[str, object] = {"date_formats_other": fallback or ["%Y"]}
    other = "try_strptime({text}, $date_formats_other)" if fallback else "null::timestamp"

    def case(other_order: bool) -> str:
        branches, tag = [], "_other_order" if other_order else ""
        for i, (name, source) in enumerate(sorted(rules.sources.items())):
            formats = dates.sql_formats(_formats(source, rules, other_order))
            if formats:
                params[f"date_source_{i}"], params[f"date_formats{tag}_{i}"] = name, formats
                branches.append(f"when $date_source_{i} then try_strptime({{text}}, $date_formats{tag}_{i})")
        return f"case source_system {' '.join(branches)} else {other} end" if branches else other

    # a file writing its dates in the order its source does not declare (date_order.py): its own formats
    return f"case when _other_date_order then {case(True)} else {case(False)} end", params


def _clean_text(f: pd.DataFrame, fields: list[str], std: Standardization) -> None:
    """NFKC and the rest of text.clean_text, in Python, for the values SQL did not settle: those marked in the
    row's nfkc_fields (bit i for MAPPABLE_FIELDS[i], set by read_raw_for_cleansing.sql), or every value of a
    frame that did not come through it."""
    marks = f["nfkc_fields"].to_numpy() if "nfkc_fields" in f else None
    for field in fields:
        todo = (marks & (1 << MAPPABLE_FIELDS.index(field))) != 0 if marks is not None else slice(None)
        f.loc[todo, field] = text.clean_column(f.loc[todo, field], std.null_tokens_of(field))


@dataclass
class Started:
    """A chunk whose name, phone, e-mail and address work runs in worker processes (start_standardize)."""
    frame: pd.DataFrame
    names: Callable[[], pd.DataFrame]
    phones: Callable[[], pd.DataFrame]
    emails: Callable[[], pd.DataFrame]
    addresses: Callable[[], pd.DataFrame]


# What the work started in worker processes reads: cleaned first.
BACKGROUND_FIELDS = ["full_name", "given_name", "family_name", "phone", "email", "country", "province", "city",
                     "district", "street", "address"]


def start_standardize(raw: pd.DataFrame, rules: Rules, store: ValueStore | None = None) -> Started:
    """The first part of standardize: the text of the fields the per-value libraries, the name splitter and the
    address parser read is cleaned, and their work started in worker processes; it goes on while the caller
    does other work."""
    std = rules.standardization
    f = raw
    _clean_text(f, BACKGROUND_FIELDS, std)
    f["country"], f["_unknown_country"] = codes.standardize_country(f["country"], std.countries)
    default_region = f["source_system"].map({n: s.phone_region for n, s in rules.sources.items()})
    f["_contact_in_name"] = names.contacts_out_of_names(f)
    f["phone_raw"], f["email_raw"] = f["phone"], f["email"]
    # a cell holding several values keeps its first, flagged (rules several_*)
    f["_several_phones"] = phones.several_numbers(f["phone"])
    f["_several_emails"] = emails.several_addresses(f["email"])
    f["_several_names"] = names.several_names(f["full_name"])
    # names first: finish_standardize needs them before the others, and the workers take tasks in order;
    # a Japanese record (country JP, or none and a source in Japan) has its kanji names split as Japanese ones
    region = f["country"].fillna(default_region)   # the row's country, else its source's phone region
    return Started(f, names.standardize_names_later(f, std.compound_surnames, std.name_prefixes,
                                                    std.organisation_words, region.eq("JP"),
                                                    std.japanese_honorifics),
                   phones.standardize_phones_later(f["phone"], region, store,
                                                   std.phone_extension_markers),
                   emails.standardize_emails_later(f["email"], store),
                   addresses.standardize_addresses_later(f, std.address_suffixes, std.address_aliases, store,
                                                         std.address_divisions_added, std.address_ethnic_groups,
                                                         std.address_latin_provinces,
                                                         std.address_latin_province_words,
                                                         std.address_latin_division_words,
                                                         std.address_places_abroad))


def finish_standardize(started: Started, rules: Rules) -> pd.DataFrame:
    """The rest of standardize: the other columns, then the background results taken in."""
    std = rules.standardization
    f = started.frame
    _clean_text(f, [c for c in MAPPABLE_FIELDS if c not in BACKGROUND_FIELDS], std)
    f["gender"], f["_unknown_gender"] = codes.standardize_gender(f["gender"], std.gender)
    # maybe: no answer, flagged
    f["email_opt_out"], f["_unknown_opt_out"] = codes.standardize_opt_out(f["email_opt_out"], f["email_opt_in"],
                                                                          std.booleans, std.subscription)
    # an active column (Zendesk's active, 是否有效) is a deleted one turned round
    f["deleted"] = codes.standardize_deleted(f["deleted"], f["active"], std.booleans, std.record_status)
    f["national_id"] = codes.standardize_identifier(f["national_id"])
    f["_not_customer"] = not_customers.not_a_customer(f, rules)
    # the label in the full name, or in the name parts of a source that maps those (Salesforce's First Name: Total)
    written = f["full_name"].copy()
    parts = written.isna() & (f["given_name"].notna() | f["family_name"].notna())
    written[parts] = f.loc[parts, "given_name"].str.cat(f.loc[parts, "family_name"], sep=" ", na_rep="").str.strip()
    f["_summary_row"] = (names.summary_rows(written, std.summary_labels) & f["phone_raw"].isna()
                         & f["email_raw"].isna())
    f[list(names.FIELDS)] = started.names()
    f["_bad_dates"] = False
    # a timestamp after its night (more than a day past it: time zones) was made up or mistyped (2031 for 2021):
    # flagged and emptied, or it would be the newest forever and win every most_recent golden value
    latest = pd.to_datetime(f["partition_date"]) + FUTURE_SLACK
    for field in DATE_FIELDS:
        f[field], bad = _source_dates(f, field, rules)
        future = f[field] > latest
        f[field] = f[field].where(~future)
        f["_bad_dates"] |= bad | future
    f["birth_date"], bad_birth = _source_dates(f, "birth_date", rules)
    # a birth date after the row's night is in the future: raw_customers rows carry their night (partition_date)
    f["_bad_birth_date"] = (bad_birth | dates.out_of_range(f["birth_date"], std.birth_date_min, f["partition_date"])
                            | f["birth_date"].dt.normalize().isin(pd.to_datetime(std.birth_date_placeholders)))
    f["birth_date"] = f["birth_date"].dt.normalize().where(~f["_bad_birth_date"])
    addr = started.addresses()
    f[["province", "city", "district", "street", "postcode", "address_ambiguous"]] = addr[
        ["province", "city", "district", "street", "postcode", "address_ambiguous"]]
    inferred = addr["address_cn"] & f["country"].isna()
    f.loc[inferred, "country"] = addr.loc[inferred, "address_country"]
    f[PHONE_COLUMNS] = _phones_in_inferred_country(f, started.phones()[PHONE_COLUMNS], inferred, rules)
    # filler typed into a required field (13800138000, noemail@x.com) is no contact: emptied and flagged
    f["_placeholder_phone"] = _filler(f["phone"], std)
    _phones_of_next_columns(f, rules)
    f.loc[f["_placeholder_phone"], PHONE_COLUMNS] = [None, False, None, None]
    f[["email", "email_valid"]] = started.emails()
    f["_placeholder_email"], f["_email_domain_typo"] = emails.suspects(
        f["email"], std.email_placeholder_local_parts, std.email_placeholder_domains, std.email_common_domains)
    f.loc[f["_placeholder_email"], ["email", "email_valid"]] = [None, False]
    f.loc[f["_placeholder_email"], "_email_domain_typo"] = False
    return f


# how far after the start of its night (UTC) a row's timestamps may be: the night's day in time zones ahead of UTC
FUTURE_SLACK = pd.Timedelta(days=2)


# the phone fields customers_clean takes from phones.standardize_phones
PHONE_COLUMNS = ["phone", "phone_valid", "phone_type", "phone_extension"]


def _phones_in_inferred_country(f: pd.DataFrame, numbers: pd.DataFrame, inferred: pd.Series, rules: Rules
                                ) -> pd.DataFrame:
    """Phones of rows whose country only their address told (a Chinese address, no country column) were read
    with the source's default region. In a source whose default is US, a national CN mobile (138 0013 8000) is
    invalid there, or worse valid as another number (180 1234 5678 reads as +1 801…), and a Hong Kong number
    (9123 4567) is invalid. Such rows are read again in the address's country: those invalid under the default
    region, and those written as a national CN mobile (11 digits, 13–19…) where the address is in China. The
    second reading is kept where it is valid. A call per distinct value, not cached: the value cache keys a
    number by its region, and its look-ahead between chunks follows the chunks' own calls."""
    default = f["source_system"].map({n: s.phone_region for n, s in rules.sources.items()})
    region = f["country"]
    candidates = inferred & f["phone"].notna() & region.ne(default)
    if not candidates.any():
        return numbers
    cn_mobile = phones.national_cn_mobile(f.loc[candidates, "phone"]) & region[candidates].eq("CN")
    retry = candidates & (~numbers["phone_valid"].astype(bool) | cn_mobile.reindex(f.index, fill_value=False))
    if not retry.any():
        return numbers
    again = phones.standardize_phones(f.loc[retry, "phone"], region[retry], None,
                                      rules.standardization.phone_extension_markers)
    found = again["phone_valid"].astype(bool)
    numbers.loc[found[found].index, PHONE_COLUMNS] = again.loc[found, PHONE_COLUMNS].to_numpy()
    return numbers


def _filler(numbers: pd.Series, std: Standardization) -> pd.Series:
    """Whether each E.164 number is filler (rules: phones.placeholders, phones.placeholder_patterns)."""
    return phones.placeholders(numbers, std.phone_placeholders, std.phone_placeholder_patterns)


def _phones_of_next_columns(f: pd.DataFrame, rules: Rules) -> None:
    """A source mapping several headers to the phone (手机, 电话; MobilePhone, Phone), or a file repeating its phone
    header (Phone Number, Phone Number__2), took the first column that holds a value and kept the next ones in
    extra. Where that first one is no usable number (invalid, or filler: _placeholder_phone), the next columns are
    read in order (the mapping's headers, each followed by its repeats) and the first valid number that is no
    filler is the phone, its cell the row's phone_raw (the first one stays in raw_customers). In place, the
    row's _placeholder_phone cleared with it; only rows whose phone cell held something unusable are looked at,
    their extra parsed one by one (few rows)."""
    std = rules.standardization
    unusable = f["phone_raw"].notna().to_numpy() & (~f["phone_valid"].astype(bool).to_numpy()
                                                    | f["_placeholder_phone"].to_numpy())
    if not unusable.any():
        return
    for name, source in rules.sources.items():
        rows = f.index[unusable & (f["source_system"] == name).to_numpy()]
        order = {header_key(h): i for i, h in enumerate(source.columns.get("phone", []))}
        if not order or not len(rows):
            continue

        def rank(header: str) -> tuple[int, int] | None:   # a phone header's place; its repeats (__2, __3) after it
            key = header_key(header)
            repeated = REPEATED.fullmatch(key)
            base, repeat = repeated.groups() if repeated else (key, "1")
            return (order[base], int(repeat)) if base in order else None
        candidates = {}
        for i, text in f.loc[rows, "extra"].dropna().items():
            values = json.loads(text) if text.startswith("{") else {}
            ranked = [(place, v) for k, v in values.items() if isinstance(v, str) and (place := rank(k)) is not None]
            candidates[i] = [v for _, v in sorted(ranked)]
        todo = set(rows)
        for step in range(max((len(v) for v in candidates.values()), default=0)):
            values = pd.Series({i: v[step] for i, v in candidates.items() if len(v) > step and i in todo},
                               dtype=object)
            if not len(values):
                continue
            region = f.loc[values.index, "country"].fillna(source.phone_region)
            found = phones.standardize_phones(values, region, None, std.phone_extension_markers)
            valid = found.index[found["phone_valid"].astype(bool) & ~_filler(found["phone"], std)]
            f.loc[valid, PHONE_COLUMNS] = found.loc[valid, PHONE_COLUMNS].to_numpy()
            f.loc[valid, "phone_raw"] = values[valid]
            f.loc[valid, "_placeholder_phone"] = False
            todo.difference_update(valid)


def standardize(raw: pd.DataFrame, rules: Rules, store: ValueStore | None = None) -> pd.DataFrame:
    """Canonical values for every raw row, plus the helper columns the rule checks read (_bad_*, *_raw).
    raw comes from read_raw_for_cleansing.sql (ASCII and CJK text already cleaned, nfkc_fields marks the other
    values) or, without nfkc_fields, is cleaned entirely here. The not_customers columns are read by that SQL
    only (not_customers.select): a frame without them has no row named no customer."""
    return finish_standardize(start_standardize(raw, rules, store), rules)


def _reasons(rows: pd.DataFrame, quarantined: pd.DataFrame, rules: Rules) -> pd.Series:
    described = quarantined["rule"].map({n: r.description for n, r in rules.validation.items()})
    schema = "value fails the " + quarantined["rule"].str.split(":").str[-1] + " check of column " + quarantined["field"]
    reason = described.fillna(schema)
    parse = rows.loc[quarantined.index, "parse_error"]
    return reason.where(quarantined["rule"] != "unparseable_record", "unparseable record: " + parse.fillna(""))


def validate(std: pd.DataFrame, rules: Rules) -> Triage:
    names_ = list(rules.validation)
    rule_cases = failure_cases(rule_schema(names_), outcomes(std, names_))
    # The column checks read the records the rules did not already reject (unparseable or without an id). The
    # whole chunk is validated in place and the other rows' cases dropped: taking the rows out first copied the
    # chunk's every column.
    column_cases = failure_cases(CleanCustomer.to_schema(), std)
    keyed = std["parse_error"].isna() & std["source_record_id"].notna()
    case_rows = pd.to_numeric(column_cases["index"], errors="coerce")
    column_cases = column_cases[case_rows.isna() | case_rows.isin(std.index[keyed])]
    return triage(pd.concat([rule_cases, column_cases], ignore_index=True), rules.validation, std.index)


# Flags that empty their field, so nothing downstream trusts it; its raw text stays in raw_customers.
EMPTIED_BY_FLAG = {"unknown_country": "country"}
# Rules whose quarantine.field is the row's own (a column of the row names it), not validation.yaml's
FIELD_OF_ROW = {"not_a_customer": "_not_customer"}


def split(std: pd.DataFrame, verdict: Triage, rules: Rules) -> Cleansed:
    """Quarantine entries, and the frame's rows marked for customers_clean (_clean) with their flags applied:
    the frame itself, changed in place, not a copy of its clean rows (the insert selects them)."""
    q = verdict.quarantined
    field = q["field"].astype(str)
    for rule, column in FIELD_OF_ROW.items():
        rows = q.index[q["rule"] == rule]
        field.loc[rows] = std.loc[rows, column].astype(str)
    quarantine = std.loc[q.index, LINEAGE].assign(
        field=field, rule=q["rule"], reason=_reasons(std, q, rules), other_rules=q["other_rules"])
    std["_clean"] = ~std.index.isin(q.index)
    flagged = verdict.flagged
    for rule, field in EMPTIED_BY_FLAG.items():
        std.loc[flagged.loc[flagged["rule"] == rule, "row"], field] = None
    std["quality_flags"] = verdict.flags
    return Cleansed(std, quarantine[QUARANTINE_COLUMNS].reset_index(drop=True))


def finish_cleanse(started: Started, rules: Rules) -> Cleansed:
    std = finish_standardize(started, rules)
    return split(std, validate(std, rules), rules)


@dataclass
class NightSummary:
    clean: int = 0
    quarantined: int = 0
    by_rule: dict[str, int] = dataclasses.field(default_factory=dict)
    # files read in the order of day and month their source does not declare (date_order.py)
    other_date_order: list[str] = dataclasses.field(default_factory=list)


def files_in_other_date_order(con: duckdb.DuckDBPyConnection, partition: str, rules: Rules) -> list[str]:
    """The night's files whose dates are written in the order of day and month their source does not declare."""
    counts = read_arrow(con, "date_order_of_files", {"partition": partition},
                        date_fields=", ".join(PARSED_DATES)).to_pylist()
    return [c["source_file"] for c in counts
            if (source := rules.sources.get(c["source_system"])) is not None and date_order.other_order(
                c["year_last"], c["day_first_only"], c["month_first_only"], source.day_first)]


def cleanse_night(con: duckdb.DuckDBPyConnection, partition: str, rules: Rules, run_id: str,
                  store: ValueStore | None = None, chunk_rows: int = CHUNK_ROWS) -> NightSummary:
    """raw_customers of a night into customers_clean and quarantine, chunk by chunk, replacing the night's
    rows of both tables in one transaction (a failure leaves the previous rows)."""
    rows = con.execute("select count(*) from raw_customers where partition_date = ?", [partition]).fetchall()[0][0]
    chunks = max(1, -(-rows // max(1, chunk_rows)))
    summary = NightSummary(other_date_order=files_in_other_date_order(con, partition, rules))
    fragments, query_params = cleansing_select(rules)
    params = {"partition": partition, "chunks": chunks, **query_params,
              "other_order_files": summary.other_date_order}

    def query(cursor: duckdb.DuckDBPyConnection, chunk: int) -> pa.Table:
        return read_arrow(cursor, "read_raw_for_cleansing", {**params, "chunk": chunk}, **fragments)

    def begin(table: pa.Table) -> Started | None:
        raw = to_frame(table)
        raw["run_id"] = run_id   # in place: assign would copy the chunk
        return start_standardize(raw, rules, store) if len(raw) else None

    # The cleansing SQL of the chunk after next runs in a thread of its own, on its own connection (DuckDB works
    # without the GIL), while this chunk's Python work goes on; raw_customers is committed, so it sees the rows.
    # Inside, the connection's statements run in order on a thread of their own (Serial): a chunk's rows and the
    # value cache's new results are written while the next chunk's Python work goes on.
    with closing(con.cursor()) as cursor, ThreadPoolExecutor(1) as reader, transaction(con), workers.pool(), \
            collector.paused(), Serial() as serial:
        if isinstance(store, DuckDBValueStore):
            store = store.through(serial)
        serial.run(clear_partition, con, partition, ["customers_clean", "quarantine"])
        upcoming = begin(query(cursor, 0))
        pending = reader.submit(query, cursor, 1) if chunks > 1 else None
        for chunk in range(chunks):
            # the next chunk's background work is queued now and runs while this one is finished and written
            current, upcoming = upcoming, begin(pending.result()) if chunk + 1 < chunks else None
            pending = reader.submit(query, cursor, chunk + 2) if chunk + 2 < chunks else None
            if current is None:
                continue
            out = finish_cleanse(current, rules)
            del current
            serial.later(append, con, "customers_clean", out.rows, columns=CLEAN_COLUMNS, where="_clean")
            serial.later(append, con, "quarantine", out.quarantine)
            summary.clean += out.clean
            summary.quarantined += len(out.quarantine)
            for rule, n in out.quarantine["rule"].value_counts().items():
                summary.by_rule[rule] = summary.by_rule.get(rule, 0) + int(n)
            del out
            collector.collect()
    return summary
