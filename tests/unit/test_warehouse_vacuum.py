"""A replacement of scattered rows defers DuckDB's vacuum until the deleted rows pass DEAD_SHARE of a table."""
from __future__ import annotations

import duckdb

from pipelines.warehouse.store import DEAD_SHARE, dead_share, scattered_transaction

ROWS = 400_000


def _table(path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute(f"create table t as select i as k, 'name ' || i as v from range({ROWS}) as r(i)")
    con.execute("checkpoint")
    return con


def _replace_scattered(con, every: int) -> None:
    """Rewrite every every-th row (new values) and add as many new rows: enough for DuckDB to write them as a
    row group of their own, which makes its checkpoint merge the thinned row groups."""
    with scattered_transaction(con, ("t",)):
        con.execute(f"create or replace temp table s as select k, v || ' (changed)' as v from t where k % {every} = 0")
        con.execute("delete from t where k in (select k from s)")
        con.execute("insert into t select * from s")
        con.execute(f"insert into t select {ROWS} + i, 'new ' || i from range({ROWS // every}) as r(i)")


def test_deleted_rows_are_kept_marked_until_they_pass_the_share(tmp_path):
    con = _table(tmp_path / "w.duckdb")
    _replace_scattered(con, every=10)
    assert con.execute("select count(*), count(*) filter (where v like '%(changed)') from t").fetchone() == (
        ROWS + ROWS // 10, ROWS // 10)
    share = dead_share(con, "t")
    assert 0.05 < share < DEAD_SHARE          # the deleted rows only marked: no vacuum yet
    assert con.execute("select current_setting('max_vacuum_tasks')").fetchone()[0] > 0   # reset after
    con.close()
    con = duckdb.connect(str(tmp_path / "w.duckdb"))   # the checkpoint ran in the transaction's scope
    assert dead_share(con, "t") == share


def test_a_commit_past_the_share_vacuums(tmp_path):
    con = _table(tmp_path / "w.duckdb")
    con.execute("set max_vacuum_tasks = 0")
    con.execute("delete from t where k % 3 = 1")   # a third of the rows deleted, not reclaimed
    con.execute("checkpoint")
    con.execute("reset max_vacuum_tasks")
    assert dead_share(con, "t") > DEAD_SHARE
    _replace_scattered(con, every=10)
    assert dead_share(con, "t") < 0.05
    assert con.execute("select count(*) from t").fetchone() == (ROWS - ROWS // 3 + ROWS // 10,)


def test_the_setting_comes_back_and_an_open_transaction_elsewhere_does_not_fail_the_commit(tmp_path):
    con = _table(tmp_path / "w.duckdb")
    con.execute("set max_vacuum_tasks = 7")
    other = duckdb.connect(str(tmp_path / "w.duckdb"))
    other.execute("begin")
    other.execute("create table z (a int)")          # a catalog change: CHECKPOINT refuses to run meanwhile
    with scattered_transaction(con, ("t",)):
        con.execute("delete from t where k % 10 = 0")
    other.execute("rollback")
    assert con.execute("select count(*) from t").fetchone() == (ROWS - ROWS // 10,)
    assert con.execute("select current_setting('max_vacuum_tasks')").fetchone() == (7,)
