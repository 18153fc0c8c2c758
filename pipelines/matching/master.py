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
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.matching import model, scoring
from pipelines.matching.clusters import cluster
from pipelines.matching.decisions import Decisions, load_decisions
from pipelines.matching.golden import golden_sql
from pipelines.matching.ids import assign_ids
from pipelines.rules import Matching, Survivorship
from pipelines.warehouse.store import sql, transaction

RECORDS = "_match_records"


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


@dataclass
class Previous:
    """What the last run left: each record's master, fingerprints and strongest link; ids issued and retired."""
    xref: pd.DataFrame       # unique_id (index), master_id, matched_at, match_probability, record_hash, scored_with
    issued: pd.Series        # master id -> when first issued
    retired: set


def _previous(con: duckdb.DuckDBPyConnection) -> Previous:
    xref = con.execute("select source_system || ':' || source_record_id as unique_id, master_id, matched_at, "
                       "match_probability, record_hash, scored_with from customer_xref").df().set_index("unique_id")
    issued = con.execute("select master_id, strftime(issued_at, '%Y-%m-%dT%H:%M:%S') as issued "
                         "from customer_master").df().set_index("master_id")["issued"]
    retired = {r[0] for r in con.execute("select old_id from master_id_history where change = 'merge'").fetchall()}
    return Previous(xref, issued, retired)


def fingerprint(model_path: Path, matching: Matching) -> str:
    """Changes when the model or the matching rules change: then every record is scored again."""
    digest = hashlib.sha256(model_path.read_bytes() if model_path.exists() else b"")
    digest.update(json.dumps([matching.merge_threshold, matching.review_low, list(matching.blocking_rules)]).encode())
    return digest.hexdigest()[:16]


def _dirty(records: pd.DataFrame, prev: Previous, decisions: Decisions, version: str) -> np.ndarray | None:
    """Records to score this run (None: all of them). New or changed records, and every record of a master
    that lost or changed a record or holds both sides of a cannot-link decision."""
    if prev.xref.empty or (prev.xref["scored_with"] != version).any():
        return None
    uid = records["unique_id"]
    before = uid.map(prev.xref["record_hash"])
    changed = (before.isna() | (before != records["record_hash"])).to_numpy()
    master_of = prev.xref["master_id"]
    gone = prev.xref.index.difference(pd.Index(uid))
    touched = set(master_of.reindex(gone)) | set(uid[changed].map(master_of).dropna())
    touched |= {master_of[a] for a, b in decisions.cannot_link
                if a in master_of.index and b in master_of.index and master_of[a] == master_of[b]}
    return changed | uid.map(master_of).isin(touched).to_numpy()


def _affected(records: pd.DataFrame, prev: Previous, dirty: np.ndarray | None, links: pd.DataFrame,
              decisions: Decisions, merge: float) -> np.ndarray:
    """Records whose master is rebuilt: the scored ones, and every record of a master they link to strongly,
    that a must-link joins to another master, or that a steward overrides."""
    if dirty is None:
        return np.ones(len(records), dtype=bool)
    master_of = records["unique_id"].map(prev.xref["master_id"])
    strong = links[links["match_probability"] >= merge]
    linked = pd.concat([strong["id_l"], strong["id_r"]]).map(prev.xref["master_id"])
    touched = set(linked.dropna())
    touched |= {prev.xref["master_id"].get(r) for a, b in decisions.must_link for r in (a, b)
                if prev.xref["master_id"].get(a) != prev.xref["master_id"].get(b)}
    touched |= {m for m, _field, _value in decisions.overrides}
    return dirty | master_of.isin(touched).to_numpy()


def _links_held(links: pd.DataFrame, master_of: pd.Series, merge: float) -> pd.Series:
    """Per record, the strongest link at or above merge to a record of the same master."""
    same = links[(links["match_probability"] >= merge)
                 & (links["id_l"].map(master_of) == links["id_r"].map(master_of))]
    ends = pd.concat([same[["id_l", "match_probability"]].rename(columns={"id_l": "uid"}),
                      same[["id_r", "match_probability"]].rename(columns={"id_r": "uid"})])
    return ends.groupby("uid")["match_probability"].max() if len(ends) else pd.Series(dtype=float)


def _write(con: duckdb.DuckDBPyConnection, full: bool, review: pd.DataFrame, replaced_records: list,
           touched_masters: list, scored_records: list, history: pd.DataFrame, decided: list) -> None:
    """Every master table changed in one transaction: rows of the touched masters and records replaced."""
    con.register("_replaced_records", pd.DataFrame({"unique_id": replaced_records}, dtype=object))
    con.register("_touched_frame", pd.DataFrame({"master_id": touched_masters}, dtype=object))
    con.register("_scored_records", pd.DataFrame({"unique_id": scored_records}, dtype=object))
    con.register("_decided", pd.DataFrame(decided, columns=["a", "b"], dtype=object))
    con.register("_new_review", review)
    try:
        with transaction(con):
            con.execute("create or replace temp table _touched_masters as select distinct master_id from _touched_frame")
            if full:
                for table in ("customer_master", "customer_xref", "match_review", "customer_name_history",
                              "customer_address_history"):
                    con.execute(f"delete from {table}")
            else:
                con.execute("delete from customer_master where master_id in (select master_id from _touched_masters)")
                con.execute("delete from customer_xref where source_system || ':' || source_record_id in "
                            "(select unique_id from _replaced_records)")
                con.execute("delete from match_review where unique_id_l in (select unique_id from _scored_records) "
                            "or unique_id_r in (select unique_id from _scored_records) "
                            "or unique_id_l in (select unique_id from _replaced_records "
                            "                   except select unique_id from " + RECORDS + ") "
                            "or unique_id_r in (select unique_id from _replaced_records "
                            "                   except select unique_id from " + RECORDS + ")")
                for table in ("customer_name_history", "customer_address_history"):
                    con.execute(f"delete from {table} where master_id in (select master_id from _touched_masters)")
            con.execute("insert into customer_master by name select * from _golden")
            con.execute("insert into customer_xref by name select * from _xref")
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
            con.execute(f"insert into customer_name_history by name {sql('customer_name_history')}")
            con.execute(f"insert into customer_address_history by name {sql('customer_address_history')}")
    finally:
        for name in ("_replaced_records", "_touched_frame", "_scored_records", "_decided", "_history",
                     "_new_review"):
            try:
                con.unregister(name)
            except Exception:  # noqa: BLE001 - not registered
                pass


def _stage_master_rows(con: duckdb.DuckDBPyConnection, assigned: pd.DataFrame, strongest: pd.DataFrame,
                       survivorship: Survivorship, decisions: Decisions, version: str, now: dt.datetime) -> None:
    """The new rows of the touched masters, built in DuckDB: _golden (survivorship, steward overrides, the
    issue time kept for ids that already existed) and _xref (each record's master, strongest link, when)."""
    con.register("_assigned", assigned)
    con.register("_strongest", strongest)
    try:
        con.execute(f"create or replace temp view matched as select r.*, a.master_id from {RECORDS} as r "
                    "join _assigned as a using (unique_id)")
        con.execute(f"""create or replace temp table _golden as
            select g.*, coalesce(m.issued_at, ?::timestamp) as issued_at
            from ({golden_sql(survivorship)}) as g left join customer_master as m using (master_id)""", [now])
        for master_id, field, value in decisions.overrides:  # field is a golden field name (checked at load)
            con.execute(f"update _golden set {field} = ?, {field}_source = 'steward' where master_id = ?",
                        [value, master_id])
        con.execute(f"""create or replace temp table _xref as
            select r.source_system, r.source_record_id, a.master_id, s.p as match_probability, r.record_hash,
                   ? as scored_with,
                   case when x.master_id = a.master_id then x.matched_at else ?::timestamp end as matched_at
            from {RECORDS} as r
            join _assigned as a using (unique_id)
            left join _strongest as s using (unique_id)
            left join customer_xref as x
              on x.source_system = r.source_system and x.source_record_id = r.source_record_id""",
                    [version, now])
    finally:
        con.execute("drop view if exists matched")
        con.unregister("_assigned")
        con.unregister("_strongest")


def build_masters(con: duckdb.DuckDBPyConnection, matching: Matching, survivorship: Survivorship,
                  model_path: Path, decisions_path: Path, now: dt.datetime | None = None,
                  full: bool = False) -> MasterResult:
    """Match customers_clean into customer masters. Incremental unless full: only new or changed records (and
    the masters they touch) are scored, against every record, and only touched masters are rebuilt. Both give
    the same clusters; full is the explicit rebuild."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    con.execute(f"create or replace temp table {RECORDS} as {sql('match_records')}")
    records = con.sql(f"select unique_id, first_seen, record_hash from {RECORDS}").df()
    trained = False
    if not model_path.exists() and len(records) > 1:
        model.train(con.sql(f"select * from {RECORDS}").df(), matching, model_path)
        trained = True
    version = fingerprint(model_path, matching)
    decisions: Decisions = load_decisions(decisions_path)
    prev = _previous(con)
    dirty = None if full else _dirty(records, prev, decisions, version)
    if model_path.exists():
        columns = ", ".join(model.INPUT_COLUMNS)
        scored = scoring.score(con.sql(f"select {columns} from {RECORDS}").to_arrow_table(), model_path,
                               matching.review_low, matching.merge_threshold, list(matching.blocking_rules), dirty)
    else:
        scored = scoring.empty()
    links = scored.links

    affected = _affected(records, prev, dirty, links, decisions, matching.merge_threshold)
    mine = records[affected]
    uids = mine["unique_id"]
    previous = uids.map(prev.xref["master_id"])
    if dirty is None:
        carried = pd.Series(dtype=object)
    else:
        carried = uids[~dirty[affected]]
    anchors = carried.groupby(carried.map(prev.xref["master_id"])).transform("first")
    inside = links[links["id_l"].isin(uids) & links["id_r"].isin(uids)]
    clusters = cluster(uids, inside, matching.merge_threshold,
                       decisions.must_link + list(zip(anchors, carried)), decisions.cannot_link)
    assignment = assign_ids(clusters, pd.Series(mine["first_seen"].astype(str).to_numpy(), index=uids),
                            pd.Series(previous.to_numpy(), index=uids), prev.issued, prev.retired)
    master_of = assignment.master_of

    strongest = _links_held(links, master_of, matching.merge_threshold)
    kept = prev.xref["match_probability"].reindex(carried).dropna()
    strongest = pd.concat([strongest, kept]).groupby(level=0).max() if len(kept) else strongest
    _stage_master_rows(con, pd.DataFrame({"unique_id": uids.to_numpy(), "master_id": master_of.to_numpy()}),
                       pd.DataFrame({"unique_id": strongest.index.to_numpy(), "p": strongest.to_numpy(float)}),
                       survivorship, decisions, version, now)

    review = scored.review.rename(columns={"id_l": "unique_id_l", "id_r": "unique_id_r"})
    review = review.assign(master_id_l=review["unique_id_l"].map(master_of),
                           master_id_r=review["unique_id_r"].map(master_of))
    gone = prev.xref.index.difference(pd.Index(records["unique_id"]))
    touched = sorted(set(previous.dropna()) | set(master_of) | set(prev.xref["master_id"].reindex(gone).dropna()))
    scored_records = uids.tolist() if dirty is None else records.loc[dirty, "unique_id"].tolist()
    history = assignment.history.assign(changed_at=now)
    _write(con, dirty is None,
           review,
           uids.tolist() + gone.tolist(), touched, scored_records, history,
           decisions.cannot_link + decisions.must_link)
    counts = con.execute("select (select count(*) from customer_master), (select count(*) from match_review)"
                         ).fetchone()
    return MasterResult(len(records), counts[0], counts[1], int((history["change"] == "merge").sum()),
                        int((history["change"] == "split").sum()), trained, len(scored_records), dirty is None,
                        len(touched))
