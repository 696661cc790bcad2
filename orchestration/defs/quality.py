"""Quality layer: the Great Expectations suites of ``expectations/`` as Dagster asset checks.

Every suite file guards one table and becomes the check ``great_expectations`` on that table's
asset: ``raw/<source>/<table>`` after each load (warnings: bad raw records are quarantined by
dbt, so they are reported, not blocking) and ``certified/<table>`` after dbt (blocking: a failed
blocking rule stops the publication). Raw checks exist only for the enabled sources
(``warehouse.sources.enabled_sources()``, read when the definitions load, as the loads are).
The checks of one source, and those of the certified tables, run as one step, so GX starts and
connects once for them; a run that materializes only some of the assets runs only their checks.

GX is imported inside the step, never at definition time (importing it takes seconds).
"""

from collections import defaultdict

import dagster as dg

from expectations.suites import Suite, enabled_suites
from orchestration.defs.ingestion import raw_asset_key
from orchestration.defs.transform import dbt_models
from orchestration.publication import SUITE_CHECK
from orchestration.warehouse_lock import WAREHOUSE_POOL

CHECK_NAME = SUITE_CHECK


def suite_asset_key(suite: Suite) -> dg.AssetKey:
    """The asset a suite guards: the raw asset of the load, or the certified dbt model's.

    A child table dlt unnests from a resource's lists (``<table>__<list>``, e.g. Meta's
    ``campaign_insights_daily__actions``) is loaded by its parent's asset, so its suite guards
    that asset, as a check of its own (``suite_check_name``).
    """
    if suite.schema.startswith("raw_"):
        return raw_asset_key(suite.source, suite.name.split("__")[0])
    certified = {key for key in dbt_models.keys if key.path[0] == "certified"}
    key = dg.AssetKey(["certified", suite.name])
    if key not in certified:
        raise ValueError(
            f"{suite.path}: guards {suite.table}, but there is no dbt asset {key.to_user_string()}"
        )
    return key


def suite_check_name(suite: Suite) -> str:
    """``great_expectations`` on a table's own asset; ``great_expectations__<list>`` for a child."""
    _, _, child = suite.name.partition("__")
    return f"{CHECK_NAME}__{child}" if child and suite.schema.startswith("raw_") else CHECK_NAME


def check_result(suite: Suite, result, key: dg.AssetKey) -> dg.AssetCheckResult:
    """One suite's outcome as the check's result and metadata."""
    failed = result.failed
    blocking = bool(result.blocking_failures)
    failures = [
        {
            "rule": r.rule,
            "severity": r.severity,
            "expectation": r.expectation,
            "unexpected_count": r.unexpected_count,
            "examples": r.examples,
            **({"observed": r.observed} if r.unexpected_count is None else {}),
            **({"error": r.error} if r.error else {}),
            "why": r.why,
        }
        for r in failed
    ]
    metadata = {
        "table": suite.table,
        "rules": len(result.rules),
        "failed_rules": dg.MetadataValue.json([r.rule for r in failed]),
        "unexpected_rows": sum(r.unexpected_count or 0 for r in failed),
        "failures": dg.MetadataValue.json(failures),
        "suite": dg.MetadataValue.path(str(suite.path)),
    }
    if result.docs_page:
        metadata["data_docs"] = dg.MetadataValue.path(str(result.docs_page))
    if result.notes:
        metadata["notes"] = dg.MetadataValue.text("; ".join(result.notes))
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=suite_check_name(suite),
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )


def build_checks(name: str, suites: list[Suite], blocking: bool) -> dg.AssetChecksDefinition:
    keys = {s.table: suite_asset_key(s) for s in suites}
    specs = [
        dg.AssetCheckSpec(
            suite_check_name(s),
            asset=keys[s.table],
            blocking=blocking,
            description=f"Great Expectations suite {s.path.name}: "
            + "; ".join(r.name for r in s.rules),
        )
        for s in suites
    ]

    @dg.multi_asset_check(name=name, specs=specs, can_subset=True, pool=WAREHOUSE_POOL)
    def _check(context: dg.AssetCheckExecutionContext):
        from expectations.runner import validate

        selected = [
            s
            for s in suites
            if dg.AssetCheckKey(keys[s.table], suite_check_name(s))
            in context.selected_asset_check_keys
        ]
        tables = [s.table for s in selected]
        if blocking:
            from orchestration.publication import validate_certified

            results = validate_certified(context.run.run_id, tables)
        else:
            results = validate(tables)
        for suite in selected:
            yield check_result(suite, results[suite.table], keys[suite.table])

    return _check


def _grouped() -> dict[str, list[Suite]]:
    groups: dict[str, list[Suite]] = defaultdict(list)
    for suite in enabled_suites().values():
        groups[suite.schema].append(suite)
    return dict(groups)


quality_checks = [
    build_checks(f"quality_{schema}", suites, blocking=schema == "certified")
    for schema, suites in sorted(_grouped().items())
]

defs = dg.Definitions(asset_checks=quality_checks)
