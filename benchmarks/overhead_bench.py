"""dbt against its own SQL: a `dbt build` beside the same statements run directly in DuckDB.

Issue 15 asks that a `dbt build` cost at most 1.3 times the compiled SQL it runs. This measures
both on the same warehouse, one after the other, repeated and interleaved:

- **dbt**: `dbt build --exclude-resource-type unit_test`, as the orchestrator runs it (unit
  tests run in the test suite, not on a schedule), from a partial-parse state made once
  beforehand (as a deployment keeps it), on one warehouse path (a path rendered differently
  costs a full parse), with dbt's debug log written as JSON.
- **its SQL, directly**: every statement that run sent to DuckDB, read from that log (dbt's
  `SQLQuery` events, in the order they started, and its rollbacks), sent by a fresh Python
  process to a copy of the same starting warehouse through the `duckdb` module, one cursor per
  dbt thread (as dbt-duckdb gives each thread its own), with the warehouse's DuckDB settings
  (`warehouse.settings.duckdb_settings`). Statements of concurrent nodes run one after the other
  here; each statement's own query still uses every DuckDB thread. The seconds are from opening
  the database to closing it. Both runs must leave the same tables with the same row counts,
  or the benchmark stops: the replay did the same work.

Both a full build (from the raw tables of the kept `before` load) and an incremental build (the
full build's warehouse with the `after` load's raw tables in place) are measured. ``--copies N``
copies the people N times first (`scale_bench.replicate`, for 1M people from a 100k load).

    python benchmarks/overhead_bench.py --keep DIR [--copies 10] [--repeats 3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, write_results  # noqa: E402
from benchmarks.dbt_bench import DBT, DBT_PROJECT_DIR, _copy_raw_schemas  # noqa: E402


def progress(message: str) -> None:
    print(f"[overhead_bench] {message}", file=sys.stderr, flush=True)


def dbt_command(run: Path, *args: str) -> list[str]:
    return [
        DBT, *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(run / "target"), "--log-path", str(run / "logs"),
    ]  # fmt: skip


def dbt_env(run: Path) -> dict[str, str]:
    return {**os.environ, "WAREHOUSE_PATH": str(run / "warehouse.duckdb"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}  # fmt: skip


def timed_dbt_build(run: Path) -> dict:
    """`dbt build` as the orchestrator runs it, its debug log as JSON (one file, not rotated)."""
    shutil.rmtree(run / "logs", ignore_errors=True)
    command = dbt_command(
        run, "build", "--exclude-resource-type", "unit_test", "--log-format-file", "json",
        "--log-level-file", "debug", "--log-file-max-bytes", "0",
    )  # fmt: skip
    started = time.perf_counter()
    out = subprocess.run(
        command, env=dbt_env(run), capture_output=True, text=True, cwd=DBT_PROJECT_DIR
    )
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{out.stdout[-4000:]}")
    results = json.loads((run / "target" / "run_results.json").read_text())
    statements = read_statements(run / "logs" / "dbt.log")
    return {
        "seconds": round(seconds, 2),
        "dbt_elapsed_s": round(results["elapsed_time"], 2),
        "nodes": len(results["results"]),
        "statements": sum(1 for s in statements if s["kind"] == "sql"),
        "sql_inside_dbt_s": round(sum(s.get("elapsed", 0.0) for s in statements), 2),
    }


def read_statements(log: Path) -> list[dict]:
    """What dbt sent to the database, in order: each statement (with the seconds dbt measured
    for it), each rollback and each closed connection, with the thread that sent it."""
    statements: list[dict] = []
    open_by_thread: dict[str, dict] = {}
    for line in log.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        name, thread = event["info"]["name"], event["info"]["thread"]
        if name == "SQLQuery":
            sql = event["data"]["sql"].rstrip()
            if sql.endswith("...") and sql.lstrip().upper().startswith("COPY"):
                sql = sql[:-3]  # dbt-duckdb logs a seed's COPY with a trailing "..."
            statement = {"kind": "sql", "thread": thread, "sql": sql}
            statements.append(statement)
            open_by_thread[thread] = statement
        elif name == "SQLQueryStatus" and thread in open_by_thread:
            open_by_thread.pop(thread)["elapsed"] = event["data"]["elapsed"]
        elif name == "Rollback":
            statements.append({"kind": "rollback", "thread": thread})
        elif name in ("ConnectionClosed", "ConnectionClosedInCleanup"):
            statements.append({"kind": "close", "thread": thread})
    return statements


def replay(log: Path, warehouse: Path) -> dict:
    """Run the statements of dbt's log on `warehouse` in a fresh process; its seconds."""
    out = subprocess.run(
        [sys.executable, __file__, "--replay", str(log), "--warehouse", str(warehouse)],
        capture_output=True, text=True, cwd=DBT_PROJECT_DIR,  # a seed's COPY names ./seeds
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"the replay failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def replay_child(log: Path, warehouse: Path) -> None:
    import duckdb

    from warehouse.settings import duckdb_settings

    statements = read_statements(log)
    started = time.perf_counter()
    database = duckdb.connect(str(warehouse), config=duckdb_settings())
    cursors: dict[str, duckdb.DuckDBPyConnection] = {}
    for statement in statements:
        thread = statement["thread"]
        if statement["kind"] == "close":
            cursor = cursors.pop(thread, None)
            if cursor is not None:
                cursor.close()
            continue
        cursor = cursors.get(thread) or cursors.setdefault(thread, database.cursor())
        if statement["kind"] == "rollback":
            # no transaction open is no error: dbt rolls back only open ones
            with contextlib.suppress(duckdb.Error):
                cursor.rollback()
        else:
            cursor.execute(statement["sql"]).fetchall()
    for cursor in cursors.values():
        cursor.close()
    database.close()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": round(seconds, 2), "statements": len(statements)}))


def table_counts(warehouse: Path) -> dict[str, int]:
    """Every table's and view's row count: what a run left behind."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_catalog = current_database() order by 1, 2"
        ).fetchall()
        count = 'select count(*) from "{}"."{}"'
        return {
            f"{schema}.{name}": con.execute(count.format(schema, name)).fetchone()[0]
            for schema, name in names
        }


def measure(label: str, base: Path, run: Path, repeats: int) -> dict:
    """dbt's build and its SQL replayed, `repeats` pairs on copies of `base`, alternating which
    goes first. Leaves the last dbt build's warehouse in `run`."""
    # the same file name as dbt's: the statements name its catalog, "warehouse"
    replayed = run.parent / "replay" / "warehouse.duckdb"
    replayed.parent.mkdir(exist_ok=True)

    def replay_on_copy() -> dict:
        """The statements in the last build's log, replayed on a fresh copy of `base`."""
        shutil.copy2(base, replayed)
        return replay(run / "logs" / "dbt.log", replayed)

    pairs = []
    for index in range(repeats):
        # every other pair replays first: the statements of the previous build (the same work)
        replay_first = index % 2 == 1
        if replay_first:
            direct = replay_on_copy()
        shutil.copy2(base, run / "warehouse.duckdb")
        build = timed_dbt_build(run)
        if not replay_first:
            direct = replay_on_copy()
        if table_counts(replayed) != table_counts(run / "warehouse.duckdb"):
            raise RuntimeError(f"{label}: the replay left other tables or row counts than dbt")
        pairs.append({"dbt": build, "direct": direct,
                      "ratio": round(build["seconds"] / direct["seconds"], 2)})  # fmt: skip
        progress(
            f"{label} {index + 1}/{repeats}: dbt {build['seconds']} s (SQL inside"
            f" {build['sql_inside_dbt_s']} s), directly {direct['seconds']} s"
        )
    replayed.unlink()
    return {
        "pairs": pairs,
        "dbt_median_s": statistics.median(p["dbt"]["seconds"] for p in pairs),
        "direct_median_s": statistics.median(p["direct"]["seconds"] for p in pairs),
        "ratio_median": statistics.median(p["ratio"] for p in pairs),
    }


def table(result: dict) -> str:
    """The medians as a markdown table; the ratio is the median of the pairs' own ratios."""
    lines = [
        "| build | dbt s | its SQL directly s | dbt / SQL (range) | nodes | statements |"
        " dbt's own SQL time s |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for label in ("full", "incremental"):
        run = result[label]
        ratios = [pair["ratio"] for pair in run["pairs"]]
        last = run["pairs"][-1]["dbt"]
        inside = statistics.median(pair["dbt"]["sql_inside_dbt_s"] for pair in run["pairs"])
        lines.append(
            f"| {label} | {run['dbt_median_s']:.1f} | {run['direct_median_s']:.1f} |"
            f" {run['ratio_median']:.2f} ({min(ratios):.2f}-{max(ratios):.2f}) |"
            f" {last['nodes']} | {last['statements']} | {inside:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="a dbt_bench.py --keep folder")
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="work here (default: a temporary folder)")
    parser.add_argument("--replay", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replay:
        replay_child(args.replay, args.warehouse)
        return
    before, after = (args.keep / name / "warehouse.duckdb" for name in ("before", "after"))
    if not (before.exists() and after.exists()):
        raise SystemExit(f"{args.keep} has no before/after warehouses: see dbt_bench.py --keep")
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)

    from benchmarks.scale_bench import replicate

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work, run = Path(tmp), Path(tmp) / "run"
        run.mkdir()
        full_base, later = work / "full_base.duckdb", work / "after.duckdb"
        if args.copies > 1:
            progress(f"copying the people {args.copies} times")
            replicate(before, full_base, args.copies)
            replicate(after, later, args.copies)
        else:
            shutil.copy2(before, full_base)
            shutil.copy2(after, later)
        shutil.copy2(full_base, run / "warehouse.duckdb")
        progress("dbt parse (the partial-parse state every measured build starts from)")
        subprocess.run(dbt_command(run, "parse"), env=dbt_env(run), check=True,
                       capture_output=True, cwd=DBT_PROJECT_DIR)  # fmt: skip
        full = measure("full build", full_base, run, args.repeats)
        incremental_base = work / "incremental_base.duckdb"
        shutil.copy2(run / "warehouse.duckdb", incremental_base)
        _copy_raw_schemas(later, incremental_base)
        incremental = measure("incremental build", incremental_base, run, args.repeats)

    result = {"step": "dbt_against_its_sql", "source": str(args.keep), "copies": args.copies,
              "dbt_threads": os.environ.get("WAREHOUSE_DBT_THREADS", "2"),
              "full": full, "incremental": incremental}  # fmt: skip
    print(json.dumps(result), flush=True)
    print(table(result))
    print(f"written to {write_results(f'overhead_x{args.copies}', [result]).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
