"""The worker processes of a stage: one pool of fresh processes (forkserver) shared by what the stage starts."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Iterator

_shared: ProcessPoolExecutor | None = None
# What the fork server imports once, for every pool of the process: a process has one fork server, started by
# its first pool, so the modules of every stage's tasks are named here (a later pool's own list would be ignored).
PRELOAD = ["pipelines.ingest", "pipelines.standardize.phones", "pipelines.standardize.emails",
           "pipelines.standardize.addresses", "pipelines.standardize.names"]


def count() -> int:
    """Worker processes to use: CRM_WORKERS, at most the machine's cores."""
    return max(1, min(int(os.environ.get("CRM_WORKERS", os.cpu_count() or 1)), os.cpu_count() or 1))


def current() -> ProcessPoolExecutor | None:
    """The pool opened by pool() around the caller, or None."""
    return _shared


@contextmanager
def pool() -> Iterator[None]:
    """One pool of fresh worker processes (forkserver) for everything started inside, e.g. a night of chunks.
    Tasks run in the order they were started, so a caller can start the next chunk's work before finishing
    this one's. Its workers share no memory with this process: a worker forked from a parent that then
    rewrites gigabytes of frames would end up holding a copy of them. The fork server imports PRELOAD once,
    instead of each worker at its first task. With one worker, or inside another pool(), nothing is opened."""
    global _shared
    n = count()
    if n == 1 or _shared is not None:
        yield
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    _shared = ProcessPoolExecutor(max_workers=n, mp_context=context)
    try:
        yield
    finally:
        executor, _shared = _shared, None
        executor.shutdown(cancel_futures=True)
