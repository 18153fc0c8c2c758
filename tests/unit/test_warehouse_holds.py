"""What the masters read of a source delivering in full (sources.yaml delivery: full), on a real warehouse: the
records missing from a night read whole leave them, a held night or a night without any record tells nothing."""
from __future__ import annotations

import datetime as dt

from pipelines.warehouse import holds
from pipelines.warehouse.store import connect

CHECK = "customers_clean:unique_record_key"


def _full_night(con, night: str, run: str, people: dict[str, str], marked: tuple[str, ...] = ()) -> None:
    """A night of crm_a delivered in full: one file read, its rows clean but the records marked deleted."""
    for table in ("customers_clean", "quarantine", "ingest_files"):
        con.execute(f"delete from {table} where partition_date = ?", [night])
    for line, key in enumerate(marked, start=len(people) + 2):
        con.execute("insert into quarantine values (?, ?, 'crm_a', ?, ?, ?, 'deleted', 'deleted_in_source', "
                    "'deleted in the source', [])", [night, run, f"crm_a/{night}/f.csv", line, key])
    for line, (key, name) in enumerate(people.items(), start=2):
        con.execute("insert into customers_clean (partition_date, run_id, source_system, source_file, "
                    "source_line, source_record_id, full_name, gender, phone_valid, email_valid) values "
                    "(?, ?, 'crm_a', ?, ?, ?, ?, 'U', false, false)",
                    [night, run, f"crm_a/{night}/f.csv", line, key, name])
    con.execute("insert into ingest_files (partition_date, run_id, source_system, source_file, status, rows_read, "
                "delivery) values (?, ?, 'crm_a', ?, 'read', ?, 'full')",
                [night, run, f"crm_a/{night}/f.csv", len(people) + len(marked)])


def _matchable(con) -> list[str]:
    holds.matchable(con)
    return [r[0] for r in con.execute(f"select distinct source_record_id from {holds.MATCHABLE} order by 1")
            .fetchall()]


def test_a_held_full_night_leaves_the_next_one_to_tell_the_deletion(tmp_path):
    """Night 2 lacks a but is held (a blocking check failed): it tells nothing. Night 3, read whole and not held,
    lacks a too: a is deleted in its source from night 3."""
    with connect(tmp_path / "w.duckdb") as con:
        _full_night(con, "2026-11-01", "r1", {"a": "Ann Lee", "b": "Bo Chen"})
        _full_night(con, "2026-11-02", "r2", {"b": "Bo Chen"})
        holds.record(con, "2026-11-02", CHECK, True, dt.datetime(2026, 11, 2))
        assert _matchable(con) == ["a", "b"]
        _full_night(con, "2026-11-03", "r3", {"b": "Bo Chen"})
        assert _matchable(con) == ["b"]
        assert holds.deleted(con) == [("crm_a", 0, 1)]


def test_a_full_night_without_any_record_tells_no_deletion(tmp_path):
    """A full export of a header alone (cut off, or run on an empty view) is no word that every customer left:
    the masters keep them, and the run says the night was not read whole."""
    with connect(tmp_path / "w.duckdb") as con:
        _full_night(con, "2026-11-01", "r1", {"a": "Ann Lee", "b": "Bo Chen"})
        _full_night(con, "2026-11-02", "r2", {})
        assert _matchable(con) == ["a", "b"]
        assert holds.deleted(con) == []
        assert holds.partial_full_nights(con) == [("2026-11-02", "crm_a", "no record in it")]
        _full_night(con, "2026-11-03", "r3", {"b": "Bo Chen"})
        assert _matchable(con) == ["b"]


def test_a_record_is_counted_by_the_deletion_that_holds_it_out_now(tmp_path):
    """a, marked deleted on night 1, is delivered live on night 2 and missing from night 3: the run's summary
    counts it missing from a full delivery, not marked deleted."""
    with connect(tmp_path / "w.duckdb") as con:
        _full_night(con, "2026-11-01", "r1", {"a": "Ann Lee", "b": "Bo Chen"})
        _full_night(con, "2026-11-02", "r2", {"b": "Bo Chen"}, marked=("a",))
        assert holds.deleted(con) == [("crm_a", 1, 0)]
        _full_night(con, "2026-11-03", "r3", {"a": "Ann Lee", "b": "Bo Chen"})
        _full_night(con, "2026-11-04", "r4", {"b": "Bo Chen"})
        assert _matchable(con) == ["b"]
        assert holds.deleted(con) == [("crm_a", 0, 1)]


def test_the_run_summary_says_a_record_that_became_no_customer_left_without_calling_it_deleted(tmp_path, capsys):
    """An end user made agent (not_a_customer) is no deletion in the source; a record missing from a full night
    is."""
    from pipelines import cli

    with connect(tmp_path / "w.duckdb") as con:
        _full_night(con, "2026-11-01", "r1", {"a": "Ann Lee", "b": "Bo Chen", "c": "Cy Dow"})
        _full_night(con, "2026-11-02", "r2", {"b": "Bo Chen"}, marked=("a",))
        con.execute("update quarantine set rule = 'not_a_customer', field = 'role'")
    cli._master_summary(tmp_path / "w.duckdb")
    said = [line for line in capsys.readouterr().out.splitlines() if line.startswith("crm_a")]
    assert said == ["crm_a: 1 marked deleted or no customer and 1 missing from a full delivery (deleted in the "
                    "source): they no longer feed the masters"]
