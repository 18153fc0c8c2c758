"""The named row checks behind rules/validation.yaml; each returns True where a row passes."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from pipelines.standardize.arrow_text import matches, to_arrow

DATE_FIELDS = ("created_at", "updated_at", "last_activity_at")


def _unparseable_record(f: pd.DataFrame) -> pd.Series:
    return f["parse_error"].isna()


def _missing_record_id(f: pd.DataFrame) -> pd.Series:
    return f["source_record_id"].notna() | f["parse_error"].notna()


def _rounded_record_id(f: pd.DataFrame) -> pd.Series:
    """An id a spreadsheet showed in scientific notation (1.23457E+11) lost its last digits: it may be another
    record's, so the row cannot be told apart or traced."""
    ids = f["source_record_id"]
    rounded = pd.Series(matches(to_arrow(ids), r"^[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+$"), index=ids.index)   # RE2
    return ~rounded | f["parse_error"].notna()


def _duplicate_record_id(f: pd.DataFrame) -> pd.Series:
    """Of the copies of one record id, the last one that is a record (read whole, with an identity) is kept:
    a later copy the other rules quarantine (an emptied row, a broken line) does not push the record out of
    customers_clean. When no copy is one, the last is kept, and its own rule quarantines it."""
    keyed = f["source_record_id"].notna()
    usable = (f["parse_error"].isna() & _no_identity(f)).to_numpy(bool)
    rank = pd.Series(usable.astype(np.int64) * len(f) + np.arange(len(f)), index=f.index)
    best = rank.groupby([f["source_system"], f["source_record_id"]], sort=False, dropna=False).transform("max")
    return ~keyed | rank.eq(best)


def _summary_row(f: pd.DataFrame) -> pd.Series:
    return ~f["_summary_row"] | f["parse_error"].notna()


def _deleted_in_source(f: pd.DataFrame) -> pd.Series:
    return f["deleted"].ne(True) | f["parse_error"].notna()


def _not_a_customer(f: pd.DataFrame) -> pd.Series:
    """A row sources.yaml's not_customers names (_not_customer: the column that says so) is no customer."""
    return f["_not_customer"].isna() | f["parse_error"].notna()


def _no_identity(f: pd.DataFrame) -> pd.Series:
    return f["full_name"].notna() | f["phone_valid"] | f["email_valid"] | f["parse_error"].notna()


def _invalid_email(f: pd.DataFrame) -> pd.Series:
    return f["email_raw"].isna() | f["email_valid"] | f["_placeholder_email"]   # a placeholder has its own rule


def _invalid_phone(f: pd.DataFrame) -> pd.Series:
    return f["phone_raw"].isna() | f["phone_valid"] | f["_placeholder_phone"]


def _not_marked(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    """The check of a rule standardisation marks rows for in a helper column (True = the rule fails)."""
    def check(f: pd.DataFrame) -> pd.Series:
        return ~f[column]
    check.__name__ = f"_not{column}"
    return check


RULE_CHECKS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "unparseable_record": _unparseable_record,
    "missing_record_id": _missing_record_id,
    "rounded_record_id": _rounded_record_id,
    "duplicate_record_id": _duplicate_record_id,
    "summary_row": _summary_row,
    "not_a_customer": _not_a_customer,
    "deleted_in_source": _deleted_in_source,
    "no_identity": _no_identity,
    "invalid_email": _invalid_email,
    "invalid_phone": _invalid_phone,
    "invalid_birth_date": _not_marked("_bad_birth_date"),
    "invalid_date": _not_marked("_bad_dates"),
    "unknown_gender": _not_marked("_unknown_gender"),
    "unknown_opt_out": _not_marked("_unknown_opt_out"),
    "unknown_country": _not_marked("_unknown_country"),
    "ambiguous_address": _not_marked("address_ambiguous"),
    "contact_in_name": _not_marked("_contact_in_name"),
    "several_phones": _not_marked("_several_phones"),
    "several_emails": _not_marked("_several_emails"),
    "several_names": _not_marked("_several_names"),
    "placeholder_phone": _not_marked("_placeholder_phone"),
    "placeholder_email": _not_marked("_placeholder_email"),
    "email_domain_typo": _not_marked("_email_domain_typo"),
}


def outcomes(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """One boolean column per rule (True = the row passes), the narrow frame pandera validates."""
    return pd.DataFrame({name: RULE_CHECKS[name](frame).astype(bool) for name in names}, index=frame.index)
