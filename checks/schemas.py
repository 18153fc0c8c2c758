"""Pandera models: CleanCustomer (the customers_clean table) and the rule-outcome schema built from the rules."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from checks.rule_checks import RULE_CHECKS

E164 = r"^\+[1-9]\d{6,14}$"


class CleanCustomer(pa.DataFrameModel):
    """One validated, standardised source record."""

    source_system: Series[str]
    source_file: Series[str]
    source_line: Series[int] = pa.Field(ge=1)
    source_record_id: Series[str]
    full_name: Series[str] = pa.Field(nullable=True)
    given_name: Series[str] = pa.Field(nullable=True)
    family_name: Series[str] = pa.Field(nullable=True)
    gender: Series[str] = pa.Field(isin=["M", "F", "U"])
    birth_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    phone: Series[str] = pa.Field(nullable=True, str_matches=E164)
    phone_raw: Series[str] = pa.Field(nullable=True)
    phone_valid: Series[bool]
    phone_type: Series[str] = pa.Field(nullable=True)
    email: Series[str] = pa.Field(nullable=True, str_contains="@")
    email_raw: Series[str] = pa.Field(nullable=True)
    email_valid: Series[bool]
    country: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{2}$")
    province: Series[str] = pa.Field(nullable=True)
    city: Series[str] = pa.Field(nullable=True)
    district: Series[str] = pa.Field(nullable=True)
    street: Series[str] = pa.Field(nullable=True)
    postcode: Series[str] = pa.Field(nullable=True)
    company: Series[str] = pa.Field(nullable=True)
    national_id: Series[str] = pa.Field(nullable=True)
    created_at: Series[pd.Timestamp] = pa.Field(nullable=True)
    updated_at: Series[pd.Timestamp] = pa.Field(nullable=True)
    last_activity_at: Series[pd.Timestamp] = pa.Field(nullable=True)
    email_opt_out: Series[object] = pa.Field(nullable=True)
    extra: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = False
        coerce = False


CANONICAL_FIELDS = list(CleanCustomer.to_schema().columns)


def _passes(series: pd.Series) -> pd.Series:
    return series


def rule_schema(names: list[str]) -> pa.DataFrameSchema:
    """A column per rule outcome, checked by a check of the rule's name: failure cases name the rule and row."""
    unknown = [n for n in names if n not in RULE_CHECKS]
    if unknown:
        raise ValueError(f"validation rules without a check: {', '.join(unknown)}")
    return pa.DataFrameSchema({n: pa.Column(bool, pa.Check(_passes, name=n)) for n in names})


def failure_cases(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """Lazy validation: every failure as (column, check, index); failing values are dropped, they are PII."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return cases[["column", "check", "index"]].reset_index(drop=True)
    return pd.DataFrame({"column": pd.Series(dtype=object), "check": pd.Series(dtype=object),
                         "index": pd.Series(dtype="int64")})
