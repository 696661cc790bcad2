"""A dev copy of the published certified database, for the reports and their tests.

BI reads only the file at ``ingestion.warehouse.certified_path()``: schema ``certified`` with the
nine certified tables plus ``publication_log`` and ``publication_checks`` (the contract of the
publish step). When the orchestration's publish step offers ``publish_certified(warehouse,
target)``, that is used; otherwise this module writes the same shape itself: every certified
table copied from a dbt-built warehouse, and one publication with its checks (dbt's test results
of the build, from ``run_results.json``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.defs.reports import CERTIFIED_TABLES

#: the sources whose last load the publication records (dlt schema ``raw_<source>``)
FRESHNESS_SOURCES = (
    "hubspot",
    "marketo",
    "google_ads",
    "meta",
    "linkedin",
    "microsoft_ads",
    "fx",
)


def _publish_function():
    try:
        from orchestration.defs import publish  # the lead's publish step, when it has landed
    except ImportError:
        return None
    return getattr(publish, "publish_certified", None)


def write_certified_file(
    warehouse: Path,
    target: Path,
    *,
    run_id: str = "dev-copy",
    run_results: Path | None = None,
) -> Path:
    """Write the certified database BI reads from a dbt-built warehouse; returns ``target``."""
    publish = _publish_function()
    if publish is not None:
        publish(warehouse, target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    checks = _checks_from_run_results(run_results) if run_results else []
    with duckdb.connect(str(partial)) as con:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        # the file's own catalog is named after it (often "certified" too): qualify every name
        db = con.execute("select current_database()").fetchone()[0]
        con.execute(f'create schema "{db}".certified')
        row_counts = {}
        for table in CERTIFIED_TABLES:
            con.execute(
                f'create table "{db}".certified.{table} as select * from wh.certified.{table}'
            )
            row_counts[table] = con.execute(
                f'select count(*) from "{db}".certified.{table}'
            ).fetchone()[0]
        freshness = _source_freshness(con)
        con.execute(
            f"""create table "{db}".certified.publication_log (
                run_id varchar, published_at timestamp, status varchar,
                checks_passed integer, checks_failed integer,
                row_counts varchar, source_freshness varchar)"""
        )
        con.execute(
            f"""create table "{db}".certified.publication_checks (
                run_id varchar, asset varchar, check_name varchar, severity varchar,
                passed boolean, failed_rows integer, detail varchar)"""
        )
        passed = sum(1 for c in checks if c["passed"])
        con.execute(
            f'insert into "{db}".certified.publication_log '
            "values (?, ?, 'published', ?, ?, ?, ?)",
            [
                run_id,
                datetime.now(UTC).replace(tzinfo=None, microsecond=0),
                passed,
                len(checks) - passed,
                json.dumps(row_counts),
                json.dumps(freshness),
            ],
        )
        for c in checks:
            con.execute(
                f'insert into "{db}".certified.publication_checks values (?, ?, ?, ?, ?, ?, ?)',
                [run_id, c["asset"], c["check_name"], c["severity"], c["passed"],
                 c["failed_rows"], c["detail"]],
            )  # fmt: skip
        con.execute("detach wh")
    partial.replace(target)
    return target


def _source_freshness(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The last dlt load of each source schema in the warehouse, ISO 8601."""
    freshness = {}
    for source in FRESHNESS_SOURCES:
        exists = con.execute(
            "select count(*) from duckdb_tables() where database_name = 'wh' "
            "and schema_name = ? and table_name = '_dlt_loads'",
            [f"raw_{source}"],
        ).fetchone()[0]
        if not exists:
            continue
        (last,) = con.execute(f"select max(inserted_at) from wh.raw_{source}._dlt_loads").fetchone()
        if last is not None:
            freshness[source] = last.isoformat()
    return freshness


def _checks_from_run_results(path: Path) -> list[dict]:
    """dbt's tests of the build as publication checks (one row per test)."""
    results = json.loads(path.read_text())["results"]
    checks = []
    for r in results:
        unique_id = r["unique_id"]
        if not unique_id.startswith(("test.", "unit_test.")):
            continue
        name = unique_id.split(".")[2]
        checks.append(
            {
                "asset": _asset_of(name),
                "check_name": name,
                "severity": "error" if r["status"] in ("pass", "fail", "error") else "warn",
                "passed": r["status"] == "pass",
                "failed_rows": int(r.get("failures") or 0),
                "detail": (r.get("message") or r["status"])[:500],
            }
        )
    return checks


def _asset_of(test_name: str) -> str:
    for table in CERTIFIED_TABLES:
        if table in test_name:
            return f"certified/{table}"
    return "dbt"
