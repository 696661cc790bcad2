"""Where every source lands: the dlt destination and one dlt pipeline per source.

Each source loads into its own dataset (``raw_<source>``) through its own
dlt pipeline, so a source's state (incremental cursors, pending loads) is kept apart from the
others'. Paths and the warehouse switch come from :mod:`warehouse.settings`.
"""

from __future__ import annotations

import os

import dlt

from warehouse.settings import (
    DESTINATIONS,
    pipelines_dir,
    postgres_url,
    warehouse_path,
    warehouse_target,
)

#: every source's dlt schema contract: new tables and columns are kept; a value of another type
#: fails the load naming the table and column instead of landing in a variant column
SCHEMA_CONTRACT = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}


def dataset_name(source: str) -> str:
    return f"raw_{source}"


def destination(name: str | None = None):
    """The dlt destination of the warehouse: `name` or the ``WAREHOUSE`` switch."""
    name = name or warehouse_target()
    if name == "postgres":
        return dlt.destinations.postgres(credentials=postgres_url())
    if name != "duckdb":
        raise ValueError(f"unknown warehouse destination {name!r}: expected {DESTINATIONS}")
    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # jsonl load files: DuckDB reads them natively, several times faster than dlt's default
    # INSERT statements (measured in benchmarks/load_bench.py)
    return dlt.destinations.duckdb(str(path), preferred_loader_file_format="jsonl")


def pipeline(
    source: str, *, dev_mode: bool = False, destination_name: str | None = None
) -> dlt.Pipeline:
    """The dlt pipeline that loads `source` into the warehouse (DuckDB unless
    `destination_name` or the ``WAREHOUSE`` switch says ``postgres``)."""
    return dlt.pipeline(
        pipeline_name=f"marketing_{source}",
        pipelines_dir=str(pipelines_dir()),
        destination=destination(destination_name),
        dataset_name=dataset_name(source),
        dev_mode=dev_mode,
        progress="log" if os.environ.get("DLT_PROGRESS") else None,
    )
