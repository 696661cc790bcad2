"""`dagster asset materialize` loads every source from the command line, and no secret of the
sandbox reaches a log, Dagster's storage, the warehouse or dlt's working files."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from sandbox.connect import source_env
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.support.dagster_cli import materialize


def _materialize(
    sandbox: SandboxServer, workdir: Path, overrides: dict[str, str] | None = None, selection="*"
):
    """Materialize the raw assets (`selection`: a source, or every source) from the CLI."""
    env = {**source_env(sandbox.base_urls, sandbox.credentials, sandbox.world), **(overrides or {})}
    return materialize(f'key:"raw/{selection}"', workdir, env, timeout=600)


def _secrets(sandbox: SandboxServer) -> list[str]:
    return [value for creds in sandbox.credentials.values() for value in creds.values()]


def _files_containing(folder: Path, secrets: list[str]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(folder)}" for s in secrets if s.encode() in data]
    return found


@pytest.fixture(scope="module")
def world():
    return World(seed=21, scale=150)


def test_raw_assets_materialize_from_the_cli_and_leak_no_secret(world, tmp_path):
    with SandboxServer(world) as sandbox:
        run = _materialize(sandbox, tmp_path)
        secrets = _secrets(sandbox)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert "RUN_SUCCESS" in output

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        datasets = {
            row[0]
            for row in con.execute(
                "select distinct schema_name from duckdb_tables() where table_name = '_dlt_loads'"
            ).fetchall()
        }
        contacts = con.execute("select count(*) from raw_hubspot.contacts").fetchone()[0]
    assert datasets == {f"raw_{s}" for s in world.system_names}
    assert contacts == sum(1 for p in world.people() if p.hubspot_id is not None) + sum(
        1
        for p in world.people()
        if p.duplicate and p.duplicate.created_at < world.now <= p.duplicate.merged_at
    )

    # every raw materialization names the run's load ids and its table's rows
    instance = dg.DagsterInstance.from_config(str(tmp_path / "dagster_home"))
    event = instance.get_latest_materialization_event(dg.AssetKey(["raw", "hubspot", "contacts"]))
    metadata = event.asset_materialization.metadata
    assert metadata["rows_loaded"].value == contacts
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        loads = {r[0] for r in con.execute("select load_id from raw_hubspot._dlt_loads").fetchall()}
    assert metadata["load_ids"].value and set(metadata["load_ids"].value) <= loads
    instance.dispose()

    assert secrets and all(len(s) >= 16 for s in secrets)
    assert not [s for s in secrets if s in output], "a secret reached the run's output"
    assert _files_containing(tmp_path, secrets) == []


def test_a_wrong_credential_fails_the_run_naming_the_setting_without_the_secret(world, tmp_path):
    wrong = "pat-na1-this-token-is-wrong-0123456789"
    with SandboxServer(world) as sandbox:
        # HubSpot alone: the other sources have nothing to do with its credential
        run = _materialize(sandbox, tmp_path, {"SOURCES__HUBSPOT__API_KEY": wrong}, "hubspot/*")
        secrets = [*_secrets(sandbox), wrong]
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert "SOURCES__HUBSPOT__API_KEY" in output
    assert not [s for s in secrets if s in output]
    assert _files_containing(tmp_path, secrets) == []
