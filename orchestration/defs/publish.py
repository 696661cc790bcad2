"""Publish layer: the one asset that swaps the certified tables BI reads.

``published/certified`` depends on every certified model and on the quarantine, so it runs last
and only when none of its upstream assets failed: Dagster skips it when a blocking check on any
of them fails (the GX suites on the certified tables, and ``no_blocking_bad_records`` on the
quarantine below). Each blocking check also writes its result to the publication log with a
fingerprint of the content it judged, and the publish step itself copies only content that a
passing check judged (:func:`orchestration.publication.unproven`): so a selection that skips the
checks (the UI's Materialize button on this asset alone, ``certified/*`` without the quarantine
check) or a table changed after its checks is refused, with the reason in the log, and never
retried. The mechanics of the swap are in :mod:`orchestration.publication`.
"""

import dagster as dg

from orchestration.defs.transform import dbt_models
from orchestration.publication import QUARANTINE_ASSET, QUARANTINE_CHECK
from orchestration.warehouse_lock import WAREHOUSE_POOL

QUARANTINE_KEY = dg.AssetKey(QUARANTINE_ASSET.split("/"))
PUBLISHED_KEY = dg.AssetKey(["published", "certified"])


def certified_keys() -> list[dg.AssetKey]:
    """Every dbt model in ``models/certified/``: the dbt assets keyed ``certified/<model>``
    (their keys come from the manifest the transform layer has already read; reading its
    megabytes again cost a tenth of a second on every load of the definitions)."""
    return sorted(key for key in dbt_models.keys if key.path[0] == "certified")


@dg.asset(
    key=PUBLISHED_KEY,
    deps=[*certified_keys(), QUARANTINE_KEY],
    group_name="publish",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    description=(
        "The certified tables BI reads: copied from the working copy into a new DuckDB file and "
        "swapped in by atomic rename, only when every certified table and the quarantine have a "
        "passing blocking check on exactly their current content."
    ),
)
def published_certified(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from orchestration.publication import PublicationRefused, publish

    try:
        publication = publish(context.run.run_id)
    except PublicationRefused as refused:
        # a refusal is a verdict on the data, not a transient fault: never retried
        raise dg.Failure(description=str(refused), allow_retries=False) from None
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(publication.path)),
            "tables": len(publication.row_counts),
            **{f"rows/{t}": n for t, n in publication.row_counts.items()},
        }
    )


@dg.asset_check(
    asset=QUARANTINE_KEY,
    name=QUARANTINE_CHECK,
    blocking=True,
    pool=WAREHOUSE_POOL,
    description=(
        "Fails when a quarantined record has blocking severity (money that cannot be trusted: "
        "negative spend, an unknown currency), which stops the publication."
    ),
)
def no_blocking_bad_records(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    from orchestration.publication import check_quarantine

    summary, failed = check_quarantine(context.run.run_id)
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
