"""Fixtures for the quality suites: a built sandbox warehouse and doctored copies of it.

``built_warehouse`` is the shared fixture of ``tests/conftest.py`` (a sandbox world loaded by the
real sources and built by dbt). ``warehouse_copy(built)`` copies its DuckDB file into a fresh
folder, so a test can UPDATE rows without touching the shared build.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

#: the world of the dbt known-answer tests, so one build serves both in a session
SEED, SCALE = 3, 300


@pytest.fixture
def warehouse_copy(tmp_path) -> Callable[..., Path]:
    def copy(built) -> Path:
        target = tmp_path / "warehouse" / "warehouse.duckdb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built.workdir / "warehouse.duckdb", target)
        return target

    return copy


@pytest.fixture
def quality_env(monkeypatch, tmp_path):
    """Point the runner at a warehouse file; docs and the previous publication beside it."""

    def point(warehouse: Path, previous: Path | None = None) -> Path:
        monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
        monkeypatch.setenv("WAREHOUSE_TARGET", "duckdb")
        monkeypatch.setenv("CERTIFIED_PATH", str(previous or tmp_path / "no-publication.duckdb"))
        docs = tmp_path / "quality_docs"
        monkeypatch.setenv("QUALITY_DOCS_DIR", str(docs))
        monkeypatch.setenv("GX_ANALYTICS_ENABLED", "False")
        return docs

    return point
