"""Code lists from rules/standardization.yaml: gender, yes/no and country values to canonical codes."""
from __future__ import annotations

import gettext
import re
import unicodedata
from functools import lru_cache, partial

import pandas as pd
import phonenumbers
import pycountry

from pipelines.standardize.distinct import by_distinct

_REGIONS = {r.casefold(): r for r in phonenumbers.SUPPORTED_REGIONS}


def standardize_gender(raw: pd.Series, synonyms: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """(gender M/F/U, unknown flag): values not in the list become U and are flagged. A value written in two
    spellings (男(M), M/男) is read when both give the same answer."""
    return by_distinct(raw, partial(_gender, synonyms=synonyms))


def _gender(raw: pd.Series, synonyms: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    mapped = raw.str.casefold().map(synonyms)
    unmapped = raw.notna() & mapped.isna()
    if unmapped.any():
        mapped[unmapped] = raw[unmapped].map({v: _agreeing(v, synonyms) for v in raw[unmapped].unique()})
    unknown = raw.notna() & mapped.isna()
    return mapped.fillna("U").astype(object), unknown


_SPELLINGS = re.compile(r"[()（）/|,，、\s]+")


def _agreeing(value: str, synonyms: dict[str, str]) -> str | None:
    """The answer every spelling in a value gives (男(M): M), or None."""
    answers = {synonyms.get(part) for part in _SPELLINGS.split(str(value).casefold()) if part}
    return answers.pop() if len(answers) == 1 and None not in answers else None


def standardize_boolean(raw: pd.Series, values: dict[str, bool]) -> pd.Series:
    return by_distinct(raw, partial(_boolean, values=values))


def either_way(asked: pd.Series, turned: pd.Series, booleans: dict[str, bool], states: dict[str, bool]
               ) -> tuple[pd.Series, pd.Series]:
    """(answer, unknown flag) of a yes/no question from a column asking it or, where that holds no answer, a
    column asking the opposite, whose yes and no are turned round. Words stating the answer itself (states:
    unsubscribed, 无效) read alike in both. A value written in no list is no answer, flagged, as an empty cell is
    none."""
    out = standardize_boolean(asked, {**booleans, **states})
    opposite = standardize_boolean(turned, {**{k: not v for k, v in booleans.items()}, **states})
    out = out.where(out.notna(), opposite)
    return out, out.isna() & (asked.notna() | turned.notna())


def standardize_opt_out(opt_out: pd.Series, opt_in: pd.Series, booleans: dict[str, bool],
                        subscription: dict[str, bool]) -> tuple[pd.Series, pd.Series]:
    """(email_opt_out, unknown flag) from an opt-out column (yes: opted out) or, where it holds no answer, an
    opt-in one (Shopify's Accepts Email Marketing, yes: wants e-mail). Words stating the subscription itself
    (unsubscribed, 已订阅) read alike in both."""
    return either_way(opt_out, opt_in, booleans, subscription)


def standardize_deleted(deleted: pd.Series, active: pd.Series, booleans: dict[str, bool],
                        status: dict[str, bool]) -> pd.Series:
    """Whether the source marks each record deleted: from a deleted column (Salesforce IsDeleted, yes: deleted)
    or, where it holds no answer, an active one (Zendesk's active, 是否有效; yes: live). Words stating the
    record's status (无效, inactive, 正常) read alike in both; no answer (empty, unreadable) is not deleted."""
    return either_way(deleted, active, booleans, status)[0]


def _boolean(raw: pd.Series, values: dict[str, bool]) -> pd.Series:
    """A value in the lists, case ignored; 1.0 and 0.00 (a number column a spreadsheet saved) read as 1 and 0."""
    folded = raw.str.casefold().str.replace(r"^\s*([01])\.0*\s*$", r"\1", regex=True)
    return folded.map(values).astype(object).where(lambda s: s.notna(), None)


# Languages whose ISO 3166 country names are recognised besides English (pycountry's translations).
_NAME_LANGUAGES = ("zh_CN", "zh_TW", "zh_HK", "ja", "ko", "de", "fr", "es", "pt", "pt_BR", "it", "nl", "ru", "vi")


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Casefolded country name or code -> ISO 3166-1 alpha-2, from pycountry's ISO 3166 data: alpha-2 and
    alpha-3 codes, the English short, official and common names, and their translations (泰国, Brasilien)."""
    out: dict[str, str] = {}
    for language in reversed(_NAME_LANGUAGES):
        try:
            names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for country in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                if getattr(country, attr, None):
                    out[names.gettext(getattr(country, attr)).casefold()] = country.alpha_2
    for country in pycountry.countries:   # English names and codes last: they win any clash
        for attr in ("name", "official_name", "common_name", "alpha_3", "alpha_2"):
            if getattr(country, attr, None):
                out[getattr(country, attr).casefold()] = country.alpha_2
    return out


def standardize_country(raw: pd.Series, synonyms: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """(ISO alpha-2 or None, unknown flag): names from the rules' list first (a steward's word wins), then any
    region code phonenumbers knows, then ISO 3166 codes and names in English and other languages."""
    return by_distinct(raw, partial(_country, synonyms=synonyms))


def _country(raw: pd.Series, synonyms: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    folded = raw.str.casefold()
    mapped = folded.map(synonyms).astype(object)
    mapped = mapped.where(mapped.notna(), folded.map(_REGIONS))
    mapped = mapped.where(mapped.notna(), folded.map(country_names()))
    # then as spelled without dots, brackets and spacing, an inverted name put back (P.R.C., China (PRC),
    # "Korea, Republic of"): each list's names keyed the same way
    loose = folded.map(loose_key, na_action="ignore")
    mapped = mapped.where(mapped.notna(), loose.map(_loose(tuple(synonyms.items()))))
    mapped = mapped.where(mapped.notna(), loose.map(_loose(tuple(country_names().items()))))
    # last, without accents and without what brackets add ("Reunion", "Slovakia (Slovak Republic)", "Svalbard &
    # Jan Mayen"): a bracket that is the name's own short form (China (PRC)) has met its list above
    plain = folded.map(plain_key, na_action="ignore")
    mapped = mapped.where(mapped.notna(), plain.map(_plain(tuple(synonyms.items()))))
    mapped = mapped.where(mapped.notna(), plain.map(_plain(tuple(country_names().items()))))
    unknown = raw.notna() & mapped.isna()
    return mapped.astype(object).where(mapped.notna(), None), unknown


_LOOSE_SPACE = re.compile(r"[()（）\[\]\-_]+")
_LOOSE_DROP = re.compile(r"[.'’]+")


def loose_key(name: str) -> str:
    """A country's name with dots, brackets, apostrophes and dashes dropped, spacing folded and a name written
    inverted ("china, people's republic of") put in its order: "P.R.C." and "prc", "China (PRC)" and
    "china prc" meet."""
    parts = [" ".join(_LOOSE_SPACE.sub(" ", _LOOSE_DROP.sub("", p)).split()) for p in re.split(r"[,，]", name)]
    parts = [p for p in parts if p]
    if len(parts) == 2 and parts[1].split()[-1] in ("of", "the"):
        parts = [parts[1], parts[0]]
    return " ".join(parts)


@lru_cache(maxsize=4)
def _loose(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """A name list keyed by loose_key; where two names meet, the first listed wins."""
    out: dict[str, str] = {}
    for name, code in pairs:
        out.setdefault(loose_key(name), code)
    return out


_BRACKETED = re.compile(r"[(（\[][^()（）\[\]]*[)）\]]")


def plain_key(name: str) -> str:
    """loose_key of a name without its accents (Réunion: reunion), without text in brackets and with '&' as
    'and'."""
    text = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return loose_key(_BRACKETED.sub(" ", text).replace("&", " and "))


@lru_cache(maxsize=4)
def _plain(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """A name list keyed by plain_key; a key two countries' names share (a qualifier in brackets was all that set
    them apart) is left out: never guessed."""
    codes: dict[str, set[str]] = {}
    for name, code in pairs:
        codes.setdefault(plain_key(name), set()).add(code)
    return {key: next(iter(found)) for key, found in codes.items() if len(found) == 1}


def standardize_identifier(raw: pd.Series) -> pd.Series:
    """National / customer ids: upper case, separators (space, hyphen, dot, slash) removed; empty -> null."""
    out = raw.astype("string").str.upper().str.replace(r"[\s\-./]", "", regex=True)
    return out.where(out.str.len() > 0).astype(object).where(lambda s: s.notna(), None)
