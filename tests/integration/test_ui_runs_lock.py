"""Runs launched from the Dagster UI (its daemon: backfills, "Materialize", the schedule, the sensors) and
`crm-quality run` take one warehouse one after the other. The pool `warehouse` serialises steps only: with
`make ui` running, a CLI run's steps went between those of a UI run (the same night written by both, a master
build or its checks between a night's customers_clean and that night's checks)."""
from __future__ import annotations

import threading
import time

from dagster import DagsterEventType, execute_job, instance_for_test, job, op, reconstructable

from pipelines.defs.executor import one_run_at_a_time_executor
from pipelines.warehouse.run_lock import RunLock

WRITES: list[str] = []


@op
def write_warehouse():
    WRITES.append("written")


@job(executor_def=one_run_at_a_time_executor)
def one_step_job():
    write_warehouse()


def _one_step_job():
    return one_step_job


def test_every_job_of_the_ui_holds_the_warehouse_run_lock():
    from pipelines.definitions import defs

    jobs = [defs.resolve_job_def(name) for name in ("nightly_job", "master_job", "report_job")]
    jobs.append(defs.resolve_implicit_global_asset_job_def())   # "Materialize" and asset backfills in the UI
    assert all(j.executor_def is one_run_at_a_time_executor for j in jobs)


def test_a_ui_run_waits_for_a_crm_quality_run_and_says_so(tmp_path, monkeypatch):
    """The run the daemon launched waits while the CLI holds the warehouse, with an event in its log, and runs
    once the CLI is done."""
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CRM_WAREHOUSE", str(warehouse))
    WRITES.clear()
    cli = RunLock(warehouse)
    assert cli.try_acquire()
    results = []
    with instance_for_test() as instance:
        # in-process mode of the same executor: the lock is the run's, whichever mode runs its steps
        worker = threading.Thread(target=lambda: results.append(execute_job(
            reconstructable(_one_step_job), instance=instance,
            run_config={"execution": {"config": {"in_process": {}}}})))
        worker.start()
        time.sleep(2)
        assert WRITES == [] and worker.is_alive()   # waiting, not writing alongside the CLI
        cli.release()
        worker.join(timeout=60)
        assert not worker.is_alive() and results[0].success and WRITES == ["written"]
        engine = [e.message for e in instance.all_logs(results[0].run_id, of_type=DagsterEventType.ENGINE_EVENT)]
        assert any("waiting for the warehouse" in m for m in engine)
        assert RunLock(warehouse).try_acquire()   # released with the run


def test_crm_quality_run_waits_for_a_ui_run_and_says_so(tmp_path, capsys):
    from pipelines.cli import _one_run_at_a_time

    warehouse = tmp_path / "warehouse.duckdb"
    ui_run = RunLock(warehouse)
    assert ui_run.try_acquire()
    order = []

    def cli():
        with _one_run_at_a_time(warehouse):
            order.append("cli")

    waiting = threading.Thread(target=cli)
    waiting.start()
    time.sleep(1)
    order.append("ui run done")
    ui_run.release()
    waiting.join(timeout=10)
    assert order == ["ui run done", "cli"]
    assert "launched from the Dagster UI" in capsys.readouterr().err
