"""The daily run against a full refresh: time and peak memory, side by side, at growing sizes.

For each scale, the simulator serves ``World(seed, scale)`` from its own process (``python -m
sandbox serve``), and the pipeline runs as a team runs it: ``dagster asset materialize`` of
every asset but the report site (loads, dbt build, Great Expectations, publication), each run in
a fresh process tree whose peak resident memory is read when it ends (``wait4``; the largest
process of the tree: a step's own process or the dbt it starts).

1. **first**: a full run on an empty warehouse (the first load and build); the warehouse, the
   dlt state and the publication are then kept as they were.
2. The world advances by ``--days`` (one day by default): new activity, late updates. The
   simulator builds its indexes of the new day before answering (``advance?warm=1``), so the
   runs time the pipeline, not the simulator indexing its new state.
3. Then, ``--repeats`` times, interleaved so that the machine's noise falls on both alike:
   **daily**: the kept warehouse, state and publication, and the run again (each source loads
   what changed, the incremental models take the new rows), and **full refresh**: an empty
   warehouse and the same run, which loads and builds everything from the same sources.
   With ``--against-first`` (for sizes where a full load takes the best part of an hour) the
   full refreshes are skipped and each daily run is compared with the first run instead, a
   full run on one day's less data. After each daily run, **unchanged**: the same run again
   on the warehouse the daily run left, with nothing new in the sources: the floor of the
   daily path, what a run costs when there is no change to carry (Dagster's start and events,
   each source's fixed cost, dbt's per-node cost, the suites).

The table gives the medians, the ratio daily/full (the median of each pair's ratio) and the
Dagster steps' own times (the dbt step, each source's load, the checks and the publication),
so that a ratio can be traced to the step that sets it. Written to ``benchmarks/RESULTS.md``
(committed: the README's figures come from it) and as JSON to ``artifacts/bench/daily.json``.

    python benchmarks/daily_bench.py --scales 10000,100000 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, serve_world, write_results  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SELECT = 'not group:"reports"'
#: the run with nothing new, in the table
UNCHANGED = "unchanged (the floor: nothing new)"
STEP = re.compile(r'Finished execution of step "([^"]+)" in ([0-9.]+(?:ms|s)|[0-9hms]+)\.')


def progress(message: str) -> None:
    print(f"[daily_bench] {message}", file=sys.stderr, flush=True)


def seconds_of(duration: str) -> float:
    """Dagster's step durations: ``533ms``, ``2.1s``, ``4m52s``, ``1h4m``."""
    if duration.endswith("ms"):
        return float(duration[:-2]) / 1000
    total = 0.0
    for amount, unit in re.findall(r"([0-9.]+)([hms])", duration):
        total += float(amount) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total


def prepare_partial_parse(data: Path, env: dict[str, str]) -> None:
    """dbt's partial-parse file for the warehouse in `data`, where each run's dbt (through
    dagster-dbt, from ``DBT_TARGET_PATH``) finds it, as a deployment's runs find the one
    ``make setup`` made: the warehouse path is in the profile, and a profile that differs from
    the file's makes dbt parse the whole project again (about 10 s)."""
    from orchestration.dbt_project import DBT_EXECUTABLE, DBT_PROJECT_DIR, PARSE_ARGS
    from warehouse.settings import DBT_ENV, subprocess_env

    # the environment the run's dbt sees (orchestration/defs/transform.py): the profile renders
    # from it, and a variable it reads that differs makes the profile differ
    parse_env = subprocess_env(DBT_ENV, {**env, "WAREHOUSE_PATH": str(data / "warehouse.duckdb")})
    subprocess.run(
        [DBT_EXECUTABLE, *PARSE_ARGS, "--target-path", env["DBT_TARGET_PATH"]],
        env=parse_env, cwd=DBT_PROJECT_DIR, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def run_pipeline(data: Path, env: dict[str, str], log: Path) -> dict:
    """One `dagster asset materialize` on the warehouse in `data`: wall seconds, the peak
    resident memory of its process tree, and each step's own seconds."""
    data.mkdir(parents=True, exist_ok=True)
    run_env = {**env, "WAREHOUSE_PATH": str(data / "warehouse.duckdb"),
               "DAGSTER_HOME": str(data / "dagster_home")}  # fmt: skip
    (data / "dagster_home").mkdir(exist_ok=True)
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", data / "dagster_home" / "dagster.yaml")
    command = [sys.executable, "-m", "dagster", "asset", "materialize",
               "-m", "orchestration.definitions", "--select", SELECT]  # fmt: skip
    started = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(command, env=run_env, cwd=ROOT, stdout=out, stderr=out)
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        # the run's folder is temporary: its log is kept where the results go
        kept = ROOT / "artifacts" / "bench" / f"daily-failed-{log.name}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, kept)
        raise RuntimeError(f"the run failed (exit {child.returncode}); its log: {kept}")
    steps = {name: seconds_of(d) for name, d in STEP.findall(log.read_text(errors="replace"))}
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "steps": steps}


def bench(scale: int, seed: int, days: int, repeats: int, full_refresh: bool = True) -> dict:
    from sandbox.connect import source_env
    from sandbox.world import World

    with tempfile.TemporaryDirectory(prefix="daily_bench-") as tmp:
        workdir = Path(tmp)
        server, served = serve_world(scale, seed, workdir)
        try:
            world = World(seed=seed, scale=scale)
            env = {
                **os.environ,
                **source_env(served["base_urls"], served["credentials"], world),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            }
            env.pop("DLT_PIPELINES_DIR", None)  # dlt's state goes beside each warehouse
            # every run works on the same path, as a deployment's daily run does, and dbt
            # parses only what changed: its partial-parse file is made once for that path
            run = workdir / "run"
            env["DBT_TARGET_PATH"] = str(workdir / "dbt_target")
            prepare_partial_parse(run, env)
            progress(f"scale {scale}: first full run")
            first = run_pipeline(run, env, workdir / "first.log")
            progress(f"  {first['seconds']:.0f} s, peak {first['peak_rss_mb']:.0f} MB")
            shutil.copytree(run, workdir / "first")
            root = next(iter(served["base_urls"].values())).rsplit("/", 1)[0]
            warm = {"days": days, "warm": 1}  # the new day's indexes built before the runs
            requests.post(f"{root}/_sandbox/advance", params=warm, timeout=3600)
            daily, full, unchanged = [], [], []
            for i in range(repeats):
                shutil.rmtree(run)
                shutil.copytree(workdir / "first", run)
                progress(f"scale {scale}: daily run {i + 1}/{repeats}")
                daily.append(run_pipeline(run, env, workdir / "daily.log"))
                progress(f"  {daily[-1]['seconds']:.0f} s")
                progress(f"scale {scale}: the same run, nothing new {i + 1}/{repeats}")
                unchanged.append(run_pipeline(run, env, workdir / "unchanged.log"))
                progress(f"  {unchanged[-1]['seconds']:.0f} s")
                if not full_refresh:
                    continue
                progress(f"scale {scale}: full refresh {i + 1}/{repeats}")
                shutil.rmtree(run)
                full.append(run_pipeline(run, env, workdir / "full.log"))
                progress(f"  {full[-1]['seconds']:.0f} s")
        finally:
            server.terminate()
            server.wait(timeout=60)
    return {"scale": scale, "seed": seed, "days": days, "repeats": repeats,
            "first": first, "daily": daily, "full": full, "unchanged": unchanged}  # fmt: skip


def _median(runs: list[dict], key) -> float:
    return statistics.median(key(r) for r in runs)


def _step_groups(steps: dict[str, float]) -> dict[str, float]:
    """Step seconds grouped: each source's load, dbt, checks, publication, the rest."""
    groups: dict[str, float] = {}
    for name, seconds in steps.items():
        if "dbt" in name:
            group = "dbt build"
        elif name.startswith(("raw", "dlt")) or "load" in name:
            group = "loads"
        elif "publish" in name:
            group = "publication"
        elif "check" in name or "quality" in name or "great_expectations" in name:
            group = "checks"
        else:
            group = "other steps"
        groups[group] = groups.get(group, 0.0) + seconds
    return groups


def table(results: list[dict]) -> str:
    """The medians of each kind of run. / full: for the daily and the unchanged runs, the
    median of their ratios to the full refresh of the same round, or, without full refreshes
    (``--against-first``), to the first run."""
    lines = [
        "| people | run | median s | / full | peak MB (median) | steps, median s |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for r in results:
        kinds = [("first run (empty warehouse)", [r["first"]]), ("daily", r["daily"])]
        ratios = {"daily": _to_full(r["daily"], r)}
        if r.get("unchanged"):
            kinds.append((UNCHANGED, r["unchanged"]))
            ratios[UNCHANGED] = _to_full(r["unchanged"], r)
        if r["full"]:
            kinds.append(("full refresh", r["full"]))
        for name, runs in kinds:
            groups = [_step_groups(run["steps"]) for run in runs]
            names = sorted({g for gs in groups for g in gs})
            steps = ", ".join(
                f"{g} {statistics.median(gs.get(g, 0.0) for gs in groups):.1f}" for g in names
            )
            lines.append(
                f"| {r['scale']:,} | {name} | {_median(runs, lambda x: x['seconds']):.1f} | "
                f"{ratios.get(name, '')} | "
                f"{_median(runs, lambda x: x['peak_rss_mb']):.0f} | {steps} |"
            )
    return "\n".join(lines)


def _to_full(runs: list[dict], result: dict) -> str:
    """The median of each round's run against the round's full refresh (or the first run)."""
    fulls = result["full"] or [result["first"]] * len(runs)
    ratio = statistics.median(
        run["seconds"] / f["seconds"] for run, f in zip(runs, fulls, strict=True)
    )
    return daily_ratio(ratio, bool(result["full"]))


def daily_ratio(ratio: float, against_full: bool) -> str:
    return f"{ratio:.2f}" if against_full else f"{ratio:.2f} (to the first run)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="10000,100000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", type=Path, default=RESULTS, help="the table's markdown file")
    parser.add_argument(
        "--against-first", action="store_true",
        help="no full refreshes: each daily run is compared with the first run",
    )  # fmt: skip
    args = parser.parse_args()
    results = [
        bench(int(s), args.seed, args.days, args.repeats, full_refresh=not args.against_first)
        for s in args.scales.split(",")
    ]
    write_results("daily", results)
    text = (
        "# Daily run against full refresh\n\n"
        f"`python benchmarks/daily_bench.py --scales {args.scales} --repeats {args.repeats} "
        f"--days {args.days} --seed {args.seed}{' --against-first' * args.against_first}` "
        f"(`make bench`), {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores. Medians of "
        f"{args.repeats} "
        + (
            "daily runs, each against the first run (no full refresh on the day's data). "
            if args.against_first
            else "interleaved pairs; daily / full is the median of the pairs' ratios. "
        )
        + "A run is every asset but the report site (loads, dbt build, checks, publication), "
        "all on one warehouse path so that dbt parses partially, as in a deployment; "
        "peak MB is the largest process of the run's tree. See the docstring of "
        "benchmarks/daily_bench.py for what each run does.\n\n" + table(results) + "\n"
    )
    args.write.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
