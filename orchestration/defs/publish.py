"""Publish layer: the one asset that swaps the certified tables BI reads.

``published/certified`` depends on every certified model and on the quarantine, so it runs last
and only when none of its upstream assets failed: Dagster skips it when a blocking check on any
of them fails (the GX suites on the certified tables, and ``no_blocking_bad_records`` on the
quarantine below). Each blocking check also writes its result to the run's publication log, so
a refused run says why in the log as well as in Dagster. The mechanics of the swap are in
:mod:`orchestration.publication`.
"""

import json

import dagster as dg

from orchestration.dbt_project import dbt_project
from orchestration.warehouse_lock import WAREHOUSE_POOL

QUARANTINE_KEY = dg.AssetKey(["quarantine", "quarantine_records"])
PUBLISHED_KEY = dg.AssetKey(["published", "certified"])


def certified_keys() -> list[dg.AssetKey]:
    """Every dbt model in ``models/certified/``, from the prepared manifest."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return sorted(
        dg.AssetKey(["certified", node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["certified"]
    )


@dg.asset(
    key=PUBLISHED_KEY,
    deps=[*certified_keys(), QUARANTINE_KEY],
    group_name="publish",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    description=(
        "The certified tables BI reads: copied from the working copy into a new DuckDB file and "
        "swapped in by atomic rename, only after every blocking check of the run passed."
    ),
)
def published_certified(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from orchestration.publication import publish

    publication = publish(context.run.run_id)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(publication.path)),
            "tables": len(publication.row_counts),
            **{f"rows/{t}": n for t, n in publication.row_counts.items()},
        }
    )


@dg.asset_check(
    asset=QUARANTINE_KEY,
    name="no_blocking_bad_records",
    blocking=True,
    pool=WAREHOUSE_POOL,
    description=(
        "Fails when a quarantined record has blocking severity (money that cannot be trusted: "
        "negative spend, an unknown currency), which stops the publication."
    ),
)
def no_blocking_bad_records(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    from orchestration.publication import CheckOutcome, record_attempt, record_checks
    from orchestration.quarantine import quarantine_summary

    summary = quarantine_summary()
    blocking = [row for row in summary if row["severity"] == "blocking"]
    failed = sum(row["records"] for row in blocking)
    detail = "; ".join(
        f"{r['source']}.{r['table_name']} {r['rule']}: {r['records']} (e.g. {r['examples']})"
        for r in blocking
    )
    record_checks(
        context.run.run_id,
        [CheckOutcome("/".join(QUARANTINE_KEY.path), "no_blocking_bad_records", "blocking",
                      failed == 0, failed, detail or None)],
    )  # fmt: skip
    if failed:
        record_attempt(context.run.run_id, "refused", reason=f"blocking bad records: {detail}")
    return dg.AssetCheckResult(
        passed=failed == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "blocking_records": failed,
            "quarantined_records": sum(row["records"] for row in summary),
            "by_rule": dg.MetadataValue.md(_table(summary)),
        },
    )


def _table(summary: list[dict]) -> str:
    lines = [
        "| source | table | rule | severity | records | examples |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['source']} | {r['table_name']} | {r['rule']} | {r['severity']} | {r['records']} "
        f"| {r['examples']} |"
        for r in summary
    ]
    return "\n".join(lines)


defs = dg.Definitions(assets=[published_certified], asset_checks=[no_blocking_bad_records])
