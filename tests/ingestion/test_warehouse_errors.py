"""A locked or damaged warehouse file is said to be one, not dlt's "check if you configured the
credentials": a real dlt load into a DuckDB file another process holds, and into a file that is
not a database."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ingestion.destination import explain_warehouse_error, pipeline
from sandbox.loading import environment


def _load_error(tmp_path, warehouse) -> BaseException:
    env = {"WAREHOUSE_PATH": str(warehouse), "DLT_PIPELINES_DIR": str(tmp_path / "pipelines")}
    with environment(env), pytest.raises(Exception) as failed:
        pipeline("fx").run([{"currency": "USD"}], table_name="probe")
    return failed.value


def test_a_warehouse_held_by_another_process_is_named(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); "
         "print('holding', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        error = _load_error(tmp_path, warehouse)
    finally:
        holder.kill()
        holder.wait()
    meaning, transient = explain_warehouse_error(error)
    assert "configured the credentials" in str(error)  # what dlt says, and what we replace
    assert meaning.startswith(f"the warehouse {warehouse} is in use by another process")
    assert f"PID {holder.pid}" in meaning
    assert transient


def test_a_damaged_warehouse_file_is_named(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(b"\x00 not a database \xff" * 512)
    meaning, transient = explain_warehouse_error(_load_error(tmp_path, warehouse))
    assert meaning.startswith(f"the warehouse {warehouse} is not a DuckDB database")
    assert not transient


def test_other_errors_are_left_as_they_are():
    assert explain_warehouse_error(ValueError("a value of another type in column spend")) is None
