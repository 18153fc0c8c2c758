"""Nights held out of the customer masters: customers_clean rows whose blocking check failed (night_holds)."""
from __future__ import annotations

import datetime as dt

import duckdb

# What the master build reads instead of customers_clean: the rows of every night that is not held.
MATCHABLE = "_matchable_clean"



def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has night_holds (create_tables.sql makes it; a bare test warehouse may not)."""
    return con.execute("select count(*) > 0 from duckdb_tables() where table_name = 'night_holds' "
                       "and database_name = current_database() and not temporary").fetchall()[0][0]


def record(con: duckdb.DuckDBPyConnection, partition: str, check: str, failed: bool, at: dt.datetime) -> None:
    """A blocking check's verdict on a night's customers_clean rows: failed holds them (their run id) out of the
    masters, passed releases that check's hold. Holds of runs no longer in customers_clean are dropped (a rerun
    replaced them)."""
    con.execute("delete from night_holds where partition_date = ? and (check_name = ? or run_id not in "
                "(select distinct run_id from customers_clean where partition_date = ?))",
                [partition, check, partition])
    if failed:
        con.execute("insert into night_holds select distinct partition_date, run_id, ?, ? from customers_clean "
                    "where partition_date = ?", [check, at, partition])


def matchable(con: duckdb.DuckDBPyConnection) -> None:
    """The temporary view MATCHABLE: customers_clean without the rows of held nights."""
    held_out = " anti join night_holds using (partition_date, run_id)" if _exists(con) else ""
    con.execute(f"create or replace temp view {MATCHABLE} as select * from customers_clean{held_out}")


def held(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(night, failed checks) of every night whose current customers_clean rows are held."""
    if not _exists(con):
        return []
    return [(str(night), checks) for night, checks in con.execute(
        "select partition_date, string_agg(distinct check_name, ', ' order by check_name) from night_holds "
        "semi join (select distinct partition_date, run_id from customers_clean) using (partition_date, run_id) "
        "group by partition_date order by partition_date").fetchall()]
