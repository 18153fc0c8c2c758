"""Calls a per-value function once per distinct key ever seen: a cache (any get/put store) remembers results."""
from __future__ import annotations

import json
from typing import Callable, Protocol

from pipelines.standardize.distinct import apply_each


class ValueStore(Protocol):
    def get(self, kind: str, version: str, keys: list[str]) -> dict[str, str]: ...
    def put(self, kind: str, version: str, results: dict[str, str]) -> None: ...


def cached(kind: str, version: str, store: ValueStore | None) -> Callable[[Callable, list], list]:
    """An `apply` for distinct.map_distinct_rows that asks the store first and computes only the rest."""
    return lambda fn, keys: cached_apply(keys, fn, kind, version, store)


def cached_apply(keys: list[tuple], fn: Callable[[tuple], tuple], kind: str, version: str,
                 store: ValueStore | None) -> list[tuple]:
    """fn(key) for every distinct key (tuples of text/None), from the store where it knows the key."""
    if store is None:
        return apply_each(fn, keys, parallel=True)
    encoded = [json.dumps(k, ensure_ascii=False) for k in keys]
    known = store.get(kind, version, encoded)
    todo = [i for i, e in enumerate(encoded) if e not in known]
    fresh = apply_each(fn, [keys[i] for i in todo], parallel=True)
    store.put(kind, version, {encoded[i]: json.dumps(r, ensure_ascii=False) for i, r in zip(todo, fresh)})
    out: list = [None] * len(keys)
    for i, r in zip(todo, fresh):
        out[i] = r
    for i, e in enumerate(encoded):
        if out[i] is None:
            out[i] = tuple(json.loads(known[e]))
    return out
