"""Standardising a night's rows: what is judged against the night (its partition date), not the wall clock."""
from __future__ import annotations

import pandas as pd

from pipelines import cleanse
from pipelines.rules import MAPPABLE_FIELDS

BIRTHS = ["2026-11-25", "2027-01-15", "2026-11-07", "1990-01-01"]


def _raw(night: str) -> pd.DataFrame:
    """Rows as raw_customers holds them: text cells, lineage, the night in partition_date."""
    raw = pd.DataFrame({field: [None] * len(BIRTHS) for field in MAPPABLE_FIELDS}, dtype=object)
    raw["full_name"], raw["birth_date"] = "Ann Lee", BIRTHS
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
