"""What the benchmarks share: running a measurement in a fresh process, peak memory, output."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "bench"


def peak_rss_mb() -> float:
    """This process's peak resident memory: Linux's ``VmHWM``, the high-water mark of this
    program's own memory. Not ``ru_maxrss``: Linux carries it over a fork and exec, so a child
    started by a parent holding 4 GB reported 4 GB whatever it used itself."""
    status = Path("/proc/self/status")
    if status.exists():
        return process_peak_rss_mb(os.getpid())
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_peak_rss_mb(pid: int) -> float:
    """Another process's peak resident memory (Linux: VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def process_cpu_s(pid: int) -> float:
    """Another process's CPU seconds so far, user and system (Linux: /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: runs argv[2:] and writes its peak resident memory (MiB) to the file argv[1]: the command is
#: started by this small interpreter, so its ``ru_maxrss`` is its own (see run_measured)
_LAUNCHER = """
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
with open(sys.argv[1], "w") as f:
    json.dump({"peak_mb": peak}, f)
sys.exit(code)
"""


def run_measured(command: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, float]:
    """``subprocess.run(command, **kwargs)`` and the command's own peak resident memory (MiB).

    Not the parent's ``RUSAGE_CHILDREN``: a child's ``ru_maxrss`` starts at the peak of the
    process that started it (Linux carries it over the fork and exec), so a benchmark that
    held 6.8 GB itself (copying a warehouse) reported 6.8 GB for every dbt it ran. Here a
    fresh, small interpreter starts the command and reports what it waited for.
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "peak.json"
        out = subprocess.run([sys.executable, "-c", _LAUNCHER, str(report), *command], **kwargs)
        peak = json.loads(report.read_text())["peak_mb"] if report.exists() else float("nan")
    return out, peak


def run_child(script: Path, args: list[str]) -> dict:
    """Run `script --child ...` in a fresh interpreter; its last stdout line is a JSON result."""
    out = subprocess.run(
        [sys.executable, str(script), *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def serve_world(
    scale: int, seed: int, workdir: Path, crm: str | None = None
) -> tuple[subprocess.Popen, dict]:
    """The simulator serving World(seed, scale, crm=crm) from its own process (``python -m
    sandbox serve``), and what it wrote to ``workdir/sandbox.json`` (base URLs, credentials,
    world)."""
    env_file = workdir / "sandbox.json"
    server = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--seed", str(seed),
         "--scale", str(scale), "--env-file", str(env_file),
         *(["--crm", crm] if crm else [])],
        cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    while not env_file.exists():
        time.sleep(0.2)
        if server.poll() is not None:
            raise RuntimeError("the sandbox did not start")
    return server, json.loads(env_file.read_text())


def write_results(name: str, results: list[dict]) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{name}.json"
    target.write_text(json.dumps(results, indent=2))
    return target
