"""Japanese names written in kanji without a space are split into family and given name (namedivider), in
Japanese records only; Chinese records keep the Chinese split."""
from __future__ import annotations

import dataclasses
import itertools

import pandas as pd
import pytest

from pipelines import cleanse, workers
from pipelines.rules import MAPPABLE_FIELDS
from pipelines.standardize.names import FIELDS, standardize_name, standardize_names_later


def _split(rules, key: tuple) -> tuple:
    std = rules.standardization
    return standardize_name(key, tuple(std.compound_surnames), tuple(std.name_prefixes),
                            tuple(w.casefold() for w in std.organisation_words), tuple(std.japanese_honorifics))


@pytest.mark.parametrize("key, expected", [
    (("佐藤太郎", None, None), ("佐藤太郎", "太郎", "佐藤")),
    (("長谷川翔平", None, None), ("長谷川翔平", "翔平", "長谷川")),
    (("竈門炭治郎", None, None), ("竈門炭治郎", "炭治郎", "竈門")),
    (("菅義偉", None, None), ("菅義偉", "義偉", "菅")),
    (("佐々木希", None, None), ("佐々木希", "希", "佐々木")),          # the iteration mark 々 is a kanji
    (("佐藤太郎（VIP）", None, None), ("佐藤太郎", "太郎", "佐藤")),    # a note dropped, as from a Chinese name
    (("佐藤太郎先生", None, None), ("佐藤太郎", "太郎", "佐藤")),
    # its parts apart: split where written, one spelling (as 王 小明 is 王小明)
    (("佐藤 太郎", None, None), ("佐藤太郎", "太郎", "佐藤")),
    (("佐藤\u3000太郎", None, None), ("佐藤太郎", "太郎", "佐藤")),
    (("勅使河原 宏", None, None), ("勅使河原宏", "宏", "勅使河原")),   # a family name of four kanji
    (("山田・太郎", None, None), ("山田太郎", "太郎", "山田")),
    # one or two kanji: a family name written alone (the divider would cut 小林 into 小 and 林 by a blind rule)
    (("小林", None, None), ("小林", None, "小林")),
    (("林", None, None), ("林", None, "林")),
    (("佐藤先生", None, None), ("佐藤先生", None, "佐藤")),
    (("Mr. 佐藤", None, None), ("佐藤", None, "佐藤")),
    # an honorific after the name (japanese_honorifics) is no part of it; a family name alone keeps it, as 王先生
    (("佐藤太郎様", None, None), ("佐藤太郎", "太郎", "佐藤")),
    (("長谷川翔平さま", None, None), ("長谷川翔平", "翔平", "長谷川")),
    (("山田太郎殿", None, None), ("山田太郎", "太郎", "山田")),
    (("佐藤様", None, None), ("佐藤様", None, "佐藤")),
    (("小林くん", None, None), ("小林くん", None, "小林")),
    (("王丽君", None, None), ("王丽君", "丽君", "王")),   # 君 ends Chinese given names: no honorific listed
    # the whole name in Salesforce's LastName alone, or in First Name alone; the parts given apart
    ((None, None, "佐藤太郎"), ("佐藤太郎", "太郎", "佐藤")),
    ((None, None, "小林"), ("小林", None, "小林")),
    ((None, "長谷川翔平", None), ("長谷川翔平", "翔平", "長谷川")),
    ((None, "太郎", "佐藤"), ("佐藤太郎", "太郎", "佐藤")),
    # a Chinese name in a Japanese record: a compound surname stays whole, a plain one is split as before
    (("欧阳娜娜", None, None), ("欧阳娜娜", "娜娜", "欧阳")),
    (("王小明", None, None), ("王小明", "小明", "王")),
    # a company in the name column of a Japanese record is kept whole, as a Chinese one is
    (("佐藤商事株式会社", None, None), ("佐藤商事株式会社", None, None)),
    (("株式会社佐藤商事", None, None), ("株式会社佐藤商事", None, None)),
    (("山田工業合同会社", None, None), ("山田工業合同会社", None, None)),
    (("鈴木建設(株)", None, None), ("鈴木建設(株)", None, None)),
    # not kanji: as before
    (("Taro Sato", None, None), ("Taro Sato", "Taro", "Sato")),
    (("サトウ タロウ", None, None), ("サトウ タロウ", "タロウ", "サトウ")),
])
def test_names_of_japanese_records_are_split_as_japanese_names(rules, key, expected):
    assert _split(rules, key + (True,)) == expected


@pytest.mark.parametrize("key, expected", [
    (("田中さくら", None, None), ("田中さくら", "さくら", "田中")),
    (("中島 みゆき", None, None), ("中島みゆき", "みゆき", "中島")),
    (("ながつま昭", None, None), ("ながつま昭", "昭", "ながつま")),
])
@pytest.mark.parametrize("japanese_record", [False, True])
def test_kana_beside_kanji_is_a_japanese_name_in_any_record(rules, key, expected, japanese_record):
    assert _split(rules, key + (japanese_record,)) == expected


@pytest.mark.parametrize("key, expected", [
    (("王小明", None, None), ("王小明", "小明", "王")),
    (("欧阳娜娜", None, None), ("欧阳娜娜", "娜娜", "欧阳")),
    (("李娜", None, None), ("李娜", "娜", "李")),               # two characters: a whole Chinese name
    (("王 小明", None, None), ("王小明", "小明", "王")),
    (("王", None, None), ("王", None, None)),
    (("山田・太郎", None, None), ("山田・太郎", None, None)),   # the katakana dot alone says no language
    ((None, None, "张三"), ("张三", "三", "张")),
])
def test_names_of_other_records_keep_the_chinese_split(rules, key, expected):
    assert _split(rules, key) == expected
    assert _split(rules, key + (False,)) == expected


def _raw(rows: list[tuple[str, str | None, str | None]]) -> pd.DataFrame:
    """Raw rows of (source, full_name, country), as read_raw_for_cleansing gives them."""
    n = len(rows)
    raw = pd.DataFrame({c: [None] * n for c in MAPPABLE_FIELDS}, dtype=object)
    raw["full_name"] = [r[1] for r in rows]
    raw["country"] = [r[2] for r in rows]
    raw["email"] = [f"customer{i}@example.com" for i in range(n)]
    return raw.assign(partition_date="2026-11-20", run_id="r", source_system=[r[0] for r in rows],
                      source_file="f.csv", source_line=range(2, n + 2), source_record_id=[f"id{i}" for i in range(n)],
                      parse_error=None, extra=None)


def test_cleansing_splits_the_names_of_japanese_records_only(rules):
    """A record is Japanese by its country, or without one by its source's phone region; a Chinese record (its
    country, or its source's region) and a record of elsewhere keep the Chinese split."""
    jp_source = dataclasses.replace(rules.sources["hubspot"], phone_region="JP")
    jp_rules = dataclasses.replace(rules, sources={**rules.sources, "jp_crm": jp_source})
    raw = _raw([("hubspot", "佐藤太郎", "Japan"), ("hubspot", "小林", "JP"), ("jp_crm", "長谷川翔平", None),
                ("jp_crm", "王小明", "China"), ("wukong", "王小明", None), ("wukong", "欧阳娜娜", None),
                ("hubspot", "佐藤太郎", None), ("wukong", "田中さくら", None)])
    result = cleanse.finish_cleanse(cleanse.start_standardize(raw, jp_rules), jp_rules)
    rows = result.rows.sort_values("source_line")
    assert rows["full_name"].tolist() == ["佐藤太郎", "小林", "長谷川翔平", "王小明", "王小明", "欧阳娜娜", "佐藤太郎",
                                          "田中さくら"]
    assert rows["family_name"].tolist() == ["佐藤", "小林", "長谷川", "王", "王", "欧阳", "佐", "田中"]
    assert rows["given_name"].tolist() == ["太郎", None, "翔平", "小明", "小明", "娜娜", "藤太郎", "さくら"]
    assert result.clean == len(raw) and len(result.quarantine) == 0


def test_japanese_names_split_in_worker_processes_as_here(rules, monkeypatch):
    """Over a thousand distinct names go to the stage's worker processes: the split is the one made here."""
    families = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "佐々木",
                "山口", "松本", "井上", "木村", "清水", "長谷川", "竈門", "勅使河原", "菅", "森", "林", "池田"]
    givens = ["太郎", "翔平", "炭治郎", "義偉", "花子", "一郎", "健太", "美咲", "さくら", "陽菜", "蓮", "大翔", "結衣",
              "悠真", "葵", "湊", "凛", "樹", "颯太", "陽翔", "芽依", "優奈", "拓海", "七海", "健", "智子", "誠",
              "恵", "直樹", "由美", "亮", "彩", "修", "学", "光", "望", "薫", "翼", "渚", "遥", "聡", "純"]
    names = [f + g for f, g in itertools.product(families, givens)]
    assert len(names) >= 1000   # workers take lists from distinct.SHARED_FROM names on
    frame = pd.DataFrame({"full_name": names, "given_name": None, "family_name": None}, dtype=object)
    japanese = pd.Series(True, index=frame.index)
    std = rules.standardization
    here = standardize_names_later(frame, std.compound_surnames, std.name_prefixes, japanese=japanese)()
    monkeypatch.setenv("CRM_WORKERS", "2")
    with workers.pool():
        assert workers.current() is not None
        pooled = standardize_names_later(frame, std.compound_surnames, std.name_prefixes, japanese=japanese)()
    assert pooled[list(FIELDS)].equals(here[list(FIELDS)])
    assert here.loc[names.index("長谷川翔平"), ["family_name", "given_name"]].tolist() == ["長谷川", "翔平"]


@pytest.mark.parametrize("key, expected", [
    (("田中さん", None, None), ("田中さん", None, "田中")),   # kana: a Japanese name, its honorific dropped
    (("王先生", None, None), ("王先生", None, "王")),
    (("张建氏", None, None), ("张建氏", "建氏", "张")),       # in a Chinese record no Japanese honorific is read
])
def test_japanese_honorifics_are_read_in_japanese_names_only(rules, key, expected):
    assert _split(rules, key + (False,)) == expected

