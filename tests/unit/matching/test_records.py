"""match_records kept up to date partition by partition equals the table built from scratch, whatever changed:
a new night, a rerun night that drops or changes a record, a night removed."""
from __future__ import annotations

import pandas as pd

from pipelines.matching import records
from pipelines.warehouse.store import connect, sql


def rows(night: str, run: str, people: dict[str, str]) -> pd.DataFrame:
    ids = list(people)
    return pd.DataFrame({
        "partition_date": pd.Timestamp(night), "run_id": run, "source_system": "crm_a",
        "source_file": f"crm_a/{night}/f.csv", "source_line": range(2, len(ids) + 2), "source_record_id": ids,
        "full_name": [people[i] for i in ids], "gender": "U", "phone_valid": False, "email_valid": False,
        "phone_raw": ["138 0013 8000"] * len(ids), "quality_flags": [[] for _ in ids]})


def load(con, night: str, run: str, people: dict[str, str]) -> None:
    con.execute("delete from customers_clean where partition_date = ?", [night])
    con.register("_rows", rows(night, run, people))
    con.execute("insert into customers_clean by name select * from _rows")
    con.unregister("_rows")


def table(con, query: str) -> list[tuple]:
    return con.execute(f"select * exclude (record_hash), record_hash from ({query}) order by unique_id").fetchall()


def test_incremental_refresh_equals_a_full_build(tmp_path):
    with connect(tmp_path / "w.duckdb") as con:
        load(con, "2026-11-01", "r1", {"a": "Ann Lee", "b": "Bo Chen", "c": "Cy Wu"})
        assert records.refresh(con) == 3
        load(con, "2026-11-02", "r2", {"a": "Ann Lee-Smith", "d": "Di Ma"})
        assert records.refresh(con) == 2          # only the new night's records
        assert table(con, "select * from match_records") == table(con, sql("match_records"))
        assert records.refresh(con) == 0          # nothing changed
        # the second night rerun: a dropped, d changed; a goes back to its first night's version
        load(con, "2026-11-02", "r3", {"d": "Di Ma-Li"})
        records.refresh(con)
        got = table(con, "select * from match_records")
        assert got == table(con, sql("match_records"))
        names = {r[0]: r[3] for r in got}
        assert names["crm_a:a"] == "Ann Lee" and names["crm_a:d"] == "Di Ma-Li"
        # the first night removed: b and c vanish
        con.execute("delete from customers_clean where partition_date = '2026-11-01'")
        records.refresh(con)
        assert [r[0] for r in table(con, "select * from match_records")] == ["crm_a:d"]
        assert table(con, "select * from match_records") == table(con, sql("match_records"))


def test_only_a_change_before_the_last_builds_latest_night_is_a_backfill(tmp_path):
    with connect(tmp_path / "w.duckdb") as con:
        assert not records.backfilled(con)                     # nothing built yet: a first build, not a backfill
        load(con, "2026-11-02", "r1", {"a": "Ann Lee"})
        records.refresh(con)
        assert not records.backfilled(con)
        load(con, "2026-11-03", "r2", {"b": "Bo Chen"})          # new nights in order, two before one build
        load(con, "2026-11-04", "r3", {"c": "Cy Wu"})
        assert not records.backfilled(con)
        records.refresh(con)
        load(con, "2026-11-04", "r4", {"c": "Cy Wu-Li"})        # the latest night run again
        assert not records.backfilled(con)
        records.refresh(con)
        load(con, "2026-11-01", "r5", {"d": "Di Ma"})           # an older night landed late
        assert records.backfilled(con)
        records.refresh(con)
        load(con, "2026-11-03", "r6", {"b": "Bo Chen"})          # an earlier night run again
        assert records.backfilled(con)


def test_a_wanted_full_rebuild_is_remembered_until_a_full_build_clears_it(tmp_path):
    """A backfill found by a run that then fails must not be forgotten by the next run (match_records, which
    told it was a backfill, is already up to date by then)."""
    from pipelines.matching import master

    with connect(tmp_path / "w.duckdb") as con:
        assert not master._full_pending(con, False)
        assert master._full_pending(con, True)       # this run wants it ... and fails
        assert master._full_pending(con, False)      # the next run still rebuilds every master
        assert master._full_pending(con, True)       # wanted twice: one row, one rebuild
        assert con.execute(f"select count(*) from {master.PENDING}").fetchall() == [(1,)]


def _deleted(con, night: str, run: str, record: str, rule: str = "deleted_in_source") -> None:
    con.execute("insert into quarantine values (?, ?, 'crm_a', 'f.csv', 2, ?, 'deleted', ?, "
                "'deleted in the source', [])", [night, run, record, rule])


def _equal_to_a_full_build(con) -> list[str]:
    records.refresh(con)
    got = table(con, "select * from match_records")
    assert got == table(con, sql("match_records"))   # the views refresh made: what a full build reads
    return [r[0] for r in got]


def test_held_nights_and_deletions_refresh_as_a_full_build_reads_them(tmp_path):
    """A deletion on a held night does not apply; a night of deletions only is a change; a rerun that drops a
    deletion brings the record back; each time the incremental table equals a full build."""
    import datetime as dt

    from pipelines.warehouse import holds

    with connect(tmp_path / "w.duckdb") as con:
        load(con, "2026-11-01", "r1", {"a": "Ann Lee", "b": "Bo Chen"})
        assert _equal_to_a_full_build(con) == ["crm_a:a", "crm_a:b"]
        load(con, "2026-11-02", "r2", {"b": "Bo Chen"})            # night 2 deletes a, and is held
        _deleted(con, "2026-11-02", "r2", "a")
        holds.record(con, "2026-11-02", "customers_clean:unique_record_key", True, dt.datetime(2026, 11, 2))
        assert _equal_to_a_full_build(con) == ["crm_a:a", "crm_a:b"]
        holds.record(con, "2026-11-02", "customers_clean:unique_record_key", False, dt.datetime(2026, 11, 2))
        assert _equal_to_a_full_build(con) == ["crm_a:b"]          # released: the deletion applies
        _deleted(con, "2026-11-03", "r3", "b")                        # a night of deletions only
        assert _equal_to_a_full_build(con) == []
        con.execute("delete from quarantine where partition_date = '2026-11-03'")   # that night rerun, empty
        assert _equal_to_a_full_build(con) == ["crm_a:b"]


def test_a_record_that_became_no_customer_leaves_the_masters_until_it_is_one_again(tmp_path):
    """An end user made an agent (quarantined not_a_customer, sources.yaml not_customers) ends the record's life
    as a customer, as a deletion in the source does; a later clean delivery brings it back."""
    from pipelines.warehouse import holds

    with connect(tmp_path / "w.duckdb") as con:
        load(con, "2026-11-01", "r1", {"a": "Ann Lee", "b": "Bo Chen"})
        assert _equal_to_a_full_build(con) == ["crm_a:a", "crm_a:b"]
        load(con, "2026-11-02", "r2", {"b": "Bo Chen"})
        _deleted(con, "2026-11-02", "r2", "a", rule="not_a_customer")
        assert _equal_to_a_full_build(con) == ["crm_a:b"]
        assert holds.deleted(con) == [("crm_a", 1, 0)]
        load(con, "2026-11-03", "r3", {"a": "Ann Lee"})
        assert _equal_to_a_full_build(con) == ["crm_a:a", "crm_a:b"]
        assert holds.deleted(con) == []


def _full_delivery(con, night: str, run: str, rows: int) -> None:
    con.execute("delete from ingest_files where partition_date = ?", [night])
    con.execute("insert into ingest_files (partition_date, run_id, source_system, source_file, status, rows_read, "
                "delivery) values (?, ?, 'crm_a', 'f.csv', 'read', ?, 'full')", [night, run, rows])


def test_a_held_full_night_leaves_the_deletion_to_the_next_full_night(tmp_path):
    """A source delivering in full: a record missing from a held night and from the next one is deleted on the
    next one (a held night tells nothing, but must not hide what the nights after it tell); released, the held
    night's absence applies from that night."""
    import datetime as dt

    from pipelines.warehouse import holds

    with connect(tmp_path / "w.duckdb") as con:
        for night, run, people in (("2026-11-01", "r1", {"a": "Ann Lee", "b": "Bo Chen"}),
                                   ("2026-11-02", "r2", {"b": "Bo Chen"}), ("2026-11-03", "r3", {"b": "Bo Chen"})):
            load(con, night, run, people)
            _full_delivery(con, night, run, len(people))
        holds.record(con, "2026-11-02", "customers_clean:unique_record_key", True, dt.datetime(2026, 11, 2))
        assert _equal_to_a_full_build(con) == ["crm_a:b"]
        holds.matchable(con)
        assert con.execute(f"select partition_date::varchar, source_record_id from {holds.DELETIONS}").fetchall() == [
            ("2026-11-03", "a")]
        holds.record(con, "2026-11-02", "customers_clean:unique_record_key", False, dt.datetime(2026, 11, 2))
        assert _equal_to_a_full_build(con) == ["crm_a:b"]
        holds.matchable(con)
        assert con.execute(f"select partition_date::varchar, source_record_id from {holds.DELETIONS}").fetchall() == [
            ("2026-11-02", "a")]


def test_a_filler_phone_is_no_evidence_for_or_against_a_match(tmp_path):
    """A filler number (555-01xx, 13800138000) is emptied and flagged placeholder_phone, but its raw digits still
    gave the record a phone tail: two such records of one person (same name, e-mail and city) read as two
    different phones (-5.7 bits) and went to review instead of merging; strangers sharing the filler were
    blocked and compared on it."""
    from pathlib import Path

    from pipelines.matching import model, scoring
    from pipelines.rules import load_matching

    repo = Path(__file__).resolve().parents[3]
    people = pd.DataFrame({
        "partition_date": pd.Timestamp("2026-11-01"), "run_id": "r1", "source_system": ["crm_a", "crm_b", "crm_a"],
        "source_file": "f.csv", "source_line": [2, 2, 3], "source_record_id": ["1", "2", "3"],
        "full_name": ["Michael Turner", "Michael Turner", "Ann Lee"], "given_name": ["Michael", "Michael", "Ann"],
        "family_name": ["Turner", "Turner", "Lee"], "gender": "U", "city": "Portland",
        "email": ["mturner.83@gmail.com", "mturner.83@gmail.com", "ann.lee@example.com"], "email_valid": True,
        "phone_valid": False, "phone_raw": ["+1 503 555 0101", "+1 971 555 0199", "(503) 555-0123"],
        "quality_flags": [["placeholder_phone"], ["placeholder_phone"], ["invalid_phone"]]})
    # other customers, so that term frequencies weigh an e-mail and a name as in a warehouse, not as in three rows
    others = pd.DataFrame({
        "partition_date": pd.Timestamp("2026-11-01"), "run_id": "r1", "source_system": "crm_c", "source_file": "f.csv",
        "source_line": range(2, 1002), "source_record_id": [f"c{i}" for i in range(1000)],
        "full_name": [f"Person{i} Other{i}" for i in range(1000)], "given_name": [f"Person{i}" for i in range(1000)],
        "family_name": [f"Other{i}" for i in range(1000)], "gender": "U", "city": [f"City{i % 50}" for i in range(1000)],
        "email": [f"p{i}@example.com" for i in range(1000)], "email_valid": True, "phone_valid": True,
        "phone": [f"+1503555{i:04d}" for i in range(1000)], "quality_flags": [[] for _ in range(1000)]})
    people = pd.concat([people, others], ignore_index=True)
    with connect(tmp_path / "w.duckdb") as con:
        con.register("_rows", people)
        con.execute("insert into customers_clean by name select * from _rows")
        records.refresh(con)
        tails = dict(con.execute("select unique_id, phone_tail from match_records").fetchall())
        assert tails["crm_a:1"] is None and tails["crm_b:2"] is None
        assert tails["crm_a:3"] == "035550123"       # an unparsed number that is no filler keeps its digits
        table = con.sql(f"select {model.input_sql('r')} from match_records as r order by unique_id").to_arrow_table()
    matching = load_matching(repo / "rules")
    links = scoring.score(table, repo / "data/models/splink_model.json", matching.review_low,
                          matching.merge_threshold, ["l.email = r.email"]).links
    assert links["match_probability"].max() >= matching.merge_threshold
