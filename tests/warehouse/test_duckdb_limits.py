"""DuckDB's limits (memory, threads, spill folder) are settings every writer of the warehouse
obeys: dbt through its profile, the loads through dlt's destination, the publication's and the
quarantine's connections (``apply_duckdb_settings``). A user on a small machine lowers them in
one place.

The expected values are DuckDB's own display of the settings given (``1GiB`` shows as
``1.0 GiB``; 3GB, the default, is 3e9 bytes, 2.7 GiB as DuckDB rounds it down).
"""

from __future__ import annotations

import json

import dlt
import duckdb
import pytest

from ingestion.destination import destination
from tests.support.pipeline import dbt

QUERY = (
    "select current_setting('memory_limit') as memory_limit,"
    " current_setting('threads') as threads, current_setting('temp_directory') as temp_directory,"
    " current_setting('preserve_insertion_order') as preserve_insertion_order"
)


@pytest.fixture
def limited(tmp_path, monkeypatch):
    spill = tmp_path / "spill"
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("WAREHOUSE_MEMORY_LIMIT", "1GiB")
    monkeypatch.setenv("WAREHOUSE_THREADS", "1")
    monkeypatch.setenv("WAREHOUSE_TEMP_DIRECTORY", str(spill))
    # preserve_insertion_order is off for every writer, whatever the environment
    return {"memory_limit": "1.0 GiB", "threads": 1, "temp_directory": str(spill),
            "preserve_insertion_order": False}  # fmt: skip


def test_dbt_runs_with_the_limits(limited, tmp_path):
    row = _settings_in_dbt(tmp_path)
    assert {k: row[k] for k in limited} == limited


def test_the_loads_run_with_the_limits(limited, tmp_path):
    pipeline = dlt.pipeline(
        pipeline_name="limits",
        pipelines_dir=str(tmp_path / "dlt"),
        destination=destination("duckdb"),
        dataset_name="raw_limits",
    )
    pipeline.run([{"id": 1}], table_name="rows")
    with pipeline.sql_client() as client:
        row = client.execute_sql(QUERY)[0]
    assert dict(zip(limited, row, strict=True)) == limited


def _settings_in_dbt(workdir) -> dict:
    """QUERY's row as dbt's connection shows it (``dbt show``)."""
    result = dbt(workdir, "show", "--inline", QUERY, "--output", "json", "--log-format", "json")
    shown = [
        json.loads(line)["data"]
        for line in result.stdout.splitlines()
        if line.startswith("{") and '"preview"' in line
    ]
    assert shown, result.stdout[-2000:]
    (row,) = json.loads(shown[-1]["preview"])
    return row


def test_the_default_memory_limit_is_3gb_for_dbt_and_the_other_writers(monkeypatch, tmp_path):
    """3 GB (2.7 GiB as DuckDB shows it), the same in dbt's profile and in
    ``apply_duckdb_settings``: at a million people the dbt builds stay under 4 GiB with it."""
    for setting in ("WAREHOUSE_MEMORY_LIMIT", "WAREHOUSE_THREADS", "WAREHOUSE_TEMP_DIRECTORY"):
        monkeypatch.delenv(setting, raising=False)
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    from warehouse.settings import apply_duckdb_settings

    with duckdb.connect() as con:
        row = apply_duckdb_settings(con).execute(QUERY).fetchone()
    assert (row[0], row[3]) == ("2.7 GiB", False)
    shown = _settings_in_dbt(tmp_path)
    assert (shown["memory_limit"], shown["preserve_insertion_order"]) == ("2.7 GiB", False)
