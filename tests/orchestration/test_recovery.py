"""A run killed with SIGKILL in the middle of dbt does not block the next one.

Through ``dagster asset materialize`` in a scratch instance, as an operator runs it: everything
after the loads starts, and while dbt is building, the run's whole process group is killed. The
run stays ``STARTED`` holding its slot of the ``duckdb_warehouse`` pool, as Dagster leaves it.
One tick of ``fail_dead_runs`` (what the daemon does every minute) marks it failed and frees the
slot; the next run then finishes with no manual step and publishes exactly the ground truth of
the world, as a clean run does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.recovery import fail_dead_runs_now
from sandbox.truth import TABLES, compute_truth
from sandbox.world import World
from tests.support.dagster_cli import ROOT, materialize, scratch_env
from tests.support.pipeline import assert_rows_equal, load_world

WORLD = World(seed=5, scale=80)
SELECTION = 'not key:"raw/*" and not group:"reports"'
POOL = "duckdb_warehouse"


def _wait_for_dbt(
    instance: dg.DagsterInstance, process: subprocess.Popen, stderr: Path, timeout: float = 300
) -> str:
    """The run id, once the run's dbt step has started and dbt has been at work a moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = stderr.read_text()[-3000:]
            pytest.fail(f"the run ended before dbt started; the CLI's stderr ends:\n{tail}")
        for run in instance.get_runs():
            steps = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)
            if any(e.step_key == "dbt_models" for e in steps):
                time.sleep(4)  # dbt is building models now
                return run.run_id
        time.sleep(0.5)
    pytest.fail("dbt never started")


def test_a_run_killed_mid_dbt_does_not_block_the_next(tmp_path):
    load_world(WORLD, tmp_path)
    env = {
        "CERTIFIED_PATH": str(tmp_path / "certified.duckdb"),
        "QUALITY_DOCS_DIR": str(tmp_path / "quality_docs"),
        "WAREHOUSE_AS_OF": WORLD.now.isoformat(),
    }
    cli_env = scratch_env(tmp_path, env)
    home = tmp_path / "dagster_home"
    # the instance's storage is created here, before the CLI starts: the test reads it while
    # the run goes on, and two processes creating the same SQLite tables at once can fail
    instance = dg.DagsterInstance.from_config(str(home))
    stderr = tmp_path / "cli.stderr"
    with stderr.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "dagster", "asset", "materialize", "-m",
             "orchestration.definitions", "--select", SELECTION],
            cwd=ROOT, env=cli_env, stdout=subprocess.DEVNULL, stderr=err,
            start_new_session=True,
        )  # fmt: skip
    try:
        run_id = _wait_for_dbt(instance, process, stderr)
    finally:
        # the CLI and dbt with it, as a lost machine (nothing left of a run that ended itself)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
    holders = instance.event_log_storage.get_concurrency_info(POOL).active_run_ids
    assert holders == {run_id}, "the killed run holds the warehouse"

    assert fail_dead_runs_now(instance) == [run_id]
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    assert not instance.event_log_storage.get_concurrency_info(POOL).active_run_ids
    assert fail_dead_runs_now(instance) == [], "a failed run is not failed twice"

    # the next run, with no manual step: were the slot still held it would wait forever
    run = materialize(SELECTION, tmp_path, env, timeout=600)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]

    truth = compute_truth(WORLD)
    with duckdb.connect(str(tmp_path / "certified.duckdb"), read_only=True) as con:
        for table, (grain, *_) in TABLES.items():
            cursor = con.execute(f"select * from {table}")
            columns = [d[0] for d in cursor.description]
            rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
            assert_rows_equal(rows, truth.table(table), grain, table=table)
