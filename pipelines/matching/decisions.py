"""Steward decisions (data/stewardship/decisions.csv): must-link, cannot-link and field overrides."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import pandas as pd

from pipelines.reporting.mask import FORMULA_LEADS, csv_safe
from pipelines.rules import GOLDEN_FIELDS, RulesError
from pipelines.standardize import emails, phones

COLUMNS = ["decision", "record_a", "record_b", "master_id", "field", "value", "decided_by", "decided_at", "note"]
KINDS = ("must_link", "cannot_link", "override")


@dataclass
class Decisions:
    must_link: list[tuple[str, str]] = field(default_factory=list)
    cannot_link: list[tuple[str, str]] = field(default_factory=list)
    overrides: list[tuple[str, str, str]] = field(default_factory=list)  # master_id, field, value


def load_decisions(path: Path, extension_markers: Sequence[str] = ()) -> Decisions:
    """Every decision; a malformed line is an error naming the file and line (decisions always win).
    extension_markers (转, 分机: rules/standardization.yaml) are read in a phone override as the nightly
    standardisation reads them."""
    out = Decisions()
    if not path.exists():
        return out
    for line, row in _rows(path):
        kind = (row.get("decision") or "").strip()
        if kind not in KINDS:
            raise RulesError(f"{path}:{line}: decision '{kind}' is not one of {', '.join(KINDS)}")
        if kind == "override":
            if not row.get("master_id") or row.get("field") not in GOLDEN_FIELDS:
                raise RulesError(f"{path}:{line}: an override needs master_id and a golden field name")
            out.overrides.append((row["master_id"], row["field"], typed_override(
                path, line, row["field"], _unquoted(row.get("value") or ""), extension_markers)))
            continue
        a, b = (row.get("record_a") or "").strip(), (row.get("record_b") or "").strip()
        if not a or not b or ":" not in a or ":" not in b:
            raise RulesError(f"{path}:{line}: {kind} needs record_a and record_b as source:record_id")
        (out.must_link if kind == "must_link" else out.cannot_link).append((a, b))
    return out


def _rows(path: Path) -> Iterator[tuple[int, dict]]:
    """Each decision with the line it starts on (a note may span lines), as csv.DictReader reads it. The file may
    start with the byte-order mark Excel's "CSV UTF-8" writes; text in another encoding (Excel's plain CSV on
    Chinese Windows writes GBK) is an error naming the line, not a crash of the masters."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise RulesError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}): save the file as "
                         "CSV UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    ended = 0
    for row in reader:
        start, ended = ended + 1, reader.line_num
        if not row:
            continue
        if header is None:
            header = row
            continue
        record = dict(zip(header, row + [None] * (len(header) - len(row))))
        if len(row) > len(header):
            record[None] = row[len(header):]
        yield start, record


def typed_override(path: Path, line: int, field_name: str, value: str, extension_markers: Sequence[str] = ()):
    """The override's value as its golden column's type; a value that does not fit names the file and line. A
    phone is read as the nightly standardisation reads a cell (phones.standardize_phones: its extension
    written ext. 8001, 转 8001 with the rules' markers, or after a CN landline's second dash)."""
    if field_name == "birth_date":
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise RulesError(f"{path}:{line}: birth_date override must be a date written YYYY-MM-DD") from None
    if field_name == "email_opt_out":
        flag = value.strip().lower()
        if flag not in ("true", "false"):
            raise RulesError(f"{path}:{line}: email_opt_out override must be true or false")
        return flag == "true"
    # the fields the golden record holds in a standard form get it from the nightly standardisers, and a value
    # that has none is refused (it would fail the masters' expectations on every later run)
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    if field_name == "phone":
        read = phones.standardize_phones(pd.Series([text], dtype=object), pd.Series([None], dtype=object),
                                         None, list(extension_markers)).iloc[0]
        number, valid, extension = read["phone"], bool(read["phone_valid"]), read["phone_extension"]
        if not valid:
            raise RulesError(f"{path}:{line}: phone override must be a valid number written with its country code, "
                             "e.g. +86 138 0013 8000")
        return number + (EXTENSION + extension if extension else "")
    if field_name == "email":
        address, valid = emails.standardize_email(text.lower())
        if not valid:
            raise RulesError(f"{path}:{line}: email override must be a valid e-mail address")
        return address
    if field_name == "gender" and text.upper() not in ("M", "F", "U"):
        raise RulesError(f"{path}:{line}: gender override must be M, F or U")
    if field_name == "country" and not re.fullmatch("[A-Za-z]{2}", text):
        raise RulesError(f"{path}:{line}: country override must be an ISO 3166-1 alpha-2 code such as CN or US")
    return text.upper() if field_name in ("gender", "country") else text


EXTENSION = " ext. "   # between a phone override's E.164 number and its extension


def split_extension(phone: str) -> tuple[str, str | None]:
    """A typed phone override as (E.164 number, extension or None)."""
    number, _, extension = phone.partition(EXTENSION)
    return number, extension or None


def override_text(value) -> str:
    """How a typed override is written to decisions.csv: what typed_override reads back as the same value."""
    if isinstance(value, bool):
        return str(value).lower()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _unquoted(text: str) -> str:
    """A value as written by record_decision: the quote that keeps a spreadsheet from reading a formula dropped."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_LEADS) else text


def record_decision(path: Path, kind: str, record_a: str = "", record_b: str = "", master_id: str = "",
                    field_name: str = "", value: str = "", decided_by: str = "", note: str = "") -> None:
    if kind not in KINDS:
        raise ValueError(f"decision must be one of {', '.join(KINDS)}")
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if new:
            writer.writerow(COLUMNS)
        # stewards open the file in spreadsheets: a value, name or note that reads as a formula is quoted
        writer.writerow([kind, record_a, record_b, master_id, field_name, csv_safe(value), csv_safe(decided_by),
                         dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), csv_safe(note)])
