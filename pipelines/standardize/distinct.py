"""Applies a per-value function once per distinct value, on both cores when there are many."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

PARALLEL_FROM = 20_000


def workers() -> int:
    return max(1, min(int(os.environ.get("CRM_WORKERS", os.cpu_count() or 1)), os.cpu_count() or 1))


def _run_chunk(fn: Callable, chunk: Sequence) -> list:
    return [fn(v) for v in chunk]


def apply_each(fn: Callable, values: Sequence, parallel: bool = False) -> list:
    """fn(v) for every v; with parallel, split over a process pool when the list is long (fn must pickle)."""
    n = workers()
    if not parallel or len(values) < PARALLEL_FROM or n == 1:
        return [fn(v) for v in values]
    size = -(-len(values) // (n * 4))
    chunks = [values[i:i + size] for i in range(0, len(values), size)]
    with ProcessPoolExecutor(max_workers=n) as pool:
        return [r for part in pool.map(_run_chunk, [fn] * len(chunks), chunks) for r in part]


def map_distinct(series: pd.Series, fn: Callable[[Hashable], object], parallel: bool = False) -> pd.Series:
    """fn applied to each distinct non-null value of series, mapped back to every row (nulls stay null)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    results = apply_each(fn, list(uniques), parallel)
    lookup = pd.Series(results + [None], dtype=object)
    return pd.Series(lookup.to_numpy()[codes], index=series.index, dtype=object)


def map_distinct_rows(frame: pd.DataFrame, fn: Callable[[tuple], object], parallel: bool = False,
                      apply: Callable[[Callable, list], list] | None = None) -> pd.Series:
    """fn applied once per distinct row tuple of frame (nulls as None), mapped back to every row.
    `apply(fn, keys)` replaces the plain loop, e.g. with a cache (standardize/cache.py)."""
    key = frame.iloc[:, 0].astype(str)
    for column in frame.columns[1:]:
        key = key + "\x1f" + frame[column].astype(str)
    codes, _ = pd.factorize(key)
    _, first = np.unique(codes, return_index=True)
    sample = frame.iloc[first].astype(object)
    sample = sample.where(sample.notna(), None)
    keys = list(sample.itertuples(index=False, name=None))
    results = apply(fn, keys) if apply else apply_each(fn, keys, parallel)
    return pd.Series(pd.Series(results, dtype=object).to_numpy()[codes], index=frame.index, dtype=object)


def unpack(results: pd.Series, names: Iterable[str]) -> pd.DataFrame:
    """A Series of tuples (None for missing) as a frame with one column per tuple position."""
    names = list(names)
    filled = [r if r is not None else (None,) * len(names) for r in results]
    return pd.DataFrame(filled, columns=names, index=results.index, dtype=object)
