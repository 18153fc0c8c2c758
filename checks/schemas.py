"""Pandera models: CleanCustomer (the customers_clean table) and the rule-outcome schema built from the rules."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype
from pandera import dtypes
from pandera.engines import pandas_engine
from pandera.typing import Series

from checks.rule_checks import RULE_CHECKS
from pipelines.standardize.arrow_text import to_arrow, to_series

E164 = r"^\+[1-9]\d{6,14}$"
COUNTRY = r"^[A-Z]{2}$"


def _arrow_search(series: pd.Series, pattern: str, regex: bool = True) -> pd.Series:
    """Whether each text holds the pattern, found by Arrow over the column (RE2), where pandera's str_matches
    and str_contains run Python's re value by value: two million calls a night."""
    values = to_arrow(series)
    found = pc.match_substring_regex(values, pattern) if regex else pc.match_substring(values, pattern)
    return to_series(pc.fill_null(found, False), series.index, bool)


@pandas_engine.Engine.register_dtype
@dtypes.immutable
class Text(pandas_engine.NpString):
    """pandera's str, its check of a column's values done in one C pass (pandas' infer_dtype): pandera maps a
    Python function over every element, 28 million calls in a night of a million rows. A column holding
    anything but text and nulls is checked by pandera element by element, so its failure cases name the rows."""

    def check(self, pandera_dtype, data_container=None):
        if data_container is not None and infer_dtype(data_container, skipna=True) in ("string", "empty"):
            return True
        return super().check(pandera_dtype, data_container)


class CleanCustomer(pa.DataFrameModel):
    """One validated, standardised source record."""

    source_system: Series[Text]
    source_file: Series[Text]
    source_line: Series[int] = pa.Field(ge=1)
    source_record_id: Series[Text]
    full_name: Series[Text] = pa.Field(nullable=True)
    given_name: Series[Text] = pa.Field(nullable=True)
    family_name: Series[Text] = pa.Field(nullable=True)
    gender: Series[Text] = pa.Field(isin=["M", "F", "U"])
    birth_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    phone: Series[Text] = pa.Field(nullable=True)
    phone_raw: Series[Text] = pa.Field(nullable=True)
    phone_valid: Series[bool]
    phone_type: Series[Text] = pa.Field(nullable=True)
    phone_extension: Series[Text] = pa.Field(nullable=True)
    email: Series[Text] = pa.Field(nullable=True)
    email_raw: Series[Text] = pa.Field(nullable=True)
    email_valid: Series[bool]
    country: Series[Text] = pa.Field(nullable=True)
    province: Series[Text] = pa.Field(nullable=True)
    city: Series[Text] = pa.Field(nullable=True)
    district: Series[Text] = pa.Field(nullable=True)
    street: Series[Text] = pa.Field(nullable=True)
    postcode: Series[Text] = pa.Field(nullable=True)
    company: Series[Text] = pa.Field(nullable=True)
    national_id: Series[Text] = pa.Field(nullable=True)
    created_at: Series[pd.Timestamp] = pa.Field(nullable=True)
    updated_at: Series[pd.Timestamp] = pa.Field(nullable=True)
    last_activity_at: Series[pd.Timestamp] = pa.Field(nullable=True)
    email_opt_out: Series[object] = pa.Field(nullable=True)
    extra: Series[Text] = pa.Field(nullable=True)

    # pandera's str_matches / str_contains, under their names and failure texts, run by Arrow (_arrow_search)
    @pa.check("phone", name="str_matches", error=f"str_matches('{E164}')")
    def phone_is_e164(cls, series: pd.Series) -> pd.Series:
        return _arrow_search(series, E164)

    @pa.check("email", name="str_contains", error="str_contains('@')")
    def email_has_at(cls, series: pd.Series) -> pd.Series:
        return _arrow_search(series, "@", regex=False)

    @pa.check("country", name="str_matches", error=f"str_matches('{COUNTRY}')")
    def country_is_alpha2(cls, series: pd.Series) -> pd.Series:
        return _arrow_search(series, COUNTRY)

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
    """Lazy validation: every failure as (column, check, index); failing values are dropped, they are PII.
    In place: the schemas coerce nothing, so the frame is not copied first (a fifth of a chunk's validation)."""
    try:
        schema.validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return cases[["column", "check", "index"]].reset_index(drop=True)
    return pd.DataFrame({"column": pd.Series(dtype=object), "check": pd.Series(dtype=object),
                         "index": pd.Series(dtype="int64")})
