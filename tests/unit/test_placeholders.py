"""Filler typed into required fields (13800138000, noemail@…) and typo domains (gmial.com) through cleansing."""
from __future__ import annotations

import pandas as pd
import pytest

from pipelines import cleanse
from pipelines.rules import MAPPABLE_FIELDS, RulesError, load_rules


def _rows(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    raw = pd.DataFrame({c: [None] * n for c in MAPPABLE_FIELDS}, dtype=object)
    for name, values in columns.items():
        raw[name] = values
    return raw.assign(partition_date="2026-11-20", run_id="r", source_system="wukong", source_file="f.csv",
                      source_line=range(2, n + 2), source_record_id=[f"id{i}" for i in range(n)], parse_error=None,
                      extra=None)


def _cleansed(rules, **columns):
    raw = _rows(**columns)
    return cleanse.finish_cleanse(cleanse.start_standardize(raw, rules), rules)


def test_filler_phones_are_emptied_and_flagged_and_real_ones_kept(rules):
    phones = ["13800138000", "138 0000 0000", "13333333333", "+1 (415) 555-0123", "13911452876", "+1 415 555 2671",
              "010-88888888"]
    out = _cleansed(rules, full_name=["张伟"] * len(phones), phone=phones)
    rows = out.rows
    assert rows["phone"].tolist() == [None, None, None, None, "+8613911452876", "+14155552671", "+861088888888"]
    flags = rows["quality_flags"].tolist()
    assert ["placeholder_phone" in f for f in flags] == [True] * 4 + [False] * 3
    assert not any("invalid_phone" in f for f in flags)   # filler is not said to be malformed
    assert rows["phone_raw"].tolist()[0] == "13800138000"


def test_filler_emails_are_emptied_and_flagged(rules):
    emails = ["test@test.com", "123@123.com", "a@a.com", "xxx@xxx.com", "noemail@gmail.com", "None@qq.com",
              "li@test.com", "li@mail.noemail.com", "li@163.com", "abc.li@abc.com", "john@john.com"]
    rows = _cleansed(rules, full_name=["张伟"] * len(emails), email=emails).rows
    assert rows["email"].tolist() == [None] * 8 + ["li@163.com", "abc.li@abc.com", "john@john.com"]
    flags = rows["quality_flags"].tolist()
    assert ["placeholder_email" in f for f in flags] == [True] * 8 + [False] * 3
    assert not any("invalid_email" in f for f in flags)


def test_a_row_whose_only_contact_is_filler_has_no_identity(rules):
    out = _cleansed(rules, full_name=[None, None], phone=["13800138000", None], email=[None, "test@test.com"])
    assert out.quarantine["rule"].tolist() == ["no_identity", "no_identity"]


def test_typo_domains_are_flagged_and_kept(rules):
    emails = ["jane@gmial.com", "li@hotmial.com", "12345@qq.co", "a.b@126.cm", "wu@gamil.com", "li@gmail.com",
              "li@ymail.com", "li@sina.cn", "li@mail.com", "li@acme.com"]
    rows = _cleansed(rules, full_name=["张伟"] * len(emails), email=emails).rows
    assert rows["email"].tolist() == emails
    assert ["email_domain_typo" in f for f in rows["quality_flags"]] == [True] * 5 + [False] * 5


def test_a_domain_one_letter_from_a_short_common_one_is_no_typo_but_its_suffix_slip_is(rules):
    """ge.com (General Electric) and my.com (a mail service) are real domains a letter from me.com; b.com one from q.com; the
    suffix of a short one slipping (me.cm, qq.co) is still a typo."""
    emails = ["a@ge.com", "a@my.com", "a@b.com", "a@qb.com", "a@me.cm", "a@qq.co", "a@qq.cm"]
    rows = _cleansed(rules, full_name=["张伟"] * len(emails), email=emails).rows
    assert ["email_domain_typo" in f for f in rows["quality_flags"]] == [False] * 4 + [True] * 3


def test_a_placeholder_pattern_rules_out_what_re2_cannot_run(tmp_path):
    import shutil
    from pathlib import Path

    shutil.copytree(Path(__file__).resolve().parents[2] / "rules", tmp_path / "rules")
    path = tmp_path / "rules" / "standardization.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("placeholder_patterns: [", "placeholder_patterns: ['(\\d)\\1{7}$', "),
                    encoding="utf-8")
    with pytest.raises(RulesError, match=r"standardization.yaml:\d+: phones.placeholder_patterns.0: .*RE2"):
        load_rules(tmp_path / "rules")
