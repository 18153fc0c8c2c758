"""The Dagster warehouse resource when a stage fails inside it."""
from __future__ import annotations

import duckdb
import pytest

from pipelines.defs.resources import warehouse_resource
from pipelines.warehouse.store import connect


def test_a_failing_stage_closes_its_connection_and_its_error_quotes_no_value(tmp_path):
    path = tmp_path / "w.duckdb"
    resource = warehouse_resource(str(path))
    with pytest.raises(duckdb.ConversionException) as err:
        with resource.get_connection() as con:
            con.execute("create table t (source_line bigint)")
            con.execute("insert into t values ('O''Brien Wei 13800138000')")
    assert "Brien" not in str(err.value) and "13800138000" not in str(err.value)
    assert "values left out" in str(err.value) and "Conversion Error" in str(err.value)
    with connect(path) as con:  # another configuration: refused while the failed stage's connection is open
        assert con.execute("select count(*) from t").fetchone() == (0,)
    with pytest.raises(duckdb.Error) as err:
        with resource.get_connection() as con:
            con.execute("select strptime('Mary Smith 1990', '%Y-%m-%d')")
    assert "Mary" not in str(err.value)


def test_a_warehouse_in_a_folder_not_made_yet_opens_at_once(tmp_path):
    """CRM_WAREHOUSE pointing into a new folder: the folder is made, not retried for minutes as a lock."""
    path = tmp_path / "new" / "sub" / "warehouse.duckdb"
    with warehouse_resource(str(path)).get_connection() as con:
        assert con.execute("select 1").fetchall() == [(1,)]
    assert path.exists()


def test_a_commit_that_fails_reports_its_own_error_not_the_rollback_after_it(tmp_path):
    """DuckDB rolls back a commit that failed: rolling back again must not hide why the commit failed."""
    import duckdb
    import pytest

    from pipelines.warehouse.store import transaction

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create table t (k int primary key)")
    other = con.cursor()
    with pytest.raises(duckdb.TransactionException, match="duplicate key"):
        with transaction(con):
            con.execute("insert into t values (1)")
            other.execute("insert into t values (1)")   # another writer of the same key commits first
    assert con.execute("select count(*) from t").fetchone()[0] == 1
    with transaction(con):   # the connection goes on
        con.execute("insert into t values (2)")
    assert con.execute("select count(*) from t").fetchone()[0] == 2
    con.close()
