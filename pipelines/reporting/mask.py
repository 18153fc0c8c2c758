"""Masks personal values before anyone reads them, and neutralises spreadsheet formulas in CSV cells."""
from __future__ import annotations

import re
import unicodedata

from pipelines.standardize.text import visible

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_NON_DIGIT = re.compile(r"\D")
# A domain shown as it is: labels of letters, digits and hyphens (any script), dot-separated, the last one all
# ASCII letters, xn--…, or all letters of another script (中国). Anything else after the '@' (free text such as
# "qq.com / 张三 138…" or "qq.com张三138…", a second address) is masked.
_HOSTNAME = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+"
                       r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}|[^\W\d_A-Za-z]{1,63})")
MAX_STARS = 12   # a pasted megabyte stays a short mask: its length is not worth showing


def _stars(n: int) -> str:
    return "*" * n if n <= MAX_STARS else "*" * MAX_STARS + "…"


def _cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


def mask_phone(value: str | None) -> str | None:
    """+8613812348000 -> 138****8000: three first and four last digits of a national number of eleven digits or
    more; a shorter one shows at most its last four and never more than half its digits (6688 1234 -> ****1234,
    1234567 -> ****567)."""
    if value is None:
        return None
    digits = _NON_DIGIT.sub("", unicodedata.normalize("NFKC", str(value)))
    text = str(value).strip()
    if text.startswith("+86") and len(digits) > 11:
        digits = digits[2:]
    elif text.startswith("+1") and len(digits) == 11:
        digits = digits[1:]
    if len(digits) < 7:
        return _stars(len(digits)) or "***"
    if len(digits) < 11:
        shown = min(4, len(digits) // 2)
        return _stars(len(digits) - shown) + digits[-shown:]
    return digits[:3] + _stars(len(digits) - 7) + digits[-4:]


def mask_text(value: str | None) -> str | None:
    """Any other personal text: its first character and three stars."""
    if value is None:
        return None
    text = visible(str(value)).strip()   # the character shown is one a reader sees, not an ESC or an RLO
    return f"{text[:1]}***" if text else ""


def mask_email(value: str | None) -> str | None:
    """john.smith@example.com -> j***@example.com; text without '@' is masked as text, and so is a domain that
    is not a host name."""
    if value is None:
        return None
    user, at, domain = visible(str(value)).strip().rpartition("@")
    if not at or not user:
        return mask_text(value)
    shown = domain if len(domain) <= 253 and _HOSTNAME.fullmatch(domain) else mask_text(domain)
    return f"{user[:1]}***@{shown}"


def mask_name(value: str | None) -> str | None:
    """张三丰 -> 张**; John Smith -> J*** S***."""
    if value is None:
        return None
    text = visible(str(value)).strip()
    if _cjk(text):
        compact = "".join(text.split())
        return compact[:1] + _stars(max(len(compact) - 1, 1))
    parts = text.split()
    return " ".join(f"{part[:1]}***" for part in parts[:MAX_STARS]) + (" …" if len(parts) > MAX_STARS else "")


MASKERS = {"full_name": mask_name, "name": mask_name, "phone": mask_phone, "email": mask_email}
# Fields shown as they are: the ids a steward finds a record by and timestamps (SHOWN), and codes and places no
# one is identified by (PLACES, unless their text looks personal).
SHOWN = {"source_record_id", "record_id", "created_at", "updated_at", "last_activity_at"}
PLACES = {"gender", "country", "province", "city", "district"}
PLAIN = SHOWN | PLACES
# A code or place is short and holds no e-mail or number: text that is long or does (an export whose columns
# shifted puts a name, phone or e-mail in the gender or city column) is masked as text.
_LOOKS_PERSONAL = re.compile(r"@|\d{5,}|(?:\d[\s\-().+/]*){7,}")   # an e-mail, a number (138 1234 5678 too)
MAX_PLAIN = 40


def mask_field(field: str, value) -> str | None:
    """The masked form of `value` for a canonical field; unknown fields are masked as text. A plain field's text
    is shown without invisible characters (a right-to-left override would make it display reversed)."""
    if value is None:
        return None
    if field in PLAIN:
        text = visible(str(value)).strip()
        if field in SHOWN:
            return text[:60]
        return mask_text(text) if len(text) > MAX_PLAIN or _LOOKS_PERSONAL.search(text) else text
    return MASKERS.get(field, mask_text)(str(value))


def csv_safe(value) -> str:
    """A cell a spreadsheet shows as text: formulas (=, +, -, @, tab, CR first) get a leading quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_LEADS) else text
