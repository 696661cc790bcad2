"""Loading the Dagster definitions against importing the libraries they are built with.

Every process that loads the code location pays for it: the code server, each run's process,
each test. Its floor is importing ``dagster``, ``dagster_dbt`` and ``dagster_dlt`` alone; what
the project adds on top (describing the assets, reading dbt's manifest, the checks and the
schedules) is the ratio of the two:

    python benchmarks/definitions_bench.py --pairs 9 --write benchmarks/DEFINITIONS_RESULTS.md

Each pair runs both in fresh interpreters, one after the other, alternating which goes first;
a run's CPU time (user + system) is the operating system's account of the finished child, its
peak memory the child's. The ratio is taken pair by pair and its median reported (the machine's
speed drifts between pairs, less within one), beside the spread of the pairs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT  # noqa: E402

COMMANDS = {
    "definitions": "import orchestration.definitions",
    "bare imports": "import dagster, dagster_dbt, dagster_dlt",
}


def run_once(code: str) -> dict:
    """One fresh interpreter running ``code``: its CPU and wall seconds and peak memory."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    code_returned = os.waitstatus_to_exitcode(status)
    if code_returned != 0:
        raise RuntimeError(f"`python -c {code!r}` exited with {code_returned}")
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "peak_mb": usage.ru_maxrss / 1024,
    }


def bench(pairs: int) -> dict:
    runs: dict[str, list[dict]] = {name: [] for name in COMMANDS}
    for code in COMMANDS.values():  # a warm-up of each, not counted (the file cache)
        run_once(code)
    for index in range(pairs):
        order = list(COMMANDS) if index % 2 == 0 else list(reversed(COMMANDS))
        for name in order:
            runs[name].append(run_once(COMMANDS[name]))
    return {"pairs": pairs, "runs": runs}


def table(result: dict) -> str:
    """Medians of each command's runs, and the median (and range) of the pairs' CPU ratios."""
    runs = result["runs"]
    defs, bare = runs["definitions"], runs["bare imports"]
    ratios = sorted(d["cpu_s"] / b["cpu_s"] for d, b in zip(defs, bare, strict=True))
    lines = [
        "| run | CPU s (median) | wall s (median) | peak MB (median) | CPU / bare imports |",
        "|---|---:|---:|---:|---|",
    ]
    for name, measured in runs.items():
        ratio = (
            f"{statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})"
            if name == "definitions"
            else ""
        )
        lines.append(
            f"| {name} | {statistics.median(r['cpu_s'] for r in measured):.2f} "
            f"| {statistics.median(r['wall_s'] for r in measured):.2f} "
            f"| {statistics.median(r['peak_mb'] for r in measured):.0f} | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=9)
    parser.add_argument("--write", type=Path, help="also write the table to this markdown file")
    args = parser.parse_args()
    result = bench(args.pairs)
    text = (
        "# Loading the definitions against the bare imports\n\n"
        f"`python benchmarks/definitions_bench.py --pairs {args.pairs}`, "
        f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores. Each pair runs "
        "`import orchestration.definitions` and `import dagster, dagster_dbt, dagster_dlt` in "
        "fresh interpreters; the ratio is the median of the pairs' CPU ratios (their range in "
        "brackets). The target (issue 15) is at most 1.3.\n\n" + table(result) + "\n"
    )
    print(text)
    if args.write:
        args.write.write_text(text)


if __name__ == "__main__":
    main()
