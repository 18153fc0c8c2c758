"""A warehouse built before the primary keys were dropped opens with its rows kept and the keys gone."""
from __future__ import annotations

import duckdb

from pipelines.warehouse.store import connect


def test_old_primary_keys_are_dropped_and_rows_kept(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table value_cache (kind varchar not null, key varchar not null, result json not null, "
                    "version varchar not null, primary key (kind, key, version))")
        con.execute("""insert into value_cache values ('phone', '["+8613800138000", null]', '["+8613800138000"]', 'v1')""")
        con.execute("create table customer_master (master_id varchar primary key, full_name varchar, "
                    "record_count bigint not null, issued_at timestamp not null)")
        con.execute("insert into customer_master values ('CM-1', 'Ann Lee', 2, '2026-11-01 03:00')")
    with connect(path) as con:
        keys = con.execute("select table_name from duckdb_constraints() "
                           "where constraint_type = 'PRIMARY KEY' and table_name in ('value_cache', 'customer_master')"
                           ).fetchall()
        assert keys == []
        assert con.execute("select master_id, full_name, record_count from customer_master").fetchall() == [
            ("CM-1", "Ann Lee", 2)]
        assert con.execute("select kind, version from value_cache").fetchall() == [("phone", "v1")]
        con.execute("insert into customer_master (master_id, record_count, issued_at) values ('CM-1', 1, now())")
    with connect(path) as con:  # opening again changes nothing
        assert con.execute("select count(*) from customer_master").fetchall() == [(2,)]
