"""Code lists from rules/standardization.yaml: gender, yes/no and country values to canonical codes."""
from __future__ import annotations

import pandas as pd
import phonenumbers

_REGIONS = {r.casefold(): r for r in phonenumbers.SUPPORTED_REGIONS}


def standardize_gender(raw: pd.Series, synonyms: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """(gender M/F/U, unknown flag): values not in the list become U and are flagged."""
    mapped = raw.str.casefold().map(synonyms)
    unknown = raw.notna() & mapped.isna()
    return mapped.fillna("U").astype(object), unknown


def standardize_boolean(raw: pd.Series, values: dict[str, bool]) -> pd.Series:
    return raw.str.casefold().map(values).astype(object).where(lambda s: s.notna(), None)


def standardize_country(raw: pd.Series, synonyms: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """(ISO alpha-2 or None, unknown flag): names from the list, else any region code phonenumbers knows."""
    folded = raw.str.casefold()
    mapped = folded.map(synonyms).astype(object)
    mapped = mapped.where(mapped.notna(), folded.map(_REGIONS))
    unknown = raw.notna() & mapped.isna()
    return mapped.astype(object).where(mapped.notna(), None), unknown


def standardize_identifier(raw: pd.Series) -> pd.Series:
    """National / customer ids: upper case, separators (space, hyphen, dot, slash) removed; empty -> null."""
    out = raw.astype("string").str.upper().str.replace(r"[\s\-./]", "", regex=True)
    return out.where(out.str.len() > 0).astype(object).where(lambda s: s.notna(), None)
