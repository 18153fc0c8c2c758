"""Builds customer master records from customers_clean: score, cluster, keep ids stable, golden records."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.matching import model
from pipelines.matching.clusters import cluster
from pipelines.matching.decisions import Decisions, load_decisions
from pipelines.matching.golden import golden_sql
from pipelines.matching.ids import assign_ids
from pipelines.rules import Matching, Survivorship
from pipelines.warehouse.store import replace_tables, sql

EVIDENCE = ("full_name", "phone", "email", "birth_date", "city", "district", "street", "postcode", "gender")


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


@dataclass
class Previous:
    """What the last run left: each record's master, fingerprints and strongest link; ids issued and retired."""
    xref: pd.DataFrame       # unique_id, master_id, matched_at, match_probability, record_hash, scored_with
    review: pd.DataFrame     # match_review as stored
    issued: dict
    retired: set

    @property
    def master_of(self) -> dict:
        return dict(zip(self.xref["unique_id"], self.xref["master_id"]))


def _previous(con: duckdb.DuckDBPyConnection) -> Previous:
    xref = con.execute("select source_system || ':' || source_record_id as unique_id, master_id, matched_at, "
                       "match_probability, record_hash, scored_with from customer_xref").df()
    review = con.execute("select * from match_review").df()
    issued = dict(con.execute("select master_id, strftime(issued_at, '%Y-%m-%dT%H:%M:%S') "
                              "from customer_master").fetchall())
    retired = {r[0] for r in con.execute("select old_id from master_id_history where change = 'merge'").fetchall()}
    return Previous(xref, review, issued, retired)


def fingerprint(model_path: Path, matching: Matching) -> str:
    """Changes when the model or the matching rules change: then every record is scored again."""
    digest = hashlib.sha256(model_path.read_bytes() if model_path.exists() else b"")
    digest.update(json.dumps([matching.merge_threshold, matching.review_low, list(matching.blocking_rules)]).encode())
    return digest.hexdigest()[:16]


def _dirty(records: pd.DataFrame, prev: Previous, decisions: Decisions, version: str) -> pd.Series | None:
    """Records to score this run (None: all of them). New or changed records, and every record of a master
    that lost or changed a record or holds both sides of a cannot-link decision, are scored again; the other
    masters are carried over as they were."""
    if prev.xref.empty or (prev.xref["scored_with"] != version).any():
        return None
    before = prev.xref.set_index("unique_id")["record_hash"]
    known = records["unique_id"].map(before)
    changed = known.isna() | (known != records["record_hash"])
    master_of = prev.master_of
    gone = set(before.index) - set(records["unique_id"])
    touched = {master_of[u] for u in gone}
    touched |= set(records.loc[changed, "unique_id"].map(master_of).dropna())
    touched |= {master_of[a] for a, b in decisions.cannot_link
                if a in master_of and master_of.get(a) == master_of.get(b)}
    return changed | records["unique_id"].map(master_of).isin(touched)


def _evidence(pairs: pd.DataFrame) -> list[str]:
    cols = [c for c in EVIDENCE if f"{c}_l" in pairs]
    gammas = [c for c in pairs.columns if c.startswith("gamma_")]
    rows = pairs[[f"{c}_{s}" for c in cols for s in "lr"] + gammas].astype(object)
    rows = rows.where(rows.notna(), None)
    out = []
    for rec in rows.itertuples(index=False, name=None):
        values = dict(zip(rows.columns, rec))
        out.append(json.dumps({
            "levels": {g[6:]: values[g] for g in gammas},
            "values": {c: [str(values[f"{c}_l"]) if values[f"{c}_l"] is not None else None,
                           str(values[f"{c}_r"]) if values[f"{c}_r"] is not None else None] for c in cols},
        }, ensure_ascii=False))
    return out


def _review(edges: pd.DataFrame, prev: Previous, scored: pd.Series, master_of: dict, matching: Matching,
            decisions: Decisions) -> pd.DataFrame:
    """Pairs in the review band that the run left in different masters and no steward has decided: the pairs
    scored now, and the stored ones between records that were not scored again."""
    review = edges[edges["match_probability"] < matching.merge_threshold]
    fresh = pd.DataFrame({"unique_id_l": review["id_l"], "unique_id_r": review["id_r"],
                          "match_probability": review["match_probability"], "evidence": _evidence(review)})
    rescored = set(scored[scored].index)
    kept = prev.review[~prev.review["unique_id_l"].isin(rescored) & ~prev.review["unique_id_r"].isin(rescored)
                       & prev.review["unique_id_l"].isin(master_of) & prev.review["unique_id_r"].isin(master_of)]
    out = pd.concat([f for f in (fresh, kept[fresh.columns]) if len(f)] or [fresh], ignore_index=True)
    out["master_id_l"] = out["unique_id_l"].map(master_of)
    out["master_id_r"] = out["unique_id_r"].map(master_of)
    decided = {tuple(sorted(p)) for p in decisions.cannot_link + decisions.must_link}
    undecided = pd.Series([tuple(sorted(p)) not in decided for p in zip(out["unique_id_l"], out["unique_id_r"])],
                          index=out.index, dtype=bool)
    out = out[(out["master_id_l"] != out["master_id_r"]) & undecided]
    return out.sort_values(["match_probability", "unique_id_l", "unique_id_r"], ascending=[False, True, True])


def build_masters(con: duckdb.DuckDBPyConnection, matching: Matching, survivorship: Survivorship,
                  model_path: Path, decisions_path: Path, now: dt.datetime | None = None,
                  full: bool = False) -> MasterResult:
    """Match customers_clean into customer masters. Incremental unless full: only new or changed records (and
    the masters they touch) are scored, against every record; the rest keep their masters. Both give the same
    clusters; full is the explicit rebuild."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    records = con.execute(sql("match_records")).df()
    trained = False
    if not model_path.exists() and len(records) > 1:
        model.train(records, matching, model_path)
        trained = True
    version = fingerprint(model_path, matching)
    decisions: Decisions = load_decisions(decisions_path)
    prev = _previous(con)
    dirty = None if full else _dirty(records, prev, decisions, version)
    scored = pd.Series(True if dirty is None else dirty.to_numpy(), index=records["unique_id"])
    pairs = model.score(records, model_path, matching.review_low, dirty) if model_path.exists() else \
        pd.DataFrame(columns=model.PAIR_COLUMNS)
    edges = pairs.rename(columns={"unique_id_l": "id_l", "unique_id_r": "id_r"})

    # Masters that were not scored again stay together: their records are chained like must-links.
    previous = prev.master_of
    carried = records.loc[~scored.to_numpy(), "unique_id"]
    anchors = carried.groupby(carried.map(previous)).transform("first")
    keep_together = list(zip(anchors, carried))
    clusters = cluster(records["unique_id"].tolist(), edges, matching.merge_threshold,
                       decisions.must_link + keep_together, decisions.cannot_link)
    first_seen = dict(zip(records["unique_id"], records["first_seen"].astype(str)))
    assignment = assign_ids(clusters, first_seen, previous, prev.issued, prev.retired)
    master_of = assignment.master_of

    matched = records.assign(master_id=records["unique_id"].map(master_of))
    con.register("matched", matched)
    try:
        master = con.execute(golden_sql(survivorship)).df()
    finally:
        con.unregister("matched")
    stamp = now.isoformat()
    master["issued_at"] = pd.to_datetime(master["master_id"].map(prev.issued).fillna(stamp))
    for master_id, field, value in decisions.overrides:
        hit = master["master_id"] == master_id
        master.loc[hit, field] = value
        master.loc[hit, f"{field}_source"] = "steward"

    # The strongest link that holds each record in its master: this run's links, or the stored one.
    same = edges[(edges["match_probability"] >= matching.merge_threshold)
                 & (edges["id_l"].map(master_of) == edges["id_r"].map(master_of))]
    stored = prev.xref.set_index("unique_id")
    links = [same[["id_l", "match_probability"]].rename(columns={"id_l": "uid"}),
             same[["id_r", "match_probability"]].rename(columns={"id_r": "uid"})]
    kept_links = stored.loc[stored.index.isin(carried), "match_probability"].dropna()
    links.append(pd.DataFrame({"uid": kept_links.index, "match_probability": kept_links.to_numpy()}))
    links = [f.astype({"match_probability": float}) for f in links if len(f)]
    strongest = pd.concat(links).groupby("uid")["match_probability"].max() if links else pd.Series(dtype=float)
    xref = records[["unique_id", "source_system", "source_record_id", "record_hash"]].assign(
        master_id=lambda f: f["unique_id"].map(master_of),
        match_probability=lambda f: f["unique_id"].map(strongest),
        scored_with=version)
    before = stored["master_id"].reindex(xref["unique_id"]).to_numpy()
    when = stored["matched_at"].reindex(xref["unique_id"]).to_numpy()
    xref["matched_at"] = pd.to_datetime(pd.Series(when).where(before == xref["master_id"].to_numpy(), now)
                                        .to_numpy())

    review_frame = _review(edges, prev, scored, master_of, matching, decisions)
    history = assignment.history.assign(changed_at=now)
    replace_tables(
        con,
        {"customer_master": master, "customer_xref": xref.drop(columns=["unique_id"]), "match_review": review_frame},
        appends={"master_id_history": history},
        then_sql={"customer_name_history": sql("customer_name_history"),
                  "customer_address_history": sql("customer_address_history")},
    )
    return MasterResult(len(records), len(master), len(review_frame), int((history["change"] == "merge").sum()),
                        int((history["change"] == "split").sum()), trained, int(scored.sum()), dirty is None)
