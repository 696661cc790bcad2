"""Write, audit, publish: the certified tables BI reads, swapped in whole or not at all.

dbt builds the certified tables in the warehouse (schema ``certified``): the working copy, which
a run rewrites table by table. Readers never open it. They open the published database
(``warehouse.settings.certified_path()``, ``data/certified.duckdb`` by default), which only
:func:`publish` writes, after every blocking check of the run has passed:

1. every working certified table and the publication log are copied into a new DuckDB file
   beside the published one (``.certified.duckdb.<run id>.tmp``), which is checkpointed,
   closed and fsynced;
2. ``os.replace`` renames it over the published file: one atomic step of the file system, so a
   reader opening the file sees the previous publication or the new one, never a mix; a reader
   that already has it open keeps reading the previous one until it reconnects;
3. the warehouse's log row for the run, ``publishing`` until then, is marked ``published``
   (the new file's copy of the log already says so).

The published file keeps its tables in its default schema, so a reader that opens it (as the
catalog ``certified``, its file name) asks for ``certified.funnel_daily`` or just
``funnel_daily``.

**What is published is what was checked.** Every check result is recorded with a fingerprint of
the content it judged (row count and an order-free sum of row hashes, :func:`fingerprint`).
:func:`publish` copies only when every working certified table has a passing Great Expectations
result on its current content, and the quarantine a passing ``no_blocking_bad_records`` result on
its own (:func:`unproven`); it then fingerprints the copies it made and refuses if they differ
from what was approved. A table changed after its check (by a ``dbt run`` outside Dagster, an
edit, a partial selection), a table no check has seen and a failed check each refuse the
publication, naming the table and the check; which run the passing result came from does not
matter, the content does.

A run killed before step 2 leaves the previous publication (and a temporary file that the next
publication removes); killed after it, the new one. A run whose blocking checks fail never
reaches step 1: the checks mark its log row ``refused`` (:func:`record_attempt`) and the previous
publication stays what readers see.

The publication log lives in the warehouse (``audit.publication_log``: one row per run, with
its status, checks passed and failed, row counts per certified table and the freshness of each
source; ``audit.publication_checks``: one row per check result) and is copied into every
publication as ``publication_log`` and ``publication_checks``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.settings import apply_duckdb_settings, certified_path, redact, warehouse_path
from warehouse.sources import enabled_sources, source

SCHEMA = "certified"
AUDIT_SCHEMA = "audit"
LOG_TABLES = ("publication_log", "publication_checks")
#: the check every certified table needs (its Great Expectations suite) and the quarantine's
SUITE_CHECK = "great_expectations"
QUARANTINE_ASSET = "quarantine/quarantine_records"
QUARANTINE_CHECK = "no_blocking_bad_records"
#: a fingerprint that matches no content: the table changed while it was being checked
CHANGED_WHILE_CHECKED = "changed while checked"

_LOG_DDL = f"""
create schema if not exists {AUDIT_SCHEMA};
create table if not exists {AUDIT_SCHEMA}.publication_log (
    run_id varchar primary key,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,            -- checking | refused | publishing | published | failed
    reason varchar,                     -- why a run was refused
    checks_passed integer not null,
    checks_failed integer not null,
    row_counts varchar not null,        -- JSON: certified table -> rows in the working copy
    source_freshness varchar not null   -- JSON: source -> last successful load (UTC)
);
create table if not exists {AUDIT_SCHEMA}.publication_checks (
    run_id varchar not null,
    asset varchar not null,             -- the Dagster asset key the check guards
    check_name varchar not null,
    severity varchar not null,          -- blocking | warning
    passed boolean not null,
    failed_rows bigint,
    detail varchar,
    checked_at timestamptz not null,
    fingerprint varchar                 -- the content the check judged (fingerprint())
);
alter table {AUDIT_SCHEMA}.publication_checks add column if not exists fingerprint varchar;
"""


@dataclass(frozen=True)
class CheckOutcome:
    """One check's result, as the publication log keeps it."""

    asset: str
    check_name: str
    severity: str  # blocking | warning
    passed: bool
    failed_rows: int | None = None
    detail: str | None = None
    #: the content judged; None: the asset's table as it is when the result is recorded
    fingerprint: str | None = None


@dataclass(frozen=True)
class Publication:
    path: Path
    run_id: str
    row_counts: dict[str, int]


class PublicationRefused(RuntimeError):
    """The publication was refused: what it would copy is not what the checks passed."""


def _now() -> datetime:
    return datetime.now(UTC)


def asset_of(relation: str) -> str:
    """The asset key (as a path string) of a warehouse table: ``certified.x`` is ``certified/x``."""
    return relation.replace(".", "/")


def relation_of(asset: str) -> str | None:
    """The table a ``schema/table`` asset key is in the warehouse (``certified/x`` is
    ``certified.x``); None for other keys (a raw load's ``raw/<source>/<table>``)."""
    parts = asset.split("/")
    return ".".join(parts) if len(parts) == 2 else None


def fingerprint(con: duckdb.DuckDBPyConnection, relation: str) -> str | None:
    """The content of a table as a short string: its row count and the sum of its rows' hashes
    (order-free, so the same rows in any order match; any changed value changes it). None when
    the table does not exist."""
    try:
        rows, hashes = con.execute(
            f"select count(*), coalesce(sum(hash(t)), 0) from {relation} as t"
        ).fetchone()
    except (duckdb.CatalogException, duckdb.BinderException):
        return None
    return f"{rows}:{hashes}"


def fingerprints(relations: Iterable[str], warehouse: Path | None = None) -> dict[str, str | None]:
    """:func:`fingerprint` of each relation, in one connection to the warehouse."""
    with apply_duckdb_settings(duckdb.connect(str(warehouse or warehouse_path()))) as con:
        return {r: fingerprint(con, r) for r in relations}


def certified_tables(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[str]:
    """The tables of the ``certified`` schema (views and the log tables excluded)."""
    where = f"and table_catalog = '{catalog}'" if catalog else ""
    rows = con.execute(
        f"select table_name from information_schema.tables where table_schema = '{SCHEMA}'"
        f" and table_type = 'BASE TABLE' {where} order by table_name"
    ).fetchall()
    return [r[0] for r in rows if r[0] not in LOG_TABLES]


def source_freshness(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """Each source's last successful dlt load (UTC, ISO 8601), or None if never loaded."""
    out: dict[str, str | None] = {}
    for name in enabled_sources():
        schema = source(name).dataset
        exists = con.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = ? and table_name = '_dlt_loads'",
            [schema],
        ).fetchone()[0]
        last = None
        if exists:
            last = con.execute(
                f"select max(inserted_at) from {schema}._dlt_loads where status = 0"
            ).fetchone()[0]
        out[name] = last.astimezone(UTC).isoformat() if last else None
    return out


def _row_counts(
    con: duckdb.DuckDBPyConnection, tables: Iterable[str], schema: str = SCHEMA
) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from {schema}.{t}").fetchone()[0] for t in tables}


def record_checks(run_id: str, outcomes: Iterable[CheckOutcome], warehouse: Path | None = None):
    """Append check results to the run's log (and open the run's row if it is the first)."""
    outcomes = list(outcomes)
    with apply_duckdb_settings(duckdb.connect(str(warehouse or warehouse_path()))) as con:
        con.execute(_LOG_DDL)
        _open_run(con, run_id)
        for o in outcomes:
            relation = relation_of(o.asset)
            judged = o.fingerprint or (fingerprint(con, relation) if relation else None)
            con.execute(
                f"insert into {AUDIT_SCHEMA}.publication_checks (run_id, asset, check_name,"
                " severity, passed, failed_rows, detail, checked_at, fingerprint)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, o.asset, o.check_name, o.severity, o.passed, o.failed_rows, o.detail,
                 _now(), judged],
            )  # fmt: skip
        _refresh_run(con, run_id)


def record_attempt(
    run_id: str, status: str, reason: str | None = None, warehouse: Path | None = None
) -> None:
    """Set the run's status (``checking``, ``refused`` or ``published``) in the log."""
    with apply_duckdb_settings(duckdb.connect(str(warehouse or warehouse_path()))) as con:
        con.execute(_LOG_DDL)
        _open_run(con, run_id)
        _refresh_run(con, run_id)
        con.execute(
            f"update {AUDIT_SCHEMA}.publication_log set status = ?, reason = coalesce(?, reason),"
            " finished_at = ? where run_id = ?",
            [status, reason, _now() if status not in ("checking", "publishing") else None, run_id],
        )


def record_failure(run_id: str, step: str, error: BaseException | str) -> None:
    """A step of the run failed: its log row says ``failed`` and why (secrets redacted). Never
    raises: the step's own error is what the run reports, and the warehouse may be what failed."""
    # a locked or broken warehouse: the step's own error says so
    with contextlib.suppress(Exception):
        record_attempt(run_id, "failed", reason=redact(f"{step}: {error}")[:4000])


def _open_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute(
        f"insert into {AUDIT_SCHEMA}.publication_log"
        " values (?, ?, null, 'checking', null, 0, 0, '{}', '{}') on conflict do nothing",
        [run_id, _now()],
    )


def _refresh_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Recount the run's checks, the working tables' rows and the sources' freshness."""
    passed, failed = con.execute(
        f"select count(*) filter (where passed), count(*) filter (where not passed)"
        f" from {AUDIT_SCHEMA}.publication_checks where run_id = ?",
        [run_id],
    ).fetchone()
    counts = _row_counts(con, certified_tables(con))
    con.execute(
        f"update {AUDIT_SCHEMA}.publication_log set checks_passed = ?, checks_failed = ?,"
        " row_counts = ?, source_freshness = ? where run_id = ?",
        [passed, failed, json.dumps(counts), json.dumps(source_freshness(con)), run_id],
    )


def blocking_failures(run_id: str, warehouse: Path | None = None) -> list[tuple[str, str, str]]:
    """(asset, check, detail) of every failed blocking check recorded for the run."""
    with apply_duckdb_settings(duckdb.connect(str(warehouse or warehouse_path()))) as con:
        con.execute(_LOG_DDL)
        return con.execute(
            f"select asset, check_name, coalesce(detail, '') from {AUDIT_SCHEMA}.publication_checks"
            " where run_id = ? and severity = 'blocking' and not passed order by asset, check_name",
            [run_id],
        ).fetchall()


def validate_certified(run_id: str, tables: list[str]) -> dict:
    """Run the Great Expectations suites of certified ``tables`` (``schema.table``) in the
    warehouse (``WAREHOUSE_PATH``, as the suites read it) and record
    each outcome with the fingerprint of the content it judged (a table that changed while it
    was validated judged none); a blocking failure refuses the run. Returns GX's results."""
    from expectations.runner import validate

    before = fingerprints(tables)
    results = validate(tables)
    after = fingerprints(tables)
    record_checks(
        run_id,
        [
            CheckOutcome(
                asset_of(table), SUITE_CHECK, "blocking", result.success,
                sum(r.unexpected_count or 0 for r in result.blocking_failures),
                "; ".join(f"{r.rule}: {r.unexpected_count}" for r in result.failed) or None,
                before[table] if before[table] == after[table] else CHANGED_WHILE_CHECKED,
            )
            for table, result in results.items()
        ],
    )  # fmt: skip
    refused = [
        f"{table}: " + ", ".join(r.rule for r in result.blocking_failures)
        for table, result in results.items()
        if result.blocking_failures
    ]
    if refused:
        record_attempt(run_id, "refused", reason="failed blocking checks: " + "; ".join(refused))
    return results


def check_quarantine(run_id: str, warehouse: Path | None = None) -> tuple[list[dict], int]:
    """The quarantine check: no quarantined record of blocking severity. Records the outcome
    with the quarantine's fingerprint (a blocking record refuses the run); returns the
    quarantine's summary by rule and the number of blocking records."""
    from orchestration.quarantine import quarantine_summary

    relation = relation_of(QUARANTINE_ASSET)
    judged = fingerprints([relation], warehouse)[relation]
    summary = quarantine_summary(warehouse)
    blocking = [row for row in summary if row["severity"] == "blocking"]
    failed = sum(row["records"] for row in blocking)
    detail = "; ".join(
        f"{r['source']}.{r['table_name']} {r['rule']}: {r['records']} (e.g. {r['examples']})"
        for r in blocking
    )
    record_checks(
        run_id,
        [CheckOutcome(QUARANTINE_ASSET, QUARANTINE_CHECK, "blocking", failed == 0, failed,
                      detail or None, judged)],
        warehouse,
    )  # fmt: skip
    if failed:
        record_attempt(run_id, "refused", reason=f"blocking bad records: {detail}",
                       warehouse=warehouse)  # fmt: skip
    return summary, failed


def required_checks(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(asset, check) a publication needs a pass of: every working certified table's suite and
    the quarantine's check."""
    tables = certified_tables(con)
    return [*((f"{SCHEMA}/{t}", SUITE_CHECK) for t in tables), (QUARANTINE_ASSET, QUARANTINE_CHECK)]


def unproven(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], list[str]]:
    """The approved content of every table a publication needs, and why each other one is not
    approved: ({relation: fingerprint}, [reason, ...]). Approved is the latest result of the
    table's required check on exactly its current content, and that result passed."""
    approved, reasons = {}, []
    for asset, check in required_checks(con):
        relation = relation_of(asset)
        now = fingerprint(con, relation)
        if now is None:
            reasons.append(f"{relation}: missing, so {check} cannot have passed on it")
            continue
        on_this = con.execute(
            f"select run_id, passed, coalesce(detail, '') from {AUDIT_SCHEMA}.publication_checks"
            " where asset = ? and check_name = ? and fingerprint = ?"
            " order by checked_at desc limit 1",
            [asset, check, now],
        ).fetchone()
        if on_this and on_this[1]:
            approved[relation] = now
        elif on_this:
            reasons.append(f"{relation}: {check} failed in run {on_this[0]} ({on_this[2]})")
        else:
            last = con.execute(
                f"select run_id from {AUDIT_SCHEMA}.publication_checks"
                " where asset = ? and check_name = ? order by checked_at desc limit 1",
                [asset, check],
            ).fetchone()
            reasons.append(
                f"{relation}: changed since {check} last ran (run {last[0]}): its current content "
                "is unchecked"
                if last
                else f"{relation}: {check} has never run on it"
            )
    return approved, reasons


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(run_id: str, warehouse: Path | None = None, target: Path | None = None) -> Publication:
    """Copy every working certified table into a new file and swap it in atomically."""
    warehouse = Path(warehouse or warehouse_path())
    target = Path(target or certified_path())
    failures = blocking_failures(run_id, warehouse)
    if failures:
        _refuse(run_id, warehouse, [f"{a}: {c} failed ({d})" for a, c, d in failures])
    with apply_duckdb_settings(duckdb.connect(str(warehouse))) as con:
        con.execute(_LOG_DDL)
        approved, reasons = unproven(con)
    if reasons:
        _refuse(run_id, warehouse, reasons)
    record_attempt(run_id, "publishing", warehouse=warehouse)
    try:
        publication = _swap_in(run_id, warehouse, target, approved)
    except PublicationRefused as err:
        _refuse(run_id, warehouse, [str(err)])
    except BaseException as err:
        record_attempt(run_id, "failed", reason=f"publishing failed: {err!r}", warehouse=warehouse)
        raise
    record_attempt(run_id, "published", warehouse=warehouse)
    return publication


def _refuse(run_id: str, warehouse: Path, reasons: list[str]):
    """Log the run as refused with its reasons, and raise :class:`PublicationRefused`."""
    reason = "not published: " + "; ".join(reasons)
    record_attempt(run_id, "refused", reason=reason, warehouse=warehouse)
    raise PublicationRefused(reason)


def _swap_in(run_id: str, warehouse: Path, target: Path, approved: dict[str, str]) -> Publication:
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*.tmp*"):
        stale.unlink()  # left by a run killed while publishing
    tmp = target.parent / f".{target.name}.{run_id}.tmp"
    with apply_duckdb_settings(duckdb.connect(str(tmp))) as con:
        here = con.execute("select current_database()").fetchone()[0]
        con.execute(f"attach '{warehouse}' as working (read_only)")
        tables = certified_tables(con, catalog="working")
        for table in (*tables, *LOG_TABLES):
            schema = AUDIT_SCHEMA if table in LOG_TABLES else SCHEMA
            con.execute(
                f'create table "{here}".main.{table} as select * from working.{schema}.{table}'
            )
        con.execute("detach working")
        con.execute(f'use "{here}"')
        # what was copied is what the checks approved, whatever ran since the gate
        changed = [
            t for t in tables if fingerprint(con, f"main.{t}") != approved.get(f"{SCHEMA}.{t}")
        ]
        if changed:
            con.close()
            tmp.unlink(missing_ok=True)
            raise PublicationRefused(
                ", ".join(f"{SCHEMA}.{t}" for t in changed) + ": changed after its checks passed"
            )
        counts = _row_counts(con, tables, schema="main")
        # the copy shows the run as it will be once the rename below has happened
        con.execute(
            "update main.publication_log set status = 'published', finished_at = ?"
            " where run_id = ?",
            [_now(), run_id],
        )
        con.execute("checkpoint")
    _fsync(tmp)
    os.replace(tmp, target)
    _fsync(target.parent)
    return Publication(target, run_id, counts)
