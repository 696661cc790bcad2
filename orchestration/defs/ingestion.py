"""Ingestion layer: one multi-asset per source system, loading it with dlt into the warehouse.

Asset keys read like the warehouse: ``raw/<source>/<table>``, grouped by source. The dbt sources
of the transform layer point at the same keys, so lineage runs unbroken from each API to the
certified tables.

The assets are described from the registry (``warehouse/sources.yml``: each source's tables),
not from the dlt source: a dlt source resolves its configuration (base URL, credentials) and
builds its HTTP clients when it is called, which every process that loads the definitions would
pay for (a code server, each run, each test), and the definitions must load on a machine with no
credentials at all (CI, a new analytics engineer's laptop). The source that *runs* is built
inside the run; ``tests/warehouse/test_registry.py`` holds the registry's tables to the
resources the connector lands, and the run maps each resource to its key with the same
translator.

Only the enabled sources (``warehouse.sources``: ``SOURCES__<NAME>__ENABLED``, enabled unless
set false) have assets. A source that is enabled but not configured fails its step at once with
a message naming the settings to set (or the switch to disable it), and a configuration error is
never retried: retrying cannot make a missing setting appear.
"""

import logging
import os
from collections.abc import Iterator

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.common.configuration.exceptions import ConfigFieldMissingException

from ingestion.destination import explain_warehouse_error, pipeline
from orchestration.warehouse_lock import WAREHOUSE_POOL
from warehouse.settings import warehouse_target
from warehouse.sources import Source, enabled_sources, source

log = logging.getLogger(__name__)


def raw_asset_key(source: str, table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source, table])


class RawTranslator(DagsterDltTranslator):
    """``raw/<source>/<table>``, grouped by source: how the run names the asset each resource
    of the source it loads materializes (the same keys as :func:`raw_specs`)."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        default = super().get_asset_spec(data)
        source = data.resource.source_name
        target = warehouse_target()
        return default.replace_attributes(
            key=raw_asset_key(source, data.resource.table_name or data.resource.name),
            group_name=f"raw_{source}",
            deps=[],
            kinds={"dlt", target},
        )


TRANSLATOR = RawTranslator()


def raw_specs(src: Source) -> list[dg.AssetSpec]:
    """One asset for each table the source lands, keyed and grouped as :class:`RawTranslator`
    keys the resource that loads it."""
    target = warehouse_target()
    return [
        dg.AssetSpec(
            key=raw_asset_key(src.name, table),
            group_name=src.group,
            kinds={"dlt", target},
            description=f"{src.title} {table}, loaded by dlt into {src.dataset}.{table}.",
            metadata={"dagster/table_name": table},
        )
        for table in src.tables
    ]


def uses_sandbox(name: str) -> bool:
    base_url = os.environ.get(f"SOURCES__{name.upper()}__BASE_URL", "")
    return base_url.startswith(("http://127.0.0.1", "http://localhost"))


def _build_assets(name: str) -> dg.AssetsDefinition:
    # neither a dlt source nor a pipeline is built to define the assets (the source resolves
    # its settings, ``dlt.pipeline`` reads its state from disk): the run builds both below
    @dg.multi_asset(
        specs=raw_specs(source(name)),
        name=f"load_{name}",
        can_subset=True,  # a selection of tables loads only their resources
        pool=WAREHOUSE_POOL,
    )
    def _load(context: dg.AssetExecutionContext, dlt: DagsterDltResource) -> Iterator:
        where = "the sandbox" if uses_sandbox(name) else "the configured account"
        context.log.info(f"{name}: loading from {where}")
        try:
            configured = configured_source(source(name))
            load = pipeline(name)
            for result in dlt.run(
                context=context,
                dlt_source=configured,
                dlt_pipeline=load,
                dagster_dlt_translator=TRANSLATOR,
            ):
                yield with_load_metadata(result, load)
        except GeneratorExit:  # the consumer stopped reading: not a failure of the load
            raise
        except BaseException as err:
            from orchestration.publication import record_failure

            explained = explain_warehouse_error(err)
            record_failure(context.run.run_id, f"load_{name}", explained[0] if explained else err)
            if explained:
                raise dg.Failure(
                    description=f"{name}: {explained[0]}", allow_retries=explained[1]
                ) from None
            raise

    return _load


def configured_source(src: Source) -> dlt.sources.DltSource:
    """The source with its settings, or a failure naming every missing one (never retried)."""
    try:
        return src.dlt_source()()
    except ConfigFieldMissingException as missing:
        fields = sorted(missing.fields)
        settings = ", ".join(src.setting_name(f) for f in fields)
        raise dg.Failure(
            description=(
                f"{src.name} is enabled but not configured: set {settings} "
                f"(environment, or {', '.join(fields)} under [sources.{src.name}] in "
                f".dlt/secrets.toml or .dlt/config.toml), or disable the source with "
                f"{src.enabled_setting}=false"
            ),
            metadata={"source": src.name, "missing_settings": settings},
            allow_retries=False,
        ) from None


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


#: the sources this deployment loads, read when the definitions load
ENABLED = enabled_sources()

raw_assets = [_build_assets(name) for name in ENABLED]

raw_job = dg.define_asset_job(
    "load_raw",
    selection=dg.AssetSelection.groups(*(source(n).group for n in ENABLED)),
    description="Load every source system into the warehouse's raw datasets.",
)

defs = dg.Definitions(
    assets=raw_assets,
    jobs=[raw_job],
    resources={"dlt": DagsterDltResource()},
)
