"""Chinese addresses split into province / city / district / street from the administrative-division list.

The list is the national adcode table shipped with the cpca package; it is indexed once (full names and
short forms) and each distinct address is scanned left to right. A short form (北京, 朝阳) is only trusted
right after its parent matched; a name that exists in several provinces with nothing to tell which stays
unresolved and is flagged, never guessed.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache, partial
from importlib import metadata, resources
from typing import Callable

import numpy as np
import opencc
import pandas as pd
import pyarrow.compute as pc

from pipelines.standardize.arrow_text import matches, to_arrow, to_series
from pipelines.standardize.cache import ValueStore, cached, code_version
from pipelines.standardize.distinct import by_distinct, filled_later, map_distinct_rows_later

FIELDS = ("province", "city", "district", "street", "address_ambiguous", "address_resolved")
FLAGS = ("address_ambiguous", "address_resolved")   # the bool fields
_SEPARATORS = " ,，/\\-|"


@dataclass
class Division:
    code: str
    name: str
    level: int  # 1 province, 2 city, 3 district/county

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str:
        return self.code[:4] + "00"


@dataclass
class Gazetteer:
    by_code: dict[str, Division] = field(default_factory=dict)
    children: dict[tuple[str, str], list[Division]] = field(default_factory=dict)  # (parent code, name) -> divisions
    national: dict[str, list[Division]] = field(default_factory=dict)  # full name -> divisions at any level
    city_short: dict[str, list[Division]] = field(default_factory=dict)  # short city name -> cities
    # the lengths (2 or more, longest first) of the names under each parent, in national, in city_short: a scan
    # tries only lengths some name has
    lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)
    national_lengths: tuple[int, ...] = ()
    city_short_lengths: tuple[int, ...] = ()
    forms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # code -> its names, longest first
    # every name and short form of a district or county -> the codes of the cities they lie in
    district_names: dict[str, set[str]] = field(default_factory=dict)
    # level (2 city, 3 district/county) -> the rules' suffixes a division of that level ends with, longest first:
    # those an old name may end with after a short form (双流县 and 萧山市 for 双流区 and 萧山区, 毕节地区 for 毕节市)
    suffixes: dict[int, tuple[str, ...]] = field(default_factory=dict)
    pinyin: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # pinyin_places' index, made on first use


def _short_forms(name: str, suffixes: list[str], ethnic: tuple[str, ...] = ()) -> set[str]:
    forms = set()
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            forms.add(name[: -len(suffix)])
    return forms | _autonomous_forms(name, ethnic)


_AUTONOMOUS = {"自治州": "州", "自治县": "县", "自治旗": "旗"}


def _autonomous_forms(name: str, ethnic: tuple[str, ...]) -> set[str]:
    """An autonomous division's place name without its ethnic groups, with the short suffix addresses write:
    黔东南苗族侗族自治州 -> 黔东南州. A group is cut with 族 after it, or without when it is two characters or
    more (伊犁哈萨克自治州); nothing when no place name of two characters is left (东乡族自治县). The place name
    alone (楚雄, 大理) is not a form of the prefecture: it is its seat's (楚雄市, 大理市)."""
    suffix = next((s for s in _AUTONOMOUS if name.endswith(s)), None)
    if suffix is None or not ethnic:
        return set()
    written = sorted({g + "族" for g in ethnic} | {g for g in ethnic if len(g) >= 2}, key=len, reverse=True)
    stem = name[: -len(suffix)]
    while cut := next((w for w in written if stem.endswith(w) and len(stem) > len(w)), None):
        stem = stem[: -len(cut)]
    if len(stem) < 2 or stem == name[: -len(suffix)]:
        return set()
    return {stem + _AUTONOMOUS[suffix]}


def _adcode_rows() -> list[tuple[str, str]]:
    text = resources.files("cpca").joinpath("resources/adcodes.csv").read_text(encoding="utf-8")
    return [(row["adcode"][:6], row["name"]) for row in csv.DictReader(text.splitlines())]


@lru_cache(maxsize=8)
def build_gazetteer(suffixes: tuple[str, ...], aliases: tuple[tuple[str, str], ...],
                    added: tuple[tuple[str, str], ...] = (), ethnic: tuple[str, ...] = ()) -> Gazetteer:
    """The division list (cpca's adcodes) with the rules' divisions added since: each replaces the division of
    its province with a short name in common (新津县 -> 新津区)."""
    gaz = Gazetteer()
    for code, name in _adcode_rows():
        level = 1 if code[2:] == "0000" else 2 if code[4:] == "00" else 3
        gaz.by_code[code] = Division(code, name, level)
    former: dict[str, set[str]] = {}   # an added division's replaced names (长乐市 for 长乐区): still read
    for code, name in added:
        short = _short_forms(name, list(suffixes)) | {name}
        for old in [d for d in gaz.by_code.values() if d.level == 3 and d.code[:2] == code[:2] and d.code != code
                    and short & (_short_forms(d.name, list(suffixes)) | {d.name})]:
            del gaz.by_code[old.code]
            former.setdefault(code, set()).add(old.name)
        gaz.by_code[code] = Division(code, name, 3)
    alias_of: dict[str, set[str]] = {}   # a full name -> its aliases: several may name one (塘沽区, 汉沽区: 滨海新区)
    for short, full in aliases:
        alias_of.setdefault(full, set()).add(short)
    for div in gaz.by_code.values():
        parents = [""] if div.level == 1 else [div.province_code] + ([div.city_code] if div.level == 3 else [])
        names = {div.name} | _short_forms(div.name, list(suffixes), ethnic) | former.get(div.code, set())
        names |= alias_of.get(div.name, set())
        gaz.forms[div.code] = tuple(sorted(names, key=len, reverse=True))
        if div.level == 3:
            for n in names:
                gaz.district_names.setdefault(n, set()).add(div.city_code)
        for parent in parents:
            for n in names:
                gaz.children.setdefault((parent, n), []).append(div)
        gaz.national.setdefault(div.name, []).append(div)
        if div.level == 2:
            for n in names - {div.name}:
                gaz.city_short.setdefault(n, []).append(div)
    by_parent: dict[str, set[int]] = {}
    for parent, name in gaz.children:
        by_parent.setdefault(parent, set()).add(len(name))
    gaz.lengths = {parent: _longest_first(sizes) for parent, sizes in by_parent.items()}
    gaz.national_lengths = _longest_first({len(n) for n in gaz.national})
    gaz.city_short_lengths = _longest_first({len(n) for n in gaz.city_short})
    for level in (2, 3):
        ends = {s for d in gaz.by_code.values() if d.level == level and d.name not in _PLACEHOLDER_CITIES
                for s in suffixes if d.name.endswith(s) and len(d.name) - len(s) >= 2 and s not in _NEVER_OLD}
        gaz.suffixes[level] = tuple(sorted(ends, key=len, reverse=True))
    return gaz


def _longest_first(lengths: set[int]) -> tuple[int, ...]:
    return tuple(sorted((n for n in lengths if n >= 2), reverse=True))


class Written(str):
    """An address's text without its separators, knowing where they were (cuts: the positions, in this text,
    where a space, comma, dash or a column's end stood)."""
    cuts: frozenset[int]

    def __new__(cls, text: str, cuts: frozenset[int] = frozenset()) -> Written:
        out = super().__new__(cls, text)
        out.cuts = cuts
        return out

    def after(self, start: int) -> Written:
        """The text from start on, with its cuts."""
        return Written(self[start:], frozenset(c - start for c in self.cuts if c > start))


def _crosses(text: str, start: int, end: int) -> bool:
    """Whether a name read at start:end runs over a place where the text was written apart: 山东 青岛 市南区 (three
    columns) is 青岛 and 市南区, not 青岛市 and 南区; 杭州 市民中心 keeps its street's 市. A suffix written as a
    word of its own (上海 市 浦东新区) is read with its name."""
    cuts = getattr(text, "cuts", ())
    return bool(cuts) and any(start < c < end and not (end - c <= 3 and (end == len(text) or end in cuts)) for c in cuts)


# A short form followed by one of these starts a street name, not a division: 西安市长安街 is not 长安区.
_STREET_STARTS = tuple("街路道巷里弄胡")


def _match(gaz: Gazetteer, text: str, pos: int, parent: str, level: int | None = None) -> tuple[Division | None, int]:
    """Longest name under parent starting at pos; (None, pos) when none or when it is ambiguous."""
    left = len(text) - pos
    # the names are looked up first, _crosses asked of those found: most lengths name nothing
    for length in gaz.lengths.get(parent, ()):
        if length > left:
            continue
        name = text[pos:pos + length]
        found = gaz.children.get((parent, name))
        if found and level is not None:
            found = [d for d in found if d.level == level]
        if not found or _crosses(text, pos, pos + length):
            continue
        if all(d.name != name for d in found) and _starts_street(text, pos + length, named=bool(parent)):
            return None, pos
        if len(found) == 1:
            old = _old_suffix(gaz, text, pos, pos + length, found[0], parent) if found[0].name != name else 0
            return found[0], pos + length + old
        if len(found) > 1:
            return None, pos
    return None, pos


# Suffixes no division was known by before it got its current name: a county's 新区 is a development zone (莒南新区),
# kept in the street.
_NEVER_OLD = ("新区",)


# After an old suffix, what makes the suffix the start of the street's first word, not the end of the division's
# name: a single character before the street's end, a street character or the end (番禺市桥街道, 萧山市场路, 双流县城,
# 县前街, 县道X001: streets and towns are named with two characters or more, 东升街道, 城厢街道, 城关镇) ...
_SUFFIX_WORD = re.compile(r"[\u4e00-\u9fff][东西南北中]?[街路道巷里弄胡]*(?![\u4e00-\u9fff])")
# ... or a word the suffix begins (read at the suffix): a market (not 富阳市场口镇: 富阳市's town 场口镇), the civic
# centre (福田市民中心; not 民主, a village's or town's name), the town centre or urban area, a region, a company's
# (旗下), or an office of the division (市政府, 县委, 区府路, 市级, 县直).
_SUFFIX_STARTS = re.compile(r"市(?:场(?!口)|民(?!主)|中心|区|郊)|区域|旗下|[市县区旗](?:政|委|府|级|属|直|辖|立)")


def _old_suffix(gaz: Gazetteer, text: str, start: int, end: int, division: Division, parent: str) -> int:
    """The length of a suffix of the division's level written after its short name at start:end (0 when none):
    hundreds of counties and county-level cities became districts (双流县 -> 双流区, 萧山市 -> 萧山区, 密云县 ->
    密云区), prefectures became cities (毕节地区 -> 毕节市), and addresses keep the old names. The short name is matched and
    its old suffix is read with it, or it would start the street (县东升街道1号). Not read: a suffix that makes
    another division's name (长沙县 after 长沙市's short name), one written apart from the name (青岛 市南区, see
    _crosses), or one that starts the street's first word (_SUFFIX_WORD, _SUFFIX_STARTS). Never after the list's
    placeholders (市辖区), nor after a name with a suffix of its own (a former name, 长乐市; an alias, 崇文区)."""
    name = text[start:end]
    suffixes = gaz.suffixes.get(division.level, ())
    if division.name in _PLACEHOLDER_CITIES or name.endswith(suffixes):
        return 0
    for suffix in suffixes:
        after = end + len(suffix)
        if not text.startswith(suffix, end):
            continue
        if (name + suffix in gaz.national or (parent, name + suffix) in gaz.children or _crosses(text, start, after)
                or _SUFFIX_WORD.match(text, after) or _SUFFIX_STARTS.match(text, end)):
            return 0
        return len(suffix)
    return 0


def _national(gaz: Gazetteer, text: str, pos: int) -> tuple[list[Division], int]:
    """Full names (with suffix) at any level, when no parent is known."""
    left = len(text) - pos
    for length in gaz.national_lengths:
        found = gaz.national.get(text[pos:pos + length]) if length <= left else None
        if found and not _crosses(text, pos, pos + length):
            return found, pos + length
    return [], pos


_PLACEHOLDER_CITIES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


def _city_of(gaz: Gazetteer, division: Division) -> Division | None:
    city = gaz.by_code.get(division.city_code)
    if city is None or city.name in _PLACEHOLDER_CITIES:
        province = gaz.by_code.get(division.province_code)
        return province if province and province.name.endswith("市") else None  # 北京市: city is itself
    return city


def _without_province(gaz: Gazetteer, text: str) -> tuple[Division | None, Division | None, int, bool]:
    """(city, district, end, ambiguous) from a full name at any level, or a short city name confirmed by
    one of its districts right after it (广州天河区)."""
    found, end = _national(gaz, text, 0)
    if len(found) > 1:
        return None, None, 0, True
    if found:
        division = found[0]
        if division.level == 1:
            return None, None, 0, False
        return (_city_of(gaz, division), division if division.level == 3 else None, end, False)
    alone = None
    for length in gaz.city_short_lengths:
        cities = gaz.city_short.get(text[:length], []) if length <= len(text) else []
        if not cities or _crosses(text, 0, length):
            continue
        confirmed = []
        for city in cities:
            district, after = _match(gaz, text, length, city.code, level=3)
            if district is not None:
                confirmed.append((city, district, after))
        if len(confirmed) == 1:
            return confirmed[0][0], confirmed[0][1], confirmed[0][2], False
        if confirmed:
            return None, None, 0, True
        # a short city name with no district after it (武汉 解放大道1号): taken when it names one city and no
        # district outside that city (朝阳 may be 朝阳区 of Beijing; 长沙 is 长沙市, whose own 长沙县 is in it)
        # and does not start a street (中山路)
        if (alone is None and len(cities) == 1
                and gaz.district_names.get(text[:length], set()) <= {cities[0].code}
                and not _starts_street(text, length)):
            alone = (cities[0], None, length, False)
    return alone or (None, None, 0, False)


def _skip_repeat(gaz: Gazetteer, text: str, pos: int, division: Division | None) -> int:
    """Past the division's name written again at pos (北京市北京市朝阳区; 北京 北京 朝阳区 from province and city
    columns): its full name, or a short form a division under it follows (not 北京大学 after 北京市) or that is
    written apart (北京市 + 北京 + 建国路88号 from province, city and street columns)."""
    while division is not None:
        for name in gaz.forms.get(division.code, (division.name,)):
            after = pos + len(name)
            if len(name) >= 2 and text.startswith(name, pos) and (
                    name == division.name or after == len(text) or after in getattr(text, "cuts", ())
                    or _match(gaz, text, after, division.code)[0] is not None):
                pos = after
                break
        else:
            return pos
    return pos


def _repeat_end(gaz: Gazetteer, text: str, pos: int, division: Division | None) -> int:
    """_skip_repeat, unless a division under this one starts at pos (吉林 吉林市: the province, then its city)."""
    if division is None or _match(gaz, text, pos, division.code)[0] is not None:
        return pos
    return _skip_repeat(gaz, text, pos, division)


# After a province's short name, a street (西藏中路, 北京西路, 四川路) or a place (北京大学, 四川大厦) named after it:
# Shanghai's streets bear the names of provinces. (北京中关村 is in Beijing.)
_NAMED_AFTER = re.compile(r"[东西南北中]?[路街道巷弄]|大[学厦街道桥楼]")


def _starts_street(text: str, at: int, named: bool = True) -> bool:
    """Whether a short name ending at `at` is the start of a street's or place's name rather than a division: a
    street character follows (西安市长安街 is not 长安区), or with named a street or place named after it (南山大道 and
    朝阳北路 are streets, not 南山区 and 朝阳区 with 大道 and 北路 left; 南京东路 is in Shanghai, 厦门大学 a university;
    南京中山路 is in Nanjing)."""
    return text[at:at + 1] in _STREET_STARTS or named and _NAMED_AFTER.match(text, at) is not None


# Divisions of the list that are countries of their own for phones and ISO 3166 (a +852 number, country HK).
_OWN_COUNTRY = {"香港特别行政区": "HK", "澳门特别行政区": "MO", "台湾省": "TW"}


# A postcode written before an address (100020 北京市朝阳区): six digits before a Chinese character.
_POSTCODE = re.compile(r"\d{6}(?=[\u4e00-\u9fff])")


# Written before an address: the country (中国北京市朝阳区).
_COUNTRY_PREFIXES = ("中华人民共和国", "中國", "中国")


def _longer_city_elsewhere(gaz: Gazetteer, text: str, start: int, end: int, province: Division) -> bool:
    """Whether a province's short name matched at start:end is the start of a longer name of one division in
    another province: a city's short name (海南州: 青海's 海南藏族自治州) or a full name (河北区 of 天津)."""
    for names, lengths in ((gaz.city_short, gaz.city_short_lengths), (gaz.national, gaz.national_lengths)):
        for length in lengths:
            if length <= end - start:
                break
            found = names.get(text[start:start + length], [])
            if len(found) == 1 and found[0].province_code != province.code and not _crosses(text, start, start + length):
                return True
    return False


def parse_address(text: str, gaz: Gazetteer, written: str | None = None) -> tuple:
    """-> (province, city, district, street, ambiguous, resolved_to_district). The divisions are read from the
    text without separators; the street is the rest of the text as written (3-1201, Science Park Rd. 5): of
    `written` when given (the text as written, of which `text` is a conversion of the same length)."""
    written = text if written is None else written
    kept = [i for i, ch in enumerate(text) if ch not in _SEPARATORS]
    compact = Written("".join(text[i] for i in kept), frozenset(
        n for n, (i, j) in enumerate(zip(kept, kept[1:]), start=1) if j > i + 1))
    start = postcode.end() if (postcode := _POSTCODE.match(compact)) else 0   # 100020 北京市…
    start += next((len(p) for p in _COUNTRY_PREFIXES if compact.startswith(p, start) and len(compact) > start + len(p)),
                  0)
    city = district = None
    ambiguous = False
    province, pos = _match(gaz, compact, start, "", level=1)
    if province is not None and _longer_city_elsewhere(gaz, compact, start, pos, province):
        province, pos = None, start   # 海南州共和县: 青海's 海南藏族自治州, not the province 海南
    if (province is not None and _NAMED_AFTER.match(compact, pos) and compact[start:pos] != province.name
            and _match(gaz, compact, pos, province.code)[0] is None):
        province, pos = None, start   # 西藏中路, 北京大学: a street or place named after the province (北京东城区 is not)
    if province is not None and compact[pos:pos + 1] == "市":   # 吉林市: the city named like its province
        named = [d for d in gaz.national.get(compact[start:pos + 1], ()) if d.level == 2
                 and d.province_code == province.code]
        if len(named) == 1:
            city, pos = named[0], pos + 1
    if province is None:
        city, district, pos, ambiguous = _without_province(gaz, compact.after(start))
        pos += start
        anchor = district or city
        province = gaz.by_code.get(anchor.province_code) if anchor else None
    if province is None:
        return None, None, None, written.strip(_SEPARATORS) or None, ambiguous, False
    pos = _repeat_end(gaz, compact, pos, province)
    if city is None and district is None:
        city, pos = _match(gaz, compact, pos, province.code, level=2)
        pos = _repeat_end(gaz, compact, pos, city)
    if district is None:
        parent = city.code if city and city is not province else province.code
        district, pos = _match(gaz, compact, pos, parent, level=3)
        if district is None and city is not None and compact[pos - 1:pos] == "市":   # 青岛市南区: 青岛's 市南区
            district, after = _match(gaz, compact, pos - 1, parent, level=3)
            pos = after if district is not None else pos
    if district is not None:
        city = _city_of(gaz, district)
    elif city is None or city.name in _PLACEHOLDER_CITIES:
        city = province if province.name.endswith("市") else None
    # a detailed address that repeats the divisions of the columns before it (广东省 深圳市 南山区 +
    # 广东省深圳市南山区科技园1号): their full names, in order, are skipped when they repeat as a whole (北京市
    # 朝阳区 + 北京市第八十中学 keeps its school's name); so are the tail of them a street repeats after the
    # divisions were read (南山区 + 南山区科技园10号, 深圳市 南山区 + 深圳市南山区科技园10号): one address, one street
    parts = [d.name for d in (province, city, district) if d is not None]
    names = list(dict.fromkeys(parts))   # a municipality is its own city: 北京市 once
    repeats = {"".join(parts)} | {"".join(names[i:]) for i in range(len(names))} if district is not None else set()
    for repeat in sorted(repeats, key=len, reverse=True):
        if len(repeat) >= 3 and compact.startswith(repeat, pos):
            pos += len(repeat)
            break
    street = written[kept[pos]:].strip(_SEPARATORS) if pos < len(kept) else ""
    return (province.name, city.name if city else None, district.name if district else None,
            street or None, ambiguous, district is not None)


def parse_address_with(key: tuple[str], suffixes: tuple[str, ...], aliases: tuple[tuple[str, str], ...],
                       added: tuple[tuple[str, str], ...] = (), ethnic: tuple[str, ...] = ()) -> tuple:
    """parse_address of key's text with the gazetteer of these rules, built once per process (build_gazetteer is
    cached): what the worker processes are sent is the rules, not the half-megabyte gazetteer with every batch."""
    gaz = build_gazetteer(suffixes, aliases, added, ethnic)
    parsed = parse_address(key[0], gaz)
    if parsed[5]:
        return parsed
    # the division list is in simplified characters: an address it does not place as written is read again in
    # simplified ones (廣東省深圳市南山區 and 北京市朝陽區 from Hong Kong or Taiwan keyboards), its street kept as written
    simplified = _to_simplified(key[0])
    if simplified == key[0] or len(simplified) != len(key[0]):
        return parsed
    again = parse_address(simplified, gaz, written=key[0])
    return again if _placed(again) > _placed(parsed) else parsed


def _placed(parsed: tuple) -> tuple[bool, int, int]:
    """How far a parse placed its address: down to a district, how many divisions, how little street is left."""
    return parsed[5], sum(d is not None for d in parsed[:3]), -len(parsed[3] or "")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _to_simplified(text: str) -> str:
    return _t2s().convert(text)


VERSION = f"cpca {metadata.version('cpca')}; opencc {metadata.version('opencc')}; addresses {code_version(__file__)}"


def version(rules: dict) -> str:
    """The value cache's version of parsed addresses: the parser's, and a digest of the address rules (a steward's
    new alias or suffix makes every address parsed again)."""
    digest = hashlib.sha256(json.dumps(rules, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]
    return f"{VERSION}; rules {digest}"


def _has_cjk(values: pd.Series) -> np.ndarray:
    """Whether each text holds a Chinese character (false for nulls)."""
    return matches(to_arrow(values), "[\u4e00-\u9fff]")


def latin_provinces(province: pd.Series, country: pd.Series | None, names: dict[str, str],
                    words: list[str] = ()) -> pd.Series:
    """A province column written in Latin letters (GD, Guangdong, Guangdong Sheng) as the province's name
    (广东省), from the rules' list (names: casefolded spelling -> name; words cut from the end first): a
    two-letter code only in rows whose country is CN (SC is also South Carolina), a name also where the country
    is not given. Other values as they were."""
    if not names or not province.notna().any():
        return province
    cut = re.compile(rf"\s+(?:{'|'.join(re.escape(w) for w in sorted(words, key=len, reverse=True))})$") if words else None

    def look_up(values: pd.Series) -> pd.Series:
        folded = values.map(lambda v: v.strip().casefold() if isinstance(v, str) else None)
        found = folded.map(names)
        if cut is not None:
            found = found.fillna(folded.map(lambda v: names.get(cut.sub("", v)) if v else None))
        return found
    found = by_distinct(province, look_up)
    if country is None:
        country = pd.Series(None, index=province.index, dtype=object)
    code = province.str.strip().str.len().eq(2)
    usable = found.notna() & (country.eq("CN") | (country.isna() & ~code))
    return found.where(usable, province)


# A postcode written in the address text of a row in China whose postcode column is empty: six digits before the
# address (100022 北京市朝阳区…: the parser reads past them) or written apart at the end of its street (科技园 518057,
# 建国路88号（邮编100022）, a street of six digits alone). It goes to the postcode column, out of the street.
_POSTCODE_FIRST = r"^\s*(?P<v>\d{6})\s*[\x{4e00}-\x{9fff}]"
_POSTCODE_LAST = r"(?:^|(?:[(（]\s*)?(?:邮编|邮政编码|[\s,，;；]))[:：]?\s*[(（]?\s*(?P<v>\d{6})\s*[)）]?\s*$"


def _postcodes(done: pd.DataFrame, text, given: pd.Series) -> None:
    """The postcodes of _POSTCODE_FIRST and _POSTCODE_LAST into done's postcode, where given has none (Arrow)."""
    rows = (done["address_country"].eq("CN") & given.isna()).to_numpy(bool)
    if not rows.any():
        return
    street = to_arrow(done["street"].where(rows))
    first = pc.struct_field(pc.extract_regex(text, _POSTCODE_FIRST), [0])
    last = pc.struct_field(pc.extract_regex(street, _POSTCODE_LAST), [0])
    found = to_series(pc.coalesce(last, first), done.index).where(rows)
    if found.notna().any():
        cut = to_series(pc.utf8_trim_whitespace(pc.replace_substring_regex(street, _POSTCODE_LAST, "")), done.index)
        moved = pd.Series(pc.is_valid(last).to_numpy(zero_copy_only=False), index=done.index) & found.notna()
        done.loc[moved, "street"] = cut[moved].replace("", None)
        done["postcode"] = found.where(found.notna(), given)


def standardize_addresses_later(frame: pd.DataFrame, suffixes: list[str], aliases: dict[str, str],
                                store: ValueStore | None = None, added: dict[str, str] | None = None,
                                ethnic: list[str] = (), latin: dict[str, str] | None = None,
                                latin_words: list[str] = (), division_words: list[str] = (),
                                abroad: dict[str, list[str]] | None = None) -> Callable[[], pd.DataFrame]:
    """frame has province, city, district, street, address (text), and country for a province written in
    Latin letters (latin_provinces); rows with Chinese text are parsed once per distinct text ever seen (the
    value cache remembers them across chunks and nights), in the background; the returned function gives the
    frame."""
    rules = {"suffixes": tuple(suffixes), "aliases": tuple(sorted(aliases.items())),
             "added": tuple(sorted((added or {}).items())), "ethnic": tuple(ethnic)}
    province = latin_provinces(frame["province"], frame.get("country"), latin or {}, latin_words)
    city, district = frame["city"], frame["district"]
    if division_words:   # a city or district in pinyin (Shenzhen, Nanshan District) as its Chinese name
        from pipelines.standardize.pinyin_places import chinese_places

        gazetteer = partial(build_gazetteer, rules["suffixes"], rules["aliases"], rules["added"], rules["ethnic"])
        city, district = chinese_places(province, city, district, frame.get("country"), gazetteer, division_words)
    # the address columns joined (a space where one ends: a name is not read across it, see _crosses) and searched
    # for Chinese by Arrow, over the whole columns. A province, city or district column without a Chinese
    # character (Shenzhen, Nanshan: a Western CRM's columns beside a Chinese street) is left out: the parser
    # reads from the start and stopped at it. Such a column keeps its value where the parser finds none.
    columns = {"province": province, "city": city, "district": district}
    latin = {c: v.notna().to_numpy() & ~_has_cjk(v) for c, v in columns.items()}
    parts = [pc.fill_null(to_arrow(columns[c].where(~latin[c]) if c in columns else frame[c]), "")
             for c in ("province", "city", "district", "address", "street")]
    text = pc.utf8_trim_whitespace(pc.binary_join_element_wise(*parts, " "))
    joined = to_series(text, frame.index)
    chinese = to_series(pc.match_substring_regex(text, "[\u4e00-\u9fff]"), frame.index, bool)
    # a row in another country keeps its columns as written: Japan's 江東区 and Taiwan's 中山區 are also names of
    # mainland districts (宁波市江东区, 大连市中山区), and the list has no Hong Kong, Macau or Taiwan divisions
    if "country" in frame:
        chinese &= frame["country"].isna() | frame["country"].eq("CN")
    out = pd.DataFrame({
        "province": province, "city": city, "district": district,
        "street": frame["street"].fillna(frame["address"]), "address_ambiguous": False,
        "address_resolved": district.notna(),
    }, index=frame.index, dtype=object)
    parse = partial(parse_address_with, **rules)
    pending = map_distinct_rows_later(
        joined[chinese].to_frame("address"), parse, FIELDS,
        apply=cached("address", version(rules), store, FIELDS, FLAGS)) if chinese.any() else None
    postcode = frame["postcode"] if "postcode" in frame else pd.Series(None, index=frame.index, dtype=object)
    parts = ["province", "city", "district", "street"]
    as_given = out.loc[chinese, parts].copy()
    filled = filled_later(out, chinese, pending, FIELDS, FLAGS)

    def parsed() -> pd.DataFrame:
        done = filled()
        done["address_cn"] = chinese & done["province"].notna()
        # the country the division list places the address in: Hong Kong, Macau and Taiwan are their own
        done["address_country"] = done["province"].map(_OWN_COUNTRY).fillna("CN").where(done["address_cn"], None)
        # text the parser places nowhere (Singapore + 乌节路1号, 香港 …) keeps its columns as they were given; one
        # starting with a place abroad (台北市信義區…, rules: addresses.places_abroad) places the row in its country
        unplaced = chinese & done["province"].isna()
        done.loc[unplaced, parts] = as_given.loc[unplaced[chinese].to_numpy()].to_numpy()
        for code, places in (abroad or {}).items():
            starts = rf"^\s*(?:{'|'.join(re.escape(p) for p in places)})"
            there = unplaced.to_numpy() & matches(text, starts)
            done.loc[there, ["address_cn", "address_country"]] = [True, code]
        # a column left out of the text keeps its value where the parser found none
        for c in columns:
            kept = chinese.to_numpy() & latin[c] & done[c].isna().to_numpy()
            done.loc[kept, c] = columns[c][kept]
        # the list has no cities or districts in Hong Kong, Macau and Taiwan: those given in columns are kept
        given = as_given[["city", "district"]].notna().any(axis=1).reindex(done.index, fill_value=False)
        own = chinese & done["province"].isin(list(_OWN_COUNTRY)) & given
        done.loc[own, parts[1:]] = as_given.loc[own[chinese].to_numpy(), parts[1:]].to_numpy()
        done["postcode"] = postcode
        _postcodes(done, text, postcode)
        return done
    return parsed
