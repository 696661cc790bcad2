"""Run ``dagster asset materialize`` the way an operator does, in a scratch Dagster instance.

Each call gets its own ``DAGSTER_HOME`` (with the project's ``dagster.yaml``), warehouse and dlt
state under ``workdir``, so a test's runs, events and files stay its own and can be read back
with ``dagster.DagsterInstance.from_config(workdir / "dagster_home")``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def scratch_env(workdir: Path, extra: Mapping[str, str] = ()) -> dict[str, str]:
    """This process's environment, pointed at a scratch instance and warehouse in `workdir`."""
    home = workdir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "WAREHOUSE_PATH": str(workdir / "warehouse.duckdb"),
        "DLT_PIPELINES_DIR": str(workdir / "dlt_pipelines"),
        "DAGSTER_HOME": str(home),
        **dict(extra),
    }


def materialize(
    selection: str, workdir: Path, extra_env: Mapping[str, str] = (), timeout: int = 900
) -> subprocess.CompletedProcess:
    """`dagster asset materialize --select <selection>` of the project's definitions."""
    return subprocess.run(
        [sys.executable, "-m", "dagster", "asset", "materialize", "-m", "orchestration.definitions",
         "--select", selection],
        cwd=ROOT, env=scratch_env(workdir, extra_env), capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
