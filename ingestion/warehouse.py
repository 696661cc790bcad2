"""Where every source lands: one DuckDB file, one dataset per source.

The warehouse path comes from one setting, ``WAREHOUSE_PATH`` (default
``data/warehouse.duckdb`` under the project). Each source loads into its own dataset
(``raw_hubspot``, ``raw_google_ads``, ...) through its own dlt pipeline, so a source's state
(incremental cursors, pending loads) is kept apart from the others'.
"""

from __future__ import annotations

import os
from pathlib import Path

import dlt

PROJECT_DIR = Path(__file__).resolve().parent.parent

#: every source system, in the order the demo loads them
SOURCES = ("hubspot", "marketo", "google_ads", "meta", "linkedin", "microsoft_ads", "fx")


def warehouse_path() -> Path:
    """Read at call time, never at import time, so tests can point it elsewhere."""
    return Path(os.environ.get("WAREHOUSE_PATH", PROJECT_DIR / "data" / "warehouse.duckdb"))


def pipelines_dir() -> Path:
    """dlt's working folder (state, pending packages), beside the warehouse by default."""
    default = warehouse_path().parent / "dlt_pipelines"
    return Path(os.environ.get("DLT_PIPELINES_DIR", default))


def dataset_name(source: str) -> str:
    return f"raw_{source}"


def pipeline(source: str, *, dev_mode: bool = False) -> dlt.Pipeline:
    """The dlt pipeline that loads `source` into the warehouse."""
    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=f"marketing_{source}",
        pipelines_dir=str(pipelines_dir()),
        destination=dlt.destinations.duckdb(str(path)),
        dataset_name=dataset_name(source),
        dev_mode=dev_mode,
        progress="log" if os.environ.get("DLT_PROGRESS") else None,
    )
