"""The warehouse's value_cache table as a store for standardize/cache.py."""
from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype


class DuckDBValueStore:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    # Frames are read through local names (replacement scans), not con.register: see store.append.
    def lookup(self, kind: str, version: str, keys: np.ndarray) -> np.ndarray:
        _crm_cache_keys = pd.DataFrame({"i": np.arange(len(keys)), "key": keys})  # noqa: F841 - read below
        found = self.con.execute(
            "select i, result from _crm_cache_keys join value_cache using (key) where kind = ? and version = ?",
            [kind, version]).fetchnumpy()
        out = np.full(len(keys), None, dtype=object)
        out[found["i"]] = found["result"]
        return out

    def put(self, kind: str, version: str, keys: np.ndarray, results: list[tuple]) -> None:
        """New keys' results written as JSON arrays by DuckDB (json_array over their columns), not one by one; a
        column holding values of several types (DuckDB would read them all as text) is written by Python's json."""
        if not len(keys):
            return
        values = pd.DataFrame(results, dtype=object)
        columns = [f"v{i}" for i in range(values.shape[1])]
        plain = all(infer_dtype(values[c], skipna=True) in _ONE_TYPE for c in values.columns)
        result = f"json_array({', '.join(columns)})" if plain else "result::json"
        frame = values.set_axis(columns, axis=1) if plain else pd.DataFrame(
            {"result": [json.dumps(r, ensure_ascii=False) for r in results]})
        _crm_cache_fresh = frame.assign(kind=kind, key=keys, version=version)  # noqa: F841 - read by the SQL below
        # The keys are new: cache.cached_apply_later puts only keys the store did not hold at look-up, and takes
        # those another call is still computing from it (tests/integration/test_chunked_cleanse.py holds it).
        # No anti join against the whole table: it cost a scan and hash of every stored key per put.
        self.con.execute(f"insert into value_cache by name select kind, key, {result} as result, version "
                         "from _crm_cache_fresh")


# Columns pandas finds to hold one type of value (nulls aside): DuckDB reads them as that type.
_ONE_TYPE = {"string", "boolean", "integer", "floating", "empty"}
