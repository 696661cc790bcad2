"""Transform layer: every dbt model, seed and test as Dagster assets and asset checks.

One translator decides every key and group from where a node sits in the dbt project:

* a model in ``models/<layer>/...`` is ``<layer>/<model>`` in the group ``<layer>``;
* a seed is ``settings/<seed>``;
* a dbt source table is ``raw/<source>/<table>``: the key of the dlt asset that loads it, so
  lineage runs from each API through dbt without a break. A source table that a dlt resource
  writes as a child table names its parent's key in ``meta: {dagster: {asset_key: [...]}}``.

A model added under ``models/`` therefore appears in Dagster, with its lineage, without any
Python change. dbt tests become asset checks on the models they test.
"""

import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from ingestion.destination import explain_warehouse_message
from orchestration.dbt_project import (
    DBT_EXECUTABLE,
    DBT_VARS_ARG,
    dbt_project,
    prune_run_folders,
    run_folders_kept,
)
from orchestration.warehouse_lock import WAREHOUSE_POOL
from warehouse.settings import DBT_ENV, only_environment, subprocess_env


class WarehouseTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        props = dbt_resource_props
        override = (props.get("meta") or {}).get("dagster", {}).get("asset_key")
        if override:
            return dg.AssetKey(override)
        kind = props["resource_type"]
        if kind == "source":
            return dg.AssetKey(["raw", props["source_name"], props["name"]])
        if kind == "seed":
            return dg.AssetKey(["settings", props["name"]])
        return dg.AssetKey([layer_of(props), props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "settings"
        return layer_of(dbt_resource_props)


def layer_of(props: Mapping[str, Any]) -> str:
    """The model's top folder under models/: staging, intermediate, marts or certified."""
    fqn = props.get("fqn") or []
    return fqn[1] if len(fqn) > 2 else "models"


class WarehouseDbtCli(DbtCliResource):
    """dagster-dbt's dbt resource without two steps it takes before every command, each of which
    costs seconds and serves nothing this project uses: ``dbt --version`` in a subprocess (the
    executable is the dbt-core installed beside this interpreter, whose version its package
    metadata gives) and a dbt adapter opened in Dagster's own process (used only to fetch row
    counts or column metadata after the build, which the assets here do not ask for)."""

    @cached_property
    def _cli_version(self):
        from packaging.version import Version

        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: WarehouseDbtCli):
    # the profile reads the warehouse path from the environment as the loads do (a relative
    # path from the project folder, none for the default): passed on as set, so the profile
    # renders as it did for the parse that made the manifest, and dbt parses only what changed
    # (a profile rendered differently costs a full parse on every run)
    if not os.environ.get("WAREHOUSE_PATH"):
        os.environ.pop("WAREHOUSE_PATH", None)
    # the enabled sources, as one var per source (the manifest was parsed with the same); dbt
    # sees only its part of the environment (dagster-dbt hands its subprocess os.environ).
    # dbt's unit tests check the models' SQL on fixed inputs, not the data: they run where the
    # SQL changes (the test suite, `make test`), not on each scheduled run,
    # as dbt advises; the data tests (Dagster's asset checks) run on every run
    env = subprocess_env(DBT_ENV)
    # dagster-dbt starts dbt from the partial-parse state in DBT_TARGET_PATH (`target/` unless
    # set): the state of this set of sources is in its own folder (orchestration/dbt_project.py),
    # and another set's (other vars) would cost a full parse on every run
    env.setdefault("DBT_TARGET_PATH", str(dbt_project.target_path))
    with only_environment(env):
        invocation = dbt.cli(
            ["build", "--exclude-resource-type", "unit_test", "--vars", DBT_VARS_ARG],
            context=context,
            raise_on_error=False,
        )
    yield from invocation.stream()
    # the run folders of earlier runs beyond DBT_RUN_FOLDERS_KEPT, this one kept (the newest)
    prune_run_folders(invocation.target_path.parent, run_folders_kept())
    if not invocation.is_successful():
        _fail(context.run.run_id, invocation)


def _fail(run_id: str, invocation) -> None:
    """Log why dbt failed (each failed test and erroring node) and fail the step: retried when
    a node errored (a lock, a lost connection may pass), never when only tests failed (the same
    data fails them again)."""
    from orchestration.publication import record_failure

    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except Exception:  # noqa: BLE001 - dbt died before writing its results
        results = []
    failed = [r for r in results if r["status"] in ("fail", "error")]
    named = "; ".join(
        f"{r['unique_id'].split('.')[2]} {r['status']}: {(r.get('message') or '')[:200]}"
        for r in failed[:20]
    )
    reason = f"dbt build failed ({len(failed)} nodes): {named}" if failed else "dbt build failed"
    explained = explain_warehouse_message(" ".join(r.get("message") or "" for r in failed))
    if explained:  # a locked or damaged warehouse, said plainly
        reason = f"dbt build failed: {explained[0]}"
    record_failure(run_id, "dbt_models", reason)
    only_tests = bool(failed) and all(r["status"] == "fail" for r in failed)
    raise dg.Failure(description=reason, allow_retries=not only_tests)


defs = dg.Definitions(
    assets=[dbt_models],
    resources={"dbt": WarehouseDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)},
)
