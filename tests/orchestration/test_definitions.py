"""The code location loads, and its asset graph reads like the warehouse."""

import dagster as dg
import pytest

from ingestion.warehouse import SOURCES
from orchestration.warehouse_lock import WAREHOUSE_POOL


@pytest.fixture(scope="module")
def asset_graph():
    from orchestration.definitions import defs

    return defs.resolve_asset_graph()


def _keys(graph):
    return {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}


def test_every_source_has_raw_assets_keyed_like_the_warehouse(asset_graph):
    raw = {key: node for key, node in _keys(asset_graph).items() if key.startswith("raw/")}
    assert {key.split("/")[1] for key in raw} == set(SOURCES)
    for key, node in raw.items():
        _, source, table = key.split("/")
        assert node.group_name == f"raw_{source}", key
        assert table, key


def test_models_are_keyed_by_their_layer(asset_graph):
    layers = {"staging", "intermediate", "marts", "certified", "semantic", "settings"}
    for key, node in _keys(asset_graph).items():
        if key.startswith("raw/"):
            continue
        layer = key.split("/")[0]
        assert layer in layers, key
        assert node.group_name == layer, key


def test_every_dbt_source_is_a_loaded_raw_asset(asset_graph):
    """Lineage runs unbroken: whatever dbt reads is materialized by a dlt asset, not external."""
    for key in asset_graph.get_all_asset_keys():
        for parent in asset_graph.get(key).parent_keys:
            assert asset_graph.get(parent).is_materializable, (
                f"{key.to_user_string()} reads {parent.to_user_string()}, which nothing loads"
            )


def test_every_warehouse_writer_is_in_the_one_writer_pool():
    from orchestration.definitions import defs

    for assets_def in defs.assets or []:
        if isinstance(assets_def, dg.AssetsDefinition) and assets_def.is_executable:
            pools = {op.pool for op in assets_def.node_def.iterate_op_defs()}
            assert pools == {WAREHOUSE_POOL}, assets_def.keys
