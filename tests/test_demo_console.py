"""`make demo`'s console: each step and its time, the project's messages, every failure in full,
and none of Dagster's other DEBUG events or dbt's line per node (those go to the log file).

The log (tests/fixtures/demo/) is lines copied from a real `dagster asset materialize` run of
this project, as Dagster and dbt print them; the failure lines follow the same format.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _demo():
    spec = importlib.util.spec_from_file_location("demo_script", ROOT / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: lines of a real run's log (kept as Dagster and dbt print them), with a failure added
LOG = (ROOT / "tests/fixtures/demo/dagster_run.log").read_text().splitlines(keepends=True)


def test_the_console_shows_steps_failures_and_messages_and_leaves_the_rest_to_the_file():
    demo = _demo()
    ticks = iter(range(0, 1000, 4))  # a clock that moves 4 s per dbt line read
    shown = list(demo.console_lines(LOG, clock=lambda: next(ticks)))
    text = "\n".join(shown)

    assert shown[0] == "19:02:27 load_fx ..."
    assert "19:02:27 load_fx: fx: loading from the sandbox" in shown
    assert "19:02:29 load_fx done in 2.62s" in shown
    assert "19:05:08 reports__site done in 1m17s" in shown
    # dbt: its start, its failed node, its summary; the error and the step's failure in full
    assert any(line.startswith("19:03:06 dbt_models: running dbt build") for line in shown)
    assert any("FAIL 3 not_null_funnel_daily_channel" in line for line in shown)
    assert "  dbt: Done. PASS=563 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=565" in shown
    assert "19:03:44 dbt_models: ERROR: dbt build failed: 1 test failed" in shown
    assert "      not_null_funnel_daily_channel: 3 rows" in shown
    assert any("STEP_FAILURE" in line for line in shown)
    assert any("DagsterDbtCliRuntimeError" in line for line in shown)
    # the failed check is shown, the passed one is not
    assert any("'certified/funnel_daily' failed" in line for line in shown)
    assert "raw/fx/rates" not in text
    # left to the file: Python's warnings, other DEBUG events, dagster-dbt's chatter and notices
    left = ["SupersessionWarning", "RUN_START", "LOADED_INPUT", "Copying", "AssetObservation"]
    left += ["indirect selection", "START sql table", "metricflow_time_spine"]
    for hidden in left:
        assert hidden not in text, hidden


def test_dbt_progress_is_shown_at_most_every_few_seconds():
    demo = _demo()
    nodes = [f"{n} of 300 PASS test_{n} .... [PASS in 0.01s]\n" for n in range(1, 301)]
    seconds = iter(range(300))  # one second per node
    shown = list(demo.console_lines(nodes, clock=lambda: next(seconds)))
    step = int(demo.DBT_PROGRESS_SECONDS)
    assert shown == [f"  dbt: {n} of 300 models, seeds and tests done" for n in range(1, 301, step)]
