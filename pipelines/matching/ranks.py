"""Lexical order of many strings, computed by Arrow: pandas compares strings one by one in Python."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def lexical_rank(values: pd.Series | np.ndarray) -> np.ndarray:
    """0-based position of each string in sorted order (ties broken by position)."""
    array = pa.array(np.asarray(values, dtype=object), type=pa.large_string())
    return pc.rank(array, sort_keys="ascending", tiebreaker="first").to_numpy() - 1


def smallest_per_group(values: pd.Series, groups) -> pd.Series:
    """For each row, the smallest string of its group (aligned with values)."""
    rank = lexical_rank(values)
    by_rank = np.empty(len(values), dtype=object)
    by_rank[rank] = np.asarray(values, dtype=object)
    lowest = pd.Series(rank).groupby(np.asarray(groups)).transform("min").to_numpy()
    return pd.Series(by_rank[lowest], index=values.index, dtype=object)
