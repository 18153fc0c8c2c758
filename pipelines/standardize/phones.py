"""Phone numbers to E.164 with phonenumbers, repairing Excel damage only where the digits are all there."""
from __future__ import annotations

import re
from typing import Callable

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import NumberParseException, PhoneNumberType
# private functions of the pinned version: parse's and is_valid_number's own steps, called without the rest
from phonenumbers.phonenumberutil import (_MAX_LENGTH_FOR_NSN, _MIN_LENGTH_FOR_NSN, ValidationResult,
                                          _extract_country_code, _maybe_extract_country_code,
                                          _maybe_strip_national_prefix_carrier_code,
                                          _normalize, _number_type_helper,
                                          _set_italian_leading_zeros_for_phone_number, _test_number_length)

from pipelines.standardize.arrow_text import matches, to_arrow, to_series
from pipelines.standardize.cache import ValueStore, cached, code_version
from pipelines.standardize.distinct import filled_later, map_distinct_rows_later

# Every metadata pattern the library compiles is kept (its documented switch): by default each check compiles its
# pattern again through re's cache, which also holds only 512 and so drops patterns once numbers of many regions
# are read. Measured on 100,000 keys of the benchmark's exports: 24 µs a number before, 17-18 µs after.
phonenumbers.enable_pattern_cache()

_SCI = re.compile(r"^(\d)(?:\.(\d+))?[eE]\+?(\d+)$")
# Patterns written once for Python's re (precompact, one value) and Arrow's RE2 (phone_keys, a column). RE2's
# \d and \s are ASCII: a value in other digits keeps its own spelling as key, and phonenumbers reads it as written.
_TAIL_RE = r"^(?P<v>\+?\d+)\.0+$"
_PLAIN_RE = r"^\+?[\d\s\-().·/]+$"
_SEPARATORS_RE = r"[\s\-().·/]"
_FLOAT_TAIL, _PLAIN, _SEPARATORS = re.compile(_TAIL_RE), re.compile(_PLAIN_RE), re.compile(_SEPARATORS_RE)
_TYPES = {v: k.lower() for k, v in vars(PhoneNumberType).items() if isinstance(v, int) and not k.startswith("_")}
FIELDS = ("phone", "phone_valid", "phone_type", "phone_extension", "phone_issue")
FLAGS = ("phone_valid",)   # the bool fields


def excel_repair(text: str) -> tuple[str | None, str | None]:
    """(digits, issue): '1.3800138000E+10' has every digit and is repaired; '1.38001E+10' (Excel's display of
    13800138000) lost digits, and so does '1.3800138E+10': its missing last digits may not be zeros. A number
    with digits after its point ('1.38001380011E+10' is 13800138001.1) is no phone number: not cut to one."""
    m = _SCI.match(text)
    if not m:
        return text, None
    lead, frac, exp = m.group(1), m.group(2) or "", int(m.group(3))
    if len(frac) < exp:
        return None, "excel_truncated"
    if frac[exp:].strip("0"):
        return None, "invalid"
    return lead + frac[:exp], None


# A number typed with the letter O for some zeros (138OO138OOO): only O's among digits and separators. A vanity
# number (1-800-FLOWERS) spells words with other letters too; phonenumbers reads letters on a phone keypad, where
# O is 6, so 138OO138OOO would pass as another valid number, +86 138 6613 8666.
_DIGITS_AND_OS = re.compile(r"[0-9Oo\s\-().+]*[0-9][0-9Oo\s\-().+]*")
_LONE_O = re.compile(r"(?<![0-9Oo])[Oo]+(?![0-9Oo])")   # an o standing alone (13800138000 (o): office), no zero
_O_AS_ZERO = str.maketrans("Oo", "00")


def precompact(text: str) -> str:
    """Excel's '13800138000.0' tail dropped, letter O's typed for zeros read as zeros, then separators (spaces,
    dashes, dots, brackets) removed from a value made only of digits and separators: many spellings of one
    number become one distinct value."""
    if ("O" in text or "o" in text) and _DIGITS_AND_OS.fullmatch(text) and not _LONE_O.search(text):
        text = text.translate(_O_AS_ZERO)
    tail = _FLOAT_TAIL.match(text)
    text = tail.group(1) if tail else text
    return _SEPARATORS.sub("", text) if _PLAIN.match(text) else text


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    if _DIGITS_ONLY.fullmatch(text):
        return _parse_digits(text, region)
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


_DIGITS_ONLY = re.compile(r"\+?[0-9]{3,250}")   # ASCII digits: \d would take any script's
_KEPT_LENGTHS = (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY, ValidationResult.INVALID_LENGTH)


def _parse_digits(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    """phonenumbers.parse(text, region) for text of ASCII digits, '+' first or not (most keys phone_keys makes):
    parse's own steps through the library's functions, without those that cannot change such text (tel: URIs,
    extensions, punctuation, letters, other scripts' digits): they cost most of a call. None where parse
    raises. tests/unit/standardize/test_phones_digits.py holds it equal to parse on every example number of
    the metadata and on random keys in every region."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
    plus = text[0] == "+"
    if meta is None and not plus:   # parse: INVALID_COUNTRY_CODE (no region, no '+')
        return None
    number = phonenumbers.PhoneNumber()
    try:
        if plus:   # what _maybe_extract_country_code does with '+digits', without normalising them
            if len(text) <= _MIN_LENGTH_FOR_NSN + 1:   # TOO_SHORT_AFTER_IDD
                return None
            country_code, nsn = _extract_country_code(text[1:])
            number.country_code = country_code
            if country_code == 0:   # INVALID_COUNTRY_CODE: parse tries again without the '+'
                country_code, nsn = _maybe_extract_country_code(text[1:], meta, False, number)
                if country_code == 0:
                    return None
        else:
            country_code, nsn = _maybe_extract_country_code(text, meta, False, number)
    except NumberParseException:
        return None
    if country_code != 0:
        number_region = phonenumbers.region_code_for_country_code(country_code)
        if number_region != region:
            meta = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, number_region)
    else:
        nsn += _normalize(text)
        number.country_code = meta.country_code
    if len(nsn) < _MIN_LENGTH_FOR_NSN:   # TOO_SHORT_NSN
        return None
    _, stripped, _ = _maybe_strip_national_prefix_carrier_code(nsn, meta)
    if _test_number_length(stripped, meta) not in _KEPT_LENGTHS:
        nsn = stripped
    if not _MIN_LENGTH_FOR_NSN <= len(nsn) <= _MAX_LENGTH_FOR_NSN:   # TOO_SHORT_NSN, TOO_LONG
        return None
    _set_italian_leading_zeros_for_phone_number(nsn, number)
    number.national_number = int(nsn)
    return number


# a number dialled with 00, written with separators and an extension (x, ext, #)
_IDD_WITH_EXTENSION = re.compile(r"(00[1-9][\d\s\-().]*\d)\s*(?:[xX#]|[eE][xX][tT]\.?)\s*(\d{1,6})")


def _candidates(text: str, region: str) -> list[str]:
    """The value as written, then the repairs: '00' read as '+' (the IDD most of the world dials, in a region
    whose own is another), a lost '+' (only with 11 or more digits: a 10-digit national number of another
    country would otherwise pass for some country code's), a lost national trunk '0'."""
    out = [text]
    # 00 dialled abroad from a region whose IDD is another (US: 011), the digits alone or written with separators
    # and an extension (001-618-488-4997x7760)
    dialled = _IDD_WITH_EXTENSION.fullmatch(text)
    digits, extension = (re.sub(r"\D", "", dialled.group(1)), f" ext. {dialled.group(2)}") if dialled else (text, "")
    if digits.isdigit() and digits.startswith("00") and len(digits) >= 10:
        out.append(f"+{digits[2:]}{extension}")
    if text.isdigit():
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        trunk = meta.national_prefix if meta is not None else None
        # not '1' and ten digits in a Chinese row: the shape of a CN mobile, mistyped or a placeholder
        # (12345678901), never a US number that lost its '+' (+1 234 567 8901 would pass for valid); not a
        # number starting with the region's trunk prefix either: a Russian 8 185 381 2515, invalid in Russia,
        # would pass for a valid Japanese +81 85 381 2515
        if len(text) >= 11 and not (region == "CN" and len(text) == 11 and text[0] == "1") \
                and not (trunk and text.startswith(trunk)):
            out.append("+" + text)
        if trunk == "0" and not text.startswith("0"):
            out.append("0" + text)
    return out


# in a CN row, keyed +86 (_candidates never reads '1' and ten digits there as a US number that lost its '+')
_CN_MOBILE = r"^1[3-9]\d{9}$"
_NANPA = r"^1?(?P<v>[2-9]\d{9})$"
_INTERNATIONAL = r"^\+[1-9]"   # '+0…' is read through the region's IDD: it keeps its region
_NANPA_REGIONS = {"US", "CA"}
_IDD_00 = r"^00(?P<v>[1-9]\d*)$"  # a country code never starts with 0


def _dials_00(region: object) -> bool:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region) if isinstance(region, str) and region else None
    return meta is not None and meta.international_prefix == "00"


def _group(text: pa.Array, pattern: str) -> pa.Array:
    """The named group v of pattern where text matches, else null."""
    return pc.struct_field(pc.extract_regex(text, pattern), [0])


def phone_keys(raw: pd.Series, region: pd.Series) -> pd.DataFrame:
    """(raw text, region) -> an equivalent, more canonical (raw, region), vectorised: separators dropped, an
    IDD prefix written as '+', national CN mobiles and NANPA numbers given their country code, so that
    spellings of one number share one library call. A key starting with '+' and a country code needs no
    region (None). A key changes no answer: standardize_phone(key) is standardize_phone((raw, region))."""
    text = to_arrow(raw.astype(str))
    tail = _group(text, _TAIL_RE)
    text = pc.if_else(pc.is_valid(tail), tail, text)
    text = pc.if_else(pa.array(matches(text, _PLAIN_RE)), pc.replace_substring_regex(text, _SEPARATORS_RE, ""),
                      text)
    regions = region.astype(object)
    dials_00 = regions.map({r: _dials_00(r) for r in regions.dropna().unique()}).eq(True).to_numpy(bool)
    idd = _group(text, _IDD_00)
    idd_rows = dials_00 & pc.is_valid(idd).to_numpy(zero_copy_only=False)
    cn = ~idd_rows & (regions == "CN").to_numpy(bool) & matches(text, _CN_MOBILE)
    nanpa_digits = _group(text, _NANPA)
    nanpa = (~idd_rows & ~cn & regions.isin(_NANPA_REGIONS).to_numpy(bool)
             & pc.is_valid(nanpa_digits).to_numpy(zero_copy_only=False))
    join = pc.binary_join_element_wise
    text = pc.if_else(pa.array(idd_rows), join("+", idd, ""), text)
    text = pc.if_else(pa.array(cn), join("+86", text, ""), text)
    text = pc.if_else(pa.array(nanpa), join("+1", nanpa_digits, ""), text)
    international = matches(text, _INTERNATIONAL)
    return pd.DataFrame({"raw": to_series(text, raw.index), "region": regions.where(~international, None)})


# A cell holding more than a number: a list of them (138…/139…, 138…，139…), a note (13800138000(微信), 138 0013
# 8000 张先生) or labels (电话:010-12345678 手机:138…). A character no number holds marks a note (an extension's
# 'ext'/'x'/'#', Excel's '1.38E+10' and digits of any script can be held); a list separator between two whole
# numbers marks a list (see _LIST). Such a cell's first number is read, with its extension.
_NOTE = r"[^\p{Nd} +\-().·/#xXeEtTnsio,;|]"
# a slash between numbers only after a whole one (ten digits or more: 089/1234567 and +49 (0)6221/1234567 are
# one number each); a comma, semicolon or bar after seven
_LIST = (r"(?:\d[ \-().·]*){10,}/\s*\+?(?:\d[ \-().·]*){7,}"
         r"|(?:\d[ \-().·]*){7,}[,;|]\s*\+?(?:\d[ \-().·]*){7,}")
_FIRST_OF_LIST = r"^\s*(?P<v>[^/,;|]*\d)"
# two whole numbers with only a space between them (13800138000 13900139000): no number is written as two runs of
# ten digits or more; its first is read
_SPACED_LIST = r"^\s*(?P<v>(?:\+\d{1,3}\s+)?\+?\d{10,})\s+\+?\d{10,}\s*$"   # a country code before the first too
# an extension's marker: ext, ext., extension, x, ×, #, RFC 3966's ';ext=', with ':' or '=' (EXT:23, ext=99)
_EXT = r"\s*;?\s*(?i:ext\.?|extension|x|×|#)\s*[:=]?\s*"
_FIRST_NUMBER = rf"(?P<v>\+?\d[\d \-().·/]{{5,}}\d(?:{_EXT}\d{{1,6}})?)"
# the extension of the number read, in the spelling phonenumbers reads
_EXT_SPELLED = rf"{_EXT}(\d{{1,6}})$"
# an extension marker with no digits after it (…0100 ext): nothing to read, and phonenumbers would fail the number
_EXT_DANGLING = rf"(?:{_EXT}|\s*[;,])$"
# A CN landline with its extension after a second dash: 0755-26888888-8001, (0755)26888888-8001, 0755 2688 8888-8001,
# +86-755-26888888-8001, +86 0755-26888888-8001 (an area code starts 1-9 after the trunk 0, so 0086-138-0013-8000
# is none; a mobile's three groups have no fourth).
_DASH_EXTENSION = r"^((?:\+86[\s-]?0?|\(?0)[1-9]\d{1,2}\)?[\s-]?\d{3,4}[\s-]?\d{4})-(\d{1,5})$"


# Dashes of other kinds, read as '-': a Chinese input method types 0755—26888888 (破折号, often doubled), word
# processors en dashes and minus signs. phonenumbers reads them, but first_number would take them for a note.
_DASHES = "[\u2010-\u2015\u2212\u2043\ufe58\u30fc]+"
# A phone column a spreadsheet formatted as a number with thousands separators (13,800,138,001): three groups or
# more of exactly three digits after the first; no list of numbers is written so.
_THOUSANDS = r"^\s*\d{1,3}(?:,\d{3}){2,}\s*$"
# Sixteen digits or more are two numbers at least: E.164 holds fifteen. An extension's digits are the number's.
_SEVERAL = r"^(?:\D*\d){16}"
_TOKEN_BREAK = re.compile(r"[\s,;|/]+")


def _first_of_several(cell: str, region: str | None) -> str | None:
    """The first number of a cell holding several, split where they are written apart (010-65529988
    13800138000, +86 138 0013 8000 +86 139 0013 9000, (212) 555-1234, (212) 555-9876): the shortest run of its
    first words that phonenumbers finds valid, with seven digits or more left after it; None when there is none."""
    words = [w for w in _TOKEN_BREAK.split(cell.strip()) if w]
    for i in range(1, len(words)):
        head = " ".join(words[:i])
        if sum(c.isdigit() for c in head) < 7 or sum(c.isdigit() for c in "".join(words[i:])) < 7:
            continue
        try:
            number = phonenumbers.parse(head, region or "ZZ")
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return head
    return None


def _split_several(text: pa.Array, region: pd.Series | None) -> pa.Array:
    """Cells of sixteen digits or more (_SEVERAL) without an extension as their first number (_first_of_several),
    once per distinct cell and region; such cells are rare."""
    several = np.flatnonzero(matches(text, _SEVERAL) & ~matches(text, _EXT_SPELLED))
    if not len(several):
        return text
    cells = text.take(pa.array(several)).to_pylist()
    regions = region.iloc[several].tolist() if region is not None else [None] * len(several)
    found = {key: _first_of_several(*key) for key in set(zip(cells, regions))}
    out = text.to_numpy(zero_copy_only=False).astype(object)
    for at, key in zip(several, zip(cells, regions)):
        if found[key] is not None:
            out[at] = found[key]
    return pa.array(out, pa.string())


def first_number(raw: pd.Series, region: pd.Series | None = None) -> pd.Series:
    """The number a phone cell means: its first number where it holds more (a list, a note, labels), and a CN
    landline's dash-written extension as an extension (in rows of region CN, or written with +86: elsewhere the
    part after a dash is the number's own, as a German direct dial 030 1234567-89); other cells as they are.
    Vectorised (Arrow, RE2)."""
    try:
        text = to_arrow(raw)
    except (pa.ArrowInvalid, pa.ArrowTypeError):   # not text (a caller's numbers): read as written
        text = to_arrow(raw.where(raw.isna(), raw.astype(str)))
    if matches(text, _DASHES).any():
        text = pc.replace_substring_regex(text, _DASHES, "-")
        raw = to_series(text, raw.index)
    grouped = matches(text, _THOUSANDS)
    if grouped.any():   # a number a spreadsheet showed with thousands separators: its digits
        text = pc.if_else(pa.array(grouped), pc.replace_substring(text, ",", ""), text)
        raw = to_series(text, raw.index)
    split = _split_several(text, region)
    if split is not text:
        text, raw = split, to_series(split, raw.index)
    # only the cells that may hold more than a number go through the costlier patterns
    in_cn = (region.eq("CN").to_numpy(bool) if region is not None else np.zeros(len(raw), bool)) | matches(
        text, r"^\s*\+86")
    dashed = matches(text, _DASH_EXTENSION) & in_cn
    todo = np.flatnonzero(matches(text, _NOTE) | matches(text, "[/,;|]") | dashed | matches(text, _EXT_DANGLING)
                          | matches(text, _SPACED_LIST))
    if not len(todo):
        return raw
    cells = text.take(pa.array(todo))
    spaced = _group(cells, _SPACED_LIST)
    cells = pc.if_else(pc.is_valid(spaced), spaced, cells)
    listed = pa.array(matches(cells, _LIST))
    cells = pc.if_else(listed, _group(cells, _FIRST_OF_LIST), cells)   # the list's first number
    first = _group(cells, _FIRST_NUMBER)
    more = pa.array(matches(cells, _NOTE) & pc.is_valid(first).to_numpy(zero_copy_only=False))
    cells = pc.if_else(more, first, cells)
    cells = pc.if_else(pa.array(in_cn[todo]), pc.replace_substring_regex(cells, _DASH_EXTENSION, "\\1 ext. \\2"),
                       cells)
    cells = pc.replace_substring_regex(pc.replace_substring_regex(cells, _EXT_DANGLING, ""), _EXT_SPELLED,
                                       " ext. \\1")
    out = raw.astype(object).copy()
    out.iloc[todo] = cells.to_numpy(zero_copy_only=False)
    return out


# Several numbers in one cell: a slash after a whole number as first_number reads a list (_LIST: 089/1234567 and
# +49 (0)6221/1234567 are one number each), two parts of seven digits or more between the other list separators
# (010-65529988；13800138000, (415) 555-2671, (415) 555-9876), two runs of ten digits or more (each with its '+')
# apart by spaces only, or over twenty digits in all (+86 138 0013 8000 +86 139 0013 9000: E.164 holds fifteen,
# an extension a few more). An extension after a slash or a dash (0755-26888888/8001) is no number of its own.
_LIST_SEP = ",;，；、|"
_SEVEN = rf"(?:[^{_LIST_SEP}\d]*\d){{7}}"
_SEVERAL_LISTED = rf"{_SEVEN}[^{_LIST_SEP}]*[{_LIST_SEP}](?:.*[{_LIST_SEP}])?{_SEVEN}"
_SEVERAL_SPACED = r"(?:^|[^\d])\+?\d{10,}\s+\+?\d{10,}(?:$|[^\d])"


def several_numbers(raw: pd.Series) -> pd.Series:
    """Whether each phone cell holds more than one number (the rule several_phones); vectorised (RE2)."""
    text = to_arrow(raw)
    several = matches(text, _LIST) | matches(text, _SEVERAL_LISTED) | matches(text, _SEVERAL_SPACED) | (
        matches(text, r"^(?:\D*\d){21}") & ~matches(text, _EXT_SPELLED))
    return pd.Series(several, index=raw.index)


def national_cn_mobile(raw: pd.Series) -> pd.Series:
    """Whether each cell's number is written as a national CN mobile (138 0013 8000: eleven digits, 13-19…)."""
    text = to_arrow(first_number(raw).astype(object))
    return pd.Series(matches(pc.replace_substring_regex(text, _SEPARATORS_RE, ""), _CN_MOBILE), index=raw.index)


def _validity(number: phonenumbers.PhoneNumber) -> tuple[bool, str | None]:
    """is_valid_number and number_type in one pass. The country code's main region is tried first: it is the
    region is_valid_number settles on first, and the look-up over every region of +1 is the costly part."""
    nsn = phonenumbers.national_significant_number(number)
    main = phonenumbers.region_code_for_country_code(number.country_code)
    kind = _type_in(number, nsn, main)
    if kind == PhoneNumberType.UNKNOWN:
        other = phonenumbers.region_code_for_number(number)
        kind = _type_in(number, nsn, other) if other != main else kind
    return (True, _TYPES.get(kind, "unknown")) if kind != PhoneNumberType.UNKNOWN else (False, None)


def _type_in(number: phonenumbers.PhoneNumber, nsn: str, region: str | None) -> int:
    if region in (None, "ZZ"):
        return PhoneNumberType.UNKNOWN
    meta = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(number.country_code, region)
    return _number_type_helper(nsn, meta) if meta is not None else PhoneNumberType.UNKNOWN


# a word of letters in the number itself, before any extension (ext. 12, x12, extension 12 and tel: are no words)
_VANITY = re.compile(r"(?<![A-Za-z])(?!(?:ext|extension|tel|x)(?![A-Za-z]))[A-Za-z]{3,}")
_EXTENSION_CUT = re.compile(r"(?i)(?:\bext\b|\bextension\b|(?<=\d)\s*x\s*(?=\d))")


def standardize_phone(key: tuple) -> tuple:
    """(raw text, region) -> (E.164 or None, valid, type, extension or None, issue). E.164 has no room for an
    extension (0755-26888888-8001, 138 0013 8000 转 8001, +1 415 555 0100 ext. 23): it is a field of its own."""
    raw, region = key
    text = str(raw)
    if not (text[:1] == "+" and text[1:].isdigit()):   # a canonical key (phone_keys) needs no repair
        text, issue = excel_repair(precompact(text))
        if text is None:
            return None, False, None, None, issue
    region = region or "ZZ"
    parsed_any = False
    vanity = _VANITY.search(_EXTENSION_CUT.split(text, 1)[0]) is not None
    for candidate in _candidates(text, region):
        number = _parse(candidate, region)
        if number is None:
            continue
        parsed_any = True
        valid, kind = _validity(number)
        # phonenumbers reads letters on a keypad (1-800-FLOWERS); words spelled in a number are a North American
        # habit: elsewhere they made a number nobody dials (+86 180 0356 9377 out of 1-800-FLOWERS in a CN row)
        if valid and vanity and number.country_code != 1:
            valid = False
        if valid:
            return (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True, kind,
                    number.extension or None, None)
    return None, False, None, None, "invalid" if parsed_any else "unparseable"


def placeholders(numbers: pd.Series, listed: list[str], patterns: list[str]) -> pd.Series:
    """Whether each E.164 number is filler typed into a required field (rules: phones.placeholders and
    phones.placeholder_patterns, RE2 over the whole column): +8613800138000, 138 0000 0000, 555-0123."""
    out = numbers.isin(listed).to_numpy(bool) if listed else np.zeros(len(numbers), bool)
    if patterns:
        text = to_arrow(numbers)
        for pattern in patterns:
            out |= matches(text, pattern)
    return pd.Series(out, index=numbers.index)


VERSION = f"phonenumbers {phonenumbers.__version__}; phones {code_version(__file__)}"


def standardize_phones(raw: pd.Series, region: pd.Series, store: ValueStore | None = None,
                       extension_markers: list[str] = ()) -> pd.DataFrame:
    """One phonenumbers call per distinct canonical key; rows without a value get valid=False, no issue.
    extension_markers (转, 分机: rules/standardization.yaml) are read as phonenumbers' 'ext.'."""
    return standardize_phones_later(raw, region, store, extension_markers)()


def standardize_phones_later(raw: pd.Series, region: pd.Series, store: ValueStore | None = None,
                             extension_markers: list[str] = ()) -> Callable[[], pd.DataFrame]:
    """standardize_phones with the library calls running in the background; the returned function gives the frame."""
    if extension_markers:
        markers = "|".join(re.escape(m) for m in sorted(extension_markers, key=len, reverse=True))
        raw = to_series(pc.replace_substring_regex(to_arrow(raw), f"\\s*(?:{markers})\\s*", " ext. "), raw.index)
    raw = first_number(raw, region)
    present = raw.notna()
    out = pd.DataFrame(dict.fromkeys(FIELDS) | {"phone_valid": False},
                       index=raw.index, dtype=object)
    pending = None
    if present.any():
        keys = phone_keys(raw[present], region[present])
        pending = map_distinct_rows_later(keys, standardize_phone, FIELDS,
                                          apply=cached("phone", VERSION, store, FIELDS, FLAGS))
    return filled_later(out, present, pending, FIELDS, FLAGS)
