"""Master ids stay with the person they were issued for, through merges and the splits that undo them."""
from __future__ import annotations

import hashlib

import pandas as pd

from pipelines.matching.ids import assign_ids


def _id(uid: str) -> str:
    return "CM-" + hashlib.sha256(uid.encode()).hexdigest()[:12]


def _assign(clusters: dict, first_seen: dict, previous: dict, issued: dict, retired: set = frozenset()):
    taken = set(previous.values()) | set(retired)
    return assign_ids(pd.Series(clusters), pd.Series(first_seen), pd.Series(previous), issued,
                      lambda ids: set(ids) & taken)


def test_undoing_a_merge_leaves_the_id_with_the_record_it_was_made_from():
    """A (Boston) was issued its id; B1, B2 (Denver) joined it through a bridging record C, which was then
    corrected. The three Denver records are the majority, but the id stays with A."""
    a, b = _id("sf:A"), _id("sf:B1")
    nights = {"sf:A": "2026-11-20", "sf:B1": "2026-11-21", "sf:B2": "2026-11-21", "sf:C": "2026-11-22"}
    out = _assign({"sf:A": "boston", "sf:B1": "denver", "sf:B2": "denver", "sf:C": "denver"}, nights,
                  {uid: a for uid in nights}, {a: "2026-11-20T00:00:00"}, retired={b})
    assert out.master_of["sf:A"] == a
    assert out.master_of["sf:B1"] == f"{b}-2"   # a new id (B's own was retired by the merge, never reissued)
    assert out.history[["old_id", "new_id", "change"]].values.tolist() == [[a, f"{b}-2", "split"]]


def test_a_merge_of_ids_issued_together_and_its_undoing_agree_on_who_keeps_which():
    """Two ids issued the same night: the merge keeps the one whose origin was seen first, and the split that
    undoes it gives that id back to the same person (the two tie-breaks used to disagree)."""
    qiang, juan = _id("hubspot:HS-F1"), _id("hubspot:HS-F2")
    nights = {"hubspot:HS-F1": "2026-11-20", "hubspot:HS-F2": "2026-11-20"}
    issued = {qiang: "2026-11-20T02:00:00", juan: "2026-11-20T02:00:00"}
    merged = _assign({"hubspot:HS-F1": "one", "hubspot:HS-F2": "one"}, nights,
                     {"hubspot:HS-F1": qiang, "hubspot:HS-F2": juan}, issued)
    survivor = merged.master_of["hubspot:HS-F1"]
    assert survivor == merged.master_of["hubspot:HS-F2"] == qiang
    split = _assign({"hubspot:HS-F1": "q", "hubspot:HS-F2": "j"}, nights,
                    {"hubspot:HS-F1": survivor, "hubspot:HS-F2": survivor}, issued, retired={juan})
    assert split.master_of["hubspot:HS-F1"] == qiang and split.master_of["hubspot:HS-F2"] != qiang


def test_an_id_whose_origin_left_goes_with_its_earliest_remaining_record():
    a = _id("sf:gone")
    out = _assign({"sf:X": "x", "sf:Y": "y"}, {"sf:X": "2026-11-21", "sf:Y": "2026-11-20"},
                  {"sf:X": a, "sf:Y": a}, {a: "2026-11-19T00:00:00"})
    assert out.master_of["sf:Y"] == a and out.master_of["sf:X"] != a
