"""Clusters scored pairs into customers: connected components of the strong links, except that a steward's
cannot-link pair is never put together (there, strongest links join first and a join that would put the
pair together is refused)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipelines.matching.ranks import smallest_per_group


class _Components:
    def __init__(self, ids: list[str]):
        self.parent = {i: i for i in ids}
        self.members = {i: {i} for i in ids}

    def find(self, x: str) -> str:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a] |= self.members.pop(b)


def _constrained(ids: list[str], edges: list[tuple[str, str]], cannot_link: list[tuple[str, str]]) -> dict:
    """Greedy union in the given edge order, refusing joins that put a cannot-link pair together."""
    comps = _Components(ids)
    forbidden: dict[str, set[str]] = {}
    for a, b in cannot_link:
        if a in comps.parent and b in comps.parent:
            forbidden.setdefault(a, set()).add(b)
            forbidden.setdefault(b, set()).add(a)

    def allowed(ra: str, rb: str) -> bool:
        small, big = (ra, rb) if len(comps.members[ra]) <= len(comps.members[rb]) else (rb, ra)
        others = comps.members[big]
        return not any(forbidden.get(m, set()) & others for m in comps.members[small] if m in forbidden)

    for a, b in edges:
        ra, rb = comps.find(a), comps.find(b)
        if ra != rb and allowed(ra, rb):
            comps.union(ra, rb)
    key = {root: min(members) for root, members in comps.members.items()}
    return {i: key[comps.find(i)] for i in ids}


def cluster(ids: pd.Series, pairs: pd.DataFrame, threshold: float,
            must_link: list[tuple[str, str]] = (), cannot_link: list[tuple[str, str]] = ()) -> pd.Series:
    """Cluster key (the smallest record id of the cluster) per record id, as a Series indexed like ids.
    pairs has id_l, id_r, match_probability. Must-links and pairs at or above threshold join records; a join
    that would put a cannot-link pair together is refused, so a steward's split holds even when a chain of
    other links connects the two records. Components without a cannot-link pair are plain connected
    components (scipy); only those holding one are joined link by link, must-links first, then strongest."""
    ids = pd.Series(ids, dtype=object).reset_index(drop=True)
    codes = pd.Index(ids)
    strong = pairs.loc[pairs["match_probability"] >= threshold, ["id_l", "id_r", "match_probability"]]
    forced = pd.DataFrame(list(must_link), columns=["id_l", "id_r"]).assign(match_probability=np.inf)
    parts = [f for f in (forced, strong) if len(f)]
    edges = pd.concat(parts, ignore_index=True) if parts else strong.reset_index(drop=True)
    left, right = codes.get_indexer(edges["id_l"]), codes.get_indexer(edges["id_r"])
    known = (left >= 0) & (right >= 0)
    edges, left, right = edges[known], left[known], right[known]
    n = len(ids)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    key = smallest_per_group(ids, label)

    conflicted = {label[codes.get_loc(a)] for a, b in cannot_link if a in codes and b in codes
                  and label[codes.get_loc(a)] == label[codes.get_loc(b)]}
    if conflicted:
        members = np.isin(label, list(conflicted))
        inside = np.isin(label[left], list(conflicted))
        ordered = edges[inside].assign(_forced=lambda f: np.isinf(f["match_probability"])).sort_values(
            ["_forced", "match_probability", "id_l", "id_r"], ascending=[False, False, True, True])
        redone = _constrained(ids[members].tolist(), list(zip(ordered["id_l"], ordered["id_r"])), cannot_link)
        key[members] = ids[members].map(redone)
    return pd.Series(key.to_numpy(), index=ids, dtype=object)
