"""Calls a per-value function once per distinct key ever seen: a cache (any lookup/put store) remembers results."""
from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.standardize.arrow_text import matches
from pipelines.standardize.distinct import apply_each_later


class ValueStore(Protocol):
    def lookup(self, kind: str, version: str, keys: np.ndarray) -> np.ndarray:
        """The stored result (JSON text) of each key, None where there is none, in the keys' order."""
    def put(self, kind: str, version: str, keys: np.ndarray, results: list[tuple]) -> None:
        """Remember each new key's result (a tuple of JSON scalars, read back by lookup as JSON text): keys the
        store did not hold at look-up, each put once."""


ENCODING = "cache 2"  # how keys are written (part of the stored version: another encoding misses)
_SEP, _NULL = "\x1f", "\x00"


def encode_key(key: tuple) -> str:
    """A key (a tuple of text or None) as one string: its parts joined by a unit separator, None as NUL;
    JSON (marked by a leading '[') only when a part holds either character itself."""
    if any(v is not None and (_SEP in v or _NULL in v or v.startswith("[")) for v in key):
        return json.dumps(key, ensure_ascii=False)
    return _SEP.join(_NULL if v is None else v for v in key)


def encode_keys(keys: list[tuple]) -> np.ndarray:
    """encode_key of every key, the parts joined by Arrow over whole columns; only the keys written as JSON
    (a part holding a separator or starting with '[') go through Python."""
    columns = [pa.array(column, pa.string()) for column in zip(*keys)] if keys else []
    if not columns:
        return np.array([encode_key(k) for k in keys], dtype=object)
    joined = pc.binary_join_element_wise(*[pc.fill_null(c, _NULL) for c in columns], _SEP)
    out = joined.to_numpy(zero_copy_only=False).astype(object)
    special = np.zeros(len(keys), dtype=bool)
    for column in columns:
        special |= matches(column, "[\\x00\\x1f]|^\\[")
    for i in np.flatnonzero(special).tolist():
        out[i] = encode_key(keys[i])
    return out


def cached(kind: str, version: str, store: ValueStore | None) -> Callable[[Callable, list], Callable[[], list]]:
    """An `apply` for distinct.map_distinct_rows_later that asks the store first and computes only the rest."""
    return lambda fn, keys: cached_apply_later(keys, fn, kind, f"{version}; {ENCODING}", store)


@dataclass
class _Computing:
    """The keys one call computes (encoded), and the function giving their results."""
    keys: pd.Index
    results: Callable[[], list[tuple]]


# Per store and (kind, version), the keys the latest call computes. A night starts the next chunk before it
# stores this chunk's results, so the next chunk's look-up misses the keys both chunks hold: they are taken
# from this call instead of being computed twice. Safe whatever the order of calls: a result depends on its key
# and version only. Forgotten with the store (a night's), so no results outlive it.
_computing: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cached_apply_later(keys: list[tuple], fn: Callable[[tuple], tuple], kind: str, version: str,
                       store: ValueStore | None) -> Callable[[], list[tuple]]:
    """fn(key) for every distinct key (tuples of text/None), from the store where it knows the key (or from
    the previous call's computation); the other keys are computed in the background, and the returned
    function gives the results and stores the new ones (the store is only used from the calling thread)."""
    if store is None:
        return apply_each_later(fn, keys, parallel=True)
    encoded = encode_keys(keys)
    known = store.lookup(kind, version, encoded)
    todo = np.flatnonzero(np.equal(known, None))
    computing = _computing.setdefault(store, {})
    previous = computing.get((kind, version))
    in_previous = previous.keys.get_indexer(encoded[todo]) if previous is not None else np.full(len(todo), -1)
    compute, borrowed, borrowed_at = todo[in_previous < 0], todo[in_previous >= 0], in_previous[in_previous >= 0]
    pending = apply_each_later(fn, [keys[i] for i in compute.tolist()], parallel=True)
    computing[(kind, version)] = _Computing(pd.Index(encoded[compute]), pending)

    def results() -> list[tuple]:
        fresh = pending()
        store.put(kind, version, encoded[compute], fresh)
        out: list = [None] * len(keys)
        for i, r in zip(compute.tolist(), fresh):
            out[i] = r
        if len(borrowed):
            theirs = previous.results()
            for i, at in zip(borrowed.tolist(), borrowed_at.tolist()):
                out[i] = theirs[at]
        for i in np.flatnonzero(np.not_equal(known, None)).tolist():
            out[i] = tuple(json.loads(known[i]))
        return out
    return results
