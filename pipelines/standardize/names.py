"""Person names: full name from parts or parts from the full name (Chinese 复姓 included; Western via nameparser)."""
from __future__ import annotations

import re
from functools import lru_cache, partial
from typing import Callable

import numpy as np
import pandas as pd
from nameparser import HumanName
from nameparser.config import CONSTANTS
from namedivider import BasicNameDivider

from pipelines.standardize.arrow_text import matches, to_arrow
from pipelines.standardize.distinct import filled_later, map_distinct_rows_later

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_NAME = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·•]+$")
FIELDS = ("full_name", "given_name", "family_name")
# The dot between the parts of a transliterated name (阿卜杜拉·艾买提) as other keyboards and code pages write it:
# Big5's interpunct ‧, a full stop (． after NFKC), a bullet, a dot operator. They are read as the middle dot ·,
# so one person is one spelling whichever system typed the name (between parts of two characters or more:
# 王.小明 is no transliteration). The katakana middle dot is left alone: 山田・太郎 is Japanese, family name first.
_NAME_DOT = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff]{2})\s*[.‧•∙⋅·]\s*(?=[\u3400-\u9fff\uf900-\ufaff]{2})")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_KANA = re.compile(r"[\u3040-\u30ff]")
# Japanese kana (hiragana, katakana, the prolonged sound mark), not the katakana middle dot: 山田・太郎 alone says
# nothing of a language (ジョン・スミス is given name first)
_JA_KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff]")
# a Japanese name: kanji (々 and 〆 among them) and kana only
_JA = r"\u3005\u3006\u3400-\u9fff\uf900-\ufaff\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff"
_JA_NAME = re.compile(f"^[{_JA}]+$")
# its two parts apart, family name first: a space, an ideographic one (a space after NFKC) or the middle dot
_SPACED_JA = re.compile(rf"^([{_JA}]+)(?:[ \u3000]+|\s*・\s*)([{_JA}]+)$")
# A Japanese name in kana or a Korean one in hangul, its two parts apart: family name first, as written
_SPACED_KANA = re.compile(r"^([\u3040-\u30ff\uac00-\ud7af]{1,8})[ \u3000]([\u3040-\u30ff\uac00-\ud7af]{1,8})$")


def is_cjk(text: str | None) -> bool:
    return bool(text) and bool(_CJK.search(text))


# What a Chinese name cell holds besides the name: a note in brackets (李娜（客户）, 李娜(VIP)), a label before a
# colon (姓名：王小明), a second person after a list separator (李娜/王芳: the first is read), a title before it
# (Mr. 王), emoji, symbols and digits (😀钱七, 张伟 13800138000). A dash or dot between Chinese characters is no
# note: it joins the parts of a transliterated name (阿卜杜拉-艾则孜), which is left as written.
_BRACKETED = re.compile(r"[（(【\[〔<《][^）)】\]〕>》]*[）)】\]〕>》]")
_TITLE_FIRST = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|prof|madam|mdm|sir)\.?\s+|^(?:mr|mrs|ms|dr|mdm)\.", re.I)
_LABEL = re.compile(r"^[^:：]*[:：]\s*(?=\S)")
_LIST_SEPARATOR = re.compile(r"[/|,，、;；]")
# two runs of Chinese (or Japanese kanji) characters parted by one space: family name first, as written
_SPACED_CJK = re.compile(r"^([\u3400-\u9fff\uf900-\ufaff]{1,3})[ \u3000]([\u3400-\u9fff\uf900-\ufaff]{1,3})$")
_NOT_LETTER = re.compile(r"[^\w·•\-－—–.・‧=]|\d")


def _cjk_core(name: str) -> tuple[str, bool]:
    """(the name a Chinese name cell holds without the notes, label, title, emoji and digits around it, whether a
    title stood before it); its Latin letters stay (Tony 王 is not cut to 王)."""
    core = _LABEL.sub("", _BRACKETED.sub(" ", name).strip())
    titled = _TITLE_FIRST.match(core) is not None
    core = _TITLE_FIRST.sub("", core)
    parts = [p for p in _LIST_SEPARATOR.split(core) if _CJK.search(p)]
    return _NOT_LETTER.sub("", parts[0] if parts else core), titled


def split_cjk(name: str, compound: tuple[str, ...], prefixes: tuple[str, ...],
              japanese: bool = False, honorifics: tuple[str, ...] = ()) -> tuple[str, str | None, str | None]:
    """王小明 -> (王小明, 小明, 王); 欧阳娜娜 -> (欧阳娜娜, 娜娜, 欧阳); 王先生 -> (王先生, None, 王); a name
    written with a middle dot, given name first (阿卜杜拉·艾则孜, 约翰·史密斯) -> its first and last parts; a
    note, label, title, emoji or number around it dropped (李娜（客户）, 姓名：王小明, 😀钱七 -> 李娜, 王小明, 钱七);
    a single character after a title is a family name (Mr. 王). A Japanese name (japanese: the row's country is
    Japan; or kana beside kanji, 田中さくら) is split by split_japanese (佐藤太郎 -> 佐藤, 太郎), a Japanese
    honorific after it dropped (佐藤太郎様 -> 佐藤, 太郎; 佐藤様 -> family name 佐藤, as 王先生 is)."""
    japanese = japanese or bool(_JA_KANA.search(name))
    spaced = (_SPACED_JA if japanese else _SPACED_CJK).match(name.strip())
    if spaced and spaced.group(2) not in prefixes:   # 佐藤 太郎, 王 小明: the space parts family and given name
        return spaced.group(1) + spaced.group(2), spaced.group(2), spaced.group(1)
    whole = _JA_NAME if japanese else _CJK_NAME
    core, titled = _cjk_core(name)
    if core != name.replace(" ", "") and whole.match(core):
        name = core
    titles = prefixes + honorifics if japanese else prefixes
    for title in sorted(titles, key=len, reverse=True):   # 总经理 before 经理 before 总
        if core.endswith(title) and len(core) > len(title):
            rest = core[: -len(title)]   # 王先生: a family name; 王小明先生: a whole name
            if len(title) == 1 and len(rest) > 1 and rest not in compound and title not in honorifics:
                continue   # a one-character title (王总, 李工) only after a family name: 张建工 is a whole name
            # 欧阳先生, and in Japanese 佐藤先生 (see split_japanese): a family name
            if len(rest) > (2 if japanese else 1) and whole.match(rest) and rest not in compound:
                # 王小明先生 is 王小明, as 王小明（经理） is; 王总经理: 王总 is Wang the manager
                return split_cjk(rest, compound, prefixes, japanese, honorifics)
            return name, None, rest
    if japanese and _JA_NAME.match(core):
        return (core, *split_japanese(core, compound))
    if not _CJK_NAME.match(core) or len(core) < 2 and not titled:
        return name, None, None
    if len(core) == 1 or titled and core in compound:   # Mr. 王, Dr. 欧阳: a family name
        return core, None, core
    parts = [p for p in re.split(r"[·•]", core) if p]
    if len(parts) >= 2:
        return core, parts[0], parts[-1]
    if core in compound:   # 欧阳 alone: a family name, not 欧 and 阳
        return core, None, core
    family = core[:2] if core[:2] in compound and len(core) > 2 else core[0]
    return core, core[len(family):] or None, family


def split_japanese(name: str, compound: tuple[str, ...] = ()) -> tuple[str | None, str]:
    """(given, family) of a Japanese name written without a space (佐藤太郎 -> 太郎, 佐藤; 長谷川翔平 -> 翔平,
    長谷川), by namedivider's BasicNameDivider (kanji statistics; kana after kanji is the given name: 田中さくら)."""
    if len(name) <= 2:
        # One or two characters: the divider refuses one, and cuts two into one and one (小林 -> 小, 林) by a rule
        # that looks at nothing (score 1.0, algorithm 'rule'). A lone 小林, 田中 or 林 in a Japanese record is
        # far more often a family name written alone (customers are addressed as 小林様) than a whole name.
        return None, name
    if name[:2] in compound:   # a Chinese name in a Japanese record (欧阳娜娜): the divider knows Japanese names
        return name[2:], name[:2]
    divided = _divider().divide_name(name)
    return divided.given or None, divided.family


@lru_cache(maxsize=1)
def _divider() -> BasicNameDivider:
    """The divider, made once per process (its kanji table read then), in the process that meets a Japanese name."""
    return BasicNameDivider()


def split_western(name: str) -> tuple[str, str | None, str | None]:
    """Via nameparser; one word in capitals among capitalised ones is the family name, whatever its place
    ('WANG Xiaoming', 'Xiaoming WANG': the passport and pinyin convention)."""
    words = name.split()
    suffixes = [w for w in words[1:] if _is_suffix(w)]   # III, MD, PhD: neither the family nor a given name
    caps = [w for w in words if len(w) > 1 and w.isalpha() and w.isupper() and w not in suffixes]
    others = [w for w in words if w not in caps and w not in suffixes]
    if len(caps) == 1 and others and all(w.isalpha() and w.istitle() for w in others):
        return name, " ".join(others), caps[0]
    parsed = HumanName(name)
    if parsed.first.islower() and parsed.first in CONSTANTS.prefixes and parsed.last:
        # a family name with its particle written alone (van der Berg, Mr. van Gogh): no given name 'van'
        return name, None, " ".join(p for p in (parsed.first, parsed.middle, parsed.last) if p)
    given = " ".join(p for p in (parsed.first, parsed.middle) if p) or None
    return name, given, parsed.last or None


def _is_suffix(word: str) -> bool:
    """A name's suffix in nameparser's lists: generational (Jr, III) or a degree or title (MD, PhD, CPA, MBA)."""
    key = word.lower().rstrip(".")
    return key in CONSTANTS.suffix_acronyms or key in CONSTANTS.suffix_not_acronyms


def is_organisation(name: str | None, words: tuple[str, ...]) -> bool:
    """A customer that is a company (北京华信科技有限公司, Acme Corp): its name ends with one of the words (the
    last word of a Latin-letter name, the end of a Chinese one)."""
    if not name or not words:
        return False
    endings, last_words = _organisation_words(words)
    text = name.strip().casefold()
    split = text.split()
    return text.endswith(endings) or bool(split) and split[-1].strip(",") in last_words


@lru_cache(maxsize=8)
def _organisation_words(words: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[str]]:
    """The words split once per process (not per name): Chinese endings, and last words of a Latin-letter name."""
    return tuple(w for w in words if is_cjk(w)), frozenset(w for w in words if not is_cjk(w))


def standardize_name(key: tuple, compound: tuple[str, ...] = (), prefixes: tuple[str, ...] = (),
                     organisations: tuple[str, ...] = (), honorifics: tuple[str, ...] = ()) -> tuple:
    """(full, given, family) of a record's name fields (key: full, given, family and, optionally, whether the
    record is Japanese: see split_cjk): the full name from the parts, or the parts from the full name. A
    company's name is not split into a person's; a whole Chinese name in the family field alone (Salesforce's
    required LastName: 张三) is."""
    full, given, family = (_NAME_DOT.sub("·", v) if v and is_cjk(v) else v for v in key[:3])
    japanese = len(key) > 3 and bool(key[3])
    if is_organisation(full or family or given, organisations):
        return full or " ".join(p for p in (given, family) if p), None, None
    if given is None and is_cjk(family) and full in (None, family) and family.replace(" ", "") not in compound \
            and len(family.replace(" ", "")) >= 2:
        return split_cjk(family, compound, prefixes, japanese, honorifics)
    if family is None and full in (None, given) and is_cjk(given) and len(given.replace(" ", "")) >= 3:
        return split_cjk(given, compound, prefixes, japanese, honorifics)   # 王小明 in First Name, Last Name empty (two characters
        # stay whole: 小明 is as likely a given name alone as 李娜 a whole name)
    if full is None and is_cjk(given) and is_cjk(family) and given.startswith(family) \
            and 1 <= len(given) - len(family) <= 2:   # 王小明 in First Name and 王 in Last Name: not 王王小明
        return given, given[len(family):], family
    if full is None and (given or family):
        both = f"{family or ''}{given or ''}"
        if is_cjk(both) or _HANGUL.search(both):
            full = both   # 王小明, 박영환: family name first, no space
        elif _KANA.search(both):
            full = " ".join(p for p in (family, given) if p)   # サトウ タロウ: family name first, a space between
        else:
            full = " ".join(p for p in (given, family) if p)
        return full, given, family
    if full is None:
        return None, None, None
    if given or family:
        return full, given, family
    kana = _SPACED_KANA.match(full.strip())
    if kana:   # サトウ タロウ, 김 민준: nameparser would take the first part for the given name
        family, given = kana.group(1), kana.group(2)
        # one spelling whichever way a source writes it: Korean without the space (김민준), as from its parts
        return (family + given if _HANGUL.search(full) else f"{family} {given}"), given, family
    return split_cjk(full, compound, prefixes, japanese, honorifics) if is_cjk(full) else split_western(full)


def standardize_names_later(frame: pd.DataFrame, compound: list[str], prefixes: list[str],
                            organisations: list[str] = (), japanese: pd.Series | None = None,
                            honorifics: list[str] = ()) -> Callable[[], pd.DataFrame]:
    """Full, given and family name of every row, split once per distinct name (and japanese: whether the row is
    a Japanese record, its names read as Japanese ones) in the worker processes (see distinct.apply_each_later);
    the returned function gives the frame."""
    fn = partial(standardize_name, compound=tuple(compound), prefixes=tuple(prefixes),
                 organisations=tuple(w.casefold() for w in organisations), honorifics=tuple(honorifics))
    present = frame[list(FIELDS)].notna().any(axis=1)
    out = pd.DataFrame({f: None for f in FIELDS}, index=frame.index, dtype=object)
    keys = frame.loc[present, list(FIELDS)]
    if japanese is not None:
        keys = keys.assign(japanese=japanese[present].astype(bool))
    pending = map_distinct_rows_later(keys, fn, FIELDS, parallel=True) if present.any() else None
    return filled_later(out, present, pending, FIELDS, [])


# A name cell holding a contact, not a name: a lead saved under its number (13800138000, +86 138-0013-8000) or
# its e-mail address. RE2, over the column.
_PHONE_LIKE = r"^\+?(?:[ ()\-.]*[0-9]){7,}[ ()\-.]*$"
_EMAIL_LIKE = r"^[^\s@]+@[^\s@]+\.[^\s@]+$"


# two Chinese names in one cell between list separators (张伟/李娜, 张伟、李娜): split_cjk reads the first
_SEVERAL_CJK = rf"[\x{{3400}}-\x{{9fff}}]{{2,}}\s*{_LIST_SEPARATOR.pattern}\s*[\x{{3400}}-\x{{9fff}}]{{2,}}"


def several_names(raw: pd.Series) -> pd.Series:
    """Whether each name cell holds more than one Chinese name (the rule several_names); vectorised (RE2)."""
    return pd.Series(matches(to_arrow(raw), _SEVERAL_CJK), index=raw.index)


def contacts_out_of_names(frame: pd.DataFrame) -> pd.Series:
    """A name field (full, given or family) that holds only a phone number or an e-mail address is no name: the
    value moves to the record's phone or email field when that is empty, and leaves the name field either way
    (raw_customers keeps the row as read); a phone number beside a name in one cell moves to an empty phone field
    (_number_beside_name). Changes frame in place; True on the rows changed (contact_in_name)."""
    changed = np.zeros(len(frame), dtype=bool)
    for field in FIELDS:
        text = to_arrow(frame[field])
        for target, pattern in (("phone", _PHONE_LIKE), ("email", _EMAIL_LIKE)):
            hit = matches(text, pattern)
            if not hit.any():
                continue
            rows = frame.index[hit]
            empty = rows[frame.loc[rows, target].isna().to_numpy()]
            frame.loc[empty, target] = frame.loc[empty, field]
            frame.loc[rows, field] = None
            changed |= hit
        changed |= _number_beside_name(frame, field)
    return pd.Series(changed, index=frame.index)


# A phone number written after or before the name in one cell (张伟 13800138000, John Smith +1 617-555-0199)
_NUMBER_BESIDE = r"(?:^|[^0-9])(\+?[0-9](?:[ \-]?[0-9]){6,14})(?:[^0-9]|$)"
_DATE = re.compile(r"^[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}$")


def _number_beside_name(frame: pd.DataFrame, field: str) -> np.ndarray:
    """A name field holding a name and a phone number, in a record whose phone is empty: the number becomes the
    phone and leaves the name. True on the rows changed."""
    hit = matches(to_arrow(frame[field]), _NUMBER_BESIDE) & frame["phone"].isna().to_numpy()
    if not hit.any():
        return hit
    rows = frame.index[hit]
    numbers = frame.loc[rows, field].str.extract(_NUMBER_BESIDE, expand=False).str.strip()
    rest = frame.loc[rows, field].str.replace(_NUMBER_BESIDE, " ", n=1, regex=True).str.strip()
    usable = ~numbers.str.match(_DATE.pattern).fillna(True) & rest.str.contains(r"[^\W\d_]", regex=True)
    taken = rows[usable.to_numpy()]
    frame.loc[taken, "phone"] = numbers[taken]
    frame.loc[taken, field] = rest[taken].str.replace(r"\s+", " ", regex=True)
    return frame.index.isin(taken)


_RE2_SPECIAL = re.compile(r"([.^$*+?()\[\]{}|\\])")


def summary_rows(full_name: pd.Series, labels: list[str]) -> pd.Series:
    """Whether each name is a totals label (rules: names.summary_labels), alone or with ':' and a count: 合计,
    合计：3, 合计(2), 总计：2 个客户, 合计 共2条, Total: 1,204 rows; or a count alone after 共 (共2条记录).
    Arrow's RE2 over the column."""
    if not labels or not len(full_name):
        return pd.Series(False, index=full_name.index)
    alternatives = "|".join(_RE2_SPECIAL.sub(r"\\\1", label) for label in sorted(labels, key=len, reverse=True))
    count = ("[（(]?\\s*[0-9][0-9,]*\\s*(?:条|人|个|位|家|行|rows?|records?)?\\s*(?:记录|数据|客户|联系人)?"
             "\\s*[）)]?")
    pattern = (f"(?i)^\\s*(?:(?:{alternatives})\\s*[:：]?\\s*(?:共\\s*)?(?:{count})?|共\\s*{count})\\s*$")
    return pd.Series(matches(to_arrow(full_name.astype(object)), pattern), index=full_name.index)
