"""Records that cannot be loaded as they are go to the dataset's ``_quarantine`` table.

Some records would make dlt refuse the whole load package, and every good record of the run
with it, or could only be loaded by dropping or bending a value:

* a null value in a primary key column cannot be merged (rule ``primary_key_not_null``);
* a date or timestamp column holding text that is no calendar date, such as ``2024-02-30``
  (``date_is_a_calendar_date``);
* a number column holding NaN or an infinity (``number_is_finite``), or a number its column
  cannot hold: beyond DECIMAL(38,9) or a 64-bit integer (``number_fits_column``).

Each source therefore passes its resources through :func:`divert_unloadable`, a step that runs
before the incremental cursor sees the record (so a bad cursor value is quarantined, not filtered
out as outside the window): such a record is written, as JSON with the source, table, record id,
field and rule, to ``raw_<source>._quarantine`` (append-only), and the rest of the run loads.
dbt lists it in ``quarantine.quarantine_records`` beside the records that fail a rule of
``dbt_project/macros/record_rules.sql``, so nothing disappears: for every table, rows served =
rows loaded + rows quarantined. A bad number blocks the publication (the totals it belongs to are
unknown); a null key or a bad date is a warning (the record is left out, named).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import dlt
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.time import ensure_pendulum_datetime
from dlt.extract.items_transform import YieldMapItem
from dlt.extract.resource import DltResource

QUARANTINE_TABLE = "_quarantine"
RULE_NULL_KEY = "primary_key_not_null"
RULE_DATE = "date_is_a_calendar_date"
RULE_FINITE = "number_is_finite"
RULE_FITS = "number_fits_column"
#: each rule of the load and its severity (a blocking record stops the publication)
SEVERITY = {RULE_NULL_KEY: "warning", RULE_DATE: "warning", RULE_FINITE: "blocking",
            RULE_FITS: "blocking"}  # fmt: skip
#: the column types a value can fail to fit (a date that is none, a number too large)
CHECKED_TYPES = ("date", "timestamp", "decimal", "double", "bigint")
#: what dlt's DuckDB and Postgres columns hold: DECIMAL(38,9) and BIGINT
DECIMAL_LIMIT = Decimal(10) ** 29
BIGINT_LIMIT = 2**63

_COLUMNS = [
    {"name": "source", "data_type": "text", "nullable": False},
    {"name": "table_name", "data_type": "text", "nullable": False},
    {"name": "record_id", "data_type": "text", "nullable": True},
    {"name": "rule", "data_type": "text", "nullable": False},
    {"name": "severity", "data_type": "text", "nullable": True},
    {"name": "detail", "data_type": "text", "nullable": False},
    {"name": "record", "data_type": "text", "nullable": False},
]


def _hints(resource: DltResource) -> Any:
    """The quarantine table's hints: append-only, no key, and none of the resource's columns
    required (a table variant inherits the resource's column hints). A quarantined row holds
    the record as JSON and none of its fields: it carries no cursor value (the incremental
    step includes it, ``on_cursor_value_missing="include"``), so a run that reads the record
    again lists it again, and dbt lists each quarantined record once."""
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


def quarantine_row(
    source: str, table: str, rule: str, detail: str, item: dict, record_id: str | None = None
) -> dict[str, Any]:
    return {
        "source": source,
        "table_name": table,
        "record_id": record_id,
        "rule": rule,
        "severity": SEVERITY.get(rule, "warning"),
        "detail": detail,
        "record": json.dumps(item, default=str, sort_keys=True),
    }


def is_quarantine_row(item: Any) -> bool:
    """Whether `item` is a quarantine row (which a dependent resource must not read as a
    record of its parent)."""
    return isinstance(item, dict) and {"rule", "record", "table_name", "source"} <= item.keys()


def divert_unloadable(source: str, resources: Iterable[DltResource]) -> list[DltResource]:
    """Route every record that cannot be loaded as it is (null key, impossible date, number
    that is not finite or does not fit) to ``_quarantine`` instead of its table."""
    out = []
    for resource in resources:
        resource.add_step(_PageDivert(_diverter(source, resource)))
        out.append(resource)
    return out


class _PageDivert(YieldMapItem):
    """A yield-map step that takes a whole page at once, so a page stays a page. dlt places it
    after the resource's maps and before its incremental step (which has a later affinity)."""

    def __call__(self, item: Any, meta: Any = None) -> Iterator[Any]:
        # the diverter takes the page's meta too (dlt keeps a two-argument step as `_f_meta`)
        yield from self._f_meta(item, meta)


def _carried_types(meta: Any) -> dict[str, str]:
    """Column name -> data type of the hints a page carries (``dlt.mark.with_hints``): a source
    that learns its columns' types while it runs (Salesforce's describe) declares them there."""
    hints = getattr(meta, "hints", None) or {}
    columns = hints.get("columns") or {}
    if isinstance(columns, list):
        columns = {c["name"]: c for c in columns}
    return {
        _naming.normalize_identifier(name): column["data_type"]
        for name, column in columns.items()
        if isinstance(column, dict) and column.get("data_type") in CHECKED_TYPES
    }


_naming = NamingConvention()
_SHOWN = re.compile(r"[0-9A-Za-z:.+\- ]{0,40}")


def _typed_columns(resource: DltResource) -> dict[str, str]:
    """Column name -> declared data type, for the types a value can fail to fit."""
    columns = resource.columns if isinstance(resource.columns, dict) else {}
    return {
        name: hint["data_type"]
        for name, hint in columns.items()
        if isinstance(hint, dict) and hint.get("data_type") in CHECKED_TYPES
    }


def _shown(value: Any) -> str:
    """A value for the detail: as it is when short and plain, else only its length (a bad
    value may be any text a sender typed, an email address included)."""
    text = str(value)
    return repr(text) if _SHOWN.fullmatch(text) else f"a text of {len(text)} characters"


def _is_calendar(text: str) -> bool:
    try:
        datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        return True
    try:
        ensure_pendulum_datetime(text)
    except Exception:  # noqa: BLE001 - any parse failure means the same: not a date
        return False
    return True


def value_problem(data_type: str, value: Any) -> tuple[str, str] | None:
    """(rule, what is wrong) when `value` cannot be loaded into a column of `data_type`."""
    if value is None or isinstance(value, bool):
        return None
    if data_type in ("date", "timestamp"):
        if isinstance(value, (date, datetime, int, float)):
            return None
        if isinstance(value, str) and not _is_calendar(value):
            return RULE_DATE, f"{_shown(value)} is not a calendar date"
        return None
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None  # text in a number column: the schema contract names it
    else:
        return None
    if not number.is_finite():
        return RULE_FINITE, f"{_shown(value)} is not a finite number"
    if data_type == "decimal" and abs(number) >= DECIMAL_LIMIT:
        return RULE_FITS, f"{_shown(value)} does not fit DECIMAL(38,9)"
    if data_type == "bigint" and abs(number) >= BIGINT_LIMIT:
        return RULE_FITS, f"{_shown(value)} does not fit a 64-bit integer"
    return None


def _record_id_columns(source: str, table: str, key: list[str]) -> list[str]:
    """The columns that name a record of the table in the quarantine: those its registry
    entry's record rules name it by (warehouse/sources.yml, as dbt's rules do), else its key."""
    from warehouse.sources import registry

    entry = registry().get(source)
    rules = (entry.record_rules if entry else {}).get(table) or {}
    return [_naming.normalize_identifier(c) for c in rules.get("id") or key]


def _diverter(source: str, resource: DltResource):
    table = resource.name
    key = primary_key(resource)
    normalized_key = [_naming.normalize_identifier(k) for k in key]
    id_columns = _record_id_columns(source, table, key)
    typed_columns = _typed_columns(resource)  # the resource's hints, read once, not per record

    def problems(named: dict[str, Any], typed: dict[str, str]) -> list[tuple[str, str, str]]:
        """(rule, field, what is wrong) for each reason the record cannot be loaded."""
        found = []
        missing = [k for k, n in zip(key, normalized_key, strict=True) if named.get(n) is None]
        if missing:
            detail = f"{', '.join(missing)} is null: the record cannot be merged on {key}"
            found.append((RULE_NULL_KEY, missing[0], detail))
        for column, data_type in typed.items():
            problem = value_problem(data_type, named.get(column))
            if problem:
                found.append((problem[0], column, f"{column}: {problem[1]}"))
        return found

    def divert(items: Any, meta: Any = None) -> Iterator[Any]:
        # a page stays a page (a dependent resource iterates its parent's pages)
        page = items if isinstance(items, list) else [items]
        carried = _carried_types(meta)
        typed = {**typed_columns, **carried} if carried else typed_columns
        good = []
        for item in page:
            if not isinstance(item, dict):
                good.append(item)
                continue
            # keys are compared as dlt names them (`AccountId` is the column `account_id`)
            named = {_naming.normalize_identifier(k): v for k, v in item.items()}
            found = problems(named, typed)
            if not found:
                good.append(item)
                continue
            # the first rule names the record; a blocking one first, so it is never hidden
            found.sort(key=lambda f: SEVERITY[f[0]] != "blocking")
            rule, field, _ = found[0]
            detail = "; ".join(f[2] for f in found)
            record_id = None
            if all(named.get(n) is not None for n in id_columns):
                record_id = ":".join(str(named[n]) for n in id_columns)
            row = quarantine_row(source, table, rule, detail, item, record_id)
            yield dlt.mark.with_hints(row, _hints(resource), create_table_variant=True)
        if good:
            yield good if isinstance(items, list) else good[0]

    return divert
