"""The warehouse's value_cache table as a store for standardize/cache.py."""
from __future__ import annotations

import json
from typing import Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import infer_dtype

from pipelines.warehouse.serial import Serial


class DuckDBValueStore:
    def __init__(self, con: duckdb.DuckDBPyConnection, serial: Serial | None = None):
        self.con = con
        self.serial = serial

    def through(self, serial: Serial) -> DuckDBValueStore:
        """This store with its statements run by serial (in order with the caller's other writes): a look-up
        waits for them, a put does not."""
        return DuckDBValueStore(self.con, serial)

    def lookup(self, kind: str, version: str, keys: pa.Array, flags: Sequence[bool]) -> tuple[np.ndarray, list]:
        if self.serial is None:
            return self._lookup(kind, version, keys, flags)
        return self.serial.run(self._lookup, kind, version, keys, flags)

    def put(self, kind: str, version: str, keys: pa.Array | list[str], results: list[tuple] | np.ndarray) -> None:
        if self.serial is None:
            self._put(kind, version, keys, results)
        else:
            self.serial.later(self._put, kind, version, keys, results)

    # Frames are read through local names (replacement scans), not con.register: see store.append.
    def _lookup(self, kind: str, version: str, keys: pa.Array, flags: Sequence[bool]) -> tuple[np.ndarray, list]:
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

    def _put(self, kind: str, version: str, keys: pa.Array | list[str], results: list[tuple] | np.ndarray) -> None:
        """New keys' results (tuples, or a 2-D object array of them) written as JSON arrays by DuckDB (json_array
        over their columns, handed over as Arrow: DuckDB reads it without Python's lock), not one by one; a
        column holding values of several types (DuckDB would read them all as text) is written by Python's
        json."""
        if not len(keys):
            return
        listed = not isinstance(results, np.ndarray)
        rows = pd.DataFrame(results, dtype=object).to_numpy() if listed else results
        # a list's missing result (None) is stored as JSON null, not as a row of nulls
        columns = None if listed and any(r is None for r in results) else _typed_columns(rows)
        if columns is None:
            result = "result::json"
            texts = [json.dumps(r, ensure_ascii=False) for r in (results if listed else rows.tolist())]
            columns = {"result": pa.array(texts, pa.string())}
        else:
            result = f"json_array({', '.join(columns)})"
        key = keys if isinstance(keys, pa.Array) else pa.array(keys, pa.string())
        _crm_cache_fresh = pa.table({"key": key, **columns})  # noqa: F841 - read below
        # The keys are new: cache.cached_apply_later puts only keys the store did not hold at look-up, and takes
        # those another call is still computing from it (tests/integration/test_chunked_cleanse.py holds it).
        # No anti join against the whole table: it cost a scan and hash of every stored key per put.
        self.con.execute(f"insert into value_cache by name select $kind as kind, key, {result} as result, "
                         "$version as version from _crm_cache_fresh", {"kind": kind, "version": version})


def _typed_columns(rows: np.ndarray) -> dict[str, pa.Array] | None:
    """The result columns as Arrow arrays of one type each (v0, v1, ...), or None when a column mixes types."""
    out = {}
    for j in range(rows.shape[1]):
        column = rows[:, j]
        if infer_dtype(column, skipna=True) not in _ONE_TYPE:
            return None
        try:
            out[f"v{j}"] = pa.array(column, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):   # an integer beyond 64 bits, say
            return None
    return out


# Columns pandas finds to hold one type of value (nulls aside): DuckDB reads them as that type.
_ONE_TYPE = {"string", "boolean", "integer", "floating", "empty"}
