"""The warehouse's value_cache table as a store for standardize/cache.py."""
from __future__ import annotations

import duckdb
import pandas as pd


class DuckDBValueStore:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def get(self, kind: str, version: str, keys: list[str]) -> dict[str, str]:
        self.con.register("_keys", pd.DataFrame({"key": keys}))
        try:
            rows = self.con.execute(
                "select key, result from value_cache join _keys using (key) where kind = ? and version = ?",
                [kind, version]).fetchall()
        finally:
            self.con.unregister("_keys")
        return dict(rows)

    def put(self, kind: str, version: str, results: dict[str, str]) -> None:
        if not results:
            return
        frame = pd.DataFrame({"kind": kind, "key": list(results), "result": list(results.values()),
                              "version": version})
        self.con.register("_fresh", frame)
        try:
            self.con.execute("insert into value_cache by name select * from _fresh "
                             "anti join value_cache using (kind, key, version)")
        finally:
            self.con.unregister("_fresh")
