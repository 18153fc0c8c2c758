"""A run whose process is gone is released, whoever launched it: left STARTED, it holds the warehouse pool's one
slot and every later run waits forever. `make ui` stopped with Ctrl-C while a run of its daemon goes leaves such a
run; the next `make ui`'s runs then stayed QUEUED."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, SkipReason, build_sensor_context

from pipelines.defs.dead_runs import HOST_TAG, PID_TAG, release_dead_runs_sensor

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


def test_a_ui_run_whose_process_died_is_released_by_the_sensor(tmp_path, monkeypatch):
    home = tmp_path / "dh"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home)
    env = {**os.environ, "DAGSTER_HOME": str(home), "CRM_DAGSTER_STORAGE": str(home / "storage"),
           "CRM_DAGSTER_LOGS": str(home / "logs"), "CRM_WAREHOUSE": str(tmp_path / "w.duckdb"),
           "PYTHONPATH": str(REPO)}
    script = tmp_path / "killed_ui_run.py"
    script.write_text(KILLED_UI_RUN)
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

        result = release_dead_runs_sensor(build_sensor_context(instance=instance))
        assert isinstance(result, SkipReason) and stuck.run_id in result.skip_message
        assert instance.get_run_by_id(stuck.run_id).status == DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info("warehouse").active_slot_count == 0
        again = release_dead_runs_sensor(build_sensor_context(instance=instance))
        assert stuck.run_id not in again.skip_message   # released once
    finally:
        instance.dispose()


def _pid_of(run) -> str:
    """The pid the executor recorded: a number, of a process that no longer exists."""
    pid = run.tags[PID_TAG]
    assert pid.isdigit()
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return pid
    raise AssertionError(f"process {pid} is alive")
