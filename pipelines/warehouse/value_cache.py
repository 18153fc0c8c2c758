"""The warehouse's value_cache table as a store for standardize/cache.py."""
from __future__ import annotations

import json
from typing import Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import infer_dtype


class DuckDBValueStore:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    # Frames are read through local names (replacement scans), not con.register: see store.append.
    def lookup(self, kind: str, version: str, keys: pa.Array, flags: Sequence[bool]) -> tuple[np.ndarray, list]:
        """Known keys' positions and their results' fields as columns, taken out of the JSON by DuckDB (text
        fields with ->>, bool fields cast), not decoded one by one in Python."""
        _crm_cache_keys = pa.table({"i": pa.array(np.arange(len(keys), dtype=np.int64)), "key": keys})  # noqa: F841
        fields = ", ".join(f"(result->{j})::boolean" if flag else f"result->>{j}" for j, flag in enumerate(flags))
        found = self.con.sql(
            f"select i, {fields} from _crm_cache_keys join value_cache using (key) where kind = $kind and "
            "version = $version", params={"kind": kind, "version": version}).to_arrow_table()
        columns = [c.to_numpy() if c.null_count == 0 and pa.types.is_boolean(c.type) else
                   c.to_numpy(zero_copy_only=False).astype(object) for c in found.columns[1:]]
        return found.column(0).to_numpy(), columns

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
