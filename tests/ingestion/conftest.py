"""Fixtures the source tests share."""

from __future__ import annotations

import pytest


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    """A scratch warehouse and dlt folder for this test, and quick HTTP retries (the sandbox's
    faults are retried at once rather than after real back-offs). A test file that needs more
    extends it with a fixture of the same name."""
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DLT_PIPELINES_DIR", str(tmp_path / "dlt"))
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_RETRY_DELAY", "1")
    return tmp_path / "warehouse.duckdb"
