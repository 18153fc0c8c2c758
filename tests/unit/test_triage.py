"""Validation failures sorted into quarantined rows (first rule by priority, the others listed) and flags."""
from __future__ import annotations

import pandas as pd

from checks.triage import triage
from pipelines.rules import ValidationRule


def rule(name, action, field, priority):
    return ValidationRule(name=name, action=action, field=field, description=name, priority=priority)


RULES = {"no_identity": rule("no_identity", "quarantine", "full_name", 1),
         "duplicate_record_id": rule("duplicate_record_id", "quarantine", "source_record_id", 2),
         "invalid_email": rule("invalid_email", "flag", "email", 10),
         "invalid_phone": rule("invalid_phone", "flag", "phone", 11)}


def test_each_row_gets_its_first_rule_the_others_listed_and_flags_only_when_kept():
    cases = pd.DataFrame([
        ("x", "duplicate_record_id", 3), ("x", "no_identity", 3), ("email", "str_contains", 3),
        ("x", "invalid_phone", 1), ("x", "invalid_email", 1),
        ("x", "invalid_email", 4), ("x", "no_identity", 4),
        ("x", "invalid_phone", 0),
    ], columns=["column", "check", "index"])
    out = triage(cases, RULES, pd.RangeIndex(6))
    q = out.quarantined
    assert q.index.tolist() == [3, 4]
    assert q.loc[3, "rule"] == "no_identity" and q.loc[3, "field"] == "full_name"
    assert q.loc[3, "other_rules"] == ["duplicate_record_id", "schema:email:str_contains"]
    assert q.loc[4, "other_rules"] == []
    assert out.flags.tolist() == [["invalid_phone"], ["invalid_email", "invalid_phone"], [], [], [], []]
    assert out.flagged.values.tolist() == [[0, "invalid_phone"], [1, "invalid_email"], [1, "invalid_phone"]]


def test_no_failures():
    empty = pd.DataFrame({"column": pd.Series(dtype=object), "check": pd.Series(dtype=object),
                          "index": pd.Series(dtype="int64")})
    out = triage(empty, RULES, pd.RangeIndex(2))
    assert out.quarantined.empty and out.flags.tolist() == [[], []] and out.flagged.empty


def test_the_copy_of_a_record_kept_is_the_last_one_that_is_a_record():
    """A later copy that is emptied (no name, phone or email) or broken does not push the record out of
    customers_clean; with no usable copy the last is kept (and its own rule quarantines it)."""
    import pandas as pd

    from checks.rule_checks import RULE_CHECKS

    f = pd.DataFrame({
        "source_system": ["sf"] * 6 + ["hs"],
        "source_record_id": ["A", "A", "B", "B", "C", None, "A"],
        "parse_error": [None, None, None, "broken quoting", None, None, None],
        "full_name": ["Ann Lee", None, "Ben", None, "Cy", None, None],
        "phone_valid": [False, False, False, False, False, True, False],
        "email_valid": [False, False, False, False, False, False, False],
    })
    passes = RULE_CHECKS["duplicate_record_id"](f).tolist()
    assert passes == [True, False, True, False, True, True, True]
    both_empty = f.assign(full_name=None)
    assert RULE_CHECKS["duplicate_record_id"](both_empty).tolist()[:2] == [False, True]
