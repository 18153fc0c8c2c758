"""The cyclic collector paused for a night: each chunk's cycles are freed between chunks, and the state comes back."""
from __future__ import annotations

import gc
import weakref

import pandas as pd

from pipelines import collector


class _Node:
    pass


def _cycle(tag: int) -> _Node:
    node = _Node()
    node.self, node.tag = node, tag
    return node


def test_a_finished_chunk_is_freed_although_the_next_one_was_started_before():
    refs = []
    with collector.paused():
        upcoming = _cycle(0)
        for chunk in range(4):
            current, upcoming = upcoming, _cycle(chunk + 1)   # the next chunk starts before this one ends
            refs.append(weakref.ref(current))
            del current
            collector.collect()
            assert [r().tag for r in refs if r() is not None] == []


def test_a_series_and_its_str_accessor_are_freed_between_chunks():
    with collector.paused():
        series = pd.Series(["a", "b"])
        series.str.upper()
        ref = weakref.ref(series)
        del series
        assert ref() is not None        # a reference cycle: only the collector frees it
        collector.collect()
        assert ref() is None


def test_paused_restores_the_collector():
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()   # left as it was
    finally:
        gc.enable()


def test_freezes_nest():
    gc.freeze()
    try:
        with collector.paused():
            pass
        assert gc.get_freeze_count() > 0   # the caller's freeze is still in place (unfreeze would leave 0)
    finally:
        gc.unfreeze()
    with collector.paused():
        assert gc.get_freeze_count() > 0
        from pipelines.standardize.distinct import apply_each
        assert apply_each(len, ["ab"] * 30_000, parallel=True)[:2] == [2, 2]
        assert gc.get_freeze_count() > 0   # a pool of its own leaves paused()'s freeze in place
    assert gc.get_freeze_count() == 0
