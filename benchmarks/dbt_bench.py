"""dbt build time, full and incremental, on a sandbox world loaded by the real sources.

Loads ``World(seed, scale)`` as of ``--advance-days`` before its end, runs a full ``dbt build``,
loads the world again as of its end (new activity and the late updates of those days), runs an
incremental ``dbt build``, then ``dbt build --full-refresh`` on a copy of that warehouse for
comparison. Loading goes through the sandbox and dlt and takes minutes at 10k people; with
``--keep DIR`` the two loaded warehouses are kept there and reused by the next run, so that
only dbt is measured again.

    python benchmarks/dbt_bench.py --scale 10000 [--advance-days 3] [--keep /tmp/dbt_bench]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, run_measured, write_results  # noqa: E402

DBT = str(Path(sys.executable).parent / "dbt")
DBT_PROJECT_DIR = ROOT / "dbt_project"
INCREMENTAL_MODELS = ("int_touchpoints_unioned", "fct_touchpoints", "fct_stage_entries",
                      "fct_spend_daily", "fct_attribution_credits")  # fmt: skip


def progress(message: str) -> None:
    print(f"[dbt_bench] {message}", file=sys.stderr, flush=True)


def load(scale: int, seed: int, advance_days: int, keep: Path) -> tuple[Path, Path]:
    """The raw warehouse before and after the advance (workdirs with a dlt state), cached."""
    from sandbox.loading import load_world
    from sandbox.world import World

    world = World(seed=seed, scale=scale)
    before = replace(world, as_of=world.today - timedelta(days=advance_days))
    loaded, before_dir, after_dir = keep / "loading", keep / "before", keep / "after"
    if after_dir.exists():
        progress(f"reusing the loaded warehouses in {keep}")
        return before_dir, after_dir
    shutil.rmtree(loaded, ignore_errors=True)
    if before_dir.exists():  # an earlier run stopped between the loads: resume from `before`
        progress(f"reusing the first load in {before_dir}")
        shutil.copytree(before_dir, loaded)
        steps = (("after", world, after_dir),)
    else:
        steps = (("before", before, before_dir), ("after", world, after_dir))
    for name, state, snapshot in steps:
        progress(f"loading the world as of {state.today} ({name}) at scale {scale}")
        started = time.perf_counter()
        load_world(state, loaded)
        progress(f"loaded in {time.perf_counter() - started:.0f} s")
        shutil.rmtree(snapshot, ignore_errors=True)
        shutil.copytree(loaded, snapshot)
    return before_dir, after_dir


def dbt_build(workdir: Path, *extra: str) -> dict:
    """Run `dbt build` on workdir's warehouse; seconds and per-model materializations."""
    command = [
        DBT, "build", *extra, "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(workdir / "dbt_target"),
        "--log-path", str(workdir / "dbt_logs"),
    ]  # fmt: skip
    env = {"WAREHOUSE_PATH": str(workdir / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}  # fmt: skip
    started = time.perf_counter()
    out, peak_mb = run_measured(
        command, env={**os.environ, **env}, capture_output=True, text=True, cwd=DBT_PROJECT_DIR
    )
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"dbt build {' '.join(extra)} failed:\n{out.stdout[-4000:]}")
    results = json.loads((workdir / "dbt_target" / "run_results.json").read_text())
    slowest = sorted(
        (r for r in results["results"] if r["unique_id"].startswith("model.")),
        key=lambda r: -r["execution_time"],
    )[:8]

    def busy(keep) -> float:
        busy = (r["execution_time"] for r in results["results"] if keep(r["unique_id"]))
        return round(sum(busy), 1)

    return {
        "seconds": round(seconds, 1),
        "dbt_elapsed_s": round(results["elapsed_time"], 1),
        "peak_mb": round(peak_mb),
        "models_s": busy(lambda uid: uid.startswith("model.")),
        "incremental_models_s": busy(lambda uid: uid.split(".")[-1] in INCREMENTAL_MODELS),
        "tests_s": busy(lambda uid: uid.startswith("test.")),
        "models_s_by_layer": models_by_layer(results["results"]),
        "slowest_models": {
            r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in slowest
        },
    }


def models_by_layer(results: list[dict]) -> dict[str, float]:
    """The models' seconds summed by the schema each writes (staging, intermediate, marts,
    certified, quarantine, semantic: the project's layers), from dbt's run results."""
    layers: dict[str, float] = {}
    for result in results:
        if result["unique_id"].startswith("model.") and result.get("relation_name"):
            schema = result["relation_name"].split(".")[-2].strip('"')
            layers[schema] = layers.get(schema, 0.0) + result["execution_time"]
    return {layer: round(seconds, 1) for layer, seconds in sorted(layers.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--advance-days", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the loaded warehouses here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        keep = args.keep or Path(tmp) / "loaded"
        keep.mkdir(parents=True, exist_ok=True)
        before, after = load(args.scale, args.seed, args.advance_days, keep)
        work = Path(tmp) / "incremental"
        shutil.copytree(before, work)
        progress("dbt build (first run: every model built in full)")
        full = dbt_build(work)
        progress(f"full build {full['seconds']} s")
        shutil.copy2(after / "warehouse.duckdb", Path(tmp) / "after.duckdb")
        incremental, full_refresh = incremental_and_full_refresh(
            work, Path(tmp) / "after.duckdb", f"{args.advance_days} days later"
        )

    result = {
        "step": "dbt_build",
        "scale": args.scale,
        "advance_days": args.advance_days,
        "full": full,
        "incremental": incremental,
        "full_refresh": full_refresh,
    }
    print(json.dumps(result), flush=True)
    print(f"written to {write_results('dbt', [result]).relative_to(ROOT)}")


def incremental_and_full_refresh(work: Path, after: Path, label: str) -> tuple[dict, dict]:
    """The later load's raw tables (`after`) replace `work`'s, as a new load would; then an
    incremental `dbt build`, and `--full-refresh` on a copy of the same warehouse."""
    _copy_raw_schemas(after, work / "warehouse.duckdb")
    progress(f"dbt build (incremental, {label})")
    incremental = dbt_build(work)
    progress(f"incremental build {incremental['seconds']} s")
    refresh = work.parent / f"{work.name}-refresh"
    shutil.copytree(work, refresh)
    progress("dbt build --full-refresh on a copy of the same warehouse")
    full_refresh = dbt_build(refresh, "--full-refresh")
    progress(f"full refresh {full_refresh['seconds']} s")
    return incremental, full_refresh


def _copy_raw_schemas(source: Path, target: Path) -> None:
    """Replace target's raw_* tables with source's (the second load over the first's models)."""
    import duckdb

    with duckdb.connect(str(target)) as con:
        con.execute(f"attach '{source}' as loaded (read_only)")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'loaded' and table_schema like 'raw\\_%' escape '\\'"
        ).fetchall()
        for schema, table in tables:
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(
                f'create or replace table "{schema}"."{table}" as '
                f'select * from loaded."{schema}"."{table}"'
            )
        con.execute("detach loaded")


if __name__ == "__main__":
    main()
