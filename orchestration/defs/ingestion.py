"""Ingestion layer: one multi-asset per source system, loading it with dlt into the warehouse.

Asset keys read like the warehouse: ``raw/<source>/<table>``, grouped by source. The dbt sources
of the transform layer point at the same keys, so lineage runs unbroken from each API to the
certified tables.

A dlt source resolves its configuration (base URL, credentials) when it is called. The
definitions must load on a machine with no credentials at all (CI, a new analytics engineer's
laptop), so the source used to *describe* the assets is built with placeholders, and the source
that *runs* is built inside the run, where a missing setting fails with dlt's message naming it.
"""

import importlib
import logging
import os
from collections.abc import Callable, Iterator

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.common.configuration.exceptions import ConfigFieldMissingException

from ingestion.warehouse import SOURCES, pipeline
from orchestration.warehouse_lock import WAREHOUSE_POOL

log = logging.getLogger(__name__)

_PLACEHOLDER = "<resolved-at-run-time>"


def raw_asset_key(source: str, table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source, table])


class RawTranslator(DagsterDltTranslator):
    """``raw/<source>/<table>``, grouped by source, described by the resource's docstring."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        default = super().get_asset_spec(data)
        source = data.resource.source_name
        return default.replace_attributes(
            key=raw_asset_key(source, data.resource.table_name or data.resource.name),
            group_name=f"raw_{source}",
            deps=[],
            kinds={"dlt", "duckdb"},
        )


def source_function(name: str) -> Callable[..., dlt.sources.DltSource]:
    return getattr(importlib.import_module(f"ingestion.{name}"), f"{name}_source")


def describe_source(name: str) -> dlt.sources.DltSource:
    """The source with placeholders for every setting that is not configured here."""
    make = source_function(name)
    overrides: dict[str, str] = {}
    for _ in range(10):
        try:
            return make(**overrides)
        except ConfigFieldMissingException as missing:
            overrides.update({field: _PLACEHOLDER for field in missing.fields})
    raise RuntimeError(f"{name}: could not describe the source without its settings")


def uses_sandbox(name: str) -> bool:
    base_url = os.environ.get(f"SOURCES__{name.upper()}__BASE_URL", "")
    return base_url.startswith(("http://127.0.0.1", "http://localhost"))


def _build_assets(name: str) -> dg.AssetsDefinition:
    @dlt_assets(
        dlt_source=describe_source(name),
        dlt_pipeline=pipeline(name),
        name=f"load_{name}",
        dagster_dlt_translator=RawTranslator(),  # decides keys and the group
        pool=WAREHOUSE_POOL,
    )
    def _load(context: dg.AssetExecutionContext, dlt: DagsterDltResource) -> Iterator:
        where = "the sandbox" if uses_sandbox(name) else "the configured account"
        context.log.info(f"{name}: loading from {where}")
        load = pipeline(name)
        for result in dlt.run(
            context=context, dlt_source=source_function(name)(), dlt_pipeline=load
        ):
            yield with_load_metadata(result, load)

    return _load


def with_load_metadata(result, load: dlt.Pipeline):
    """The run's load ids and the table's rows (zero included) on every raw materialization."""
    if not isinstance(result, dg.MaterializeResult) or result.asset_key is None:
        return result
    trace = load.last_trace
    rows = trace.last_normalize_info.row_counts if trace.last_normalize_info else {}
    load_ids = list(trace.last_load_info.loads_ids) if trace.last_load_info else []
    metadata = {
        **(result.metadata or {}),
        "rows_loaded": dg.MetadataValue.int(rows.get(result.asset_key.path[-1], 0)),
        "load_ids": dg.MetadataValue.json(load_ids),
    }
    return dg.MaterializeResult(
        asset_key=result.asset_key,
        metadata=metadata,
        check_results=result.check_results,
        data_version=result.data_version,
        tags=result.tags,
    )


def available_sources() -> list[str]:
    """Sources whose dlt package exists (the list grows as sources are added)."""
    out = []
    for name in SOURCES:
        try:
            source_function(name)
        except (ImportError, AttributeError):
            continue
        out.append(name)
    return out


raw_assets = [_build_assets(name) for name in available_sources()]

raw_job = dg.define_asset_job(
    "load_raw",
    selection=dg.AssetSelection.groups(*(f"raw_{n}" for n in available_sources())),
    description="Load every source system into the warehouse's raw datasets.",
)

defs = dg.Definitions(
    assets=raw_assets,
    jobs=[raw_job],
    resources={"dlt": DagsterDltResource()},
)
