"""Runs Python's cyclic garbage collector between the chunks of a night instead of by allocation counts.

A night holds millions of live container objects (the per-value results, the key tuples); every full
collection the allocation counters set off walks all of them, and a night of a million rows set off enough of
them to cost 38 s of 144 (measured, docs/benchmarks.md). Switching the collector off for good is no answer: pandas
frames hold reference cycles, and a night's chunks then stayed in memory until its end (3.8 GB held instead of
2.3). Here the collector is paused inside `paused()`, and `collect()` frees the cycles of the chunk just
finished: one walk per chunk.
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
    """Free what became cyclic garbage since the last collection (call it between chunks)."""
    gc.collect()
