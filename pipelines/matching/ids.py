"""Stable master ids: carried over from the last run, the oldest surviving a merge; history of merges/splits."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd


def new_id(seed: str, taken: set[str]) -> str:
    """CM- plus a hash of the cluster's earliest record: the same data always yields the same id."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    base = f"CM-{digest[:12]}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@dataclass
class Assignment:
    master_of: dict[str, str]       # record id -> master id
    history: pd.DataFrame           # old_id, new_id, change (merge: old retired into new | split), reason


def assign_ids(clusters: dict[str, str], first_seen: dict[str, str], previous: dict[str, str],
               issued: dict[str, str], retired: set[str]) -> Assignment:
    """clusters: record -> cluster key; first_seen: record -> sortable first-seen stamp;
    previous: record -> master id of the last run; issued: master id -> when it was first issued."""
    groups: dict[str, list[str]] = {}
    for rec, key in clusters.items():
        groups.setdefault(key, []).append(rec)
    order = sorted(groups, key=lambda k: min((first_seen[r], r) for r in groups[k]))
    claims: dict[str, list[tuple]] = {}  # old id -> [(records kept, earliest record, cluster key)]
    for key in order:
        olds = {previous[r] for r in groups[key] if r in previous}
        for old in olds:
            kept = sum(1 for r in groups[key] if previous.get(r) == old)
            claims.setdefault(old, []).append((-kept, min((first_seen[r], r) for r in groups[key]), key))
    winner_of_old = {old: sorted(c)[0][2] for old, c in claims.items()}
    taken = set(issued) | set(retired)
    master_of, history, cluster_id = {}, [], {}
    for key in order:
        members = groups[key]
        mine = sorted({previous[r] for r in members if r in previous and winner_of_old[previous[r]] == key},
                      key=lambda m: (issued.get(m, ""), m))
        if mine:
            survivor = mine[0]
            history += [(m, survivor, "merge", f"merged into {survivor}: records matched") for m in mine[1:]]
        else:
            earliest = min((first_seen[r], r) for r in members)[1]
            survivor = new_id(earliest, taken)
            taken.add(survivor)
            split_from = sorted({previous[r] for r in members if r in previous})
            history += [(old, survivor, "split", f"records split off {old} into {survivor}") for old in split_from]
        cluster_id[key] = survivor
        for r in members:
            master_of[r] = survivor
    frame = pd.DataFrame(history, columns=["old_id", "new_id", "change", "reason"])
    return Assignment(master_of, frame)
