"""Clusters scored pairs into customers: strongest links first, never joining a cannot-link pair."""
from __future__ import annotations

import pandas as pd


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


def cluster(ids: list[str], pairs: pd.DataFrame, threshold: float,
            must_link: list[tuple[str, str]] = (), cannot_link: list[tuple[str, str]] = ()) -> dict[str, str]:
    """{record id: cluster key}. pairs has id_l, id_r, match_probability. Must-links join first; then pairs at
    or above threshold, strongest first; a join that would put a cannot-link pair together is refused, so a
    steward's split holds even when a chain of other links connects the two records."""
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

    strong = pairs[pairs["match_probability"] >= threshold].sort_values(
        ["match_probability", "id_l", "id_r"], ascending=[False, True, True])
    edges = list(must_link) + list(zip(strong["id_l"], strong["id_r"]))
    for a, b in edges:
        if a not in comps.parent or b not in comps.parent:
            continue
        ra, rb = comps.find(a), comps.find(b)
        if ra != rb and allowed(ra, rb):
            comps.union(ra, rb)
    return {i: min(comps.members[comps.find(i)]) for i in ids}
