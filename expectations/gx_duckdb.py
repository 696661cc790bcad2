"""Great Expectations' SQL route to DuckDB, repaired.

GX 1.x keeps one persistent connection only for the dialects in
``great_expectations.execution_engine.sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS``
(sqlite, mssql, bigquery, databricks). For every other dialect ``get_connection()`` opens a
connection per query and closes it *before* the caller fetches the rows
(``execute_query`` returns the cursor result outside the ``with`` block). DuckDB (through
``duckdb-engine``) rolls back on that close and the pending rows are discarded, so every metric
fails with ``MetricResolutionError: list index out of range``.

The fix uses GX's own extension point instead of editing GX: a fluent datasource type
``duckdb`` (a subclass of ``SQLDatasource``; GX registers every subclass, so a context gets
``context.data_sources.add_duckdb(...)``) whose ``execution_engine_type`` is
:class:`DuckDBExecutionEngine`, which gives DuckDB exactly the treatment GX gives sqlite: one
connection kept for the engine's life. Nothing else in GX changes, and Postgres keeps using the
stock ``SQLDatasource``.

The engine overrides ``get_connection`` and reads ``_connection``, which are GX internals, so the
module refuses to load on a GX version it was not tested with (``TESTED_GX_VERSIONS``).
``tests/expectations/test_gx_duckdb.py`` is the regression test to run when that set changes:
it fails if the rows are lost again.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from typing import Literal

import great_expectations as gx
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
from great_expectations.execution_engine.sqlalchemy_execution_engine import (
    _PERSISTED_CONNECTION_DIALECTS,
    SqlAlchemyExecutionEngine,
)

#: GX major.minor lines this workaround has been checked against (see the module docstring)
TESTED_GX_VERSIONS = ("1.24",)

_gx_line = ".".join(gx.__version__.split(".")[:2])
if _gx_line not in TESTED_GX_VERSIONS:
    raise ImportError(
        f"expectations.gx_duckdb was checked with great-expectations {TESTED_GX_VERSIONS}, "
        f"found {gx.__version__}: run tests/expectations/test_gx_duckdb.py and, when it passes "
        "(or GX now lists duckdb in _PERSISTED_CONNECTION_DIALECTS), add the version to "
        "TESTED_GX_VERSIONS"
    )


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    """GX's SQL engine, keeping one DuckDB connection open as GX does for sqlite."""

    @contextmanager
    def get_connection(self) -> Generator:
        if self.dialect_name != "duckdb" or "duckdb" in _PERSISTED_CONNECTION_DIALECTS:
            with super().get_connection() as connection:  # GX handles it (or not DuckDB)
                yield connection
            return
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        yield self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()


class DuckDBDatasource(SQLDatasource):
    """A DuckDB database file through ``duckdb-engine`` (``duckdb:///path/to/file.duckdb``)."""

    type: Literal["duckdb"] = "duckdb"  # type: ignore[assignment]

    @property
    def execution_engine_type(self) -> type[SqlAlchemyExecutionEngine]:
        return DuckDBExecutionEngine
