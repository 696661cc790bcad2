"""Load throughput: every source loaded by dlt from a sandbox world, rows per second per source.

The sandbox serves from its own process (``python -m sandbox serve``) so that the
loader's peak memory is its own; both peaks are reported.

    python benchmarks/load_bench.py --scales 10000,100000,1000000

``--daily N`` then advances the world by N days and loads again, as a daily run does, and
reports that run's rows (per table) and time beside the full load's, with their ratio;
``--sources marketo`` loads only the sources named; ``--crm salesforce`` serves the world with
Salesforce as its CRM (``--crm salesforce --sources salesforce``: the Salesforce figures).
It prints a markdown table of the figures; ``--write FILE`` also writes it there, under the
command that made it, for a table to commit. Each source's JSON line (and
``artifacts/bench/load.json``) also has the loader's and the sandbox's CPU seconds during its
load and dlt's extract, normalize and load seconds: a sandbox whose CPU seconds near the
extract's sets the pace. ``benchmarks/LOAD_RESULTS.md`` compares runs of several commits, so
it is assembled by hand from those lines.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    ROOT,
    peak_rss_mb,
    process_cpu_s,
    process_peak_rss_mb,
    serve_world,
    write_results,
)  # noqa: E402


def _load_all(names, pipeline, registry, server_pid: int | None = None) -> dict:
    """Each source loaded in turn: its rows and seconds, and the CPU seconds the loader and the
    sandbox spent on it (a sandbox whose CPU seconds near the load's seconds sets the pace)."""
    per_source = {}
    for name in names:
        make = registry()[name].dlt_source()
        started = time.perf_counter()
        loader_cpu = time.process_time()
        sandbox_cpu = process_cpu_s(server_pid) if server_pid else 0.0
        p = pipeline(name)
        p.run(make())
        seconds = time.perf_counter() - started
        loader_cpu = time.process_time() - loader_cpu
        sandbox_cpu = process_cpu_s(server_pid) - sandbox_cpu if server_pid else None
        tables = {
            t: n for t, n in p.last_trace.last_normalize_info.row_counts.items()
            if not t.startswith("_dlt")
        }  # fmt: skip
        rows = sum(tables.values())
        steps = {
            step.step: round((step.finished_at - step.started_at).total_seconds(), 1)
            for step in p.last_trace.steps
            if step.step in ("extract", "normalize", "load") and step.finished_at
        }
        per_source[name] = {"rows": rows, "seconds": round(seconds, 1),
                            "rows_per_s": round(rows / seconds), "tables": tables,
                            "loader_cpu_s": round(loader_cpu, 1), "steps_s": steps}  # fmt: skip
        if sandbox_cpu is not None:
            per_source[name]["sandbox_cpu_s"] = round(sandbox_cpu, 1)
        print(json.dumps({name: per_source[name]}), file=sys.stderr, flush=True)  # progress
    return per_source


def measure_load(workdir: Path, env_file: Path) -> dict:
    from ingestion.destination import pipeline
    from sandbox.connect import source_env
    from sandbox.world import World
    from warehouse.sources import registry

    served = json.loads(env_file.read_text())
    world = World(
        seed=served["world"]["seed"],
        scale=served["world"]["scale"],
        systems=served["world"].get("systems"),
    )
    os.environ.update(source_env(served["base_urls"], served["credentials"], world))
    os.environ["WAREHOUSE_PATH"] = str(workdir / "warehouse.duckdb")
    os.environ["DLT_PIPELINES_DIR"] = str(workdir / "dlt_pipelines")
    names = served.get("sources") or list(world.system_names)
    server_pid = served.get("server_pid")
    per_source = _load_all(names, pipeline, registry, server_pid)
    daily = {}
    if served.get("daily"):
        import requests

        root = next(iter(served["base_urls"].values())).rsplit("/", 1)[0]
        warm = {"days": served["daily"], "warm": 1}  # the new day's indexes built first
        requests.post(f"{root}/_sandbox/advance", params=warm, timeout=600)
        daily = _load_all(names, pipeline, registry, server_pid)
        for name, figures in daily.items():
            full = per_source[name]
            figures["rows_vs_full"] = round(figures["rows"] / full["rows"], 3)
            figures["seconds_vs_full"] = round(figures["seconds"] / full["seconds"], 3)
    result = {"per_source": per_source, "loader_peak_rss_mb": round(peak_rss_mb())}
    return {**result, "daily": daily} if daily else result


def bench(
    scale: int, seed: int, sources: list[str] | None = None, daily: int = 0, crm: str | None = None
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server, served = serve_world(scale, seed, workdir, crm)
        env_file = workdir / "sandbox.json"
        try:
            env_file.write_text(
                json.dumps({**served, "sources": sources, "daily": daily, "server_pid": server.pid})
            )
            # the loader's progress and errors go straight to this process's stderr
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(workdir)],
                stdout=subprocess.PIPE, text=True, cwd=ROOT,
            )  # fmt: skip
            if out.returncode != 0:
                raise RuntimeError(f"the load failed at scale {scale} (see above)")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            result["server_peak_rss_mb"] = round(process_peak_rss_mb(server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"step": "load", "scale": scale, **result}


def table(results: list[dict]) -> str:
    """The results as a markdown table: a row per size and source, the daily load beside the
    full one when there is one."""
    daily = any(r.get("daily") for r in results)
    head = "| people | source | rows | seconds | rows/s |"
    rule = "|---:|---|---:|---:|---:|"
    if daily:
        head += " daily rows | daily s | daily / full (s) |"
        rule += "---:|---:|---:|"
    lines = [head + " loader peak MB | sandbox peak MB |", rule + "---:|---:|"]
    for r in results:
        for name, full in r["per_source"].items():
            line = (
                f"| {r['scale']:,} | {name} | {full['rows']:,} | {full['seconds']:.1f} | "
                f"{full['rows_per_s']:,} |"
            )
            if daily:
                day = r.get("daily", {}).get(name)
                line += (
                    f" {day['rows']:,} | {day['seconds']:.1f} | {day['seconds_vs_full']:.3f} |"
                    if day
                    else " | | |"
                )
            lines.append(f"{line} {r['loader_peak_rss_mb']:,} | {r['server_peak_rss_mb']:,} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sources", help="comma-separated sources (default: the world's)")
    parser.add_argument("--daily", type=int, default=0, help="then advance N days, load again")
    parser.add_argument("--crm", default=None, help="the world's CRM: hubspot or salesforce")
    parser.add_argument("--write", type=Path, help="also write the table to this markdown file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        workdir = Path(args.child)
        print(json.dumps(measure_load(workdir, workdir / "sandbox.json")))
        return
    results = []
    for scale in (int(s) for s in args.scales.split(",")):
        sources = args.sources.split(",") if args.sources else None
        result = bench(scale, args.seed, sources, args.daily, args.crm)
        print(json.dumps(result), flush=True)
        results.append(result)
    print(f"written to {write_results('load', results).relative_to(ROOT)}")
    text = table(results)
    print(text)
    if args.write:
        command = " ".join(["python benchmarks/load_bench.py", *sys.argv[1:]])
        args.write.write_text(
            "# Load throughput\n\n"
            f"`{command}`, {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, the simulator "
            "in its own process, one run per size (written by the benchmark).\n\n" + text + "\n"
        )


if __name__ == "__main__":
    main()
