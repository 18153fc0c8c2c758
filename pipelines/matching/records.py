"""Keeps match_records (the latest version of every source record: what the matcher scores) in step with
customers_clean, rebuilding only the records of partitions that changed since the last build. Nights held out
of the masters (a blocking check failed on their rows) are read as if they were not there, and a record its
source deleted leaves match_records on the night of its deletion (warehouse/holds.py).

A partition is known by its run id and row count (a rerun or a backfill writes a new run id). A record is
rebuilt when one of its versions is in a changed partition: its rows there now, or a first/last night
around a changed one (a version that vanished from a rerun night). A change of match_records.sql, an empty
state or full=True rebuilds the whole table.
"""
from __future__ import annotations

import hashlib

import duckdb
import pandas as pd

from pipelines.warehouse.holds import DELETIONS, MATCHABLE, UNHELD, matchable
from pipelines.warehouse.store import scattered_transaction, sql, transaction

TABLE = "match_records"
STATE = "match_records_state"
SOURCE = f"from {MATCHABLE}"


def _version(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()[:16]


def _stale(con: duckdb.DuckDBPyConnection, version: str) -> bool:
    built = con.execute("select count(*) from duckdb_tables() where table_name = ? and not temporary "
                        "and database_name = current_database()", [TABLE]).fetchall()[0][0]
    rows, other = con.execute(f"select count(*), count(*) filter (where sql_version <> ?) from {STATE}",
                              [version]).fetchall()[0]
    return not built or not rows or other > 0


def _changed_nights(con: duckdb.DuckDBPyConnection) -> None:
    """_partitions: the nights the masters read (customers_clean's, held ones left out) as they are now (run id
    and row count); _changed: the nights that differ from the last build's (new, rerun, held or removed)."""
    matchable(con)
    con.execute(f"create table if not exists {STATE} (partition_date date, run_id varchar, row_count bigint, "
                "sql_version varchar)")
    # a night's deletions count with its clean rows: a night of deletions only is a change too
    con.execute("create or replace temp table _partitions as select partition_date, run_id, count(*) as row_count "
                f"from (select partition_date, run_id from {UNHELD} "
                f"union all select partition_date, run_id from {DELETIONS}) group by partition_date, run_id")
    con.execute(f"""create or replace temp table _changed as
        select partition_date from (select partition_date, run_id, row_count from _partitions
                                    except select partition_date, run_id, row_count from {STATE})
        union
        select partition_date from (select partition_date, run_id, row_count from {STATE}
                                    except select partition_date, run_id, row_count from _partitions)""")


def latest_versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """match_records.sql's rows as a frame, built now from customers_clean (what a full build would hold)."""
    matchable(con)
    return con.execute(sql("match_records")).df()


def backfilled(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a night older than the latest one of the last build changed since (a backfill, a rerun of an
    earlier night, a night removed): its records were scored and their masters built without the nights after
    it (first seen, histories, term frequencies), so the masters are rebuilt whole (the ids kept). New nights
    after the last build's latest, however many, are not a backfill."""
    _changed_nights(con)
    return con.execute(f"select count(*) > 0 from _changed where partition_date < "
                       f"(select max(partition_date) from {STATE})").fetchall()[0][0]


def refresh(con: duckdb.DuckDBPyConnection, full: bool = False) -> int:
    """Bring match_records up to date; returns how many records were rebuilt."""
    query = sql("match_records")
    if query.count(SOURCE) != 1:
        raise ValueError(f"match_records.sql must read {MATCHABLE} once ('{SOURCE}')")
    version = _version(query)
    _changed_nights(con)
    rebuild = full or _stale(con, version)
    with transaction(con) if rebuild else scattered_transaction(con, (TABLE,)):
        if rebuild:
            con.execute(f"create or replace table {TABLE} as {query}")
            rebuilt = con.execute(f"select count(*) from {TABLE}").fetchall()[0][0]
        else:
            con.execute(f"""create or replace temp table _refresh_keys as
                select distinct source_system, source_record_id from customers_clean
                where partition_date in (select partition_date from _changed)
                union
                select m.source_system, m.source_record_id from {TABLE} as m
                join _changed as c on c.partition_date between m.first_seen and m.last_seen
                union
                select source_system, source_record_id from {DELETIONS} semi join _changed using (partition_date)
                union
                -- a record the masters may read that match_records lacks (a rerun dropped the deletion that
                -- removed it): an incremental build equals a full one
                (select source_system, source_record_id from {MATCHABLE}
                 except select source_system, source_record_id from {TABLE})""")
            con.execute(f"delete from {TABLE} where unique_id in "
                        "(select source_system || ':' || source_record_id from _refresh_keys)")
            con.execute(f"insert into {TABLE} by name " + query.replace(
                SOURCE, f"{SOURCE} semi join _refresh_keys using (source_system, source_record_id)"))
            rebuilt = con.execute("select count(*) from _refresh_keys").fetchall()[0][0]
        con.execute(f"delete from {STATE}")
        con.execute(f"insert into {STATE} select partition_date, run_id, row_count, ? from _partitions", [version])
    return rebuilt
