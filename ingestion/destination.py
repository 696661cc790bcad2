"""Where every source lands: the dlt destination and one dlt pipeline per source.

Each source loads into its own dataset (``raw_<source>``) through its own
dlt pipeline, so a source's state (incremental cursors, pending loads) is kept apart from the
others'. Paths and the warehouse switch come from :mod:`warehouse.settings`.
"""

from __future__ import annotations

import os
import re

import dlt

from warehouse.settings import (
    DESTINATIONS,
    duckdb_settings,
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
    # with DuckDB's limits (WAREHOUSE_MEMORY_LIMIT...): merging a large load package spills to
    # disk instead of growing past them
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    credentials = DuckDbCredentials(str(path), global_config=duckdb_settings())
    return dlt.destinations.duckdb(credentials, preferred_loader_file_format="jsonl")


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


#: what DuckDB says when the warehouse is the problem, and what it means
_WAREHOUSE_ERRORS = (
    (
        re.compile(
            r'Could not set lock on file "([^"]+)": Conflicting lock is held in (.+?) '
            r"\(PID (\d+)\)"
        ),
        "the warehouse {0} is in use by another process ({1}, PID {2}): a run or a shell still "
        "has it open. DuckDB admits one writer; wait for it, or stop that process.",
        True,
    ),
    (
        re.compile(r'The file "([^"]+)" exists, but it is not a valid DuckDB database file'),
        "the warehouse {0} is not a DuckDB database (damaged, or another kind of file): restore "
        "it from a copy, or move it away and load again into a new one (WAREHOUSE_PATH).",
        False,
    ),
)


def explain_warehouse_message(text: str) -> tuple[str, bool] | None:
    """(what it means, whether trying again may help) when DuckDB's `text` says the warehouse
    file is locked or damaged; None otherwise."""
    for pattern, meaning, transient in _WAREHOUSE_ERRORS:
        if match := pattern.search(text):
            return meaning.format(*match.groups()), transient
    return None


def explain_warehouse_error(error: BaseException) -> tuple[str, bool] | None:
    """:func:`explain_warehouse_message` of `error` or of any error it wraps (dlt wraps DuckDB's
    twice and calls both a credentials problem)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if explained := explain_warehouse_message(str(error)):
            return explained
        error = error.__cause__ or error.__context__
    return None
