"""`make ui`: the Dagster UI on 127.0.0.1, the sandbox running and every source pointed at it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.connect import source_env  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from sandbox.world import World  # noqa: E402


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # a shell that starts us in the background leaves SIGINT ignored; a supervisor sends SIGTERM:
    # both must stop the UI and everything it started
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    world = World(seed=int(os.environ.get("SEED", 7)), scale=int(os.environ.get("SCALE", 1000)))
    port = os.environ.get("DAGSTER_PORT", "3000")
    with SandboxServer(world) as sandbox:
        print(f"[ui] sandbox serving on {sandbox.url}; every source reads it", flush=True)
        env = {
            **os.environ,
            **source_env(sandbox.base_urls, sandbox.credentials, world),
            # dagster dev re-parses the dbt project with the dbt of this environment
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        print(f"[ui] Dagster UI: http://127.0.0.1:{port}  (Ctrl-C stops both)", flush=True)
        # its own process group, started from Python (not `&` in a shell), so that one signal
        # reaches dagster dev and everything it started (webserver, daemon, code servers)
        ui = subprocess.Popen(
            [sys.executable, "-m", "dagster", "dev", "-m", "orchestration.definitions",
             "-h", "127.0.0.1", "-p", port],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        try:
            return ui.wait()
        except KeyboardInterrupt:
            return _stop(ui)


def _stop(ui: subprocess.Popen) -> int:
    """SIGINT to the group, then SIGTERM, then SIGKILL: never leave an orphan behind."""
    for sig, grace in ((signal.SIGINT, 30), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(ui.pid, sig)
        except ProcessLookupError:
            break
        try:
            return ui.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    return ui.wait()


if __name__ == "__main__":
    sys.exit(main())
