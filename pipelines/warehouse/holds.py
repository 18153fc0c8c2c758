"""What of customers_clean the customer masters read: not the nights held out of them (a blocking check failed on
their rows: night_holds), nor a record its source has deleted since: quarantined by deleted_in_source (or
not_a_customer: it became no customer), or missing from the source's next full delivery (sources.yaml
delivery: full) read whole."""
from __future__ import annotations

import datetime as dt

import duckdb

# What the master build reads instead of customers_clean (temporary views): the rows of every night that is not
# held (UNHELD), and of those the records not deleted in their source on that night or a later one (MATCHABLE).
UNHELD = "_unheld_clean"
MATCHABLE = "_matchable_clean"
DELETIONS = "_deletions"
# the quarantine rules that end a record's life as a customer: its source deleted it, or it became no customer
# (an end user made an agent: not_a_customer, sources.yaml not_customers)
DELETED_RULES = ("deleted_in_source", "not_a_customer")


# Records missing from a full delivery: each record's next night after one it was delivered on (clean or
# quarantined) whose delivery was full and read whole - every file of the source read, none rejected, every row
# accounted for in customers_clean or quarantine (its cleansing done), no row whose record is unknown (a line
# that could not be parsed, an id Excel rounded: UNKNOWN_RECORD), at least one record in it (a header alone is a
# cut-off export, not every customer gone) - that lacks it. A row that parsed but has no id (a blank line of
# cells, a totals row) is no record that could be missing. A record delivered again later
# is live again from that night, as after deleted_in_source. A held night ({held_out}) tells nothing: the next
# full night after it does (released, its own absences apply).
UNKNOWN_RECORD = ("unparseable_record", "rounded_record_id")
# every row of every night, one a line (a quarantined line may break several rules)
_DELIVERED = """select partition_date, source_system, source_file, source_line, source_record_id, run_id
                from customers_clean
                union
                select partition_date, source_system, source_file, source_line, source_record_id, run_id
                from quarantine"""
# each night of a source delivering in full: its files rejected, rows read, rows cleansed, rows of unknown records,
# records delivered
FULL_NIGHTS = f"""(
    select partition_date, source_system, f.rejected, f.rows_read, coalesce(a.line_count, 0) as line_count,
           coalesce(u.unknown, 0) as unknown, coalesce(a.records, 0) as records, a.run_id
    from (select partition_date, source_system, count(*) filter (where status <> 'read') as rejected,
                 sum(rows_read) as rows_read
          from ingest_files group by partition_date, source_system
          having bool_and(delivery is not distinct from 'full')) as f
    left join (select partition_date, source_system, any_value(run_id) as run_id, count(*) as line_count,
                      count(distinct source_record_id) as records
               from ({_DELIVERED}) group by partition_date, source_system) as a using (partition_date, source_system)
    left join (select partition_date, source_system, count(*) as unknown from quarantine
               where rule in {UNKNOWN_RECORD} group by partition_date, source_system) as u
         using (partition_date, source_system))"""
ABSENT = f"""(
    with records as (select distinct partition_date, source_system, source_record_id from ({_DELIVERED})
                     where source_record_id is not null),
    whole as (select * from (select partition_date, source_system, run_id from {FULL_NIGHTS}
                             where rejected = 0 and unknown = 0 and records > 0
                               and line_count = rows_read){{held_out}})
    select n.partition_date, n.run_id, r.source_system, r.source_record_id
    from records as r asof join whole as n
         on n.source_system = r.source_system and n.partition_date > r.partition_date
    where not exists (select 1 from records as p where p.partition_date = n.partition_date
                      and p.source_system = r.source_system and p.source_record_id = r.source_record_id))"""


def _exists(con: duckdb.DuckDBPyConnection, table: str = "night_holds") -> bool:
    """Whether the warehouse has the table (create_tables.sql makes it; a bare test warehouse may not)."""
    return con.execute("select count(*) > 0 from duckdb_tables() where table_name = ? "
                       "and database_name = current_database() and not temporary", [table]).fetchall()[0][0]


def pending(con: duckdb.DuckDBPyConnection, partition: str, run_id: str, checks: list[str], at: dt.datetime) -> None:
    """A night's new customers_clean rows are held until each of its blocking checks that the run includes has
    passed (record): a check that raises or never runs keeps its hold, instead of letting unchecked rows reach
    the masters."""
    con.execute("delete from night_holds where partition_date = ?", [partition])
    if checks:
        con.executemany("insert into night_holds values (?, ?, ?, ?)", [[partition, run_id, c, at] for c in checks])


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
    """The temporary views UNHELD (customers_clean without the rows of held nights), DELETIONS (records
    quarantined by DELETED_RULES, how 'marked', or missing from a full delivery (ABSENT), how 'missing', on
    nights not held: partition_date, run_id, source_system, source_record_id, how) and MATCHABLE (UNHELD without
    a record deleted on the row's night or later: its master loses it)."""
    held_out = " anti join night_holds using (partition_date, run_id)" if _exists(con) else ""
    con.execute(f"create or replace temp view {UNHELD} as select * from customers_clean{held_out}")
    tables = _exists(con, "quarantine") and _exists(con, "ingest_files")
    deletions = (f"select partition_date, run_id, source_system, source_record_id, 'marked' as how from quarantine "
                 f"where rule in {DELETED_RULES} union all select *, 'missing' from {ABSENT.format(held_out=held_out)}"
                 if tables else
                 "select null::date as partition_date, null::varchar as run_id, null::varchar as source_system, "
                 "null::varchar as source_record_id, null::varchar as how where false")
    con.execute(f"create or replace temp view {DELETIONS} as select * from ({deletions}){held_out}")
    con.execute(f"""create or replace temp view {MATCHABLE} as select * from {UNHELD} as c
        where not exists (select 1 from {DELETIONS} as d where d.source_system = c.source_system
                          and d.source_record_id = c.source_record_id and d.partition_date >= c.partition_date)""")


def held(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(night, failed checks) of every night whose current customers_clean rows are held."""
    if not _exists(con):
        return []
    return [(str(night), checks) for night, checks in con.execute(
        "select partition_date, string_agg(distinct check_name, ', ' order by check_name) from night_holds "
        "semi join (select distinct partition_date, run_id from customers_clean) using (partition_date, run_id) "
        "group by partition_date order by partition_date").fetchall()]



def deleted(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(source, records marked deleted or no customer, records missing from a full delivery): the records that
    fed the masters once and no longer do because their source deleted them (no later delivery brought them
    back), each counted by its latest deletion (marked, delivered again, then missing: missing)."""
    matchable(con)
    return [(source, int(marked), int(missing)) for source, marked, missing in con.execute(f"""
        select source_system, count(*) filter (where marked), count(*) filter (where not marked)
        from (select source_system, source_record_id, arg_max(how, partition_date) = 'marked' as marked
              from {DELETIONS}
              group by source_system, source_record_id) as d
        where exists (select 1 from {UNHELD} as u where u.source_system = d.source_system
                      and u.source_record_id = d.source_record_id)
          and not exists (select 1 from {MATCHABLE} as m where m.source_system = d.source_system
                          and m.source_record_id = d.source_record_id)
        group by source_system order by source_system""").fetchall()]


def partial_full_nights(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(night, source, why) of the nights of a full-delivery source not read whole, which tell no deletions (its
    first night, which could tell none, left out)."""
    if not (_exists(con, "ingest_files") and _exists(con, "quarantine")):
        return []
    out = []
    for night, source, rejected, rows_read, line_count, unknown, records in con.execute(
            f"select partition_date, source_system, rejected, rows_read, line_count, unknown, records from "
            f"{FULL_NIGHTS} as n where (rejected > 0 or unknown > 0 or records = 0 or line_count <> rows_read) "
            "and partition_date > "
            "(select min(partition_date) from ingest_files as i where i.source_system = n.source_system) "
            "order by all").fetchall():
        why = ([f"{rejected} file(s) rejected"] * bool(rejected) + [f"{unknown} row(s) not readable as a record"]
               * bool(unknown) + ["not cleansed yet"] * (not rejected and line_count != rows_read)
               + ["no record in it"] * (not records and line_count == rows_read))
        out.append((str(night), source, ", ".join(why)))
    return out

