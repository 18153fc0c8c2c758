"""Unicode NFKC (full-width digits and ＠), whitespace folding and null tokens, once per distinct value."""
from __future__ import annotations

import re
import sys
import unicodedata
from functools import partial

import pandas as pd

from pipelines.standardize.distinct import map_distinct

_SPACE = re.compile(r"\s+")
# Characters NFKC leaves alone but exports use in place of ASCII punctuation; control characters (category Cc:
# NUL, escapes) become a space, invisible format characters (Cf: zero-width spaces and joiners, BOM, soft hyphen,
# the bidirectional overrides that make a name display reversed) are dropped.
_EXTRA = str.maketrans({
    **{chr(c): " " if unicodedata.category(chr(c)) == "Cc" else None for c in range(sys.maxunicode + 1)
       if unicodedata.category(chr(c)) in ("Cc", "Cf")},
    "。": ".", "、": ",", "\u00a0": " "})


def visible(text: str) -> str:
    """text without its invisible format characters (a BOM, zero-width spaces), control characters as spaces, and
    the CJK punctuation _EXTRA maps (。、) as ASCII."""
    return text.translate(_EXTRA)


def clean_text(value: str, null_tokens: frozenset[str] = frozenset()) -> str | None:
    text = _SPACE.sub(" ", visible(unicodedata.normalize("NFKC", str(value)))).strip()
    return None if text.casefold() in null_tokens or not text else text


def clean_column(series: pd.Series, null_tokens: set[str]) -> pd.Series:
    return map_distinct(series, partial(clean_text, null_tokens=frozenset(null_tokens)))


def lookup(series: pd.Series, table: dict[str, object]) -> pd.Series:
    """Case-insensitive dictionary lookup; values not in the table become NaN."""
    return series.str.casefold().map(table)
