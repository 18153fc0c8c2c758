"""E-mail addresses checked and normalised offline with email-validator (no DNS), lower-cased for matching."""
from __future__ import annotations

import re

import pandas as pd
from email_validator import EmailNotValidError, validate_email

from pipelines.standardize.distinct import map_distinct, unpack

_WRAPPING = re.compile(r"^(?:mailto:)?\s*<?\s*|\s*>?\s*$", re.IGNORECASE)
FIELDS = ("email", "email_valid")


def standardize_email(raw: str) -> tuple[str | None, bool]:
    """(normalised address or None, valid). Text is already NFKC, so a full-width ＠ is an @ here."""
    text = _WRAPPING.sub("", str(raw)).replace(" ", "")
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None, False
    return info.normalized.lower(), True


def standardize_emails(raw: pd.Series) -> pd.DataFrame:
    """Case is folded before the check (it changes no verdict and the result is lower-cased anyway), so
    spellings of one address share one library call."""
    out = unpack(map_distinct(raw.str.strip().str.lower(), standardize_email, parallel=True), FIELDS)
    out["email_valid"] = out["email_valid"].eq(True)
    return out
