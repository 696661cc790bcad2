"""Raw tables written as dlt lands them, from a fixture's ``{relation: {columns, rows}}``.

One writer for DuckDB and Postgres: the tables, columns and types of the fixture, then dlt's own
columns as dlt adds them (``_dlt_load_id`` and ``_dlt_id`` on a root table; ``_dlt_id`` alone
on a nested ``<table>__<list>`` table, whose fixture columns carry ``_dlt_root_id``,
``_dlt_parent_id`` and ``_dlt_list_idx``). A column a row leaves out is null.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def write_raw_tables(
    execute: Callable[..., Any],
    tables: dict[str, dict],
    *,
    load_id: str,
    type_of: Callable[[str], str] = str,
    placeholder: str = "?",
    source: str = "fixture",
) -> None:
    """Create each relation and insert its rows through ``execute(sql, params=None)``.

    ``type_of`` maps a fixture type (DuckDB's name) to the warehouse's; ``placeholder`` is the
    driver's parameter marker (``?`` for DuckDB, ``%s`` for psycopg)."""
    for relation, table in tables.items():
        schema, name = relation.split(".")
        added = ["_dlt_id"] if "__" in name else ["_dlt_load_id", "_dlt_id"]
        columns = {n: type_of(k) for n, k in table["columns"].items()}
        columns |= {n: type_of("VARCHAR") for n in added}
        execute(f'create schema if not exists "{schema}"')
        definition = ", ".join(f'"{n}" {kind}' for n, kind in columns.items())
        execute(f"create table {relation} ({definition})")
        markers = ", ".join(f"cast({placeholder} as {kind})" for kind in columns.values())
        for n, row in enumerate(table["rows"]):
            unknown = set(row) - set(table["columns"])
            assert not unknown, f"{source}: {relation} row {n}: unknown {unknown}"
            values = [row.get(c) for c in table["columns"]]
            values += ([load_id] if "_dlt_load_id" in added else []) + [f"{relation}-{n}"]
            execute(f"insert into {relation} values ({markers})", values)
