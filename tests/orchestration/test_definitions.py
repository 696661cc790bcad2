"""The code location loads, and its asset graph reads like the warehouse."""

import dagster as dg
import pytest

from orchestration.warehouse_lock import WAREHOUSE_POOL
from warehouse.sources import default_sources


@pytest.fixture(scope="module")
def asset_graph():
    from orchestration.definitions import defs

    return defs.resolve_asset_graph()


def _keys(graph):
    return {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}


def test_every_source_has_raw_assets_keyed_like_the_warehouse(asset_graph):
    raw = {key: node for key, node in _keys(asset_graph).items() if key.startswith("raw/")}
    assert {key.split("/")[1] for key in raw} == set(default_sources())
    for key, node in raw.items():
        _, source, table = key.split("/")
        assert node.group_name == f"raw_{source}", key
        assert table, key


def test_models_are_keyed_by_their_layer(asset_graph):
    layers = {"staging", "intermediate", "marts", "quarantine", "certified", "semantic",
              "settings", "published", "reports"}  # fmt: skip
    for key, node in _keys(asset_graph).items():
        if key.startswith("raw/"):
            continue
        layer = key.split("/")[0]
        assert layer in layers, key
        assert node.group_name == {"published": "publish"}.get(layer, layer), key


def test_every_dbt_source_is_a_loaded_raw_asset(asset_graph):
    """Lineage runs unbroken: whatever dbt reads is materialized by a dlt asset, not external."""
    for key in asset_graph.get_all_asset_keys():
        for parent in asset_graph.get(key).parent_keys:
            assert asset_graph.get(parent).is_materializable, (
                f"{key.to_user_string()} reads {parent.to_user_string()}, which nothing loads"
            )


#: steps that never open the warehouse: the report site reads only the published file
READS_NO_WAREHOUSE = {dg.AssetKey(["reports", "site"])}


def test_every_warehouse_writer_is_in_the_one_writer_pool():
    from orchestration.definitions import defs

    checked = 0
    for assets_def in [*(defs.assets or []), *(defs.asset_checks or [])]:
        if not isinstance(assets_def, dg.AssetsDefinition) or not assets_def.is_executable:
            continue
        if set(assets_def.keys) and set(assets_def.keys) <= READS_NO_WAREHOUSE:
            continue
        if assets_def.check_keys and {k.name for k in assets_def.check_keys} == {"freshness_check"}:
            continue  # reads Dagster's own event log, not the warehouse
        pools = {op.pool for op in assets_def.node_def.iterate_op_defs()}
        assert pools == {WAREHOUSE_POOL}, (assets_def.keys, assets_def.check_keys)
        checked += 1
    assert checked > 10


def test_schedules_run_everything_daily_and_ad_spend_often_with_retries():
    from orchestration.definitions import defs

    crons = {s.job_name: s.cron_schedule for s in defs.schedules}
    assert crons == {"daily_pipeline": "0 6 * * *", "ad_spend_refresh": "0 */4 * * *"}

    daily = defs.resolve_job_def("daily_pipeline")
    everything = {k for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert set(daily.asset_layer.executable_asset_keys) >= {
        k for k in everything if defs.resolve_asset_graph().get(k).is_executable
    }

    spend_job = defs.resolve_job_def("ad_spend_refresh")
    spend = {k.to_user_string() for k in spend_job.asset_layer.executable_asset_keys}
    assert {"raw/google_ads/campaign_daily", "raw/fx/rates", "certified/spend_daily",
            "published/certified", "reports/site"} <= spend  # fmt: skip
    assert not any(k.startswith(("raw/hubspot/", "raw/marketo/")) for k in spend)

    for name in ("daily_pipeline", "ad_spend_refresh"):
        policy = defs.resolve_job_def(name).op_retry_policy
        assert policy is not None and policy.max_retries >= 1, name


def test_raw_tables_and_the_publication_have_freshness_checks():
    from orchestration.definitions import defs

    checked = {
        key.asset_key.to_user_string()
        for checks in defs.asset_checks or []
        for key in checks.check_keys
        if key.name == "freshness_check"
    }
    raw = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()
           if k.path[0] == "raw"}  # fmt: skip
    assert raw and raw <= checked
    assert "published/certified" in checked


def test_loading_the_definitions_builds_no_dlt_pipeline():
    """A dlt pipeline reads its state from disk and resolves the destination's credentials: a
    run's work, not something every load of the definitions (the UI, each run's process, each
    schedule tick) should pay for. The definitions load here with ``dlt.pipeline`` refused."""
    import subprocess
    import sys

    code = (
        "import dlt\n"
        "def refuse(*args, **kwargs):\n"
        "    raise AssertionError('a dlt pipeline was built while the definitions loaded')\n"
        "dlt.pipeline = refuse\n"
        "from orchestration.definitions import defs\n"
        "assert any(k.path[0] == 'raw' for k in defs.resolve_asset_graph().get_all_asset_keys())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
