"""The warehouse's value_cache table as a store for standardize/cache.py."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd


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

    def put(self, kind: str, version: str, keys: np.ndarray, results: list[str]) -> None:
        if not len(keys):
            return
        _crm_cache_fresh = pd.DataFrame({"kind": kind, "key": keys,  # noqa: F841 - read by the SQL below
                                         "result": results, "version": version})
        self.con.execute("insert into value_cache by name select * from _crm_cache_fresh "
                         "anti join value_cache using (kind, key, version)")
