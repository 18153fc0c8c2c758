"""Tells the run being stopped (Ctrl-C, SIGTERM) from a failure, whatever library the signal arrived in."""
from __future__ import annotations

import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

# DuckDB turns a signal arriving mid-query into an error of its own: RuntimeError('Query interrupted'), or, in a
# Python function it was calling, an InvalidInputException naming the exception the signal handler raised.
_DUCKDB = re.compile(r"Query interrupted|executing the UDF: (KeyboardInterrupt|DagsterExecutionInterruptedError)")
_NAMES = frozenset({"KeyboardInterrupt", "DagsterExecutionInterruptedError", "ArrowCancelled"})


def _chain_stops(error, name: Callable, message: Callable, before: Callable) -> bool:
    """Whether an error, or one it was raised while handling (before), is the run being stopped."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if name(error) in _NAMES or _DUCKDB.search(message(error) or ""):
            return True
        error = before(error)
    return False


def is_interrupt(exc: BaseException | None) -> bool:
    """Whether an exception, or one it was raised while handling, is the run being stopped."""
    return _chain_stops(exc, lambda e: type(e).__name__, lambda e: str(e) if isinstance(e, Exception) else "",
                        lambda e: e.__cause__ or e.__context__)


def error_is_interrupt(error) -> bool:
    """is_interrupt for the serialised error of a failed Dagster step (SerializableErrorInfo)."""
    return _chain_stops(error, lambda e: e.cls_name, lambda e: e.message, lambda e: e.cause or e.context)


_watch: dict[str, int | bool] = {"fd": -1, "seen": False}


@contextmanager
def signals_watched() -> Iterator[None]:
    """While inside, every SIGINT and SIGTERM the process receives is noted (signal_received), whichever
    handler then runs: Dagster's raises an exception wherever the main thread is, and code there may swallow it
    (a weakref callback, where Python only prints it; a library's broad except around a query). The note is
    the operating system's wake-up byte, written before any Python handler runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    before = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    _watch.update(fd=read, seen=False)
    hook = sys.unraisablehook

    def quiet(unraisable) -> None:   # the stop raised in a callback: noted above, not a traceback for the user
        if not is_interrupt(unraisable.exc_value):
            hook(unraisable)
    sys.unraisablehook = quiet
    try:
        yield
    finally:
        sys.unraisablehook = hook
        signal.set_wakeup_fd(before)
        _watch.update(fd=-1)
        os.close(read)
        os.close(write)


def signal_received() -> bool:
    """Whether a SIGINT or SIGTERM arrived since signals_watched began."""
    if _watch["fd"] >= 0 and not _watch["seen"]:
        try:
            got = os.read(_watch["fd"], 4096)
        except BlockingIOError:
            got = b""
        _watch["seen"] = any(b in (signal.SIGINT, signal.SIGTERM) for b in got)
    return bool(_watch["seen"])
