"""The published certified database, for the reports and their tests.

BI reads only the file at ``warehouse.settings.certified_path()``, which the publish step writes
(``orchestration.publication``). The tests publish a dbt-built warehouse the same way: the
checks the publication requires run first, as in a Dagster run (the certified tables' Great
Expectations suites and the quarantine check), and the build's dbt test results are recorded
beside them for the data-quality page.
"""

from __future__ import annotations

import json
from pathlib import Path

from expectations.suites import enabled_suites
from orchestration.defs.reports import CERTIFIED_TABLES
from orchestration.publication import (
    CheckOutcome,
    check_quarantine,
    publish,
    record_checks,
    validate_certified,
)
from sandbox.loading import environment


def write_certified_file(
    warehouse: Path,
    target: Path,
    *,
    run_id: str = "dev-copy",
    run_results: Path | None = None,
) -> Path:
    """Check and publish the certified tables of a dbt-built warehouse to ``target``; returns
    ``target``."""
    env = {
        "WAREHOUSE_PATH": str(warehouse),
        "CERTIFIED_PATH": str(target),
        "QUALITY_DOCS_DIR": str(Path(warehouse).parent / "quality_docs"),
    }
    with environment(env):
        certified = [t for t in enabled_suites() if t.startswith("certified.")]
        validate_certified(run_id, certified)
        check_quarantine(run_id, warehouse)
    checks = _checks_from_run_results(run_results) if run_results else []
    record_checks(
        run_id,
        [CheckOutcome(c["asset"], c["check_name"], "blocking" if c["severity"] == "error"
                      else "warning", c["passed"], c["failed_rows"], c["detail"])
         for c in checks],
        warehouse,
    )  # fmt: skip
    publish(run_id, warehouse, target)
    return target


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
