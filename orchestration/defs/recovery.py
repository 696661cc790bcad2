"""Recovery without a person: a run whose process died gives the warehouse back.

Every step that writes the warehouse holds the one slot of the ``duckdb_warehouse`` pool while
it runs. A run killed with SIGKILL, or whose machine went down, never says it ended: Dagster
keeps it ``STARTED`` and its slot claimed, and every later run waits on the pool. Dagster's own
run monitoring cannot see it with the default run launcher (which has no worker health check),
so the sensor ``fail_dead_runs`` does, every minute in the daemon: a ``STARTED`` run whose
process (the pid of its "Executing steps in process" event) no longer exists on this machine, or
is now another process (started after the run's event), is marked failed with the reason, which
the alert sensor then tells a person, and its pool slots are freed. The next run proceeds: DuckDB
rolls back what the killed writer had not committed, dlt finishes or redoes its pending load
packages, and dbt rebuilds what it had not finished.

This judges processes on the machine the daemon runs on: the runs of a local deployment (``make
ui``, ``dagster asset materialize``), where the runs and the warehouse are.
"""

from __future__ import annotations

import dagster as dg
import psutil

#: seconds a process may start after the event that names it (clock granularity)
_SLACK = 2.0


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """(pid, when it was reported) of the process executing the run's steps, if it said."""
    found = None
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = record.dagster_event.engine_event_data if record.dagster_event else None
        pid = data.metadata.get("pid") if data else None
        if pid is not None:
            found = (int(pid.value), record.timestamp)
    return found


def is_alive(pid: int, reported_at: float) -> bool:
    """The process `pid` exists and is the one that reported (not a later one given its pid)."""
    try:
        return psutil.Process(pid).create_time() <= reported_at + _SLACK
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False


def fail_dead_runs_now(instance: dg.DagsterInstance) -> list[str]:
    """Mark every started run whose process is gone as failed and free its pool slots; returns
    their run ids."""
    failed = []
    for run in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        worker = worker_pid(instance, run.run_id)
        if worker is None or is_alive(*worker):
            continue
        pid = worker[0]
        instance.report_run_failed(
            run,
            message=f"the run's process (pid {pid}) is gone: killed, or its machine stopped; "
            "marked failed so that its steps release the warehouse",
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        failed.append(run.run_id)
    return failed


@dg.sensor(
    name="fail_dead_runs",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description=(
        "Marks a started run whose process died (killed, machine lost) as failed and frees its "
        "slot of the duckdb_warehouse pool, so later runs are not blocked forever."
    ),
)
def fail_dead_runs(context: dg.SensorEvaluationContext):
    failed = fail_dead_runs_now(context.instance)
    for run_id in failed:
        context.log.warning(f"run {run_id}: its process is gone; marked failed, pool slots freed")
    return dg.SkipReason(
        f"marked {len(failed)} dead run(s) failed" if failed else "every started run is alive"
    )


defs = dg.Definitions(sensors=[fail_dead_runs])
