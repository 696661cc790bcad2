"""The suites run as Dagster asset checks on the assets they guard and report their findings.

The checks run in process against a copy of a built sandbox warehouse in which one certified
funnel cohort was made to gain SQLs over MQLs: its check fails with ERROR severity (blocking),
the others pass, and every result carries the failures, counts and a Data Docs page that exists.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from orchestration.defs.quality import CHECK_NAME, quality_checks
from tests.expectations.conftest import SCALE, SEED
from tests.expectations.test_suites import CERTIFIED_MODELS


def test_quality_checks_guard_raw_and_certified_assets():
    by_key = {
        key.asset_key: (checks.node_def.name, spec.blocking)
        for checks in quality_checks
        for key, spec in ((s.key, s) for s in checks.check_specs)
    }
    assert by_key[dg.AssetKey(["raw", "hubspot", "contacts"])] == ("quality_raw_hubspot", False)
    assert by_key[dg.AssetKey(["certified", "spend_daily"])] == ("quality_certified", True)
    assert {k.path[1] for k in by_key if k.path[0] == "certified"} == CERTIFIED_MODELS


def test_a_child_table_is_checked_on_the_asset_that_loads_it():
    """dlt unnests Meta's ``actions`` lists into ``campaign_insights_daily__actions``: its suite is
    a check of its own on the parent's load, not a check on an asset nothing materializes."""
    insights = dg.AssetKey(["raw", "meta", "campaign_insights_daily"])
    names = {
        key.name
        for checks in quality_checks
        for key in checks.check_keys
        if key.asset_key == insights
    }
    assert names == {
        CHECK_NAME,
        f"{CHECK_NAME}__actions",
        f"{CHECK_NAME}__action_values",
    }
    guarded = {key.asset_key for checks in quality_checks for key in checks.check_keys}
    assert not [k for k in guarded if "__" in k.path[-1]]


def test_checks_run_in_dagster_and_report_metadata(built_warehouse, warehouse_copy, quality_env):
    path = warehouse_copy(built_warehouse(SEED, SCALE))
    with duckdb.connect(str(path)) as con:
        con.execute(
            "update certified.funnel_cohorts set reached_sql = reached_mql + 1 "
            "where (cohort_month, channel) in (select cohort_month, channel "
            "from certified.funnel_cohorts order by cohort_month, channel limit 1)"
        )
    docs = quality_env(path)
    names = ("quality_certified", "quality_raw_fx")
    checks = [c for c in quality_checks if c.node_def.name in names]
    guarded = [dg.AssetSpec(key.asset_key) for c in checks for key in c.check_keys]
    job = dg.define_asset_job("quality", selection=dg.AssetSelection.checks(*checks))
    defs = dg.Definitions(assets=guarded, asset_checks=checks, jobs=[job])

    result = defs.resolve_job_def("quality").execute_in_process(raise_on_error=False)

    evaluations = {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}
    # one per certified table, one per FX raw table
    assert len(evaluations) == len(CERTIFIED_MODELS) + 1
    assert all(e.check_name == CHECK_NAME for e in evaluations.values())
    cohorts = evaluations.pop("certified/funnel_cohorts")
    assert not cohorts.passed
    assert cohorts.severity == dg.AssetCheckSeverity.ERROR
    metadata = {k: v.value for k, v in cohorts.metadata.items()}
    assert metadata["failed_rules"] == ["funnel counts never grow along the funnel"]
    assert metadata["unexpected_rows"] == 1
    [failure] = metadata["failures"]
    assert failure["severity"] == "blocking" and len(failure["examples"]) == 1
    assert failure["examples"][0]["reached_sql"] == failure["examples"][0]["reached_mql"] + 1
    for evaluation in [cohorts, *evaluations.values()]:
        page = evaluation.metadata["data_docs"].value
        assert docs.as_posix() in page and page.endswith(".html")
    assert all(e.passed for e in evaluations.values()), {
        k: e.metadata["failed_rules"].value for k, e in evaluations.items() if not e.passed
    }


def test_loading_the_quality_definitions_does_not_import_gx():
    import subprocess
    import sys

    code = (
        "import sys, orchestration.defs.quality as q; "
        "assert q.quality_checks; assert 'great_expectations' not in sys.modules, 'GX imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_raw_checks_exist_only_for_the_enabled_sources():
    """With sources switched off, their raw tables have no check (nor any asset: their loads
    are not defined either), a source switched on has its checks; the certified checks are all
    there."""
    import json
    import os
    import subprocess
    import sys

    from warehouse.sources import registry

    # Salesforce on in place of HubSpot (the other CRM), two more sources off
    off = {"hubspot", "marketo", "linkedin"}
    env = {
        **os.environ,
        **{registry()[n].enabled_setting: "false" for n in off},
        registry()["salesforce"].enabled_setting: "true",
        # the dbt resource needs dbt's executable, beside this interpreter
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
    }
    code = (
        "import json, orchestration.defs.quality as q; print(json.dumps(sorted("
        "'/'.join(k.asset_key.path) for c in q.quality_checks for k in c.check_keys)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    keys = json.loads(done.stdout.strip().splitlines()[-1])
    raw_sources = {k.split("/")[1] for k in keys if k.startswith("raw/")}
    assert raw_sources == set(registry()) - off
    assert {k.split("/")[1] for k in keys if k.startswith("certified/")} == CERTIFIED_MODELS
