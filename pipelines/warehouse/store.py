"""Opens the warehouse, creates its tables and replaces a partition of several tables in one transaction."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd
import pyarrow as pa

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
# Tables written through this module; table names in its SQL only ever come from this list.
PARTITIONED_TABLES = ("raw_customers", "ingest_files", "customers_clean", "quarantine")


def sql(name: str) -> str:
    """The text of pipelines/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


@contextmanager
def connect(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("set enable_progress_bar = false")
        for table in ("customer_master", "value_cache"):
            _drop_primary_key(con, table)
        con.execute(sql("create_tables"))
        yield con
    finally:
        con.close()


def _drop_primary_key(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Warehouses built before 2026-12 keyed customer_master and value_cache by a primary key, whose index
    costs ~15 s at the commit of a million new rows; customer_master's uniqueness is an asset check, and
    value_cache only ever adds keys it lacks. DuckDB cannot drop a constraint, so the table is rebuilt
    (create_tables.sql then creates it without the key)."""
    keyed = con.execute("select count(*) from duckdb_constraints() where table_name = ? and "
                        "constraint_type = 'PRIMARY KEY' and database_name = current_database()", [table]).fetchall()
    if not keyed[0][0]:
        return
    with transaction(con):
        con.execute(f"create table _{table}_rows as select * from {table}")
        con.execute(f"drop table {table}")
        con.execute(sql("create_tables"))
        con.execute(f"insert into {table} by name select * from _{table}_rows")
        con.execute(f"drop table _{table}_rows")


def _check(table: str) -> str:
    if table not in PARTITIONED_TABLES + ("pipeline_runs",):
        raise ValueError(f"not a warehouse table: {table}")
    return table


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Everything inside lands together or not at all."""
    con.execute("begin transaction")
    try:
        yield con
        con.execute("commit")
    except BaseException:
        try:
            con.execute("rollback")
        except duckdb.Error:   # a commit that failed is already rolled back (or the connection is gone):
            pass               # the error that got here says why, not "no transaction is active"
        raise


# Deleted rows a table may carry before a scattered replacement's commit reclaims them (see scattered_transaction)
DEAD_SHARE = 0.25


def dead_share(con: duckdb.DuckDBPyConnection, table: str) -> float:
    """The share of a table's stored rows that are deleted ones still taking space (0 when it is empty)."""
    stored, live = con.execute(
        "select (select coalesce(sum(count), 0) from pragma_storage_info(?) where column_path = '[0]'), "
        f"(select count(*) from {table})", [table]).fetchall()[0]
    return max(stored - live, 0) / stored if stored else 0.0


@contextmanager
def scattered_transaction(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]
                          ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A transaction that replaces rows scattered over large tables (the masters a night touched). After such a
    commit, DuckDB's checkpoint vacuums: it merges the row groups the deletes thinned and so rewrites most of
    each table (2-3 s for a million masters, measured) to reclaim a few percent. Here the vacuum waits until
    the deleted rows of one of the tables pass DEAD_SHARE of its stored rows: that night's checkpoint
    reclaims them all; other nights the deleted rows are only marked. The checkpoint runs before leaving, so
    one at the connection's close does not vacuum after all. max_vacuum_tasks is a setting of the database
    instance: it is set back to its previous value on leaving."""
    vacuum = any(dead_share(con, table) >= DEAD_SHARE for table in tables)
    previous = con.execute("select current_setting('max_vacuum_tasks')").fetchall()[0][0]
    if not vacuum:
        con.execute("set max_vacuum_tasks = 0")
    try:
        with transaction(con):
            yield con
        try:
            con.execute("checkpoint")
        except duckdb.TransactionException:
            # another connection's transaction changes the catalog: the rows are committed all the same, and
            # a later checkpoint writes them
            log.warning("checkpoint after the commit deferred: another write transaction is open")
    finally:
        con.execute(f"set max_vacuum_tasks = {int(previous)}")


def replace_partition(con: duckdb.DuckDBPyConnection, partition: date | str, frames: dict[str, pd.DataFrame]) -> None:
    """Readers see the old rows of every table or the new ones, never a mix."""
    with transaction(con):
        clear_partition(con, partition, list(frames))
        for table, frame in frames.items():
            append(con, table, frame)


def clear_partition(con: duckdb.DuckDBPyConnection, partition: date | str, tables: list[str]) -> None:
    """Delete a partition's rows (inside the caller's transaction, which then appends the new ones)."""
    for table in tables:
        con.execute(f"delete from {_check(table)} where partition_date = ?", [str(partition)])


def ident(name: str) -> str:
    """A name quoted as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, columns: list[str] | None = None,
           where: str | None = None) -> None:
    """Insert frame's rows by column name: its columns, or the named ones of the rows where the bool column
    `where` is true (DuckDB reads only those columns of the frame). DuckDB reads the frame through the local
    name `_crm_incoming_frame` (a replacement scan; no table may bear that name), not con.register: a
    registered view dropped inside a transaction keeps its frame alive until the commit, so a night cleansed
    chunk by chunk would hold every chunk's frame at once."""
    if len(frame):
        _crm_incoming_frame = frame  # noqa: F841 - read by the SQL below
        selected = ", ".join(ident(c) for c in columns) if columns else "*"
        condition = f" where {ident(where)}" if where else ""
        con.execute(f"insert into {_check(table)} by name select {selected} from _crm_incoming_frame{condition}")


def read_arrow(con: duckdb.DuckDBPyConnection, name: str, params: dict, **fragments: str) -> pa.Table:
    """Run pipelines/sql/<name>.sql with bound parameters; fragments are generated SQL, never input values."""
    return con.sql(sql(name).format(**fragments), params=params).to_arrow_table()


def to_frame(table: pa.Table) -> pd.DataFrame:
    """Rows read through Arrow (a fifth faster than DuckDB's own conversion to pandas) as a pandas frame; dates
    become datetime64 as there."""
    return table.to_pandas(date_as_object=False, split_blocks=True, self_destruct=True)


def read_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict, **fragments: str) -> pd.DataFrame:
    """read_arrow's rows as a pandas frame (to_frame)."""
    return to_frame(read_arrow(con, name, params, **fragments))


def read_partition(con: duckdb.DuckDBPyConnection, table: str, partition: date | str) -> pd.DataFrame:
    order = "source_system, source_file" + (", source_line" if table != "ingest_files" else "")
    return con.execute(f"select * from {_check(table)} where partition_date = ? order by {order}",
                       [str(partition)]).df()
