"""Frames written inside a transaction are not kept alive until its commit (a chunked night would hold them all)."""
from __future__ import annotations

import gc
import json
import weakref

import numpy as np
import pandas as pd

from pipelines.warehouse.store import append, connect, transaction
from pipelines.warehouse.value_cache import DuckDBValueStore


def test_frames_are_released_before_the_commit(tmp_path):
    with connect(tmp_path / "w.duckdb") as con, transaction(con):
        refs = []
        for chunk in range(3):
            frame = pd.DataFrame({"partition_date": ["2026-11-20"] * 2, "run_id": "r", "source_system": "s",
                                  "source_file": [f"f{chunk}.csv", "g.csv"], "status": "read", "rows_read": 1})
            refs.append(weakref.ref(frame))
            append(con, "ingest_files", frame)
            del frame
        store = DuckDBValueStore(con)
        store.put("phone", "v", np.array(["a\x1fCN"], dtype=object), [("+8613800138000", True, None)])
        assert store.lookup("phone", "v", np.array(["b\x1fCN", "a\x1fCN"], dtype=object)).tolist() == [
            None, '["+8613800138000",true,null]']
        # a position holding values of two types keeps them (DuckDB alone would read both as text)
        store.put("mixed", "v", np.array(["k1", "k2"], dtype=object), [(True, 1), ("yes", None)])
        assert [json.loads(r) for r in store.lookup("mixed", "v", np.array(["k1", "k2"], dtype=object))] == [
            [True, 1], ["yes", None]]
        gc.collect()
        assert [r() for r in refs] == [None, None, None]
        assert con.execute("select count(*) from ingest_files").fetchone() == (6,)
