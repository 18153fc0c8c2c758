"""Standardising a night's rows: what is judged against the night (its partition date), not the wall clock."""
from __future__ import annotations

import pandas as pd

from pipelines import cleanse
from pipelines.rules import MAPPABLE_FIELDS

BIRTHS = ["2026-11-25", "2027-01-15", "2026-11-07", "1990-01-01"]


def _raw(night: str) -> pd.DataFrame:
    """Rows as raw_customers holds them: text cells, lineage, the night in partition_date."""
    raw = pd.DataFrame({field: [None] * len(BIRTHS) for field in MAPPABLE_FIELDS}, dtype=object)
    raw["full_name"], raw["birth_date"], raw["extra"] = "Ann Lee", BIRTHS, "{}"
    return raw.assign(partition_date=pd.Timestamp(night), run_id="r", source_system="salesforce",
                      source_file="contacts.csv", source_line=range(2, 2 + len(BIRTHS)),
                      source_record_id=[f"003A{i}" for i in range(len(BIRTHS))], parse_error=None)


def test_a_birth_date_after_the_night_is_flagged_whenever_the_night_runs(rules, monkeypatch):
    first = cleanse.standardize(_raw("2026-11-07"), rules)
    assert first["_bad_birth_date"].tolist() == [True, True, False, False]
    assert first["birth_date"].isna().tolist() == [True, True, False, False]
    # a rerun years later (the wall clock far past both dates) flags the same rows
    monkeypatch.setattr(pd.Timestamp, "now", classmethod(lambda cls, tz=None: pd.Timestamp("2030-06-01")))
    rerun = cleanse.standardize(_raw("2026-11-07"), rules)
    assert rerun["_bad_birth_date"].tolist() == first["_bad_birth_date"].tolist()
    # the same dates arriving on a later night are in its past
    later = cleanse.standardize(_raw("2027-02-01"), rules)
    assert later["_bad_birth_date"].tolist() == [False, False, False, False]


def test_an_exports_totals_row_is_quarantined_and_a_person_named_like_it_is_not(rules):
    """悟空CRM and spreadsheet exports end with a totals row (合计：3): it has a 'name' and nothing else."""
    raw = _raw("2026-11-20")
    raw["birth_date"] = None
    raw["full_name"] = ["合计：3", "张合计", "Total: 1,204 rows", "Total"]
    raw.loc[3, "phone"] = "13800138000"     # a 'Total' with a phone is somebody: left to the other rules
    out = cleanse.finish_cleanse(cleanse.start_standardize(raw, rules), rules)
    assert out.quarantine["rule"].tolist() == ["summary_row", "summary_row"]
    assert out.quarantine["source_line"].tolist() == [2, 4]
    assert "totals row" in out.quarantine["reason"][0]
    assert out.rows["_clean"].tolist() == [False, True, False, True]


def test_a_chinese_address_reads_a_national_phone_as_chinese_in_a_source_of_another_region(rules):
    """A Salesforce org whose default phone region is US holds a customer with a Chinese address and a national
    CN mobile, no country: the address makes the row CN, and so the phone. A number valid in the default
    region, or a row whose country column says otherwise, keeps the default's reading."""
    raw = _raw("2026-11-20")
    raw["birth_date"] = None
    raw["phone"] = ["139 1145 2876", "139 1145 2876", "(415) 555-2671", "139 1145 2876"]
    raw["city"] = ["北京朝阳", None, "北京朝阳", "北京朝阳"]
    raw["country"] = [None, None, None, "US"]
    out = cleanse.standardize(raw, rules)
    assert out["phone"].tolist() == ["+8613911452876", None, "+14155552671", None]
    assert out["phone_valid"].tolist() == [True, False, True, False]
    assert out["country"].tolist() == ["CN", None, "CN", "US"]
    assert out.loc[0, "phone_type"] == "mobile"
    # a CN mobile that is also a valid US number (+1 801…), a Hong Kong address and number
    raw = _raw("2026-11-20")
    raw["birth_date"] = None
    raw["phone"] = ["180 1234 5678", "9123 4567", "180 1234 5678", "9123 4567"]
    raw["city"] = ["上海市", "香港", None, None]
    raw["street"] = ["世纪大道100号", "九龙弥敦道1号", None, None]
    out = cleanse.standardize(raw, rules)
    assert out["phone"].tolist() == ["+8618012345678", "+85291234567", "+18012345678", None]
    assert out["country"].tolist() == ["CN", "HK", None, None]


def test_names_that_are_also_null_tokens_are_kept(rules):
    """Li Na (李娜) and Wang Nan (王楠) are common names; 'na' and 'nan' still empty the other fields."""
    raw = _raw("2026-11-20")
    raw["birth_date"] = None
    raw["full_name"] = [None, None, "Nan", "Ann Lee"]
    raw["given_name"] = ["Nan", "Na", None, None]
    raw["family_name"] = ["Wang", "Li", None, None]
    raw["company"] = ["nan", "NA", "n/a", "Acme"]
    out = cleanse.standardize(raw, rules)
    assert out["full_name"].tolist()[:3] == ["Nan Wang", "Na Li", "Nan"]
    assert out["given_name"].tolist()[:2] == ["Nan", "Na"]
    assert out["company"].tolist() == [None, None, None, "Acme"]


def test_a_birth_date_written_with_an_offset_keeps_its_day(rules):
    """1990-03-05T00:00:00+08:00 was turned to UTC before the time was dropped: born on the 4th."""
    raw = _raw("2026-11-20")
    raw["birth_date"] = ["1990-03-05T00:00:00+08:00", "1990-03-05T00:00:00-05:00", "1990-03-05 00:00 GMT",
                         "05-03-1990"]   # a date's own dashes are no offset
    out = cleanse.standardize(raw, rules)
    assert [str(d)[:10] for d in out["birth_date"]] == ["1990-03-05"] * 3 + ["1990-05-03"]


def test_a_record_id_a_spreadsheet_rounded_is_quarantined(rules):
    """1.23457E+11 lost digits: it may be another contact's id, so both rows are quarantined saying why, not one
    of them as a duplicate of the other."""
    raw = _raw("2026-11-20")
    raw["birth_date"] = None
    raw["source_record_id"] = ["1.23457E+11", "1.23457E+11", "123456789012", "003A9"]
    out = cleanse.finish_cleanse(cleanse.start_standardize(raw, rules), rules)
    assert out.quarantine["rule"].tolist() == ["rounded_record_id", "rounded_record_id"]
    assert "scientific notation" in out.quarantine["reason"][0]
    assert out.rows["_clean"].tolist() == [False, False, True, True]


def test_a_timestamp_after_its_night_is_flagged_and_emptied(rules):
    """A Last Modified of 2031 would be the newest record forever and win every most_recent golden value. A day
    past the night is time zones' slack."""
    raw = _raw("2026-11-07")
    raw["updated_at"] = ["2031-01-01 00:00:00", "2026-11-08 20:00:00", "2026-11-07 09:00:00", None]
    out = cleanse.standardize(raw, rules)
    assert out["updated_at"].isna().tolist() == [True, False, False, True]
    assert out["_bad_dates"].tolist() == [True, False, False, False]


def test_times_of_a_source_in_local_time_are_stored_in_utc(rules):
    """悟空CRM writes China time without an offset (sources.yaml timezone: Asia/Shanghai): 15:00 there is 07:00
    UTC, and sorts before a Salesforce 10:00 UTC. Times written with an offset were in UTC already."""
    raw = _raw("2026-11-08")
    raw["updated_at"] = ["2026-11-07 15:00:00", "2026-11-07 15:00:00", "2026-11-07T15:00:00+08:00",
                         "2026-11-07 15:00 UTC"]
    raw["source_system"] = ["wukong", "salesforce", "wukong", "wukong"]
    out = cleanse.standardize(raw, rules)
    assert [str(t) for t in out["updated_at"]] == ["2026-11-07 07:00:00", "2026-11-07 15:00:00",
                                                   "2026-11-07 07:00:00", "2026-11-07 15:00:00"]
    assert [str(t) for t in out["birth_date"]][:3] == ["NaT", "NaT", "2026-11-07 00:00:00"]   # a day stays its day


def test_a_time_in_the_hour_a_fall_back_repeats_is_read_not_emptied(rules):
    """A HubSpot portal in New York time: 01:30 on 2023-11-05 happened twice; it is read as the first (EDT),
    and 02:30 on 2024-03-10, which never happened, as 03:00 EDT. Neither is lost."""
    import dataclasses

    rules = dataclasses.replace(rules, sources={**rules.sources, "wukong": dataclasses.replace(
        rules.sources["wukong"], timezone="America/New_York")})
    raw = _raw("2024-03-12")
    raw["updated_at"] = ["2023-11-05 01:30:00", "2024-03-10 02:30:00", "2024-03-11 12:00:00", None]
    raw["source_system"] = ["wukong"] * 4
    out = cleanse.standardize(raw, rules)
    assert [str(t) for t in out["updated_at"]] == ["2023-11-05 05:30:00", "2024-03-10 07:00:00",
                                                   "2024-03-11 16:00:00", "NaT"]


def test_a_source_time_zone_must_be_one(tmp_path):
    import shutil
    from pathlib import Path

    import pytest

    from pipelines.rules import RulesError, load_rules

    folder = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parents[2] / "rules", folder)
    text = (folder / "sources.yaml").read_text(encoding="utf-8").replace("timezone: Asia/Shanghai",
                                                                        "timezone: China/Beijing")
    (folder / "sources.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match="sources.yaml:[0-9]+.*not a time zone"):
        load_rules(folder)


def test_a_date_without_a_time_is_local_to_its_source_too(rules):
    """05-03-1990's own dashes end like an offset (-1990): only a zone after a time is one."""
    raw = _raw("2026-11-08")
    raw["created_at"] = ["2026-11-07", "11-07-2026", "2026-11-07", None]
    raw["source_system"] = ["wukong", "wukong", "salesforce", "wukong"]
    out = cleanse.standardize(raw, rules)
    assert [str(t) for t in out["created_at"]][:3] == ["2026-11-06 16:00:00", "2026-11-06 16:00:00",
                                                      "2026-11-07 00:00:00"]


def test_an_opt_out_that_is_neither_yes_nor_no_is_flagged_and_left_empty(rules):
    """HasOptedOutOfEmail = maybe is no answer: empty (not known to have opted out) and flagged for a steward."""
    raw = _raw("2026-11-08")
    raw["email_opt_out"] = ["maybe", "Yes", "否", None]
    out = cleanse.standardize(raw, rules)
    assert out["email_opt_out"].tolist() == [None, True, False, None]
    verdict = cleanse.validate(out, rules)
    flagged = verdict.flagged
    assert flagged.loc[flagged["rule"] == "unknown_opt_out", "row"].tolist() == [out.index[0]]
    assert verdict.quarantined.empty


def test_epoch_milliseconds_of_a_local_time_source_are_not_moved(rules):
    """1709632800000 ms since 1970 is 2024-03-05 10:00 UTC wherever it was written: an instant, not China time."""
    raw = _raw("2026-11-08")
    raw["created_at"] = ["1709632800000", "2024-03-05 18:00:00", None, None]
    raw["source_system"] = "wukong"
    out = cleanse.standardize(raw, rules)
    assert [str(t) for t in out["created_at"]][:2] == ["2024-03-05 10:00:00", "2024-03-05 10:00:00"]


def test_a_cell_holding_several_phones_emails_or_names_keeps_the_first_flagged(rules):
    """The second value was lost without a word: the first stays, the rule several_* says the cell held more
    (the cell as written is in raw_customers)."""
    raw = _raw("2026-11-20")
    raw["birth_date"] = None
    raw["source_system"] = "wukong"
    raw["full_name"] = ["张伟/李娜", "王小明", "Smith, John", "赵六"]
    raw["phone"] = ["13911452876/13900139000", "139 1145 2876", "0755-26888888/8001", None]
    raw["email"] = [None, "a@example.com; b@example.com", "john@example.com", "zs@qq.com"]
    out = cleanse.finish_cleanse(cleanse.start_standardize(raw, rules), rules)
    flags = out.rows["quality_flags"].tolist()
    assert ["several_phones" in f for f in flags] == [True, False, False, False]
    assert ["several_emails" in f for f in flags] == [False, True, False, False]
    assert ["several_names" in f for f in flags] == [True, False, False, False]
    assert out.rows["phone"].tolist()[:2] == ["+8613911452876", "+8613911452876"]
    assert out.rows["email"].tolist()[1] == "a@example.com"
    assert out.rows["full_name"].tolist()[0] == "张伟"
