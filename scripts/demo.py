"""`make demo`: start the sandbox, run the whole pipeline on it, print where the results are.

The sandbox runs in this process (a real uvicorn server on 127.0.0.1); the pipeline runs as
`dagster asset materialize` in a child process whose environment points every source at the
sandbox. Nothing here needs the internet.

The run's whole log (Dagster's DEBUG events, dbt's line per node, library warnings) goes to a
file under the data folder; the console shows each step with its time, dbt's progress every
few seconds, the project's own messages, and every warning, error and failed check in full.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.connect import source_env  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from sandbox.world import World, registered_crms  # noqa: E402


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SEED", 7)))
    parser.add_argument("--scale", type=int, default=int(os.environ.get("SCALE", 1000)))
    parser.add_argument(
        "--data",
        default=os.environ.get("DEMO_DATA"),
        help="where the warehouse and the publication go (default data/, or "
        "data/systems-<names>/ for a world with only some systems, so its publication is "
        "not compared with the full world's: the checks refuse a sudden drop in rows)",
    )
    parser.add_argument(
        "--systems",
        default=os.environ.get("SYSTEMS", ""),
        help="the source systems the simulated organisation has, comma-separated "
        "(default: every registered source); only those are enabled for the run",
    )
    parser.add_argument(
        "--crm",
        default=os.environ.get("CRM") or None,
        help="the CRM of the simulated organisation: hubspot (default) or salesforce; the "
        "other one is disabled for the run",
    )
    args = parser.parse_args()

    systems = [s.strip() for s in args.systems.split(",") if s.strip()] or None
    if args.data:
        data = ROOT / args.data  # a relative folder is taken from the project folder
    elif systems:
        data = ROOT / "data" / f"systems-{'-'.join(sorted(systems))}"
    elif args.crm and args.crm != registered_crms()[0]:
        data = ROOT / "data" / f"crm-{args.crm}"
    else:
        data = ROOT / "data"
    data.mkdir(parents=True, exist_ok=True)
    # every path beside the warehouse (the publication, dlt's state) follows it, here and in
    # the run; given from the project folder when inside it, as `make setup`'s dbt parse saw
    # the default, so the run's dbt parses only what changed
    if not os.environ.get("WAREHOUSE_PATH"):
        os.environ["WAREHOUSE_PATH"] = _shown(data / "warehouse.duckdb")
    from warehouse.settings import warehouse_path

    warehouse = warehouse_path()
    world = World(seed=args.seed, scale=args.scale, systems=systems, crm=args.crm)
    say(f"world: seed {world.seed}, {world.scale} people arriving {world.start} .. {world.end}")
    say(f"systems: {', '.join(world.system_names)}")

    with SandboxServer(world) as sandbox:
        say(f"sandbox serving on {sandbox.url}; every enabled source reads it")
        env = {
            **os.environ,
            **source_env(sandbox.base_urls, sandbox.credentials, world),
            "WAREHOUSE_PATH": os.environ["WAREHOUSE_PATH"],
            "DAGSTER_HOME": os.environ.get("DAGSTER_HOME", str(ROOT / "dagster_home")),
            # the run calls dbt: the dbt of this environment, whether or not it is on PATH
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        log = data / "logs" / f"demo-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        say(f"running every asset; the full log goes to {_shown(log)}")
        started = time.perf_counter()
        returncode = _run_logged(
            [sys.executable, "-m", "dagster", "asset", "materialize",
             "-m", "orchestration.definitions", "--select", "*"],
            env, log,
        )  # fmt: skip
        say(f"pipeline finished in {time.perf_counter() - started:.0f} s (exit {returncode})")
        if returncode != 0:
            say(f"the pipeline failed: see above, the full log {_shown(log)}, or `make ui`")
            return returncode

    truth_dir = data / "truth"
    from sandbox import truth

    truth.write_truth(world, truth_dir)
    say("results:")
    say(f"  warehouse (DuckDB): {warehouse}")
    _print_tables(warehouse)
    from warehouse.settings import certified_path

    say(f"  published certified tables (what BI reads): {certified_path()}")
    say(f"  the simulator's ground truth for this world: {truth_dir}/")
    say(f"  this run's full log: {_shown(log)}")
    say("  the Dagster UI with this run's history: make ui")
    site = ROOT / "reports" / "build"
    if (site / "index.html").exists():
        say("  the report site: python -m http.server -d reports/build -b 127.0.0.1 8000,")
        say("    then open http://127.0.0.1:8000/")
    return 0


def _shown(path: Path) -> str:
    """A path as the reader typed it: relative to the checkout when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _run_logged(command: list[str], env: dict[str, str], log: Path) -> int:
    """Run `command`, every line of its output to `log`, the console's share to the console."""
    with (
        log.open("w", encoding="utf-8") as file,
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as process,
    ):
        assert process.stdout is not None

        def lines() -> Iterator[str]:
            for line in process.stdout:
                file.write(line)
                file.flush()
                yield line

        for shown in console_lines(lines()):
            say(shown)
        return process.wait()


#: a line of Dagster's console log: time, level, job, run id, then the step and its message
_DAGSTER_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d (?P<time>\d\d:\d\d:\d\d) [+-]\d{4} - dagster - (?P<level>[A-Z]+) - "
    r"[^ ]+ - [0-9a-f-]{36} - (?:\d+ - )?(?P<step>[^ ]+) - (?P<message>.*)$"
)
#: Dagster's structured events: ``EVENT_TYPE - message``
_EVENT = re.compile(r"^(?P<event>[A-Z_]+) - (?P<text>.*)$")
#: dbt's line per node: ``12 of 565 PASS not_null_... [PASS in 0.02s]``
_DBT_NODE = re.compile(r"^\s*(?P<done>\d+) of (?P<total>\d+) (?P<status>[A-Z-]+)\b")
#: what the console leaves to the file: dagster-dbt's own chatter, and its notice for each dbt
#: test on a source that is not one of the asset's checks (the tests still run and still fail
#: the step; they are listed in the file)
_QUIET_INFO = (
    "A dbt subsetted execution",
    "Copying `",
    "Finished dbt command",
)
_QUIET_WARNING = ("Logging an `AssetObservation` instead of an `AssetCheckResult`",)
#: how often dbt's progress is shown while it builds
DBT_PROGRESS_SECONDS = 10.0


def console_lines(lines: Iterable[str], clock=time.monotonic) -> Iterator[str]:
    """The console's view of a `dagster asset materialize` log.

    Shown: each step's start and its end with the time it took, a failed step or check with
    the lines of its error, the project's INFO messages, warnings and errors, dbt's progress
    (at most every DBT_PROGRESS_SECONDS), its failed or warning nodes and its summary. Left to
    the file: Dagster's other DEBUG events, dbt's line per node, Python's warnings.
    """
    follow = False  # the continuation lines of a shown error are shown with it
    last_progress = None
    for raw in lines:
        line = raw.rstrip("\n")
        match = _DAGSTER_LINE.match(line)
        if match is None:
            node = _DBT_NODE.match(line)
            if node:
                follow = False
                status = node["status"]
                if status in {"ERROR", "FAIL", "WARN"}:
                    yield f"  dbt {line.strip()}"
                elif status != "START":
                    now = clock()
                    if last_progress is None or now - last_progress >= DBT_PROGRESS_SECONDS:
                        last_progress = now
                        done = f"{node['done']} of {node['total']}"
                        yield f"  dbt: {done} models, seeds and tests done"
            elif line.startswith(("Done. PASS=", "Completed with", "Found ")):
                follow = False
                yield f"  dbt: {line.strip()}"
            elif follow and line.strip():
                yield f"    {line}"
            continue
        follow = False
        time_of_day, level, step, message = match.group("time", "level", "step", "message")
        event = _EVENT.match(message)
        if level == "DEBUG":
            if event is None:
                continue
            kind, text = event["event"], event["text"]
            if kind == "STEP_START":
                yield f"{time_of_day} {step} ..."
            elif kind == "STEP_SUCCESS":
                took = re.search(r" in (\S+?)\.?$", text)
                yield f"{time_of_day} {step} done" + (f" in {took[1]}" if took else "")
            elif kind in {"STEP_FAILURE", "RUN_FAILURE"} or (
                kind == "ASSET_CHECK_EVALUATION" and not re.search(r"' passed\.", text)
            ):
                follow = kind == "STEP_FAILURE"
                yield f"{time_of_day} {step} {kind}: {text}"
            continue
        if level == "INFO" and message.startswith(_QUIET_INFO):
            continue
        if level == "WARNING" and message.startswith(_QUIET_WARNING):
            continue
        if message.startswith("Running dbt command"):
            message = "running dbt build (its progress below, every node in the log file)"
        follow = level in {"ERROR", "CRITICAL"}
        shown_level = "" if level == "INFO" else f"{level}: "
        yield f"{time_of_day} {step}: {shown_level}{message}"


def _print_tables(warehouse: Path) -> None:
    """Rows per raw dataset, then every certified table (what BI reads)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            """select schema_name, table_name from duckdb_tables()
               where not starts_with(table_name, '_dlt') and schema_name not like '%_staging'
               order by 1, 2"""
        ).fetchall()
        counts = {
            (schema, table): con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            for schema, table in tables
            if schema.startswith("raw_") or schema == "certified"
        }
    raw: dict[str, list[int]] = {}
    for (schema, _), n in counts.items():
        if schema.startswith("raw_"):
            raw.setdefault(schema, []).append(n)
    for schema, ns in raw.items():
        say(f"    {schema}: {sum(ns):,} rows in {len(ns)} tables")
    for (schema, table), n in counts.items():
        if schema == "certified":
            say(f"    certified.{table}: {n:,} rows")


if __name__ == "__main__":
    sys.exit(main())
