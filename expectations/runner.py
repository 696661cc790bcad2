"""Run suites as SQL inside the warehouse and build GX Data Docs.

``validate(["certified.spend_daily", ...])`` opens an ephemeral GX context (analytics and
progress bars off; nothing written but the Data Docs), points one SQL datasource at the
warehouse (DuckDB read-only through :mod:`expectations.gx_duckdb`, or Postgres when
``WAREHOUSE_TARGET=postgres``, from the same settings the loads use), validates one query
asset per table (every metric is a SQL query in the warehouse; no table is pulled into Python)
and builds the Data Docs into :func:`quality_docs_dir`.

Certified suites with a ``row_count_band`` also compare the table's row count with the previous
publication (``warehouse.settings.certified_path()``): a sudden drop fails. With no previous
publication, or on Postgres, that rule is left out with a note.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from expectations.suites import Rule, Suite, all_suites, enabled_suites
from warehouse.settings import certified_path, postgres_url, project_path, warehouse_target
from warehouse.settings import warehouse_path as _warehouse_path

DOCS_SITE = "quality"
#: Great Expectations' validation results (JSON), kept in the Data Docs folder under this name
RESULTS_STORE, RESULTS_FOLDER = "quality_results", "_results"
EXAMPLES = 5


#: how many validation results of each suite the Data Docs keep (``QUALITY_RESULTS_KEPT``)
DEFAULT_RESULTS_KEPT = 30


def quality_docs_dir() -> Path:
    """``QUALITY_DOCS_DIR``, default ``quality_docs/`` beside the warehouse; read at call time."""
    return project_path("QUALITY_DOCS_DIR", _warehouse_path().parent / "quality_docs")


def results_kept() -> int:
    """``QUALITY_RESULTS_KEPT``: the newest validation results of each suite kept, with their
    pages; older ones are deleted before the Data Docs are built, so a daily run does not slow
    down as results pile up (at least 1)."""
    return max(1, int(os.environ.get("QUALITY_RESULTS_KEPT") or DEFAULT_RESULTS_KEPT))


def prune_results(docs_dir: Path, keep: int) -> int:
    """Delete all but the `keep` newest validation results of each suite (and their pages).

    GX's file stores lay a result out as ``<suite>/<run name>/<run time>/<batch>.json`` under
    the results folder, and its page as ``validations/<same>.html`` in the site; the run time
    (``20261202T161200.123456Z``) orders them. Returns how many results were deleted."""
    results = docs_dir / RESULTS_FOLDER
    by_suite: dict[str, list[Path]] = {}
    for path in results.rglob("*.json"):
        parts = path.relative_to(results).parts
        if len(parts) >= 4:
            by_suite.setdefault("/".join(parts[:-3]), []).append(path)
    deleted = 0
    for paths in by_suite.values():
        paths.sort(key=lambda p: (p.parent.name, p.parent.parent.name), reverse=True)
        for old in paths[keep:]:
            relative = old.relative_to(results)
            page = (docs_dir / "validations" / relative).with_suffix(".html")
            for path, root in ((old, results), (page, docs_dir / "validations")):
                path.unlink(missing_ok=True)
                for folder in (path.parent, path.parent.parent):  # run time, run name
                    if folder.is_dir() and folder != root and not any(folder.iterdir()):
                        folder.rmdir()
            deleted += 1
    return deleted


@dataclass
class RuleResult:
    rule: str
    expectation: str
    severity: str
    why: str
    success: bool
    unexpected_count: int | None = None
    examples: list = field(default_factory=list)
    observed: Any = None
    error: str | None = None


@dataclass
class SuiteResult:
    table: str
    rules: list[RuleResult]
    notes: list[str] = field(default_factory=list)
    docs_page: Path | None = None

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.rules if not r.success]

    @property
    def blocking_failures(self) -> list[RuleResult]:
        return [r for r in self.failed if r.severity == "blocking"]

    @property
    def success(self) -> bool:
        """No blocking rule failed (warnings are reported, never block)."""
        return not self.blocking_failures


def previous_row_count(table: str, path: Path | None = None) -> int | None:
    """Rows of `table` in the previous publication; None when there is none (or no such table)."""
    import duckdb

    path = path or certified_path()
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        # a publication keeps its tables in the file's default schema (orchestration.publication)
        name = table.split(".", 1)[-1]
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'main' "
            "and table_name = ?",
            [name],
        ).fetchone()[0]
        if not found:
            return None
        catalog = con.execute("select current_database()").fetchone()[0]
        return con.execute(f'select count(*) from "{catalog}".main."{name}"').fetchone()[0]


def row_count_band_rule(suite: Suite, destination: str) -> tuple[Rule | None, str | None]:
    """The band rule of a certified suite, or why it is left out."""
    if not suite.row_count_band:
        return None, None
    if destination != "duckdb":
        return None, "row-count band skipped: the previous publication is a DuckDB file"
    previous = previous_row_count(suite.table)
    if previous is None:
        return None, f"row-count band passed: no previous publication at {certified_path()}"
    drop = float(suite.row_count_band.get("max_drop", 0.25))
    growth = float(suite.row_count_band.get("max_growth", 1.0))
    low, high = math.ceil(previous * (1 - drop)), math.floor(previous * (1 + growth))
    why = (
        f"the previous publication had {previous} rows; fewer than {low} (a drop of more than "
        f"{drop:.0%}) or more than {high} means lost or duplicated data upstream"
    )
    rule = Rule(
        "row count within the band of the previous publication",
        "table_row_count_to_be_between",
        {"min_value": low, "max_value": high},
        "blocking",
        why,
    )
    return rule, None


def _expectation(gx, rule: Rule):
    if rule.expect == "unexpected_rows":
        cls = gx.expectations.UnexpectedRowsExpectation
    else:
        name = "Expect" + "".join(part.capitalize() for part in rule.expect.split("_"))
        cls = getattr(gx.expectations, name, None)
        if cls is None:
            raise ValueError(f"rule {rule.name!r}: GX has no {name} (expect: {rule.expect})")
    meta = {"rule": rule.name, "severity": rule.severity, "why": rule.why}
    return cls(**rule.kwargs, meta=meta, description=f"{rule.name}: {rule.why}")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _error_message(info: dict) -> str | None:
    """GX reports an error either flat or keyed by the metric that failed."""
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    messages = [
        f"{metric}: {detail.get('exception_message')}"
        for metric, detail in info.items()
        if isinstance(detail, dict) and detail.get("exception_message")
    ]
    return "; ".join(messages) or None


def _rule_result(evr) -> RuleResult:
    config = evr.expectation_config
    meta = config.meta or {}
    result = evr.result or {}
    error = _error_message(evr.exception_info or {})
    if config.type == "unexpected_rows_expectation":
        count = result.get("observed_value")
        rows = (result.get("details") or {}).get("unexpected_rows") or []
        examples = rows[:EXAMPLES]
    else:
        count = result.get("unexpected_count")
        examples = (result.get("partial_unexpected_list") or [])[:EXAMPLES]
    return RuleResult(
        rule=meta.get("rule", config.type),
        expectation=config.type,
        severity=meta.get("severity", "warning"),
        why=meta.get("why", ""),
        success=bool(evr.success) and error is None,
        unexpected_count=count if isinstance(count, int) else None,
        examples=_plain(examples),
        observed=_plain(result.get("observed_value")),
        error=error,
    )


def validate(
    tables: Iterable[str] | None = None,
    *,
    docs_dir: Path | None = None,
    destination: str | None = None,
) -> dict[str, SuiteResult]:
    """Validate the suites of `tables` (default: every suite that runs: the certified tables'
    and the enabled sources' raw tables) in the warehouse."""
    suites = enabled_suites()
    selected = list(suites) if tables is None else list(tables)
    unknown = [t for t in selected if t not in suites]
    if unknown:
        every = all_suites()
        disabled = [t for t in unknown if t in every]
        if disabled:
            raise ValueError(
                f"{disabled}: their sources are disabled ("
                + ", ".join(sorted({every[t].source for t in disabled}))
                + "), so their raw tables are not checked"
            )
        raise KeyError(f"no suite for {unknown}; suites exist for {sorted(suites)}")
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    import great_expectations as gx
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    from expectations import gx_duckdb  # noqa: F401  (registers the duckdb datasource type)

    destination = destination or warehouse_target()
    docs_dir = docs_dir or quality_docs_dir()
    docs_dir.mkdir(parents=True, exist_ok=True)

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    # validation results kept beside the pages, so each step's index lists every suite
    # validated into this folder (a run's steps each call validate), not only its own
    context.add_store(
        RESULTS_STORE,
        {
            "class_name": "ValidationResultsStore",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir / RESULTS_FOLDER),
            },
        },
    )
    context.variables.validation_results_store_name = RESULTS_STORE
    context.add_data_docs_site(
        DOCS_SITE,
        {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    if destination == "duckdb":
        source = context.data_sources.add_duckdb(
            "warehouse",
            connection_string=f"duckdb:///{_warehouse_path()}",
            # not read_only: DuckDB refuses a second configuration for a file this process
            # already has open, and the steps of a run (in one process) write it too
        )
    else:
        source = context.data_sources.add_postgres("warehouse", connection_string=postgres_url())

    notes: dict[str, list[str]] = {}
    definitions = []
    try:
        for table in selected:
            suite = suites[table]
            rules = list(suite.rules)
            band, note = row_count_band_rule(suite, destination)
            if band:
                rules.append(band)
            notes[table] = [note] if note else []
            gx_suite = context.suites.add(gx.ExpectationSuite(name=table))
            for rule in rules:
                gx_suite.add_expectation(_expectation(gx, rule))
            asset = source.add_query_asset(table, query=f"select * from {table}")
            batch = asset.add_batch_definition_whole_table("whole table")
            definitions.append(
                context.validation_definitions.add(
                    gx.ValidationDefinition(name=table, data=batch, suite=gx_suite)
                )
            )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name="quality",
                validation_definitions=definitions,
                # no UpdateDataDocsAction: it rebuilds the site once per suite; built once below
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES},
            )
        )
        run = checkpoint.run()
        prune_results(docs_dir, results_kept())
        context.build_data_docs(
            site_names=[DOCS_SITE],
            resource_identifiers=[
                *run.run_results,
                *(ExpectationSuiteIdentifier(name=t) for t in selected),
            ],
        )
        results: dict[str, SuiteResult] = {}
        for identifier, validation in run.run_results.items():
            table = validation.suite_name
            rules = []
            for evr in validation.results:
                rule = _rule_result(evr)
                query = evr.expectation_config.kwargs.get("unexpected_rows_query")
                if query and not rule.success and rule.error is None:
                    rule.examples = _offending_rows(source, table, query)
                rules.append(rule)
            results[table] = SuiteResult(
                table, rules, notes[table], _docs_page(context, identifier, docs_dir)
            )
    finally:
        # release every DuckDB handle: a read-only connection left open in this process would
        # stop any later read-write one (the publication log, the next load) from opening
        source.get_execution_engine().close()
        source.get_engine().dispose()
    return {table: results[table] for table in selected}


def _offending_rows(source, table: str, query: str) -> list[dict]:
    """A few of the rows an unexpected-rows rule returned (GX keeps them only in COMPLETE
    results, which would also fetch every unexpected value of the column rules)."""
    import sqlalchemy as sa

    batch = f"(select * from {table}) as subselect"
    sql = f"select * from ({query.replace('{batch}', batch)}) as offending limit {EXAMPLES}"
    rows = source.get_execution_engine().execute_query(sa.text(sql))
    return [_plain(dict(row._mapping)) for row in rows.fetchall()]


def _docs_page(context, identifier, docs_dir: Path) -> Path:
    """The Data Docs page of one validation result, else the site's index."""
    for site in context.get_docs_sites_urls(resource_identifier=identifier, site_name=DOCS_SITE):
        url = site.get("site_url") or ""
        if url.startswith("file://"):
            return Path(url.removeprefix("file://"))
    return docs_dir / "index.html"
