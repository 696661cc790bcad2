"""Views re-created only when they would change (macros/view_materialization.sql).

The hand-worked raw tables are built up to the touch models. A second build with nothing
changed must create no view again and still run the views' data tests; a source that gains a
column must re-create the views that read it, and only views of that source; `--full-refresh`
re-creates every view. Which views a build created is read from the `create view` statements
in dbt's debug log of that build (DuckDB keeps a view's oid through dbt's renames, so the oid
cannot show it).
"""

from __future__ import annotations

import re

import duckdb

from tests.dbt_project.test_incremental_vanished import SELECT, _built
from tests.support.pipeline import dbt


def _build(warehouse, *extra: str) -> tuple[set[str], str]:
    """`dbt build` of the touch models: the staging views it created (the `create view`
    statements of this run in dbt's debug log, which the workdir's earlier runs share) and its
    output."""
    log = warehouse.parent / "dbt_logs" / "dbt.log"
    start = log.stat().st_size if log.exists() else 0
    out = dbt(warehouse.parent, "build", *SELECT, *extra)
    with log.open(errors="replace") as text:
        text.seek(start)
        created = re.findall(r'create view "\w+"\."staging"\."(\w+)__dbt_tmp"', text.read())
    return {f"staging.{name}" for name in created}, out.stdout


def _staging_view_sql(warehouse) -> dict[str, str]:
    """Each staging view (schema.view) and its SQL as DuckDB stores it."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select schema_name || '.' || view_name, sql from duckdb_views()"
            " where not internal and schema_name = 'staging'"
        ).fetchall()
    return dict(rows)


def _views_reading(warehouse, table: str) -> set[str]:
    """The staging views whose SQL names `table` (schema.table)."""
    return {v for v, sql in _staging_view_sql(warehouse).items() if table in sql.replace('"', "")}


def test_an_unchanged_view_is_kept_a_changed_source_renews_its_views_and_full_refresh_all(
    tmp_path,
):
    warehouse = _built(tmp_path, SELECT)
    views = set(_staging_view_sql(warehouse))
    assert len(views) >= 5, views

    created, out = _build(warehouse)
    assert created == set(), f"re-created with nothing changed: {created}"
    # its data tests still ran (a kept view is checked as before)
    assert "not_null_stg_marketo__touchpoints_touchpoint_id" in out

    # a source gains a column: the views that read it are re-created (and a HubSpot view
    # downstream of one, if that one's columns changed); every other source's views are kept
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table raw_hubspot.contacts add column new_field varchar")
    readers = _views_reading(warehouse, "raw_hubspot.contacts")
    assert readers, "no staging view reads raw_hubspot.contacts"
    created, _ = _build(warehouse)
    assert readers <= created, (created, readers)
    assert all(view.startswith("staging.stg_hubspot__") for view in created), created

    created, _ = _build(warehouse, "--full-refresh")
    assert created == views, views - created
