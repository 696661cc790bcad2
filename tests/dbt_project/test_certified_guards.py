"""Every certified model is guarded three ways before it can be published: an enforced contract
(names and types), a grain test (``unique_combination``, or ``one_row`` for a one-row table) of
severity error, and a Great Expectations suite whose rules all block. The publish step refuses a
table without a passing suite (``orchestration.publication.unproven``); this test fails earlier,
when the model is added without them. Read from dbt's parsed manifest (``make setup``)."""

from __future__ import annotations

import json
from pathlib import Path

from expectations.suites import all_suites

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "dbt_project" / "target" / "manifest.json"
GRAIN_TESTS = {"unique_combination", "one_row"}


def _certified_models(manifest: dict) -> dict[str, dict]:
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] == "certified"
    }


def test_every_certified_model_has_a_contract_a_grain_test_and_a_blocking_suite():
    manifest = json.loads(MANIFEST.read_text())
    models = _certified_models(manifest)
    assert models, "no certified models in the manifest"
    grain_tested = {
        dep
        for test in manifest["nodes"].values()
        if test["resource_type"] == "test"
        and (test.get("test_metadata") or {}).get("name") in GRAIN_TESTS
        and str(test["config"].get("severity", "")).lower() == "error"
        for dep in test["depends_on"]["nodes"]
    }
    suites = all_suites()
    missing = []
    for uid, node in sorted(models.items()):
        name = node["name"]
        if not node["config"].get("contract", {}).get("enforced"):
            missing.append(f"{name}: no enforced contract")
        if uid not in grain_tested:
            missing.append(f"{name}: no grain test ({' or '.join(sorted(GRAIN_TESTS))})")
        suite = suites.get(f"certified.{name}")
        if suite is None:
            missing.append(f"{name}: no suite expectations/suites/certified/{name}.yml")
        elif not suite.rules or any(r.severity != "blocking" for r in suite.rules):
            missing.append(f"{name}: its suite has no rules or a rule that does not block")
    assert not missing, "\n".join(missing)
