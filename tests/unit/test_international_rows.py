"""Rows of many countries in one source (a datablist-style export): countries, phones, names and addresses read
in the row's own country."""
from __future__ import annotations

import pandas as pd
import pytest

from pipelines import cleanse
from pipelines.rules import MAPPABLE_FIELDS
from pipelines.standardize.codes import standardize_country
from pipelines.standardize.names import standardize_name
from pipelines.standardize.phones import standardize_phone


def _cleansed(rules, source: str = "hubspot", **columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    raw = pd.DataFrame({c: [None] * n for c in MAPPABLE_FIELDS}, dtype=object)
    for name, values in columns.items():
        raw[name] = values
    raw = raw.drop(columns="extra", errors="ignore").assign(partition_date="2026-11-20", run_id="r", source_system=source, source_file="f.csv",
                     source_line=range(2, n + 2), source_record_id=[f"id{i}" for i in range(n)], parse_error=None)
    raw["extra"] = columns.get("extra", [None] * n)
    return cleanse.finish_cleanse(cleanse.start_standardize(raw, rules), rules).rows


@pytest.mark.parametrize("name, code", [
    ("Reunion", "RE"), ("Saint Barthelemy", "BL"), ("Slovakia (Slovak Republic)", "SK"),
    ("Bouvet Island (Bouvetoya)", "BV"), ("Svalbard & Jan Mayen Islands", "SJ"), ("Cape Verde", "CV"),
    ("Libyan Arab Jamahiriya", "LY"), ("Palestinian Territory", "PS"), ("United States Virgin Islands", "VI"),
    ("Россия", "RU"), ("भारत", "IN"), ("China (PRC)", "CN"), ("Antarctica (the territory South of 60 deg S)", "AQ"),
])
def test_country_names_of_public_sample_files_and_native_spellings(rules, name, code):
    codes, unknown = standardize_country(pd.Series([name], dtype=object), rules.standardization.countries)
    assert codes.tolist() == [code] and not unknown.any()


def test_a_dissolved_country_is_not_guessed(rules):
    codes, unknown = standardize_country(pd.Series(["Netherlands Antilles"], dtype=object),
                                         rules.standardization.countries)
    assert codes.tolist() == [None] and unknown.all()


@pytest.mark.parametrize("key", [("8 185 381 2515", "RU"), ("8 (210) 153-4475", "RU")])
def test_a_number_with_the_regions_trunk_prefix_is_not_read_as_another_countrys(key):
    assert standardize_phone(key)[:2] == (None, False)   # not +81 85 381 2515 (Japan), +82 10 … (Korea)


def test_russian_numbers_with_their_trunk_8_are_read_in_russia():
    assert standardize_phone(("8 (916) 123-45-67", "RU"))[:2] == ("+79161234567", True)


def test_a_korean_name_from_its_parts_is_family_name_first():
    assert standardize_name((None, "영환", "박")) == ("박영환", "영환", "박")


def test_addresses_of_other_countries_are_kept_as_written(rules):
    rows = _cleansed(rules, full_name=["Sato Taro", "Lin Wei", "王伟"], country=["Japan", "Taiwan", "China"],
                     city=["江東区", "中山區", "大连中山区"], phone=["03-1234-5678", "02 2923 4568", "13911452876"])
    assert rows["country"].tolist() == ["JP", "TW", "CN"]
    assert rows["province"].tolist()[:2] == [None, None]
    assert rows["city"].tolist() == ["江東区", "中山區", "大连市"]
    assert rows["district"].tolist() == [None, None, "中山区"]
    assert rows["phone"].tolist() == ["+81312345678", "+886229234568", "+8613911452876"]


def test_an_invalid_first_phone_column_gives_way_to_the_next_valid_one(rules):
    """WukongCRM maps 手机 then 电话: 手机 holding a typo took the field and the valid 电话 stayed in extra."""
    import json

    rows = _cleansed(rules, source="wukong", full_name=["王伟", "李娜", "赵敏"], phone=["1391145287", "13911452876",
                                                                                     "123"],
                     extra=[json.dumps({"电话": "010-65529988"}, ensure_ascii=False),
                            json.dumps({"电话": "010-65529988"}, ensure_ascii=False),
                            json.dumps({"备注": "vip"}, ensure_ascii=False)])
    assert rows["phone"].tolist() == ["+861065529988", "+8613911452876", None]
    assert rows["phone_raw"].tolist() == ["010-65529988", "13911452876", "123"]
    flags = rows["quality_flags"].tolist()
    assert ["invalid_phone" in f for f in flags] == [False, False, True]


def test_a_filler_first_phone_or_a_repeated_header_gives_way_to_the_next_valid_one(rules):
    """13800138000 is valid, so the next column was never read and the filler emptied left no phone; a file's
    second 'Phone Number' column (Phone Number__2) was never tried."""
    import json

    rows = _cleansed(rules, source="wukong", full_name=["王伟"], phone=["13800138000"],
                     extra=[json.dumps({"电话": "13911452876"}, ensure_ascii=False)])
    assert rows["phone"].tolist() == ["+8613911452876"] and rows["quality_flags"].tolist() == [[]]
    rows = _cleansed(rules, source="hubspot", full_name=["Ann Lee"], phone=["415555"],
                     extra=[json.dumps({"Notes": "x", "phone number__2": "+1 415 555 2671"})])
    assert rows["phone"].tolist() == ["+14155552671"] and rows["phone_raw"].tolist() == ["+1 415 555 2671"]


def test_a_taiwan_or_hong_kong_address_without_its_prefix_places_the_row_and_its_phone(rules):
    """台北市信義區… and 九龍旺角… were placed nowhere: the row stayed without a country and its valid number was read
    as Chinese, invalid. A mainland address and one starting with a name a mainland county shares stay as before."""
    rows = _cleansed(rules, source="wukong", full_name=["林志明", "陳大文", "王伟", "李娜"],
                     address=["台北市信義區信義路五段7號", "九龍旺角彌敦道580號", "北京市朝阳区建国路88号", "连江县琯头镇"],
                     phone=["0912-345-678", "9123 4567", "13911452876", "13911452877"])
    assert rows["country"].tolist() == ["TW", "HK", "CN", "CN"]
    assert rows["phone"].tolist() == ["+886912345678", "+85291234567", "+8613911452876", "+8613911452877"]
    assert rows["street"].tolist()[:2] == ["台北市信義區信義路五段7號", "九龍旺角彌敦道580號"]   # kept as written
    assert rows["province"].tolist()[:2] == [None, None]


@pytest.mark.parametrize("written, number, extension", [
    ("001-618-488-4997x7760", "+16184884997", "7760"),     # the public datablist sample files write these
    ("001-808-617-6467x12895", "+18086176467", "12895"),
    ("001-618-488-4997", "+16184884997", None),
])
def test_a_number_dialled_with_00_and_an_extension_is_read(written, number, extension):
    from pipelines.standardize.phones import standardize_phones

    out = standardize_phones(pd.Series([written]), pd.Series(["US"]))
    assert out[["phone", "phone_valid", "phone_extension"]].values.tolist() == [[number, True, extension]]
