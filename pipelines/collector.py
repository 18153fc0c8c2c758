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
def frozen() -> Iterator[None]:
    """What exists on entering is left out of the collections inside (gc.freeze). gc.unfreeze() thaws every
    frozen object, so a freeze already in place on entering is left to whoever made it."""
    was_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not was_frozen:
            gc.unfreeze()


@contextmanager
def paused() -> Iterator[None]:
    """The automatic collector off inside (as it was before on leaving). What exists on entering (modules,
    rules, caches) is frozen: the collections inside walk only what the night made. One full collection on
    leaving."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with frozen():
            yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def collect() -> None:
    """Free what became cyclic garbage since entering paused() (call it between chunks). A full collection:
    a younger one would miss the next chunk's objects, which survive this call (the next chunk is started
    before this one is finished) and so move to the oldest generation."""
    gc.collect()
