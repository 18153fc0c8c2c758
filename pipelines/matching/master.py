"""Builds customer master records from customers_clean: score, cluster, keep ids stable, golden records."""
from __future__ import annotations

import datetime as dt
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


def _previous(con: duckdb.DuckDBPyConnection) -> tuple[dict, dict, dict, set]:
    xref = con.execute("select source_system || ':' || source_record_id, master_id, matched_at "
                       "from customer_xref").fetchall()
    issued = dict(con.execute("select master_id, strftime(issued_at, '%Y-%m-%dT%H:%M:%S') "
                              "from customer_master").fetchall())
    retired = {r[0] for r in con.execute("select old_id from master_id_history where change = 'merge'").fetchall()}
    return {r[0]: r[1] for r in xref}, {r[0]: (r[1], r[2]) for r in xref}, issued, retired


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


def build_masters(con: duckdb.DuckDBPyConnection, matching: Matching, survivorship: Survivorship,
                  model_path: Path, decisions_path: Path, now: dt.datetime | None = None) -> MasterResult:
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    records = con.execute(sql("match_records")).df()
    trained = False
    if not model_path.exists() and len(records) > 1:
        model.train(records, matching, model_path)
        trained = True
    pairs = model.score(records, model_path, matching.review_low) if model_path.exists() else pd.DataFrame(
        columns=["unique_id_l", "unique_id_r", "match_probability"])
    decisions: Decisions = load_decisions(decisions_path)
    ids = records["unique_id"].tolist()
    edges = pairs.rename(columns={"unique_id_l": "id_l", "unique_id_r": "id_r"})
    clusters = cluster(ids, edges, matching.merge_threshold, decisions.must_link, decisions.cannot_link)
    previous, matched_before, issued, retired = _previous(con)
    first_seen = dict(zip(records["unique_id"], records["first_seen"].astype(str)))
    assignment = assign_ids(clusters, first_seen, previous, issued, retired)
    master_of = assignment.master_of

    matched = records.assign(master_id=records["unique_id"].map(master_of))
    con.register("matched", matched)
    try:
        master = con.execute(golden_sql(survivorship)).df()
    finally:
        con.unregister("matched")
    stamp = now.isoformat()
    master["issued_at"] = pd.to_datetime(master["master_id"].map(issued).fillna(stamp))
    for master_id, field, value in decisions.overrides:
        hit = master["master_id"] == master_id
        master.loc[hit, field] = value
        master.loc[hit, f"{field}_source"] = "steward"

    same = edges[edges["match_probability"] >= matching.merge_threshold]
    same = same[same["id_l"].map(master_of) == same["id_r"].map(master_of)]
    strongest = pd.concat([same[["id_l", "match_probability"]].rename(columns={"id_l": "uid"}),
                           same[["id_r", "match_probability"]].rename(columns={"id_r": "uid"})])
    strongest = strongest.groupby("uid")["match_probability"].max()
    xref = records[["unique_id", "source_system", "source_record_id"]].assign(
        master_id=lambda f: f["unique_id"].map(master_of),
        match_probability=lambda f: f["unique_id"].map(strongest))
    kept = [matched_before.get(u, (None, None)) for u in xref["unique_id"]]
    xref["matched_at"] = pd.to_datetime([t if m == mid else now for (m, t), mid in zip(kept, xref["master_id"])])

    undecided = {tuple(sorted(p)) for p in decisions.cannot_link + decisions.must_link}
    review = edges[(edges["match_probability"] < matching.merge_threshold)
                   & (edges["id_l"].map(master_of) != edges["id_r"].map(master_of))]
    review = review[[tuple(sorted(p)) not in undecided for p in zip(review["id_l"], review["id_r"])]]
    review_frame = pd.DataFrame({
        "unique_id_l": review["id_l"], "unique_id_r": review["id_r"],
        "master_id_l": review["id_l"].map(master_of), "master_id_r": review["id_r"].map(master_of),
        "match_probability": review["match_probability"], "evidence": _evidence(review),
    }).sort_values(["match_probability", "unique_id_l", "unique_id_r"], ascending=[False, True, True])
    history = assignment.history.assign(changed_at=now)
    replace_tables(
        con,
        {"customer_master": master, "customer_xref": xref.drop(columns=["unique_id"]), "match_review": review_frame},
        appends={"master_id_history": history},
        then_sql={"customer_name_history": sql("customer_name_history"),
                  "customer_address_history": sql("customer_address_history")},
    )
    return MasterResult(len(records), len(master), len(review_frame), int((history["change"] == "merge").sum()),
                        int((history["change"] == "split").sum()), trained)
