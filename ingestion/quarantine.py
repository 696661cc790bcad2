"""Records that cannot be loaded as they are go to the dataset's ``_quarantine`` table.

A record with no value in a primary key column cannot be merged (dlt refuses the whole load
package, and every good record of the run with it). Each source therefore passes its resources
through :func:`divert_null_keys`: such a record is written, as JSON with the source, table and
rule that name it, to ``raw_<source>._quarantine`` (append-only), and the rest of the run loads.
dbt lists it in ``quarantine.quarantine_records`` beside the records that fail a rule of
``dbt_project/macros/record_rules.sql``, so nothing disappears: for every table, rows served =
rows loaded + rows quarantined.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import dlt
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.extract.items_transform import YieldMapItem
from dlt.extract.resource import DltResource

QUARANTINE_TABLE = "_quarantine"
RULE_NULL_KEY = "primary_key_not_null"

_COLUMNS = [
    {"name": "source", "data_type": "text", "nullable": False},
    {"name": "table_name", "data_type": "text", "nullable": False},
    {"name": "record_id", "data_type": "text", "nullable": True},
    {"name": "rule", "data_type": "text", "nullable": False},
    {"name": "detail", "data_type": "text", "nullable": False},
    {"name": "record", "data_type": "text", "nullable": False},
]


def _hints(resource: DltResource) -> Any:
    """The quarantine table's hints: append-only, no key, and none of the resource's columns
    required (a table variant inherits the resource's column hints)."""
    inherited = [
        {"name": name, "nullable": True, "primary_key": False, "merge_key": False}
        for name in (resource.columns or {})
        if name not in {c["name"] for c in _COLUMNS}
    ] if isinstance(resource.columns, dict) else []  # fmt: skip
    return dlt.mark.make_hints(
        table_name=QUARANTINE_TABLE,
        write_disposition="append",
        primary_key=[],
        merge_key=[],
        columns=[*_COLUMNS, *inherited],
    )


def primary_key(resource: DltResource) -> list[str]:
    """The resource's primary key columns, as its hints declare them."""
    key = resource._hints.get("primary_key") or []  # noqa: SLF001 - dlt has no public getter
    return [key] if isinstance(key, str) else list(key)


def quarantine_row(source: str, table: str, rule: str, detail: str, item: dict) -> dict[str, Any]:
    return {
        "source": source,
        "table_name": table,
        "record_id": None,
        "rule": rule,
        "detail": detail,
        "record": json.dumps(item, default=str, sort_keys=True),
    }


def divert_null_keys(source: str, resources: Iterable[DltResource]) -> list[DltResource]:
    """Route every record with a null primary key value to ``_quarantine`` instead of its table."""
    out = []
    for resource in resources:
        key = primary_key(resource)
        if key:
            resource.add_step(_PageDivert(_diverter(source, resource, key)))
        out.append(resource)
    return out


class _PageDivert(YieldMapItem):
    """A yield-map step that takes a whole page at once, so a page stays a page."""

    def __call__(self, item: Any, meta: Any = None) -> Iterator[Any]:
        yield from self._f(item)


_naming = NamingConvention()


def _cursor_path(resource: DltResource) -> str | None:
    """The incremental cursor's field, which a diverted record keeps so the cursor can step."""
    wrapper = resource.incremental
    incremental = getattr(wrapper, "_incremental", wrapper)
    return getattr(incremental, "cursor_path", None)


def _diverter(source: str, resource: DltResource, key: list[str]):
    table = resource.name

    def divert(items: Any) -> Iterator[Any]:
        # a page stays a page (a dependent resource iterates its parent's pages)
        page = items if isinstance(items, list) else [items]
        good = []
        for item in page:
            if not isinstance(item, dict):
                good.append(item)
                continue
            # keys are compared as dlt names them (`AccountId` is the column `account_id`)
            named = {_naming.normalize_identifier(k): v for k, v in item.items()}
            missing = [k for k in key if named.get(_naming.normalize_identifier(k)) is None]
            if not missing:
                good.append(item)
                continue
            detail = f"{', '.join(missing)} is null: the record cannot be merged on {key}"
            row = quarantine_row(source, table, RULE_NULL_KEY, detail, item)
            cursor = _cursor_path(resource)
            if cursor and "." not in cursor and cursor in item:
                row[cursor] = item[cursor]
            yield dlt.mark.with_hints(row, _hints(resource), create_table_variant=True)
        if good:
            yield good if isinstance(items, list) else good[0]

    return divert
