"""Opens the warehouse, creates its tables and replaces a partition of several tables in one transaction."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
# Tables the pipeline writes; table names in SQL only ever come from this list.
PARTITIONED_TABLES = ("raw_customers", "ingest_files", "customers_clean", "quarantine")
MASTER_TABLES = ("customer_master", "customer_xref", "match_review", "customer_name_history",
                 "customer_address_history", "master_id_history")


def sql(name: str) -> str:
    """The text of pipelines/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


@contextmanager
def connect(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(sql("create_tables"))
        yield con
    finally:
        con.close()


def _check(table: str) -> str:
    if table not in PARTITIONED_TABLES + MASTER_TABLES + ("pipeline_runs",):
        raise ValueError(f"not a warehouse table: {table}")
    return table


def replace_partition(con: duckdb.DuckDBPyConnection, partition: date | str, frames: dict[str, pd.DataFrame]) -> None:
    """Readers see the old rows of every table or the new ones, never a mix."""
    con.execute("begin transaction")
    try:
        for table, frame in frames.items():
            _check(table)
            con.execute(f"delete from {table} where partition_date = ?", [str(partition)])
            if len(frame):
                con.register("_incoming", frame)
                con.execute(f"insert into {table} by name select * from _incoming")
                con.unregister("_incoming")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def replace_tables(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame],
                   appends: dict[str, pd.DataFrame] | None = None, then_sql: dict[str, str] | None = None) -> None:
    """Whole tables replaced (and rows appended to logs, and tables rebuilt by SQL) in one transaction."""
    con.execute("begin transaction")
    try:
        for table, frame in frames.items():
            con.execute(f"delete from {_check(table)}")
            if len(frame):
                con.register("_incoming", frame)
                con.execute(f"insert into {table} by name select * from _incoming")
                con.unregister("_incoming")
        for table, frame in (appends or {}).items():
            append(con, table, frame)
        for table, statement in (then_sql or {}).items():
            con.execute(f"delete from {_check(table)}")
            con.execute(f"insert into {table} by name {statement}")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if len(frame):
        con.register("_incoming", frame)
        con.execute(f"insert into {_check(table)} by name select * from _incoming")
        con.unregister("_incoming")


def read_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict, **fragments: str) -> pd.DataFrame:
    """Run pipelines/sql/<name>.sql with bound parameters; fragments are generated SQL, never input values."""
    return con.execute(sql(name).format(**fragments), params).df()


def read_partition(con: duckdb.DuckDBPyConnection, table: str, partition: date | str) -> pd.DataFrame:
    order = "source_system, source_file" + (", source_line" if table != "ingest_files" else "")
    return con.execute(f"select * from {_check(table)} where partition_date = ? order by {order}",
                       [str(partition)]).df()
