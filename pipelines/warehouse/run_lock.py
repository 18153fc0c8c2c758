"""One run at a time on a warehouse, whoever started it: `crm-quality run` and the runs the Dagster UI's daemon
launches (a backfill, "Materialize", the schedule, the sensors).

The pool `warehouse` (dagster.yaml) lets one step at a time write, but between two steps of a run another
process's step may take the warehouse: a CLI night's steps went between those of a UI run of the same night, and
a master build that lands between a night's customers_clean and its checks reads that night as held (its rows
not yet checked), retiring its customers' masters until the next build reissues them. The lock is the operating
system's (fcntl) on a file beside the warehouse, so a run that dies releases it.
"""
from __future__ import annotations

import fcntl
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".run.lock")


class RunLock:
    """The run lock of one warehouse, held by this process between acquire and release."""

    def __init__(self, warehouse: Path):
        self.path = lock_path(warehouse)
        self._file = None

    def try_acquire(self) -> bool:
        """Taken now, or False when another run holds it."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def wait(self, stop: Callable[[], None] = lambda: None, poll: float = 0.5) -> None:
        """Taken once the other run releases it; stop() is called between tries and raises to give up (a run
        cancelled in the UI, Ctrl-C)."""
        while not self.try_acquire():
            stop()
            time.sleep(poll)

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


@contextmanager
def one_run_at_a_time(warehouse: Path, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """The run lock held for the body; on_wait() is called once when another run holds it, before waiting."""
    lock = RunLock(warehouse)
    try:
        if not lock.try_acquire():
            on_wait()
            lock.wait()
        yield
    finally:
        lock.release()
