"""City and district columns written in pinyin (Shenzhen, Nanshan District) read as their Chinese division names.

Western CRMs (Salesforce, HubSpot) export a Chinese customer's MailingCity as `Shenzhen` beside a Chinese or
pinyin province; the same customer's WukongCRM record says 深圳市. The division list's names are put in pinyin
by pypinyin (which reads a place's heteronyms as places do: 重庆 chongqing, 六安 lu'an, 蚌埠 bengbu), and a
Latin city or district is looked up among them: a city within its row's province, a district within its
city. Without tones pinyin is ambiguous (福州 and 抚州 are both Fuzhou): a spelling that names several divisions
where the row's province or city cannot tell them apart is left as written, never guessed.
"""
from __future__ import annotations

import re
from functools import partial
from typing import Callable

import pandas as pd
from pypinyin import Style, lazy_pinyin, pinyin

from pipelines.standardize.addresses import _PLACEHOLDER_CITIES, Gazetteer, _city_of
from pipelines.standardize.arrow_text import matches, to_arrow
from pipelines.standardize.distinct import map_distinct_rows_later

_MUNICIPALITIES = ("11", "12", "31", "50")   # 北京, 天津, 上海, 重庆: the city is the province
_LETTERS = re.compile(r"[^a-z]")
_LATIN = re.compile(r"^[A-Za-z][A-Za-z .'’\-]*$")


def _key(text: str) -> str:
    """A spelling's look-up key: its letters, lower case (Xi'an, XIAN, xi an -> xian)."""
    return _LETTERS.sub("", text.casefold())


def _index(gaz: Gazetteer) -> dict[str, dict[str, set[str]]]:
    """Per level ('city', 'district'): pinyin key -> codes of the divisions one of whose names (full or short:
    深圳市, 深圳) it spells. A municipality is indexed as the city of its own province. Made on first use and
    kept on the gazetteer (build_gazetteer keeps each)."""
    if gaz.pinyin:
        return gaz.pinyin
    index: dict[str, dict[str, set[str]]] = {"city": {}, "district": {}}
    for code, div in gaz.by_code.items():
        if div.level == 1 and code[:2] in _MUNICIPALITIES:
            level = "city"
        elif div.level == 1 or div.name in _PLACEHOLDER_CITIES:
            continue
        else:
            level = "city" if div.level == 2 else "district"
        forms = set(gaz.forms.get(code, (div.name,)))
        # an autonomous county's place name (长阳县 -> 长阳): written alone in Latin letters (Changyang)
        forms |= {f[:-1] for f in forms if div.level == 3 and f[-1] in "县旗" and len(f) >= 3}
        for name in forms:
            for key in _spellings(name):
                index[level].setdefault(key, set()).add(code)
    gaz.pinyin.update(index)
    return index


def _spellings(name: str, most: int = 32) -> set[str]:
    """A name's pinyin keys: every reading of its characters (长阳 changyang, which the phrase list reads
    zhangyang; 朝阳区 chaoyang, where 朝阳 alone is zhaoyang), up to most of them."""
    keys = [""]
    for readings in pinyin(name, style=Style.NORMAL, heteronym=True):
        keys = [k + r for k in keys for r in dict.fromkeys(readings)][:most]
    return set(keys) | {"".join(lazy_pinyin(name))}


def _within(codes: set[str], prefix: str) -> list[str]:
    return sorted(c for c in codes if c.startswith(prefix))


def _look_up(index: dict[str, set[str]], text: str, words: tuple[str, ...], prefix: str) -> str | None:
    """The one division under prefix (a province's or city's code start) the spelling names: as written, else
    without a last word of words (Nanshan District, Shenzhen Shi)."""
    spellings = [text]
    parts = text.split()
    if len(parts) >= 2:
        for word in words:
            if text.casefold().endswith(" " + word):
                spellings.append(text[: -len(word) - 1])
    for spelling in spellings:
        found = _within(index.get(_key(spelling), set()), prefix)
        if found:
            return found[0] if len(found) == 1 else None
    return None


def _province_code(gaz: Gazetteer, province: str | None) -> str:
    """The two-digit start of a Chinese province name's code ('' when it is not one)."""
    if not province:
        return ""
    for div in gaz.national.get(province, []):
        if div.level == 1:
            return div.code[:2]
    return ""


def _place(key: tuple, gaz: Gazetteer, words: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(city, district) of one distinct (province, city, district): each Latin one put in Chinese where the
    list names one division for it, else as it was."""
    province, city, district = key
    index = _index(gaz)
    prov = _province_code(gaz, province)
    city_code = ""
    if isinstance(city, str) and _LATIN.match(city):
        found = _look_up(index["city"], city, words, prov)
        if found:
            city, city_code = gaz.by_code[found].name, found
        elif prov and not (isinstance(district, str) and district.strip()):
            # a district written in the city column (Chaoyang District, Beijing; Nanshan, Guangdong): the district,
            # and its city as the city
            found = _look_up(index["district"], city, words, prov)
            parent = _city_of(gaz, gaz.by_code[found]) if found else None   # 北京市 for a municipality's
            if parent is not None:
                return parent.name, gaz.by_code[found].name
    elif isinstance(city, str):   # a Chinese city column: its code places a Latin district
        codes = [d.code for d in gaz.national.get(city, []) if d.level in (1, 2) and d.code.startswith(prov)]
        city_code = codes[0] if len(codes) == 1 else ""
    if isinstance(district, str) and _LATIN.match(district) and (city_code or prov):
        under = city_code[:2] if city_code[:2] in _MUNICIPALITIES else city_code[:4] if city_code else prov
        found = _look_up(index["district"], district, words, under)
        if found:
            district = gaz.by_code[found].name
    return city, district


def chinese_places(province: pd.Series, city: pd.Series, district: pd.Series, country: pd.Series | None,
                   gazetteer: Callable[[], Gazetteer], words: list[str]) -> tuple[pd.Series, pd.Series]:
    """The city and district columns with pinyin names put in Chinese, in rows of China: country CN, or no
    country and a Chinese province (a Latin city alone elsewhere, Paris or Dali, is not read). Once per distinct
    (province, city, district); the gazetteer is asked for only when such rows exist."""
    latin = matches(to_arrow(city), _LATIN.pattern) | matches(to_arrow(district), _LATIN.pattern)
    if not latin.any():
        return city, district
    chinese_province = matches(to_arrow(province), "[\u4e00-\u9fff]")
    if country is None:
        country = pd.Series(None, index=city.index, dtype=object)
    rows = pd.Series(latin & (country.eq("CN").to_numpy() | country.isna().to_numpy() & chinese_province),
                     index=city.index)
    if not rows.any():
        return city, district
    keys = pd.DataFrame({"province": province[rows], "city": city[rows], "district": district[rows]})
    ordered = tuple(sorted((w.casefold() for w in words), key=len, reverse=True))
    found = map_distinct_rows_later(keys, partial(_place, gaz=gazetteer(), words=ordered), ["city", "district"])()
    city, district = city.copy(), district.copy()
    city.loc[rows], district.loc[rows] = found["city"], found["district"]
    return city, district
