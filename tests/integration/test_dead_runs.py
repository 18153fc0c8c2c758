"""A run whose process is gone is released, whoever launched it: left STARTED, it holds the warehouse pool's one
slot and every later run waits forever. `make ui` stopped with Ctrl-C while a run of its daemon goes leaves such a
run; the next `make ui`'s runs then stayed QUEUED."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from contextlib import contextmanager
from typing import Iterator

from dagster import DagsterInstance, DagsterRunStatus, SkipReason, asset, build_sensor_context, materialize

from pipelines.defs.dead_runs import HOST_TAG, PID_TAG, release_dead_runs, release_dead_runs_sensor, run_tags

REPO = Path(__file__).resolve().parents[2]

# A job of the UI's executor whose one step is killed (kill -9) while it holds the warehouse's slot, as the run
# worker is when `make ui` is stopped mid-run.
KILLED_UI_RUN = """
import os, signal
from dagster import DagsterInstance, execute_job, job, op, reconstructable
from pipelines.defs.executor import one_run_at_a_time_executor

@op(pool="warehouse")
def dies_holding_the_warehouse():
    os.kill(os.getpid(), signal.SIGKILL)

@job(executor_def=one_run_at_a_time_executor)
def ui_job():
    dies_holding_the_warehouse()

if __name__ == "__main__":
    execute_job(reconstructable(ui_job), instance=DagsterInstance.get(),
                run_config={"execution": {"config": {"in_process": {}}}})
"""


# `crm-quality run`'s way: materialize with this process's tags, killed (kill -9) mid-stage
KILLED_CLI_RUN = """
import os, signal
from dagster import DagsterInstance, asset, materialize
from pipelines.defs.dead_runs import run_tags

@asset(pool="warehouse")
def dies_holding_the_warehouse():
    os.kill(os.getpid(), signal.SIGKILL)

if __name__ == "__main__":
    materialize([dies_holding_the_warehouse], instance=DagsterInstance.get(), tags=run_tags())
"""


@contextmanager
def _stuck_run(tmp_path, monkeypatch, script_text: str) -> Iterator[tuple[DagsterInstance, object]]:
    """The instance of a fresh DAGSTER_HOME (the repo's dagster.yaml) and the run a killed process left in it:
    STARTED, holding the warehouse pool's one slot."""
    home = tmp_path / "dh"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home)
    env = {**os.environ, "DAGSTER_HOME": str(home), "CRM_DAGSTER_STORAGE": str(home / "storage"),
           "CRM_DAGSTER_LOGS": str(home / "logs"), "CRM_WAREHOUSE": str(tmp_path / "w.duckdb"),
           "PYTHONPATH": str(REPO)}
    script = tmp_path / "killed_run.py"
    script.write_text(script_text)
    killed = subprocess.run([sys.executable, str(script)], env=env, cwd=REPO, capture_output=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]
    for name in ("DAGSTER_HOME", "CRM_DAGSTER_STORAGE", "CRM_DAGSTER_LOGS"):
        monkeypatch.setenv(name, env[name])
    instance = DagsterInstance.get()
    try:
        [stuck] = instance.get_runs()
        assert stuck.status == DagsterRunStatus.STARTED
        assert _pid_of(stuck) and stuck.tags[HOST_TAG]
        assert instance.event_log_storage.get_concurrency_info("warehouse").active_slot_count == 1
        yield instance, stuck
    finally:
        instance.dispose()


def _released(instance: DagsterInstance, run) -> bool:
    return (instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
            and instance.event_log_storage.get_concurrency_info("warehouse").active_slot_count == 0)


def test_a_ui_run_whose_process_died_is_released_by_the_sensor(tmp_path, monkeypatch):
    with _stuck_run(tmp_path, monkeypatch, KILLED_UI_RUN) as (instance, stuck):
        result = release_dead_runs_sensor(build_sensor_context(instance=instance))
        assert isinstance(result, SkipReason) and stuck.run_id in result.skip_message
        assert _released(instance, stuck)
        again = release_dead_runs_sensor(build_sensor_context(instance=instance))
        assert stuck.run_id not in again.skip_message   # released once


def test_a_cli_run_whose_process_was_killed_is_released_not_waited_for_forever(tmp_path, monkeypatch):
    """kill -9 of `crm-quality run` leaves its run STARTED; the next run releases it and goes through."""
    with _stuck_run(tmp_path, monkeypatch, KILLED_CLI_RUN) as (instance, stuck):
        assert release_dead_runs(instance) == [stuck.run_id]
        assert _released(instance, stuck)
        assert release_dead_runs(instance) == []   # a live run (this process's) is never released

        @asset(pool="warehouse")
        def next_night():
            return 1
        assert materialize([next_night], instance=instance, tags=run_tags()).success


def _pid_of(run) -> str:
    """The pid the executor recorded: a number, of a process that no longer exists."""
    pid = run.tags[PID_TAG]
    assert pid.isdigit()
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return pid
    raise AssertionError(f"process {pid} is alive")
