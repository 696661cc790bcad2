"""Dagster's definitions follow the enabled sources; an unconfigured source fails at once.

* With Marketo and LinkedIn switched off (``SOURCES__<NAME>__ENABLED=false``, dlt's convention),
  the definitions have no asset of theirs, raw or dbt, and the 4-hourly ad-spend job refreshes
  only the enabled ad platforms and FX.
* A source that is enabled but has no credentials fails its step with a message naming the
  setting, and a retry policy does not retry it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from warehouse.sources import registry

ROOT = Path(__file__).resolve().parents[2]

LIST_DEFINITIONS = """
import json
from orchestration.definitions import defs
graph = defs.resolve_asset_graph()
spend = defs.resolve_job_def("ad_spend_refresh")
print(json.dumps({
    "keys": sorted("/".join(k.path) for k in graph.get_all_asset_keys()),
    "ad_spend": sorted("/".join(k.path) for k in spend.asset_layer.selected_asset_keys),
}))
"""


def test_definitions_hold_only_the_enabled_sources():
    # Salesforce switched on in place of HubSpot (the other CRM), two more sources off
    off = {"hubspot", "marketo", "linkedin"}
    env = {
        **os.environ,
        **{registry()[n].enabled_setting: "false" for n in off},
        registry()["salesforce"].enabled_setting: "true",
        "DAGSTER_HOME": str(ROOT / "dagster_home"),
    }
    done = subprocess.run(
        [sys.executable, "-c", LIST_DEFINITIONS], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    listed = json.loads(done.stdout.strip().splitlines()[-1])
    keys = listed["keys"]
    raw_sources = {k.split("/")[1] for k in keys if k.startswith("raw/")}
    assert raw_sources == set(registry()) - off
    for name in off:
        assert not [k for k in keys if f"stg_{name}__" in k], f"{name}'s staging models remain"
    for name in set(registry()) - off:
        assert [k for k in keys if f"/stg_{name}__" in k], f"{name}'s staging models are gone"
    assert "certified/pipeline_monthly" in keys and "published/certified" in keys
    spend_sources = {k.split("/")[1] for k in listed["ad_spend"] if k.startswith("raw/")}
    expected = {n for n, s in registry().items() if s.schedule == "ad_spend"} - off
    assert spend_sources == expected


def test_enabled_source_without_its_settings_fails_at_once_and_is_never_retried(monkeypatch):
    for variable in list(os.environ):
        if variable.startswith("SOURCES__HUBSPOT__"):
            monkeypatch.delenv(variable)
    from orchestration.defs.ingestion import raw_assets
    from orchestration.defs.schedules import RETRIES

    (hubspot,) = [a for a in raw_assets if any(k.path[1] == "hubspot" for k in a.keys)]
    job = dg.define_asset_job("load_hubspot_only", selection=[hubspot], op_retry_policy=RETRIES)
    defs = dg.Definitions(
        assets=[hubspot], jobs=[job], resources={"dlt": dg.ResourceDefinition.none_resource()}
    )
    result = defs.resolve_job_def("load_hubspot_only").execute_in_process(raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert len(failures) == 1
    message = failures[0].step_failure_data.error.message
    assert "SOURCES__HUBSPOT__API_KEY" in message and "SOURCES__HUBSPOT__ENABLED=false" in message
    retries = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert retries == [], "a configuration error was retried"
