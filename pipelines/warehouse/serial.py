"""Runs one connection's statements in the order given, on a thread of their own, so Python work goes on while
DuckDB writes.

A night's writes (the value cache's new results, a chunk's customers_clean and quarantine rows) cost DuckDB
seconds in which the main thread would only wait: it waited about 4 s of a million-row night on the value
cache's inserts, which queue behind the next chunk's cleansing SQL in DuckDB's threads (docs/benchmarks.md,
fifteenth measurement). Every use of the connection goes through here meanwhile, so the statements keep their
order (a look-up sees the results put before it) and the connection is never used by two threads at once.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")


class Serial:
    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="warehouse-writes")
        self._queued: list[Future] = []

    def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        """fn's result, once the statements queued before it have run."""
        self._raise_failed()
        return self._thread.submit(fn, *args, **kwargs).result()

    def later(self, fn: Callable, *args, **kwargs) -> None:
        """fn queued; a failure is raised by a later run, later or wait."""
        self._raise_failed()
        self._queued.append(self._thread.submit(fn, *args, **kwargs))

    def wait(self) -> None:
        """Every queued statement run; the first failure raised."""
        queued, self._queued = self._queued, []
        for future in queued:
            future.result()

    def _raise_failed(self) -> None:
        finished = [f for f in self._queued if f.done()]
        self._queued = [f for f in self._queued if not f.done()]
        for future in finished:
            future.result()

    def __enter__(self) -> Serial:
        return self

    def __exit__(self, kind, error, trace) -> None:
        """Queued statements always finish before the caller goes on (to commit or roll back); their failure is
        raised unless another error is already on its way."""
        try:
            if kind is None:
                self.wait()
        finally:
            self._thread.shutdown(wait=True)
