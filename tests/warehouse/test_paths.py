"""A relative path setting names the same file for every tool, whatever its current folder.

dlt, Great Expectations and the reports resolve ``WAREHOUSE_PATH`` through
``warehouse.settings.warehouse_path()``; dbt resolves it in ``dbt_project/profiles.yml`` (it runs
from ``dbt_project/``, as Dagster runs it and the README says). Both must open one file.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from warehouse import settings

DBT = str(Path(settings.PROJECT_DIR) / ".venv" / "bin" / "dbt")


@pytest.mark.parametrize("setting", ["WAREHOUSE_PATH", "CERTIFIED_PATH", "DLT_PIPELINES_DIR"])
def test_a_relative_path_is_taken_from_the_project_folder(setting, monkeypatch, tmp_path):
    monkeypatch.setenv(setting, "data/some.file")
    monkeypatch.chdir(tmp_path)  # any other current folder
    read = {
        "WAREHOUSE_PATH": settings.warehouse_path,
        "CERTIFIED_PATH": settings.certified_path,
        "DLT_PIPELINES_DIR": settings.pipelines_dir,
    }[setting]()
    assert read == settings.PROJECT_DIR / "data" / "some.file"


@pytest.mark.parametrize("relative", [True, False])
def test_dbt_opens_the_file_the_other_tools_open(relative, tmp_path, monkeypatch):
    name = f"path-probe-{uuid.uuid4().hex[:8]}.duckdb"
    value = f"data/{name}" if relative else str(tmp_path / name)
    monkeypatch.setenv("WAREHOUSE_PATH", value)
    expected = settings.warehouse_path()
    # the folder exists once a load has run (the destination creates it); a fresh checkout has
    # no data/ until then, and DuckDB creates a file but not its folder
    expected.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "WAREHOUSE_TARGET": "duckdb",
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    try:
        result = subprocess.run(
            [DBT, "debug"], cwd=settings.DBT_PROJECT_DIR, env=env, capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:]
        shown = re.search(r"^\S+\s+path: (.+)$", result.stdout, re.M).group(1).strip()
        assert (settings.DBT_PROJECT_DIR / shown).resolve() == expected.resolve()
        assert expected.exists(), "dbt's connection test opened another file"
    finally:
        expected.unlink(missing_ok=True)
