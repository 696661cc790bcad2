"""dbt and npm run with what they need of the environment, never a source's credentials.

dagster-dbt starts dbt with a copy of ``os.environ``; the dbt asset narrows the environment to
dbt's part while it starts (``warehouse.settings.only_environment``). The test runs the real dbt
asset and reads the environment dagster-dbt hands its subprocess.
"""

from __future__ import annotations

import os

import dagster as dg
import pytest
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from orchestration.dbt_project import DBT_EXECUTABLE, dbt_project
from orchestration.defs.transform import WarehouseDbtCli, dbt_models
from warehouse.settings import DBT_ENV, subprocess_env

SECRETS = {
    "SOURCES__HUBSPOT__ACCESS_TOKEN": "probe-hubspot-token",
    "SOURCES__MARKETO__CLIENT_SECRET": "probe-marketo-secret",
    "ALERT_WEBHOOK_URL": "https://hooks.example/probe",
    "AWS_SECRET_ACCESS_KEY": "probe-aws",
}


def test_the_dbt_asset_hands_dbt_no_credential_of_a_source(monkeypatch, tmp_path):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("PGHOST", "db.internal")
    seen: dict[str, str] = {}

    def capture(*args, env, **kwargs):
        seen.update(env)
        raise RuntimeError("the environment is captured; dbt is not started")

    monkeypatch.setattr(DbtCliInvocation, "run", capture)
    before = dict(os.environ)
    result = dg.materialize(
        [dbt_models],
        resources={"dbt": WarehouseDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)},
        selection=dg.AssetSelection.keys(dg.AssetKey(["staging", "stg_fx__rates"])),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success and seen, "dagster-dbt did not reach the point of starting dbt"
    assert not [k for k in seen if k in SECRETS], "a source's credential reached dbt"
    assert seen["WAREHOUSE_PATH"] == str(tmp_path / "warehouse.duckdb")
    assert seen["PGHOST"] == "db.internal" and seen["PATH"] == before["PATH"]
    assert seen["DBT_PROJECT_DIR"] and seen["DBT_LOG_FORMAT"] == "json"  # dagster-dbt's own
    assert dict(os.environ) == before, "the process's own environment is restored"


@pytest.mark.parametrize("name", ["PATH", "HOME", "DBT_PROFILES_DIR", "WAREHOUSE_TARGET",
                                  "WAREHOUSE_AS_OF", "PGPASSWORD", "PYTHONPATH"])  # fmt: skip
def test_dbt_keeps_what_it_reads(name):
    assert name in subprocess_env(DBT_ENV, {name: "x"})
