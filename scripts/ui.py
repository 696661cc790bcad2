"""`make ui`: the Dagster UI on 127.0.0.1, the sandbox running and every source pointed at it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingestion.sandbox.connect import source_env  # noqa: E402
from ingestion.sandbox.server import SandboxServer  # noqa: E402
from ingestion.sandbox.world import World  # noqa: E402


def main() -> int:
    world = World(seed=int(os.environ.get("SEED", 7)), scale=int(os.environ.get("SCALE", 1000)))
    port = os.environ.get("DAGSTER_PORT", "3000")
    with SandboxServer(world) as sandbox:
        print(f"[ui] sandbox serving on {sandbox.url}; every source reads it", flush=True)
        env = {**os.environ, **source_env(sandbox.base_urls, sandbox.credentials, world)}
        print(f"[ui] Dagster UI: http://127.0.0.1:{port}  (Ctrl-C stops both)", flush=True)
        # started from Python (not `&` in a shell) so that SIGINT reaches dagster dev
        ui = subprocess.Popen(
            [sys.executable, "-m", "dagster", "dev", "-m", "orchestration.definitions",
             "-h", "127.0.0.1", "-p", port],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            return ui.wait()
        except KeyboardInterrupt:
            ui.send_signal(signal.SIGINT)
            return ui.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
