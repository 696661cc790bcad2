"""Where every source lands: one DuckDB file, one dataset per source.

The warehouse path comes from one setting, ``WAREHOUSE_PATH`` (default
``data/warehouse.duckdb`` under the project). Each source loads into its own dataset
(``raw_hubspot``, ``raw_google_ads``, ...) through its own dlt pipeline, so a source's state
(incremental cursors, pending loads) is kept apart from the others'.

DuckDB is the default destination. ``WAREHOUSE_DESTINATION=postgres`` loads into PostgreSQL
instead (the portability target): the server comes from ``WAREHOUSE_POSTGRES_URL``
(``postgresql://user:password@host:port/database``) or, when that is not set, from the same
``PGHOST``/``PGPORT``/``PGUSER``/``PGPASSWORD``/``PGDATABASE`` settings the dbt ``postgres``
target reads, with the same defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import dlt

PROJECT_DIR = Path(__file__).resolve().parent.parent

#: every source system, in the order the demo loads them
SOURCES = ("hubspot", "marketo", "google_ads", "meta", "linkedin", "microsoft_ads", "fx")


#: every source's dlt schema contract: new tables and columns are kept; a value of another type
#: fails the load naming the table and column instead of landing in a variant column
SCHEMA_CONTRACT = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}


def warehouse_path() -> Path:
    """Read at call time, never at import time, so tests can point it elsewhere."""
    return Path(os.environ.get("WAREHOUSE_PATH", PROJECT_DIR / "data" / "warehouse.duckdb"))


def certified_path() -> Path:
    """The published certified database that BI reads, beside the warehouse by default.

    dbt builds the certified tables in the warehouse (the working copy); only a run whose
    blocking checks all passed copies them here, swapping the whole file in by atomic rename.
    """
    default = warehouse_path().parent / "certified.duckdb"
    return Path(os.environ.get("CERTIFIED_PATH", default))


def pipelines_dir() -> Path:
    """dlt's working folder (state, pending packages), beside the warehouse by default."""
    default = warehouse_path().parent / "dlt_pipelines"
    return Path(os.environ.get("DLT_PIPELINES_DIR", default))


def dataset_name(source: str) -> str:
    return f"raw_{source}"


#: the destinations the warehouse can load into (``WAREHOUSE_DESTINATION``)
DESTINATIONS = ("duckdb", "postgres")


def configured_destination() -> str:
    """``WAREHOUSE_DESTINATION`` (default ``duckdb``), read at call time."""
    name = os.environ.get("WAREHOUSE_DESTINATION", "").strip().lower() or "duckdb"
    if name not in DESTINATIONS:
        raise ValueError(
            f"WAREHOUSE_DESTINATION={name!r}: expected one of {', '.join(DESTINATIONS)}"
        )
    return name


def postgres_url() -> str:
    """The Postgres server to load into: ``WAREHOUSE_POSTGRES_URL``, else the PG* settings
    (with the defaults of the dbt ``postgres`` target)."""
    if url := os.environ.get("WAREHOUSE_POSTGRES_URL"):
        return url
    env = os.environ.get
    user = quote(env("PGUSER", "postgres"), safe="")
    password = env("PGPASSWORD", "")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host, port = env("PGHOST", "127.0.0.1"), env("PGPORT", "5432")
    database = quote(env("PGDATABASE", "marketing"), safe="")
    return f"postgresql://{auth}@{host}:{port}/{database}"


def destination(name: str | None = None):
    """The dlt destination of the warehouse: `name` or ``WAREHOUSE_DESTINATION``."""
    name = name or configured_destination()
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
    `destination_name` or ``WAREHOUSE_DESTINATION`` says ``postgres``)."""
    return dlt.pipeline(
        pipeline_name=f"marketing_{source}",
        pipelines_dir=str(pipelines_dir()),
        destination=destination(destination_name),
        dataset_name=dataset_name(source),
        dev_mode=dev_mode,
        progress="log" if os.environ.get("DLT_PROGRESS") else None,
    )
