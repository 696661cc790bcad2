"""`make demo`: start the sandbox, run the whole pipeline on it, print where the results are.

The sandbox runs in this process (a real uvicorn server on 127.0.0.1); the pipeline runs as
`dagster asset materialize` in a child process whose environment points every source at the
sandbox. Nothing here needs the internet.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.connect import source_env  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from sandbox.world import World  # noqa: E402


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
    args = parser.parse_args()

    systems = [s.strip() for s in args.systems.split(",") if s.strip()] or None
    if args.data:
        data = Path(args.data)
    elif systems:
        data = ROOT / "data" / f"systems-{'-'.join(sorted(systems))}"
    else:
        data = ROOT / "data"
    data.mkdir(parents=True, exist_ok=True)
    warehouse = Path(os.environ.get("WAREHOUSE_PATH", data / "warehouse.duckdb"))
    # every path beside it (the publication, dlt's state) follows, here and in the run
    os.environ["WAREHOUSE_PATH"] = str(warehouse)
    world = World(seed=args.seed, scale=args.scale, systems=systems)
    say(f"world: seed {world.seed}, {world.scale} people arriving {world.start} .. {world.end}")
    say(f"systems: {', '.join(world.system_names)}")

    with SandboxServer(world) as sandbox:
        say(f"sandbox serving on {sandbox.url}; every enabled source reads it")
        env = {
            **os.environ,
            **source_env(sandbox.base_urls, sandbox.credentials, world),
            "WAREHOUSE_PATH": str(warehouse),
            "DAGSTER_HOME": os.environ.get("DAGSTER_HOME", str(ROOT / "dagster_home")),
            # the run calls dbt: the dbt of this environment, whether or not it is on PATH
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "dagster", "asset", "materialize",
             "-m", "orchestration.definitions", "--select", "*"],
            cwd=ROOT, env=env, check=False,
        )  # fmt: skip
        say(f"pipeline finished in {time.perf_counter() - started:.0f} s (exit {run.returncode})")
        if run.returncode != 0:
            say("the pipeline failed: see the log above, or `make ui` for the run in Dagster")
            return run.returncode

    truth_dir = data / "truth"
    from sandbox import truth

    truth.write_truth(world, truth_dir)
    say("results:")
    say(f"  warehouse (DuckDB): {warehouse}")
    _print_tables(warehouse)
    from warehouse.settings import certified_path

    say(f"  published certified tables (what BI reads): {certified_path()}")
    say(f"  the simulator's ground truth for this world: {truth_dir}/")
    say("  the Dagster UI with this run's history: make ui")
    site = ROOT / "reports" / "build"
    if (site / "index.html").exists():
        say("  the report site: python -m http.server -d reports/build -b 127.0.0.1 8000,")
        say("    then open http://127.0.0.1:8000/")
    return 0


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
