"""The warehouse's value_cache table as a store for standardize/cache.py."""
from __future__ import annotations

import duckdb
import pandas as pd


class DuckDBValueStore:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    # Frames are read through local names (replacement scans), not con.register: see store.append.
    def get(self, kind: str, version: str, keys: list[str]) -> dict[str, str]:
        _crm_cache_keys = pd.DataFrame({"key": keys})  # noqa: F841 - read by the SQL below
        rows = self.con.execute(
            "select key, result from value_cache join _crm_cache_keys using (key) where kind = ? and version = ?",
            [kind, version]).fetchall()
        return dict(rows)

    def put(self, kind: str, version: str, results: dict[str, str]) -> None:
        if not results:
            return
        _crm_cache_fresh = pd.DataFrame({"kind": kind, "key": list(results),  # noqa: F841 - read by the SQL below
                               "result": list(results.values()), "version": version})
        self.con.execute("insert into value_cache by name select * from _crm_cache_fresh "
                         "anti join value_cache using (kind, key, version)")
