"""Stable master ids: carried over from the last run, the oldest surviving a merge; history of merges/splits."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.matching.ranks import lexical_rank

HISTORY = ["old_id", "new_id", "change", "reason"]


def new_id(seed: str, taken: set[str]) -> str:
    """CM- plus a hash of the cluster's earliest record: the same data always yields the same id."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    base = f"CM-{digest[:12]}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _new_ids(seeds: np.ndarray, taken: set[str]) -> list[str]:
    """new_id for each seed in order, the hashing done by DuckDB; only colliding ids are made one by one."""
    hashed = []
    if len(seeds):
        with duckdb.connect() as con:
            con.register("seeds", pa.table({"n": np.arange(len(seeds)), "seed": pa.array(seeds, pa.large_string())}))
            hashed = con.execute("select 'CM-' || sha256(seed)[:12] from seeds order by n").fetchall()
    ids = [h[0] for h in hashed]
    clash = pd.Series(ids, dtype=object)
    clash = (clash.duplicated() | clash.isin(taken)).to_numpy()
    if clash.any():
        taken = taken | {i for i, c in zip(ids, clash) if not c}
        for k in np.flatnonzero(clash):
            ids[k] = new_id(seeds[k], taken)
            taken.add(ids[k])
    return ids


@dataclass
class Assignment:
    master_of: pd.Series            # record id -> master id
    history: pd.DataFrame           # old_id, new_id, change (merge: old retired into new | split), reason


def assign_ids(clusters: pd.Series, first_seen: pd.Series, previous: pd.Series, issued: pd.Series | dict,
               retired: set[str]) -> Assignment:
    """clusters: record id -> cluster key; first_seen: record id -> first night seen; previous: record id ->
    master id of the last run (missing for new records); issued: master id -> when it was first issued.
    An old id goes to the cluster that kept most of its records (ties: the cluster seen first); a cluster
    that won several old ids keeps the one issued first and retires the others (merge); a cluster that won
    none gets a new id, and the ids its records came from are recorded as split."""
    issued = issued if isinstance(issued, pd.Series) else pd.Series(issued, dtype=object)
    frame = pd.DataFrame({"cluster": clusters.to_numpy(), "uid": clusters.index.to_numpy()})
    frame["rank"] = first_seen.reindex(clusters.index).astype(str).to_numpy() + " " + frame["uid"]
    frame["previous"] = previous.reindex(clusters.index).to_numpy()
    frame["order"] = lexical_rank(frame["rank"])
    first = frame.groupby("cluster")["order"].min().rename("first")
    uid_by_order = np.empty(len(frame), dtype=object)
    uid_by_order[frame["order"].to_numpy()] = frame["uid"].to_numpy()
    claims = (frame.dropna(subset=["previous"]).groupby(["previous", "cluster"]).size().rename("kept")
              .reset_index().join(first, on="cluster"))
    claims = claims.assign(neg=-claims["kept"]).sort_values(["previous", "neg", "first"])
    winners = claims.drop_duplicates("previous")[["previous", "cluster"]]
    winners = winners.assign(issued=winners["previous"].map(issued).fillna(""))
    winners = winners.sort_values(["cluster", "issued", "previous"])
    survivor = winners.drop_duplicates("cluster").set_index("cluster")["previous"]
    merged = winners[winners["previous"] != winners["cluster"].map(survivor)]
    history = [pd.DataFrame({"old_id": merged["previous"], "new_id": merged["cluster"].map(survivor),
                             "change": "merge"})]

    fresh = first[~first.index.isin(survivor.index)].sort_values()
    given = _new_ids(uid_by_order[fresh.to_numpy()], set(issued.index) | set(retired))
    given = pd.Series(given, index=fresh.index, dtype=object)
    master = pd.concat([survivor, pd.Series(given, dtype=object)])
    split = frame[frame["cluster"].isin(given.index) & frame["previous"].notna()][["previous", "cluster"]].drop_duplicates()
    history.append(pd.DataFrame({"old_id": split["previous"], "new_id": split["cluster"].map(master),
                                 "change": "split"}))
    history = pd.concat([h for h in history if len(h)] or [pd.DataFrame(columns=HISTORY[:3])], ignore_index=True)
    history = history.sort_values(["change", "old_id", "new_id"]).reset_index(drop=True)
    history["reason"] = [f"merged into {n}: records matched" if c == "merge" else f"records split off {o} into {n}"
                         for o, n, c in zip(history["old_id"], history["new_id"], history["change"])]
    return Assignment(pd.Series(frame["cluster"].map(master).to_numpy(), index=clusters.index, dtype=object),
                      history[HISTORY])
