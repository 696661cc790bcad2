"""Regression test for GX's SQL route to DuckDB (``expectations/gx_duckdb.py``).

A three-row table made by hand: two amounts are negative, every id is present. Through the
``duckdb`` datasource the "never negative" expectation must fail with exactly 2 unexpected rows
and the "not null" one must pass. With GX's stock SQL datasource both error out instead (rows
fetched after the connection closed are lost), so this fails if an upgrade undoes the repair.
"""

from __future__ import annotations

import os

import duckdb
import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
gx = pytest.importorskip("great_expectations")


def test_duckdb_sql_datasource_computes_metrics_in_the_warehouse(tmp_path):
    from expectations import gx_duckdb  # noqa: F401  (registers the duckdb datasource type)

    path = tmp_path / "tiny.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create schema s; create table s.t as "
            "select * from (values (1, 10.0), (2, -1.0), (3, -2.5)) v(id, amount)"
        )
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_duckdb(
        "tiny", connection_string=f"duckdb:///{path}", kwargs={"connect_args": {"read_only": True}}
    )
    batch = (
        source.add_query_asset("t", query="select * from s.t")
        .add_batch_definition_whole_table("all")
        .get_batch()
    )

    negative = batch.validate(
        gx.expectations.ExpectColumnValuesToBeBetween(column="amount", min_value=0)
    )
    assert not negative.exception_info["raised_exception"], negative.exception_info
    assert negative.success is False
    assert negative.result["unexpected_count"] == 2
    assert sorted(float(v) for v in negative.result["partial_unexpected_list"]) == [-2.5, -1.0]

    present = batch.validate(gx.expectations.ExpectColumnValuesToNotBeNull(column="id"))
    assert not present.exception_info["raised_exception"], present.exception_info
    assert present.success is True

    rows = batch.validate(
        gx.expectations.UnexpectedRowsExpectation(
            unexpected_rows_query="select * from {batch} where amount < 0"
        )
    )
    assert rows.success is False and rows.result["observed_value"] == 2
