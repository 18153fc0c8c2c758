"""The canonical schema's checks: text columns are checked in one pass, but a non-text value still names its row."""
from __future__ import annotations

import pandas as pd

from checks.schemas import CANONICAL_FIELDS, CleanCustomer, failure_cases


def _rows(n: int = 4) -> pd.DataFrame:
    text = {f: [None] * n for f in CANONICAL_FIELDS}
    text.update(source_system=["crm"] * n, source_file=["a.csv"] * n, source_line=list(range(2, n + 2)),
                source_record_id=[f"r{i}" for i in range(n)], gender=["M", "F", "U", "M"][:n],
                phone_valid=[False] * n, email_valid=[False] * n, full_name=["张三", "Ann Lee", None, "李四"][:n])
    frame = pd.DataFrame(text)
    for field in ("birth_date", "created_at", "updated_at", "last_activity_at"):
        frame[field] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return frame


def test_text_columns_pass():
    assert failure_cases(CleanCustomer.to_schema(), _rows()).empty


def test_a_value_that_is_not_text_is_a_failure_case_of_its_row():
    frame = _rows()
    frame["city"] = pd.Series([None, 42, "北京市", 3.5], dtype=object)
    frame.loc[2, "source_record_id"] = None       # a null in a column that allows none
    cases = failure_cases(CleanCustomer.to_schema(), frame)
    assert sorted(zip(cases["column"], cases["index"])) == [("city", 1), ("city", 3), ("source_record_id", 2)]
    assert set(cases.loc[cases["column"] == "city", "check"]) == {"dtype('str')"}



def test_phone_email_and_country_checks_name_their_rows_as_pandera_did():
    """The text-pattern checks run by Arrow keep pandera's names and failure texts."""
    frame = _rows()
    frame["phone"] = pd.Series(["+8613800138000", "138 0013 8000", None, "+0123"], dtype=object)
    frame["email"] = pd.Series(["a@b.cn", None, "no-at-sign", "x@y"], dtype=object)
    frame["country"] = pd.Series(["CN", "cn", "USA", None], dtype=object)
    cases = failure_cases(CleanCustomer.to_schema(), frame)
    found = sorted(zip(cases["column"], cases["check"], cases["index"]))
    assert found == [("country", "str_matches('^[A-Z]{2}$')", 1), ("country", "str_matches('^[A-Z]{2}$')", 2),
                     ("email", "str_contains('@')", 2),
                     ("phone", "str_matches('^\\+[1-9]\\d{6,14}$')", 1),
                     ("phone", "str_matches('^\\+[1-9]\\d{6,14}$')", 3)]
