"""Runs Python's cyclic garbage collector between the chunks of a night instead of by allocation counts.

A night holds millions of live container objects (per-value results, key tuples, object columns). Every full
collection the allocation counters set off walks all of them: at a million rows they cost 38 s of 144
(measured, docs/benchmarks.md). Switching the collector off for good is no answer: a Series and its `.str`
accessor refer to each other, so a chunk's frames then stayed in memory until the night's end (3.8 GB held
instead of 2.3). Here the collector is paused inside `paused()`, and `collect()` frees the cycles of the
chunk just finished.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused() -> Iterator[None]:
    """The automatic collector off inside (as it was before on leaving), and one collection on leaving."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def collect() -> None:
    """Free what became cyclic garbage since the last collection (call it between chunks). With the automatic
    collector off, everything made since the last call is in the youngest generation, and what survived that
    call (the next chunk, already started) in the middle one: collecting those two leaves out the old objects
    (modules, rules, caches), 0.3 s a chunk instead of 1 s (measured). The last collection on leaving
    `paused()` is a full one."""
    gc.collect(1)
