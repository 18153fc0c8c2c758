"""A stop (Ctrl-C, SIGTERM) is told from a failure wherever it lands: in DuckDB, in a swallowed exception."""
from __future__ import annotations

import os
import signal
import threading

import duckdb
import pytest

from pipelines.interrupts import is_interrupt, signal_received, signals_watched


def _stop_soon(delay: float = 0.5) -> threading.Timer:
    timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.fixture(autouse=True)
def _python_handles_ctrl_c():
    """Ctrl-C raises KeyboardInterrupt, whatever handler an earlier test's materialisation left behind."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_ctrl_c_in_a_duckdb_query_is_a_stop_not_a_failure():
    con = duckdb.connect()
    with signals_watched():
        assert not signal_received()
        timer = _stop_soon()
        with pytest.raises(BaseException) as caught:
            con.execute("select sum(hash(i)) from range(10000000000) r(i)").fetchall()
        timer.join()
        assert is_interrupt(caught.value), repr(caught.value)
        assert signal_received()
    con.close()


def test_a_stop_swallowed_by_a_broad_except_is_still_noticed():
    with signals_watched():
        timer = _stop_soon(0.1)
        try:
            threading.Event().wait(5)   # where Python raises KeyboardInterrupt
        except BaseException:  # noqa: BLE001 - a library's catch-all, as the run may meet one
            pass
        timer.join()
        assert signal_received()
    with signals_watched():   # a new watch starts clean
        assert not signal_received()


def test_a_failure_wrapping_a_stop_is_a_stop_and_a_plain_failure_is_not():
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise ValueError("while reading") from exc
    except ValueError as wrapped:
        assert is_interrupt(wrapped)
    assert not is_interrupt(ValueError("bad date"))
    assert not is_interrupt(duckdb.ConversionException("Could not convert string 'x' to INT32"))
