"""E-mail addresses checked and normalised offline with email-validator (no DNS), lower-cased for matching."""
from __future__ import annotations

import functools
import re
import sys
from typing import Callable

import duckdb
import email_validator
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from email_validator import EmailNotValidError, validate_email
from publicsuffixlist import PublicSuffixList

from pipelines.standardize.arrow_text import matches, to_arrow
from pipelines.standardize.cache import ValueStore, cached, code_version
from pipelines.standardize.distinct import filled_later, map_distinct_rows_later

_WRAPPING = re.compile(r"^(?:mailto:)?\s*<?\s*|\s*>?\s*$", re.IGNORECASE)
_ANGLE = re.compile(r"<\s*(?:mailto:)?([^<>\s]+@[^<>\s]+)\s*>", re.IGNORECASE)
_NOTE = re.compile(r"\([^()@]*\)")   # a note in brackets (工作); brackets around the address are no note
# the address in brackets, after a name or alone: 'Zhang San (zs@qq.com)', '张三(zs@qq.com)', '[zs@qq.com]'
_BRACKETED = re.compile(r"[(\[【]\s*([^()\[\]【】\s@]+@[^()\[\]【】\s@]+)\s*[)\]】]")
_TAG = re.compile(r"</?[a-zA-Z][^<>@]*>")   # HTML pasted with the address: zs@qq.com<br>, <b>zs@qq.com</b>
_LIST = re.compile(r"[;,/|、\s]+")   # between the addresses of a cell holding several (zs@qq.com/ls@163.com)
# a quoted local part that needs no quotes ("zs"@qq.com is zs@qq.com, RFC 5321 4.1.2)
_QUOTED_ATOM = re.compile(r'^"([A-Za-z0-9!#$%&\'*+/=?^_`{|}~.\-]+)"@')
# Excel's mark of a cell typed as text ('zs@qq.com), or quotes around the address
_QUOTES = "'‘’"
FIELDS = ("email", "email_valid")
FLAGS = ("email_valid",)   # the bool fields


def _remember_domain_checks() -> None:
    """email-validator checks an address's domain from scratch at every call (its UTS-46 character tables are
    two thirds of a call), though the check reads the domain and two flags only and a night has few distinct
    domains (qq.com, 163.com, gmail.com). validate_email's module gets a memoised copy of that check, so each
    process checks a domain once. A domain that fails is not remembered: it raises again, through the library.
    Left alone when the library no longer has the function (a version whose internals moved)."""
    module = sys.modules.get("email_validator.validate_email")
    check = getattr(module, "validate_email_domain_name", None)
    if check is not None and not hasattr(check, "cache_info"):
        module.validate_email_domain_name = functools.lru_cache(maxsize=65536)(check)


def _split_plain_addresses() -> None:
    """email-validator splits an address character by character (quotes, escapes, combining marks, a display
    name in angle brackets): a third of a call. ASCII text with an @ and no quote or angle bracket has none of
    these, and its split is at its first @ (plain_split). validate_email's module gets a split that takes that
    short way for such text and the library's own for any other. Left alone when the library no longer has it."""
    module = sys.modules.get("email_validator.validate_email")
    split = getattr(module, "split_email", None)
    if split is None or getattr(split, "library_split", None) is not None:
        return

    def split_email(email: str):
        return plain_split(email) or split(email)
    split_email.library_split = split
    module.split_email = split_email


def plain_split(email: str) -> tuple[None, str, str, bool, str] | None:
    """split_email's answer (display name, local part as written, unquoted, quoted?, domain) for ASCII text with
    an @ and no quote or angle bracket; None for other text."""
    if not email.isascii() or '"' in email or "<" in email:
        return None
    local, at, domain = email.partition("@")
    return (None, local, local, False, domain) if at else None


_remember_domain_checks()
_split_plain_addresses()


def _psl_version() -> str:
    from importlib.metadata import version
    return version("publicsuffixlist")


def _one(key: tuple) -> tuple[str | None, bool]:
    return standardize_email(key[0])


# A label before the address (邮箱:zs@qq.com, Email: …), and punctuation around it (zs@qq.com; from a pasted list)
_LABEL = re.compile(r"^[^@]*[:：]\s*")
_PIECE = re.compile(r"^(?:\.[a-z0-9.\-]*|[a-z][a-z0-9._\-]*)$")   # a lower-case piece of an address
_AROUND = " ;,.、，；。:："
# before an address, a dot is no punctuation around it but a character of it ('.li@x.cn' is invalid, not li@x.cn)
_BEFORE = " ;,、，；:："
_STRAY_DOT = re.compile(r"^\s*[.。]+\s+")   # '. li@x.cn': a dot apart from the address is punctuation
# A bare address (most cells): one @, nothing address_part or _WRAPPING would take off, so neither runs
_BARE = re.compile(r"[^\s<>()\[\]【】@;,:：、，；。]+@[^\s<>()\[\]【】@;,:：、，；。]+")


_PAIRS = {"(": ")", "[": "]", "【": "】"}


def _lone_bracket(text: str) -> str:
    """A bracket at either end with no partner in the cell (x@example.com), [x@example.com) is punctuation left
    over from a pasted list, not part of the address."""
    text = text.strip()
    for opening, closing in _PAIRS.items():
        if text.endswith(closing) and opening not in text:
            text = text[:-1].rstrip()
        if text.startswith(opening) and closing not in text:
            text = text[1:].lstrip()
    return text


def address_part(text: str) -> str:
    """The address in what an export cell holds: '"Zhang San" <zs@qq.com>' (a display name), 'zs@qq.com (工作)'
    (a note), 'a@x.com; b@y.com' (several addresses: the first is the primary one), 'zs@qq.com 微信同号' or
    'Zhang San zs@qq.com' (words beside it), '邮箱:zs@qq.com' (a label), 'zs@qq.com;' (a separator left over)."""
    # a tag is a hard break, never joined away: '<script>alert(1)</script>@x.com' is no alert@x.com
    text = _TAG.sub("\n", text)
    angle = _ANGLE.search(text)
    if angle:
        return angle.group(1)
    bracketed = _BRACKETED.search(text)
    if bracketed and text.count("@") == 1:
        return bracketed.group(1)
    text = _STRAY_DOT.sub("", text)
    text = _lone_bracket(text)
    text = _NOTE.sub(" ", text)
    if text.count("@") > 1:
        parts = [p for p in _LIST.split(text) if p.count("@") == 1]
        text = parts[0] if parts else text
    words = text.split()
    at = [w for w in words if "@" in w]
    # the address among other words (a display name, a note, a label); not an address typed with spaces
    # ('zs @ qq.com', 'zs@qq .com', 'zhang san@163.com': lower-case pieces of it, removed later)
    pieces = all(_PIECE.match(w) for w in words if w not in at)
    if len(at) == 1 and not pieces and at[0].strip(_AROUND)[:1] != "@" and at[0].strip(_AROUND)[-1:] != "@":
        text = at[0]
    return _LABEL.sub("", text.lstrip(_BEFORE).rstrip(_AROUND)).lstrip(_BEFORE).rstrip(_AROUND)


# two addresses in one cell, apart: each with a local part and a domain, something other than @ between them
_SEVERAL = r"[^\s@<>()\[\]]+@[^\s@;,/|、，；<>()\[\]]+[\s;,/|、，；<>()\[\]][^@]*?[^\s@;,/|、，；<>()\[\]]+@[^\s@]+"


def several_addresses(raw: pd.Series) -> pd.Series:
    """Whether each e-mail cell holds more than one address (the rule several_emails); vectorised (RE2)."""
    return pd.Series(matches(to_arrow(raw), _SEVERAL), index=raw.index)


def standardize_email(raw: str) -> tuple[str | None, bool]:
    """(normalised address or None, valid). Text is already NFKC, so a full-width ＠ is an @ here."""
    text = str(raw).strip().strip(_QUOTES)
    text = _QUOTED_ATOM.sub(r"\1@", text)
    if not (_BARE.fullmatch(text) and text.rstrip(_AROUND) == text and text.lstrip(_BEFORE) == text):
        text = _WRAPPING.sub("", address_part(text)).replace(" ", "")
    try:
        # strict: a local part over 64 octets (RFC 5321) is invalid; mail servers refuse it
        info = validate_email(text, check_deliverability=False, allow_smtputf8=True, strict=True)
    except EmailNotValidError:
        return None, False
    if not known_domain(info.ascii_domain or info.domain):
        return None, False
    return info.normalized.lower(), True


@functools.lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False)   # the list the package ships: no download


@functools.lru_cache(maxsize=65536)
def known_domain(domain: str) -> bool:
    """Whether a domain ends in a top-level domain of the Public Suffix List (com, cn, co.uk, 中国): a@b.c,
    john@example.c0m and john@163.con pass the syntax check and reach nobody."""
    return _suffixes().publicsuffix(domain.casefold().rstrip(".")) is not None


def _parts(addresses: pd.Series) -> tuple[pa.Array, pa.Array]:
    """The local parts and domains of addresses (Arrow, over the whole column; null where there is none)."""
    parts = pc.extract_regex(to_arrow(addresses), "^(?P<local>[^@]*)@(?P<domain>[^@]*)$")   # one @: normalised
    return pc.struct_field(parts, [0]), pc.struct_field(parts, [1])


def suspects(addresses: pd.Series, local_parts: list[str], domains: list[str], common: list[str]
             ) -> tuple[pd.Series, pd.Series]:
    """(placeholder, typo domain) of each normalised address, vectorised (Arrow, the address split once):
    placeholder: filler typed into a required field (rules: emails.placeholder_*): its local part listed
    (noemail@gmail.com), its domain listed or under a listed one (x@mail.test.com), or its local part its domain's
    first label written with one repeated character or digits only (a@a.com, 123@123.com; the few addresses whose
    local part is that label are looked at one by one);
    typo domain: one typing slip from a common mail domain (rules: emails.common_domains) and not one itself, a
    letter missing, added or changed, or two swapped (gmial.com, hotmial.com, qq.co, 126.cm): DuckDB's
    Damerau-Levenshtein distance 1, once per distinct domain. A slip inside a first label of one or two letters
    (me.com, q.com) is not counted: most such neighbours are other real domains (ge.com, my.com, b.com); a slip
    in their suffix is (qq.co, me.cm)."""
    if not len(addresses):
        empty = pd.Series(False, index=addresses.index)
        return empty, empty.copy()
    local, domain = _parts(addresses)
    found = pc.fill_null(pc.is_in(local, value_set=pa.array(list(local_parts), pa.string())), False)
    if domains:
        under = "|".join(re.escape(d) for d in domains)
        found = pc.or_(found, pc.fill_null(pc.match_substring_regex(domain, f"(?:^|\\.)(?:{under})$"), False))
    label = pc.struct_field(pc.extract_regex(domain, "^(?P<label>[^.]*)"), [0])
    same = np.flatnonzero(pc.fill_null(pc.equal(local, label), False).to_numpy(zero_copy_only=False))
    placeholder = found.to_numpy(zero_copy_only=False).copy()
    for i, part in zip(same, local.take(pa.array(same, pa.int64())).to_pylist()):
        placeholder[i] = placeholder[i] or len(set(part)) == 1 or part.isdigit()
    typo = np.zeros(len(addresses), dtype=bool)
    if common:
        with duckdb.connect() as con:
            slipped = con.execute(
                "select distinct d from unnest($domains::varchar[]) t(d), unnest($common::varchar[]) c(c) "
                "where damerau_levenshtein(d, c) = 1 and not list_contains($common, d) "
                "and (length(split_part(c, '.', 1)) > 2 or split_part(d, '.', 1) = split_part(c, '.', 1))",
                {"domains": pc.drop_null(pc.unique(domain)).to_pylist(), "common": list(common)}).fetchall()
        typo = pc.fill_null(pc.is_in(domain, value_set=pa.array([d for (d,) in slipped], pa.string())),
                            False).to_numpy(zero_copy_only=False)
    return pd.Series(placeholder, index=addresses.index), pd.Series(typo, index=addresses.index)


VERSION = (f"email-validator {email_validator.__version__}; publicsuffixlist {_psl_version()}; "
           f"emails {code_version(__file__)}")


def standardize_emails(raw: pd.Series, store: ValueStore | None = None) -> pd.DataFrame:
    """Case is folded before the check (it changes no verdict and the result is lower-cased anyway), so
    spellings of one address share one library call."""
    return standardize_emails_later(raw, store)()


def standardize_emails_later(raw: pd.Series, store: ValueStore | None = None) -> Callable[[], pd.DataFrame]:
    """standardize_emails with the library calls running in the background; the returned function gives the frame."""
    keys = raw.str.strip().str.lower().to_frame("email")
    present = keys["email"].notna()
    out = pd.DataFrame({"email": None, "email_valid": False}, index=raw.index, dtype=object)
    pending = map_distinct_rows_later(keys[present], _one, FIELDS,
                                      apply=cached("email", VERSION, store, FIELDS, FLAGS)) \
        if present.any() else None
    return filled_later(out, present, pending, FIELDS, FLAGS)
