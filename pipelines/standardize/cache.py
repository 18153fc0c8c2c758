"""Calls a per-value function once per distinct key ever seen: a cache (any lookup/put store) remembers results."""
from __future__ import annotations

import hashlib
import json
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.standardize.arrow_text import matches
from pipelines.standardize.distinct import apply_each_later, rows_of


class ValueStore(Protocol):
    def lookup(self, kind: str, version: str, keys: pa.Array, flags: Sequence[bool]) -> tuple[np.ndarray, list]:
        """The keys the store knows: their positions in keys, and their results' fields as columns (one array per
        field, in the positions' order; flags tells which fields are bool, the others are text or None)."""
    def put(self, kind: str, version: str, keys: pa.Array, results: np.ndarray) -> None:
        """Remember each new key's result (a row of JSON scalars; results holds one row per key, as_rows): keys
        the store did not hold at look-up, each put once."""


def code_version(module_file: str) -> str:
    """A digest of a standardiser's source file, part of its cached results' version: any change to the code
    that computes them makes every value computed again (no number to remember to bump)."""
    try:
        return hashlib.sha256(Path(module_file).read_bytes()).hexdigest()[:12]
    except OSError:   # no source beside the compiled module: every run computes afresh
        return f"unread {uuid.uuid4().hex}"


ENCODING = "cache 2"  # how keys are written (part of the stored version: another encoding misses)
_SEP, _NULL = "\x1f", "\x00"


def encode_key(key: tuple) -> str:
    """A key (a tuple of text or None) as one string: its parts joined by a unit separator, None as NUL;
    JSON (marked by a leading '[') only when a part holds either character itself."""
    if any(v is not None and (_SEP in v or _NULL in v or v.startswith("[")) for v in key):
        return json.dumps(key, ensure_ascii=False)
    return _SEP.join(_NULL if v is None else v for v in key)


def encode_keys(keys: pd.DataFrame) -> pa.Array:
    """encode_key of every row of keys (text or None), the parts joined by Arrow over whole columns; only the
    rows written as JSON (a part holding a separator or starting with '[') go through Python."""
    columns = [pa.array(keys[c].to_numpy(dtype=object), pa.string(), from_pandas=True) for c in keys.columns]
    if not columns or not len(keys):
        return pa.array([encode_key(k) for k in rows_of(keys)], pa.string())
    joined = pc.binary_join_element_wise(*[pc.fill_null(c, _NULL) for c in columns], _SEP)
    special = np.zeros(len(keys), dtype=bool)
    for column in columns:
        special |= matches(column, "[\\x00\\x1f]|^\\[")
    if not special.any():
        return joined
    out = joined.to_numpy(zero_copy_only=False).astype(object)
    at = np.flatnonzero(special)
    out[at] = [encode_key(key) for key in rows_of(keys, at)]
    return pa.array(out, pa.string())


def cached(kind: str, version: str, store: ValueStore | None, fields: Sequence[str], flags: Sequence[str] = ()
           ) -> Callable[[Callable, pd.DataFrame], Callable[[], np.ndarray]]:
    """An `apply` for distinct.map_distinct_rows_later that asks the store first and computes only the rest; the
    function's results are tuples of fields, of which flags are bool (the others text or None)."""
    booleans = [f in flags for f in fields]
    return lambda fn, keys: cached_apply_later(keys, fn, kind, f"{version}; {ENCODING}", store, booleans)


@dataclass
class _Computing:
    """The keys one call computes (encoded), and the function giving their results."""
    keys: pa.Array
    results: Callable[[], np.ndarray]


# Per store and (kind, version), the keys the latest call computes. A night starts the next chunk before it
# stores this chunk's results, so the next chunk's look-up misses the keys both chunks hold: they are taken
# from this call instead of being computed twice. Safe whatever the order of calls: a result depends on its key
# and version only. Forgotten with the store (a night's), so no results outlive it.
_computing: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cached_apply_later(keys: pd.DataFrame, fn: Callable[[tuple], tuple], kind: str, version: str,
                       store: ValueStore | None, flags: Sequence[bool]) -> Callable[[], np.ndarray]:
    """fn(key) for every distinct row of keys (text/None), from the store where it knows the key (or from the
    previous call's computation); the other keys are computed in the background, and the returned function
    gives the results, one row per key (a 2-D object array), and stores the new ones (the store is only used
    from the calling thread). Known results are read as columns, never decoded one by one."""
    width = len(flags)
    if store is None:
        return apply_each_later(fn, rows_of(keys), parallel=True, width=width)
    encoded = encode_keys(keys)
    known_at, known = store.lookup(kind, version, encoded, flags)
    todo = np.ones(len(keys), dtype=bool)
    todo[known_at] = False
    todo = np.flatnonzero(todo)
    todo_keys = encoded.take(pa.array(todo, pa.int64()))
    computing = _computing.setdefault(store, {})
    previous = computing.get((kind, version))
    in_previous = (pc.fill_null(pc.index_in(todo_keys, value_set=previous.keys), -1).to_numpy()
                   if previous is not None and len(todo) else np.full(len(todo), -1))
    mine = in_previous < 0
    mine_keys = todo_keys.filter(pa.array(mine))
    compute, borrowed, borrowed_at = todo[mine], todo[~mine], in_previous[~mine]
    pending = apply_each_later(fn, rows_of(keys, compute), parallel=True, width=width)
    computing[(kind, version)] = _Computing(mine_keys, lambda: fresh_rows())
    done: list = []

    def fresh_rows() -> np.ndarray:
        if not done:
            fresh = pending()
            store.put(kind, version, mine_keys, fresh)
            done.append(fresh)
        return done[0]

    def results() -> np.ndarray:
        out = np.full((len(keys), width), None, dtype=object)
        out[compute] = fresh_rows()
        if len(borrowed):
            out[borrowed] = previous.results()[borrowed_at]
        for j, column in enumerate(known):
            out[known_at, j] = column
        return out
    return results
