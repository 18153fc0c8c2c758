"""Which dates are nightly partitions: from the first night to today in UTC, written YYYY-MM-DD."""
from __future__ import annotations

import datetime as dt

import pytest

from pipelines.defs.partitions import not_a_night, nightly


def _utc_day(offset: int) -> str:
    return (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=offset)).isoformat()


@pytest.mark.parametrize("date, why", [
    ("2024-01-01", None),                         # the first night
    ("2026-11-20", None),
    (_utc_day(0), None),                          # today in UTC: its export may already have landed
    (_utc_day(1), "in the future"),               # tomorrow in UTC (stamped in China time): waits for its day
    ("2023-12-31", "before the first night, 2024-01-01"),
    ("2026-02-30", "no such day"),
    ("20261120", "not a date written YYYY-MM-DD"),  # fromisoformat reads it; a folder name is never it
    ("2026-W47-5", "not a date written YYYY-MM-DD"),
])
def test_which_dates_are_nights(date, why):
    assert (not_a_night(date) or "").startswith(why or "") and (not_a_night(date) is None) == (why is None)
    assert nightly.has_partition_key(date) == (why is None)
