"""Frames written inside a transaction are not kept alive until its commit (a chunked night would hold them all)."""
from __future__ import annotations

import gc
import json
import weakref

import pandas as pd
import pyarrow as pa

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
        store.put("phone", "v", ["a\x1fCN"], [("+8613800138000", True, None)])
        at, columns = store.lookup("phone", "v", pa.array(["b\x1fCN", "a\x1fCN"]), [False, True, False])
        assert at.tolist() == [1] and [c.tolist() for c in columns] == [["+8613800138000"], [True], [None]]
        # a position holding values of two types keeps them (DuckDB alone would read both as text)
        store.put("mixed", "v", ["k1", "k2"], [(True, 1), ("yes", None)])
        stored = con.execute("select result from value_cache where kind = 'mixed' order by key").fetchall()
        assert [json.loads(r) for r, in stored] == [[True, 1], ["yes", None]]
        gc.collect()
        assert [r() for r in refs] == [None, None, None]
        assert con.execute("select count(*) from ingest_files").fetchone() == (6,)
