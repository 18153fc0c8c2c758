"""Builds customer master records from customers_clean: score, cluster, keep ids stable, golden records.

A run works on the records it has to: in a full run every record; otherwise the new and changed records,
the masters they touch (a changed or vanished record, a steward decision, a strong link from a new record)
and nothing else. Untouched masters keep their rows; touched ones are rebuilt and replaced in one
transaction, so both kinds of run give the same clusters and ids.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.ingest import salesforce_18
from pipelines.matching import model, records, scoring
from pipelines.matching.clusters import cluster
from pipelines.matching.decisions import Decisions, load_decisions, split_extension
from pipelines.matching.golden import golden_sql
from pipelines.matching.ids import ID_STEM, assign_ids, record_id_sql
from pipelines.rules import Matching, Survivorship
from pipelines.warehouse.store import scattered_transaction, sql, transaction

RECORDS = records.TABLE
UID = "source_system || ':' || source_record_id"   # a record's unique_id, from its key columns
# the tables a run replaces rows of (master_id_history is only added to)
MASTER_TABLES = ("customer_master", "customer_xref", "match_review", "customer_name_history",
                 "customer_address_history")


@dataclass
class MasterResult:
    records: int
    masters: int
    review_pairs: int
    merges: int
    splits: int
    trained: bool
    scored: int = 0          # records scored this run (all of them in a full run)
    full: bool = True
    touched: int = 0         # masters rebuilt this run
    unapplied_decisions: list[str] = field(default_factory=list)  # steward decisions that did nothing, and why


PENDING = "master_rebuild_pending"


def _full_pending(con: duckdb.DuckDBPyConnection, wanted: bool) -> bool:
    """Whether this run rebuilds every master: wanted now, or wanted by an earlier run that failed after it had
    brought match_records up to date (its backfill would otherwise be forgotten). Cleared by a full build."""
    con.execute(f"create table if not exists {PENDING} (since timestamp)")
    if wanted:
        con.execute(f"insert into {PENDING} select current_timestamp where not exists (select 1 from {PENDING})")
    return con.execute(f"select count(*) > 0 from {PENDING}").fetchall()[0][0]


def fingerprint(model_path: Path, matching: Matching) -> str:
    """Changes when the model, the matching rules or the SQL building the model's input (match_records.sql)
    change: then every record is scored again."""
    digest = hashlib.sha256(model_path.read_bytes() if model_path.exists() else b"")
    digest.update(sql("match_records").encode("utf-8"))
    digest.update(json.dumps([matching.merge_threshold, matching.review_low, list(matching.blocking_rules),
                              matching.birth_years_apart, list(model.FOLDED)]).encode())
    return digest.hexdigest()[:16]


def _with_links(version: str, decisions: Decisions) -> str:
    """The scoring version with the steward's must-link and cannot-link pairs folded in: a pair added or
    withdrawn scores every record again on the next run, as a model change does. (An incremental run undid
    nothing when a decision was withdrawn: only a full rebuild did, and a later backfill then changed the
    clusters silently.)"""
    pairs = json.dumps([sorted(sorted(p) for p in decisions.must_link),
                        sorted(sorted(p) for p in decisions.cannot_link)])
    return hashlib.sha256(f"{version}|{pairs}".encode()).hexdigest()[:16]


def _merged_into(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """old id -> the id it was merged into, from master_id_history."""
    return dict(con.execute("select old_id, new_id from master_id_history where change = 'merge'").fetchall())


def _current_overrides(decisions: Decisions, into: dict[str, str], held: dict[str, str]) -> Decisions:
    """decisions with each override's master id replaced by the master it applies to now: the one holding the
    record the id was issued for (held: id -> that master), so an override stays with its person when a merge
    is undone; else the id followed through the merges `into` (old id -> new id) to the id that survived them,
    so a steward's override of a master merged away since applies to the master its records joined."""
    def surviving(master_id: str) -> str:
        seen = {master_id}
        while master_id in into and into[master_id] not in seen:
            master_id = into[master_id]
            seen.add(master_id)
        return master_id
    return replace(decisions, overrides=[(held.get(m) or surviving(m), f, v) for m, f, v in decisions.overrides])


def _origins(con: duckdb.DuckDBPyConnection, ids: set[str]) -> dict[str, str]:
    """master id -> the record it was issued for (ids.new_id: the hash of the cluster's earliest record; a
    clash's '-n' aside), for the ids whose record the masters still hold. Hashes every record: only for the few
    ids steward overrides name."""
    if not ids:
        return {}
    rows = con.execute(f"""select o.master_id, min(r.unique_id)
        from (select unnest(?::varchar[]) as master_id) as o
        join {RECORDS} as r on {record_id_sql('r.unique_id')} = left(o.master_id, {ID_STEM})
        group by o.master_id""", [sorted(ids)]).fetchall()
    return dict(rows)


def _xref_masters(con: duckdb.DuckDBPyConnection, records: set[str]) -> dict[str, str]:
    """record id -> its master in customer_xref (the last run's), for a few records."""
    if not records:
        return {}
    return dict(con.execute(f"select {UID}, master_id from customer_xref where {UID} in "
                            "(select unnest(?::varchar[]))", [sorted(records)]).fetchall())


def _present(con: duckdb.DuckDBPyConnection, table: str, column: str, values: set[str]) -> set[str]:
    """Which of a few values the column holds (only those are looked up, not the whole column)."""
    if not values:
        return set()
    return {v for (v,) in con.execute(f"select distinct {column} from {table} where {column} in "
                                      f"(select unnest(?::varchar[]))", [sorted(values)]).fetchall()}


def _unapplied(con: duckdb.DuckDBPyConnection, decisions: Decisions) -> list[str]:
    """Steward decisions that did nothing this run, each with why (ids only, never a value): an override of an
    id no master carries, a pair naming a record the masters do not hold or one record twice, a pair both linked
    and kept apart."""
    overridden = {m for m, _f, _v in decisions.overrides}
    masters = _present(con, "customer_master", "master_id", overridden)
    named = {r for pairs in (decisions.must_link, decisions.cannot_link) for pair in pairs for r in pair}
    known = _present(con, RECORDS, "unique_id", named)
    out = [f"override of {m}: no master carries this id (unknown, or retired with all its records)"
           for m in sorted(overridden - masters)]
    for kind, pairs in (("must_link", decisions.must_link), ("cannot_link", decisions.cannot_link)):
        for a, b in pairs:
            missing = [r for r in (a, b) if r not in known]
            if a == b:
                out.append(f"{kind} {a} {b}: names one record twice (a Salesforce id's 15- and 18-character forms "
                           "are one record)")
            elif missing:
                out.append(f"{kind} {a} {b}: no clean record {' or '.join(missing)}")
    apart = {frozenset(p) for p in decisions.cannot_link}
    out += [f"must_link {a} {b} contradicts a cannot_link of the same pair: they are kept apart"
            for a, b in decisions.must_link if frozenset((a, b)) in apart]
    return out


def _salesforce_ids(con: duckdb.DuckDBPyConnection, decisions: Decisions, sources: frozenset[str]) -> Decisions:
    """The pairs with a record of a source keeping Salesforce ids (record_id_format: salesforce) named by its
    15-character id (the UI's, a report's) naming it by its 18-character one, as ingest writes it."""
    named = sorted({r for pairs in (decisions.must_link, decisions.cannot_link) for pair in pairs for r in pair
                    if r.split(":", 1)[0] in sources})
    if not named:
        return decisions
    rid = "substr(r, strpos(r, ':') + 1)"
    wide = dict(con.execute(f"select r, split_part(r, ':', 1) || ':' || {salesforce_18(rid)} "
                            "from unnest(?::varchar[]) as t(r)", [named]).fetchall())
    return replace(decisions, must_link=[(wide.get(a, a), wide.get(b, b)) for a, b in decisions.must_link],
                   cannot_link=[(wide.get(a, a), wide.get(b, b)) for a, b in decisions.cannot_link])


def _register_decisions(con: duckdb.DuckDBPyConnection, decisions: Decisions) -> None:
    """The steward's pairs and overridden masters as temp tables the set logic below joins."""
    for name, pairs in (("_must_link", decisions.must_link), ("_cannot_link", decisions.cannot_link)):
        con.execute(f"create or replace temp table {name} (a varchar, b varchar)")
        if pairs:
            con.executemany(f"insert into {name} values (?, ?)", [list(p) for p in pairs])
    con.execute("create or replace temp table _override_masters (master_id varchar)")
    if decisions.overrides:
        con.executemany("insert into _override_masters values (?)", [[m] for m, _f, _v in decisions.overrides])


def _previous(con: duckdb.DuckDBPyConnection) -> None:
    """_prev: each record's master, fingerprint and strongest link from the last run; _gone: its records that
    are no longer in customers_clean."""
    con.execute(f"""create or replace temp table _prev as
        select {UID} as unique_id, master_id, match_probability, record_hash, golden_hash, scored_with
        from customer_xref""")
    con.execute(f"create or replace temp table _gone as select unique_id, master_id from _prev "
                f"anti join {RECORDS} using (unique_id)")


def golden_version(survivorship: Survivorship) -> str:
    """Changes when what builds golden records and histories changes (rules/survivorship.yaml, their SQL): then
    every master's golden record is rebuilt on the next run (customer_xref.golden_hash folds it in)."""
    text = golden_sql(survivorship) + sql("customer_name_history") + sql("customer_address_history")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _dirty(con: duckdb.DuckDBPyConnection, version: str, golden: str) -> bool:
    """_dirty: the records to score this run. New or changed records, and every record of a master that lost
    or changed a record or holds both sides of a cannot-link decision. False when everything is to be scored
    (no previous run, or the model or rules changed since)."""
    fresh, stale = con.execute("select count(*) = 0, count(*) filter (where scored_with is distinct from ?) > 0 "
                               "from _prev", [version]).fetchall()[0]
    if fresh or stale:
        return False
    con.execute(f"""create or replace temp table _touched as
        select master_id from _gone
        union
        select p.master_id from {RECORDS} as r join _prev as p using (unique_id)
        where p.record_hash is distinct from r.record_hash
        union
        select pa.master_id from _cannot_link as c
        join _prev as pa on pa.unique_id = c.a join _prev as pb on pb.unique_id = c.b
        where pa.master_id = pb.master_id""")
    con.execute(f"""create or replace temp table _dirty as
        select r.unique_id from {RECORDS} as r left join _prev as p using (unique_id)
        where p.unique_id is null or p.record_hash is distinct from r.record_hash
           or p.master_id in (select master_id from _touched)""")
    # masters whose golden record reads something new (an opt-out, a newer update, another night seen): rebuilt
    # with their clusters kept, their records not scored again
    con.execute(f"""create or replace temp table _regolden as
        select distinct p.master_id from {RECORDS} as r join _prev as p using (unique_id)
        where p.golden_hash is distinct from md5(r.golden_hash || ?)""", [golden])
    return True


def _affected(con: duckdb.DuckDBPyConnection, links: pd.DataFrame, merge: float) -> None:
    """_mine: the records whose master is rebuilt (unique_id, first_seen, previous master and strongest link,
    dirty). The scored ones, and every record of a master they link to strongly, that a must-link joins to
    another master, or that a steward overrides."""
    con.register("_links_frame", links[links["match_probability"] >= merge][["id_l", "id_r"]])
    try:
        con.execute("""create or replace temp table _affected_masters as
            select master_id from _touched
            union select master_id from _regolden
            union select p.master_id from _links_frame as l join _prev as p on p.unique_id = l.id_l
            union select p.master_id from _links_frame as l join _prev as p on p.unique_id = l.id_r
            union select p.master_id from (select a, b from _must_link union all select b, a from _must_link) as m
                  join _prev as p on p.unique_id = m.a left join _prev as q on q.unique_id = m.b
                  where q.master_id is distinct from p.master_id
            union select master_id from _override_masters""")
    finally:
        con.unregister("_links_frame")
    con.execute(f"""create or replace temp table _mine as
        select r.unique_id, r.first_seen, p.master_id as previous, p.match_probability as previous_p,
               d.unique_id is not null as dirty
        from {RECORDS} as r left join _prev as p using (unique_id) left join _dirty as d using (unique_id)
        where d.unique_id is not null or p.master_id in (select master_id from _affected_masters)""")


def _all_mine(con: duckdb.DuckDBPyConnection) -> None:
    """_mine for a full run: every record, its previous master kept so ids stay stable."""
    con.execute(f"""create or replace temp table _mine as
        select r.unique_id, r.first_seen, p.master_id as previous, p.match_probability as previous_p,
               true as dirty
        from {RECORDS} as r left join _prev as p using (unique_id)""")


def _taken(con: duckdb.DuckDBPyConnection):
    """Which of some candidate ids are issued already or were retired by a merge (a new id must be neither). An
    id retired because its records left is free again for the record it was made from: when that record comes
    back (delivered again, restored in its source), its person gets the id back ('reissued')."""
    def taken(ids: list[str]) -> set[str]:
        if not ids:
            return set()
        con.register("_candidates", pd.DataFrame({"id": ids}, dtype=object))
        try:
            return {r[0] for r in con.execute(
                "select id from _candidates semi join customer_master on master_id = id union "
                "select id from _candidates semi join master_id_history on old_id = id and change = 'merge'"
            ).fetchall()}
        finally:
            con.unregister("_candidates")
    return taken


def _links_held(links: pd.DataFrame, master_of: pd.Series, merge: float) -> pd.Series:
    """Per record, the strongest link at or above merge to a record of the same master."""
    same = links[(links["match_probability"] >= merge)
                 & (links["id_l"].map(master_of) == links["id_r"].map(master_of))]
    ends = pd.concat([same[["id_l", "match_probability"]].rename(columns={"id_l": "uid"}),
                      same[["id_r", "match_probability"]].rename(columns={"id_r": "uid"})])
    return ends.groupby("uid")["match_probability"].max() if len(ends) else pd.Series(dtype=float)


def _write(con: duckdb.DuckDBPyConnection, full: bool, review: pd.DataFrame, history: pd.DataFrame,
           decided: list, now: dt.datetime) -> None:
    """Every master table changed in one transaction: rows of the touched masters (_mine's previous masters,
    their new ones, those of vanished records) and of the records rebuilt (_mine, _gone) replaced."""
    con.execute("""create or replace temp table _touched_masters as
        select previous as master_id from _mine where previous is not null
        union select master_id from _assigned union select master_id from _gone""")
    con.register("_decided", pd.DataFrame(decided, columns=["a", "b"], dtype=object))
    con.register("_new_review", review)
    try:
        with transaction(con) if full else scattered_transaction(con, MASTER_TABLES):
            if full:
                for table in MASTER_TABLES:
                    con.execute(f"delete from {table}")
                con.execute("insert into customer_master by name select * from _golden")
                con.execute("insert into customer_xref by name select * from _xref")
            else:
                _replace_rows(con, "customer_master", "_golden", "master_id", "select master_id from _touched_masters")
                _replace_rows(con, "customer_xref", "_xref", UID,
                              "select unique_id from _mine union all select unique_id from _gone")
                con.execute("delete from match_review where unique_id_l in (select unique_id from _mine where dirty) "
                            "or unique_id_r in (select unique_id from _mine where dirty) "
                            "or unique_id_l in (select unique_id from _gone) "
                            "or unique_id_r in (select unique_id from _gone)")
            con.execute("insert into match_review by name select * from _new_review")
            # review pairs: current masters on both sides; gone when merged or decided by a steward
            if not full:  # stored pairs of carried records whose master was rebuilt get the new master ids
                con.execute("""
                    update match_review as r set master_id_l = l.master_id, master_id_r = x.master_id
                    from customer_xref as l, customer_xref as x
                    where l.source_system || ':' || l.source_record_id = r.unique_id_l
                      and x.source_system || ':' || x.source_record_id = r.unique_id_r
                      and (r.master_id_l is null or r.master_id_r is null
                           or r.master_id_l in (select master_id from _touched_masters)
                           or r.master_id_r in (select master_id from _touched_masters))""")
            con.execute("delete from match_review where master_id_l = master_id_r or (least(unique_id_l, unique_id_r), "
                        "greatest(unique_id_l, unique_id_r)) in (select (least(a, b), greatest(a, b)) from _decided)")
            if len(history):
                con.register("_history", history)
                con.execute("insert into master_id_history by name select * from _history")
            # ids whose every record left (a re-delivery without them, deleted in the source): retired, said so
            con.execute("""insert into master_id_history by name
                select master_id as old_id, null as new_id, 'retired' as change,
                       'its records are no longer in customers_clean, or their source deleted them' as reason,
                       ? as changed_at
                from (select distinct master_id from _prev
                      except select master_id from customer_master
                      except select old_id from master_id_history where change = 'merge')""", [now])
            # retired ids issued again: the record they were made from came back
            con.execute("""insert into master_id_history by name
                select master_id as old_id, master_id as new_id, 'reissued' as change,
                       'the record it was made from is in customers_clean again' as reason, ? as changed_at
                from (select master_id from customer_master except select master_id from _prev)
                semi join (select old_id from master_id_history group by old_id
                           having arg_max(change, changed_at) = 'retired') on old_id = master_id""", [now])
            for table in ("customer_name_history", "customer_address_history"):
                if full:
                    con.execute(f"insert into {table} by name {sql(table)}")
                else:
                    con.execute(f"create or replace temp table _rebuilt as {sql(table)}")
                    _replace_rows(con, table, "_rebuilt", "master_id", "select master_id from _touched_masters")
    finally:
        for name in ("_decided", "_history", "_new_review"):
            try:
                con.unregister(name)
            except Exception:  # noqa: BLE001 - not registered
                pass


def _replace_rows(con: duckdb.DuckDBPyConnection, table: str, staged: str, key: str, scope: str) -> None:
    """Replace table's rows whose key is in scope (a select of key values) by staged's, touching only keys
    whose rows differ: every row group a delete touches is rewritten at DuckDB's next checkpoint, and rows
    that come back unchanged (a rerun, a master that only gained a review pair) need not be."""
    con.execute(f"create or replace temp table _staged as select * from {table} limit 0")
    con.execute(f"insert into _staged by name select * from {staged}")
    con.execute(f"create or replace temp table _old as select * from {table} where {key} in ({scope})")
    con.execute(f"""create or replace temp table _changed_keys as
        select {key} as k from (select * from _old except all select * from _staged)
        union select {key} from (select * from _staged except all select * from _old)""")
    con.execute(f"delete from {table} where {key} in (select k from _changed_keys)")
    con.execute(f"insert into {table} select * from _staged where {key} in (select k from _changed_keys)")


def _stage_master_rows(con: duckdb.DuckDBPyConnection, assigned: pd.DataFrame, strongest: pd.DataFrame,
                       survivorship: Survivorship, decisions: Decisions, version: str, golden: str,
                       now: dt.datetime) -> None:
    """The new rows of the touched masters, built in DuckDB: _golden (survivorship, steward overrides, the
    issue time kept for ids that already existed) and _xref (each record's master, strongest link, when)."""
    con.register("_assigned_frame", assigned)
    con.execute("create or replace temp table _assigned as select * from _assigned_frame")
    con.unregister("_assigned_frame")
    con.register("_strongest", strongest)
    try:
        con.execute(f"create or replace temp view matched as select r.*, a.master_id from {RECORDS} as r "
                    "join _assigned as a using (unique_id)")
        con.execute(f"""create or replace temp table _golden as
            select g.*, coalesce(m.issued_at, ?::timestamp) as issued_at
            from ({golden_sql(survivorship)}) as g left join customer_master as m using (master_id)""", [now])
        for master_id, name, value in decisions.overrides:  # name is a golden field's (checked at load)
            # the steward's number comes with its own extension, or none
            values = dict(zip(("phone", "phone_extension"), split_extension(value))) if name == "phone" else {name: value}
            assigned = "".join(f"{column} = ?, " for column in values)
            con.execute(f"update _golden set {assigned}{name}_source = 'steward' where master_id = ?",
                        [*values.values(), master_id])
        con.execute(f"""create or replace temp table _xref as
            select r.source_system, r.source_record_id, a.master_id, s.p as match_probability, r.record_hash,
                   md5(r.golden_hash || ?) as golden_hash, ? as scored_with,
                   case when x.master_id = a.master_id then x.matched_at else ?::timestamp end as matched_at
            from {RECORDS} as r
            join _assigned as a using (unique_id)
            left join _strongest as s using (unique_id)
            left join customer_xref as x
              on x.source_system = r.source_system and x.source_record_id = r.source_record_id""",
                    [golden, version, now])
    finally:
        con.execute("drop view if exists matched")
        con.unregister("_strongest")


def _score(con: duckdb.DuckDBPyConnection, matching: Matching, model_path: Path, incremental: bool) -> scoring.Scored:
    """Links and review pairs from the saved model: every record in a full run, else the _dirty ones."""
    if not model_path.exists():
        return scoring.empty()
    columns = model.input_sql("r")
    flag = "d.unique_id is not null" if incremental else "true"
    table = con.sql(f"select {columns}, {flag} as _dirty from {RECORDS} as r "
                    + ("left join _dirty as d using (unique_id)" if incremental else "")).to_arrow_table()
    dirty = table.column("_dirty").to_numpy(zero_copy_only=False) if incremental else None
    return scoring.score(table.drop_columns(["_dirty"]), model_path, matching.review_low, matching.merge_threshold,
                         list(matching.blocking_rules), dirty, matching.birth_years_apart)


def build_masters(con: duckdb.DuckDBPyConnection, matching: Matching, survivorship: Survivorship,
                  model_path: Path, decisions_path: Path, now: dt.datetime | None = None,
                  full: bool = False, salesforce_sources: frozenset[str] = frozenset(),
                  extension_markers: tuple[str, ...] = ()) -> MasterResult:
    """Match customers_clean into customer masters. Incremental unless full: only new or changed records (and
    the masters they touch) are scored, against every record, and only touched masters are rebuilt. Both give
    the same clusters; full is the explicit rebuild, and what a backfill gets (records.backfilled)."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    full = _full_pending(con, full or records.backfilled(con))
    records.refresh(con, full)
    n_records = con.execute(f"select count(*) from {RECORDS}").fetchall()[0][0]
    trained = False
    if not model_path.exists() and n_records > 1:
        model.train(con.sql(f"select * from {RECORDS} order by unique_id").df(), matching, model_path)
        trained = True
    merged_into = _merged_into(con)
    loaded = _salesforce_ids(con, load_decisions(decisions_path, extension_markers), salesforce_sources)
    version = _with_links(fingerprint(model_path, matching), loaded)
    origins = _origins(con, {m for m, _f, _v in loaded.overrides})
    last_masters = _xref_masters(con, set(origins.values()))
    decisions: Decisions = _current_overrides(
        loaded, merged_into, {m: last_masters[r] for m, r in origins.items() if r in last_masters})
    _register_decisions(con, decisions)
    _previous(con)
    golden = golden_version(survivorship)
    incremental = not full and _dirty(con, version, golden)
    scored = _score(con, matching, model_path, incremental)
    links = scored.links
    if incremental:
        _affected(con, links, matching.merge_threshold)
    else:
        _all_mine(con)

    mine = con.sql("select * from _mine order by unique_id").df()
    uids = mine["unique_id"]
    previous = pd.Series(mine["previous"].to_numpy(), index=uids, dtype=object)
    carried = mine[~mine["dirty"].to_numpy(bool)]
    anchors = carried.groupby("previous")["unique_id"].transform("first")
    inside = links[links["id_l"].isin(uids) & links["id_r"].isin(uids)]
    clusters = cluster(uids, inside, matching.merge_threshold,
                       decisions.must_link + list(zip(anchors, carried["unique_id"])), decisions.cannot_link)
    issued = con.execute("select master_id, strftime(issued_at, '%Y-%m-%dT%H:%M:%S') as issued from customer_master "
                         "where master_id in (select previous from _mine)").df().set_index("master_id")["issued"]
    assignment = assign_ids(clusters, pd.Series(mine["first_seen"].astype(str).to_numpy(), index=uids),
                            previous, issued, _taken(con))
    master_of = assignment.master_of

    # an override applies to the master now holding its id's record, else to the master that survives its id
    merges = assignment.history[assignment.history["change"] == "merge"]
    now_masters = {**last_masters, **{r: master_of[r] for r in origins.values() if r in master_of.index}}
    decisions = _current_overrides(loaded, {**merged_into, **dict(zip(merges["old_id"], merges["new_id"]))},
                                   {m: now_masters[r] for m, r in origins.items() if r in now_masters})
    strongest = _links_held(links, master_of, matching.merge_threshold)
    kept = carried.set_index("unique_id")["previous_p"].dropna()
    strongest = pd.concat([strongest, kept]).groupby(level=0).max() if len(kept) else strongest
    _stage_master_rows(con, pd.DataFrame({"unique_id": uids.to_numpy(), "master_id": master_of.to_numpy()}),
                       pd.DataFrame({"unique_id": strongest.index.to_numpy(), "p": strongest.to_numpy(float)}),
                       survivorship, decisions, version, golden, now)

    review = scored.review.rename(columns={"id_l": "unique_id_l", "id_r": "unique_id_r"})
    review = review.assign(master_id_l=review["unique_id_l"].map(master_of),
                           master_id_r=review["unique_id_r"].map(master_of))
    history = assignment.history.assign(changed_at=now)
    _write(con, not incremental, review, history, decisions.cannot_link + decisions.must_link, now)
    if not incremental:
        con.execute(f"delete from {PENDING}")
    touched = con.execute("select count(*) from _touched_masters").fetchall()[0][0]
    counts = con.execute("select (select count(*) from customer_master), (select count(*) from match_review)"
                         ).fetchall()[0]
    return MasterResult(n_records, counts[0], counts[1], int((history["change"] == "merge").sum()),
                        int((history["change"] == "split").sum()), trained, int(mine["dirty"].sum()),
                        not incremental, touched, _unapplied(con, decisions))
