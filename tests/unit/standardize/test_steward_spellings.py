"""Spellings real exports use for countries, yes/no, names and dates, read as a steward would read them."""
from __future__ import annotations

import pandas as pd
import pytest

from pipelines import cleanse
from pipelines.rules import MAPPABLE_FIELDS, load_rules
from pipelines.standardize import codes
from pipelines.standardize.dates import parse_timestamps
from pipelines.standardize.names import split_cjk


@pytest.mark.parametrize("value, code", [
    ("P.R.C.", "CN"), ("China, People's Republic of", "CN"), ("China (PRC)", "CN"), ("Hongkong SAR", "HK"),
    ("日本國", "JP"), ("Korea, Republic of", "KR"), ("U.S.A", "US"), ("Taiwan, Province of China", "TW"),
    ("Côte d’Ivoire", "CI"), ("中國台灣", "TW")])
def test_country_spellings_with_dots_brackets_and_inverted_names(rules, value, code):
    mapped, unknown = codes.standardize_country(pd.Series([value]), rules.standardization.countries)
    assert (mapped[0], bool(unknown[0])) == (code, False)


def test_a_country_nobody_has_stays_unknown(rules):
    mapped, unknown = codes.standardize_country(pd.Series(["Narnia", "P.R.Z."]), rules.standardization.countries)
    assert mapped.tolist() == [None, None] and unknown.tolist() == [True, True]


def test_ticks_crosses_and_spreadsheet_numbers_are_yes_and_no(rules):
    std = rules.standardization
    values = pd.Series(["√", "✔", "×", "1.0", "0.00", "On", "OFF", "已订阅", "已退订", "maybe", None])
    none = pd.Series([None] * len(values), dtype=object)
    opt_out, unknown = codes.standardize_opt_out(values, none, std.booleans, std.subscription)
    assert opt_out.tolist() == [True, True, False, True, False, True, False, False, True, None, None]
    assert unknown.tolist() == [False] * 9 + [True, False]


def test_an_opt_in_column_is_turned_round_but_words_stating_the_subscription_are_not(rules):
    """Shopify's Accepts Email Marketing: yes wants e-mail (not opted out); 已订阅 / unsubscribed say the same
    thing whichever way the column asks; an empty cell is no answer and an unreadable one a flagged no answer."""
    std = rules.standardization
    values = pd.Series(["yes", "no", "YES", "✓", "0", "已订阅", "Unsubscribed", "maybe", None], dtype=object)
    none = pd.Series([None] * len(values), dtype=object)
    opt_out, unknown = codes.standardize_opt_out(none, values, std.booleans, std.subscription)
    assert opt_out.tolist() == [False, True, False, False, True, False, True, None, None]
    assert unknown.tolist() == [False] * 7 + [True, False]
    # a source mapping both: its opt-out column answers first, the opt-in one where that holds no answer
    both, _ = codes.standardize_opt_out(pd.Series(["yes", None, "maybe"]), pd.Series(["yes", "yes", "no"]),
                                        std.booleans, std.subscription)
    assert both.tolist() == [True, False, True]


def test_an_active_column_is_a_deleted_one_turned_round_and_status_words_read_alike_in_both(rules):
    """是否有效 / 状态 / Zendesk's active: no is deleted; 无效, Inactive, 停用 say deleted in either kind of column;
    yes, 有效, 正常, an empty cell and an unreadable value are not deleted."""
    std = rules.standardization
    values = pd.Series(["false", "否", "无效", "Inactive", "DISABLED", "停用", "禁用", "true", "是", "有效", "Active",
                        "Enabled", "正常", "maybe", None], dtype=object)
    none = pd.Series([None] * len(values), dtype=object)
    as_active = codes.standardize_deleted(none, values, std.booleans, std.record_status)
    assert as_active.tolist() == [True] * 7 + [False] * 6 + [None, None]
    as_deleted = codes.standardize_deleted(values, none, std.booleans, std.record_status)
    assert as_deleted.tolist() == [False, False, True, True, True, True, True, True, True, False, False, False,
                                   False, None, None]
    # a source mapping both: its deleted column answers first
    both = codes.standardize_deleted(pd.Series(["no", None]), pd.Series(["无效", "无效"]), std.booleans,
                                     std.record_status)
    assert both.tolist() == [False, True]


def test_status_words_answer_nothing_in_an_opt_out_column(rules):
    """有效 / 无效 state a record's status, not a subscription: an opt-out column reads them as before, no answer."""
    std = rules.standardization
    values = pd.Series(["有效", "无效", "Active", "Inactive", "Enabled", "停用"], dtype=object)
    none = pd.Series([None] * len(values), dtype=object)
    opt_out, unknown = codes.standardize_opt_out(values, none, std.booleans, std.subscription)
    assert opt_out.tolist() == [None] * 6 and unknown.all()
    assert not set(std.record_status) & (set(std.booleans) | set(std.subscription) | std.null_tokens)


@pytest.mark.parametrize("name, expected", [
    ("佐藤 太郎", ("佐藤太郎", "太郎", "佐藤")),     # a space parts family and given name
    ("欧阳 娜娜", ("欧阳娜娜", "娜娜", "欧阳")),
    ("欧阳", ("欧阳", None, "欧阳")),             # a compound surname alone is a family name
    ("上官", ("上官", None, "上官")),
    ("张伟 先生", ("张伟", "伟", "张")),           # a title after the name is no part of it
    ("王小明先生", ("王小明", "小明", "王")),
    ("王先生", ("王先生", None, "王")),
])
def test_chinese_and_japanese_names_split_where_written(rules, name, expected):
    std = rules.standardization
    assert split_cjk(name, tuple(std.compound_surnames), tuple(std.name_prefixes)) == expected


def _raw(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    raw = pd.DataFrame({field: [None] * n for field in MAPPABLE_FIELDS}, dtype=object)
    for field, values in columns.items():
        raw[field] = values
    return raw.assign(partition_date=pd.Timestamp("2026-11-20"), run_id="r", source_system="wukong",
                      source_file="客户.xlsx", source_line=range(3, 3 + n), extra="{}",
                      source_record_id=[f"W{i}" for i in range(n)], parse_error=None)


def test_placeholder_names_are_no_names_and_leave_a_row_without_identity(rules):
    raw = _raw(full_name=["测试", "客户", "TEST", "未知", "王小明"], phone=["13911452876", None, None, None, None])
    out = cleanse.finish_cleanse(cleanse.start_standardize(raw, rules), rules)
    assert out.rows["full_name"].tolist()[:4] == [None] * 4
    assert out.rows["_clean"].tolist() == [True, False, False, False, True]
    assert set(out.quarantine["rule"]) == {"no_identity"}


def test_companies_named_by_their_trade_are_not_split_into_a_person(rules):
    raw = _raw(full_name=["某某科技", "华信商贸", "王小明"])
    out = cleanse.standardize(raw, rules)
    assert out["family_name"].tolist() == [None, None, "王"]


def test_placeholder_birth_dates_are_flagged_and_dropped(rules):
    raw = _raw(full_name=["王小明"] * 4, birth_date=["1900-01-01", "1970-01-01", "1990-03-05", "19900305.0"])
    out = cleanse.standardize(raw, rules)
    assert out["_bad_birth_date"].tolist() == [True, True, False, False]
    assert out["birth_date"].tolist()[2:] == [pd.Timestamp("1990-03-05")] * 2


def test_a_date_column_saved_as_numbers_reads_its_days():
    out, bad = parse_timestamps(pd.Series(["19900305.0", "45356.0", "45356"]), ["%Y%m%d", "%Y-%m-%d"], False,
                                (10000, 73051))
    assert out.tolist() == [pd.Timestamp("1990-03-05"), pd.Timestamp("2024-03-05"), pd.Timestamp("2024-03-05")]
    assert not bad.any()


def test_birth_date_placeholders_written_unquoted_in_yaml_are_read(tmp_path):
    import shutil
    from pathlib import Path
    rules_dir = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parents[3] / "rules", rules_dir)
    std = rules_dir / "standardization.yaml"
    text = std.read_text(encoding="utf-8")
    std.write_text(text.replace('birth_date_placeholders: ["1900-01-01", "1901-01-01", "1970-01-01"]',
                                "birth_date_placeholders: [1900-01-01]"), encoding="utf-8")
    assert load_rules(rules_dir).standardization.birth_date_placeholders == ["1900-01-01"]


def test_never_subscribed_is_no_consent_in_either_kind_of_column(rules):
    """A Chinese shop's 是否订阅 column written 已订阅 / 未订阅, and Shopify's consent states: not subscribed is no
    consent to e-mail (an opted-out customer), not an unreadable value."""
    std = rules.standardization
    values = pd.Series(["已订阅", "未订阅", "不订阅", "订阅", "退订", "是", "否", "not_subscribed", "Not subscribed"])
    none = pd.Series([None] * len(values), dtype=object)
    expected = [False, True, True, False, True]
    for opt_out_column, opt_in_column, yes_no in ((none, values, [False, True]), (values, none, [True, False])):
        opt_out, unknown = codes.standardize_opt_out(opt_out_column, opt_in_column, std.booleans, std.subscription)
        assert opt_out.tolist() == expected + yes_no + [True, True]
        assert not unknown.any()
