"""The executor of every job the Dagster UI's daemon runs: Dagster's default (a process per step), holding the
warehouse's run lock (pipelines/warehouse/run_lock.py) from the run's first step to its last, as
`crm-quality run` holds it for its nights. A run launched while another holds it waits, saying so in its event
log; cancelled meanwhile, it stops waiting. `materialize` and `execute_in_process` (the CLI, the tests) replace
the job's executor with their own, so they do not take it here."""
from __future__ import annotations

from typing import Iterator

from dagster import ExecutorDefinition, multi_or_in_process_executor
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.events import DagsterEvent, EngineEventData
from dagster._core.executor.base import Executor
from dagster._utils.interrupts import check_captured_interrupt

from pipelines.defs.dead_runs import run_tags
from pipelines.settings import load_settings
from pipelines.warehouse.run_lock import RunLock


class OneRunAtATimeExecutor(Executor):
    """Dagster's executor, run under the warehouse's run lock."""

    def __init__(self, inner: Executor):
        self._inner = inner

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan) -> Iterator[DagsterEvent]:
        # this process runs the run: if it dies, pipelines/defs/dead_runs.py releases the run's hold on the pool
        plan_context.instance.add_run_tags(plan_context.run_id, run_tags())
        warehouse = load_settings().warehouse
        lock = RunLock(warehouse)
        try:
            if not lock.try_acquire():
                yield DagsterEvent.engine_event(
                    plan_context, f"waiting for the warehouse {warehouse}: another run is writing it (a "
                    "crm-quality run, or another run launched here); this run starts when it ends", EngineEventData())
                lock.wait(stop=_stop_if_cancelled)
                yield DagsterEvent.engine_event(plan_context, "the other run ended: starting", EngineEventData())
            yield from self._inner.execute(plan_context, execution_plan)
        finally:
            lock.release()


def _stop_if_cancelled() -> None:
    if check_captured_interrupt():   # the run was cancelled (terminated) while it waited
        raise DagsterExecutionInterruptedError("cancelled while waiting for the warehouse's run lock")


one_run_at_a_time_executor = ExecutorDefinition(
    name=multi_or_in_process_executor.name,
    config_schema=multi_or_in_process_executor.config_schema,
    requirements=multi_or_in_process_executor._requirements_fn,   # noqa: SLF001 - the same requirements
    executor_creation_fn=lambda init_context: OneRunAtATimeExecutor(
        multi_or_in_process_executor.executor_creation_fn(init_context)),
    description="Dagster's default executor (multiprocess or in-process), holding the warehouse's run lock for "
                "the whole run.",
)
