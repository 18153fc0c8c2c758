"""Applies a per-value function once per distinct value, on both cores when there are many."""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

from pipelines import collector, workers

PARALLEL_FROM = 20_000
# With a stage's pool of workers already running (workers.pool), a shorter list is worth sending to it: no pool
# starts for it. Measured at 1,000,000 rows: a chunk's 10,000-20,000 new Chinese addresses parsed in the main
# process cost it about 3 s, while the workers idled half the time.
SHARED_FROM = 1_000


def _run_chunk(fn: Callable, chunk: Sequence, width: int | None = None) -> list | np.ndarray:
    results = [fn(v) for v in chunk]
    return results if width is None else as_rows(results, width)


def _joined(parts: list, width: int | None) -> list | np.ndarray:
    if width is None:
        return [r for part in parts for r in part]
    return np.concatenate(parts) if parts else np.empty((0, width), dtype=object)


def apply_each_later(fn: Callable, values: Sequence, parallel: bool = False,
                     width: int | None = None) -> Callable[[], list | np.ndarray]:
    """Starts fn(v) for every v and returns the function that gives the results: a list, or with width (fn gives
    tuples of width fields, or None) a 2-D object array of them (as_rows), built where they are computed. With
    parallel and a long list the work runs in a process pool (fn must pickle) while the caller goes on with
    other columns: the main process then uses the core the pool's workers leave idle."""
    n = workers.count()
    shared = workers.current()
    if not parallel or len(values) < (PARALLEL_FROM if shared is None else SHARED_FROM) or n == 1:
        done = _run_chunk(fn, values, width)
        return lambda: done
    size = -(-len(values) // (n * 4))
    chunks = [values[i:i + size] for i in range(0, len(values), size)]
    if shared is not None:
        started = [shared.submit(_run_chunk, fn, chunk, width) for chunk in chunks]
        return lambda: _joined([future.result() for future in started], width)
    pool = ProcessPoolExecutor(max_workers=n)
    # The workers are forked while submitting. Frozen, the parent's objects (a night's frames) are left out of
    # the workers' garbage collections, which would otherwise write to every object and so copy the pages
    # the workers share with the parent: gigabytes per worker at a million rows.
    try:
        with collector.frozen():
            futures = [pool.submit(_run_chunk, fn, chunk, width) for chunk in chunks]
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise

    def results() -> list | np.ndarray:
        try:
            return _joined([future.result() for future in futures], width)
        finally:
            pool.shutdown(cancel_futures=True)
    return results


def apply_each(fn: Callable, values: Sequence, parallel: bool = False) -> list:
    """fn(v) for every v; with parallel, split over a process pool when the list is long (fn must pickle)."""
    return apply_each_later(fn, values, parallel)()


def map_distinct(series: pd.Series, fn: Callable[[Hashable], object], parallel: bool = False) -> pd.Series:
    """fn applied to each distinct non-null value of series, mapped back to every row (nulls stay null)."""
    return map_distinct_later(series, fn, parallel)()


def map_distinct_later(series: pd.Series, fn: Callable[[Hashable], object],
                       parallel: bool = False) -> Callable[[], pd.Series]:
    """map_distinct started now, its Series given by the returned function (see apply_each_later)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    pending = apply_each_later(fn, list(uniques), parallel)
    index = series.index

    def mapped() -> pd.Series:
        lookup = pd.Series(pending() + [None], dtype=object)
        return pd.Series(lookup.to_numpy()[codes], index=index, dtype=object)
    return mapped


def by_distinct(series: pd.Series, fn: Callable[[pd.Series], pd.Series | tuple[pd.Series, ...]]
                ) -> pd.Series | tuple[pd.Series, ...]:
    """fn, a function of a whole column, run on the distinct values of series (nulls as one more value) and its
    result (a column or a tuple of columns) spread back to every row: for columns of few distinct values (codes,
    yes/no, countries), where a million rows would repeat the same few look-ups."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    result = fn(pd.Series(uniques, dtype=series.dtype))

    def spread(column: pd.Series) -> pd.Series:
        return pd.Series(column.to_numpy()[codes], index=series.index, dtype=column.dtype)
    return tuple(spread(c) for c in result) if isinstance(result, tuple) else spread(result)


def row_codes(frame: pd.DataFrame) -> np.ndarray:
    """One integer per row, equal for equal rows (nulls equal to nulls), numbered in order of first appearance:
    the columns' codes combined pairwise, each pair factorised again so the numbers stay below the row count."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        column_codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        codes = pd.factorize(codes * np.int64(len(uniques)) + column_codes)[0]
    return codes.astype(np.intp)


def rows_of(keys: pd.DataFrame, positions: np.ndarray | None = None) -> list[tuple]:
    """The rows of keys (at positions) as tuples, nulls as None: what a per-value function is called with."""
    chosen = (keys if positions is None else keys.iloc[positions]).astype(object)
    return list(chosen.where(chosen.notna(), None).itertuples(index=False, name=None))


def as_rows(results: list, width: int) -> np.ndarray:
    """A function's results (tuples, None for no result) as a 2-D object array of `width` columns, filled column
    by column."""
    empty = (None,) * width
    rows = [empty if r is None else r for r in results]
    out = np.empty((len(rows), width), dtype=object)
    for j in range(width):
        out[:, j] = [r[j] for r in rows]
    return out


def map_distinct_rows_later(frame: pd.DataFrame, fn: Callable[[tuple], tuple], fields: Iterable[str],
                            parallel: bool = False,
                            apply: Callable[[Callable, pd.DataFrame], Callable[[], np.ndarray]] | None = None
                            ) -> Callable[[], pd.DataFrame]:
    """fn applied once per distinct row tuple of frame (nulls as None), giving a tuple (or None) of the fields:
    started now, the frame of fields (one row per row of frame) given by the returned function (see
    apply_each_later). The results are split into columns per distinct row, then taken for every row.
    `apply(fn, distinct_rows)` replaces the plain loop, e.g. with a cache (standardize/cache.py), and returns the
    function giving the results as a 2-D array (one row per distinct row)."""
    fields = list(fields)
    codes = row_codes(frame)
    _, first = np.unique(codes, return_index=True)
    sample = frame.iloc[first]
    if apply:
        pending = apply(fn, sample)
    else:
        pending = apply_each_later(fn, rows_of(sample), parallel, width=len(fields))
    index = frame.index

    def mapped() -> pd.DataFrame:
        return pd.DataFrame(pending()[codes], columns=fields, index=index)
    return mapped


def filled_later(out: pd.DataFrame, rows: pd.Series, pending: Callable[[], pd.DataFrame] | None,
                 fields: Iterable[str], flags: Iterable[str]) -> Callable[[], pd.DataFrame]:
    """The function that writes pending's frame (map_distinct_rows_later) into out at rows, once it is done,
    and gives out with its flag columns as bool: the second half of a *_later standardiser."""
    fields, flags = list(fields), list(flags)

    def filled() -> pd.DataFrame:
        if pending is not None:
            out.loc[rows, fields] = pending()[fields].to_numpy()
        for column in flags:
            out[column] = out[column].astype(bool)
        return out
    return filled
