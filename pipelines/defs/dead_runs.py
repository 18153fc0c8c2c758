"""Runs whose process is gone (kill -9, a power cut, `make ui` stopped mid-run): marked failed, their slots freed.

Left STARTED, such a run keeps its slot of the warehouse pool (dagster.yaml: one writer at a time), and every
later run, from the CLI or the UI, waits for it forever. Dagster's own run monitoring cannot tell: the default
run launcher has no health check of a run's process. So every run records which process on which machine runs
it (run_tags: `crm-quality run` when it starts a run, the UI's executor when a run's first step begins), and a
run of this machine whose process is gone is released, by the CLI before it runs and by the sensor below
while the UI is up."""
from __future__ import annotations

import os
import socket

from dagster import DagsterRunStatus, DefaultSensorStatus, RunsFilter, SkipReason, sensor

PID_TAG, HOST_TAG = "crm-quality/pid", "crm-quality/host"


def run_tags() -> dict[str, str]:
    """The tags naming this process as a run's: its pid and its machine."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's process
        return True
    return True


def release_dead_runs(instance) -> list[str]:
    """Runs of this machine whose process is gone, each marked failed and its slots freed; their ids."""
    released = []
    running = instance.get_runs(filters=RunsFilter(
        statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING],
        tags={HOST_TAG: socket.gethostname()}))
    for dead in running:
        pid = dead.tags.get(PID_TAG, "")
        if not pid.isdigit() or _alive(int(pid)):
            continue
        instance.report_run_failed(dead, message=f"the process that ran it (pid {pid}) is gone: stopped or killed "
                                                 "mid-run; rerun its partition")
        instance.event_log_storage.free_concurrency_slots_for_run(dead.run_id)
        released.append(dead.run_id)
    return released


@sensor(default_status=DefaultSensorStatus.RUNNING, minimum_interval_seconds=30)
def release_dead_runs_sensor(context):
    """Releases the runs whose process is gone (the UI stopped mid-run, a run worker killed), so the runs
    queued behind them start; launches nothing."""
    released = release_dead_runs(context.instance)
    if released:
        return SkipReason(f"released {len(released)} run(s) whose process is gone, marked failed: "
                          + ", ".join(released))
    return SkipReason("no run left behind by a process that is gone")
