"""Portability: the same sandbox world, loaded by the real dlt sources into a throwaway PostgreSQL
server and built there by ``dbt build --target postgres``, gives every certified table equal to
DuckDB's, row for row by grain (floats to 1e-6), and equal to the ground truth; with HubSpot and
with Salesforce as the CRM.

The server is the one named by ``TEST_POSTGRES_URL`` when set, else one started from Debian's
binaries (``tests/support/postgres.py``; ``make test`` installs the ``postgresql`` package when
they are missing). Outside CI a machine without a server skips the test with the reason; under CI
(``CI`` set) it fails instead: the portability promise is checked on every CI run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sandbox.truth import TABLES
from sandbox.world import World
from tests.support.pipeline import DBT_PROJECT_DIR, assert_rows_equal, dbt, environment, load_world
from tests.support.postgres import postgres_for_test, read_table
from warehouse.sources import dbt_vars

#: the world of the DuckDB known-answer tests (``built_warehouse(3, 300)``), so it is built once,
#: with each CRM (the same organisation through HubSpot or through Salesforce)
SEED, SCALE = 3, 300
CRMS = ("hubspot", "salesforce")


def world_options(crm: str) -> dict:
    """The known-answer worlds' arguments (``worlds.py``): the default CRM is not named."""
    return {} if crm == "hubspot" else {"crm": crm}


CERTIFIED_DIR = DBT_PROJECT_DIR / "models" / "certified"


def certified_properties() -> Iterator[dict]:
    """The properties of every model declared under models/certified (its ``_models.yml``)."""
    for properties in CERTIFIED_DIR.rglob("*.yml"):
        yield from (yaml.safe_load(properties.read_text()) or {}).get("models", [])


def certified_models() -> dict[str, tuple[str, ...]]:
    """Every model under models/certified: its name and grain (its unique_combination test, or
    no columns for a one-row table)."""
    grains = {}
    for model in certified_properties():
        for test in model.get("data_tests") or model.get("tests") or []:
            if test == "one_row":  # a one-row table (warehouse_settings): no key
                grains[model["name"]] = ()
            elif isinstance(test, dict) and "unique_combination" in test:
                spec = test["unique_combination"]
                columns = spec.get("arguments", spec)["combination_of_columns"]
                grains[model["name"]] = tuple(columns)
    models = {path.stem: grains.get(path.stem) for path in sorted(CERTIFIED_DIR.rglob("*.sql"))}
    ungrained = sorted(name for name, grain in models.items() if grain is None)
    assert not ungrained, f"certified models without a unique_combination grain: {ungrained}"
    return models


CERTIFIED = certified_models()


@pytest.fixture(scope="module", params=CRMS)
def postgres_warehouse(request, tmp_path_factory):
    """The world loaded into a fresh Postgres database by the dlt sources and built by dbt,
    once with each CRM."""
    crm = request.param
    timings = {}
    started = time.monotonic()
    with postgres_for_test("the portability test") as settings:
        timings["server start"] = time.monotonic() - started

        workdir: Path = tmp_path_factory.mktemp(f"postgres-seed{SEED}-scale{SCALE}-{crm}")
        started = time.monotonic()
        with environment({**settings.env(), "WAREHOUSE_TARGET": "postgres"}):
            world = World(seed=SEED, scale=SCALE, crm=crm)
            load_world(world, workdir)
        timings["dlt load"] = time.monotonic() - started

        started = time.monotonic()
        dbt(
            workdir, "build", target="postgres", extra_env=settings.env(),
            vars=dbt_vars(list(world.system_names)),
        )  # fmt: skip
        timings["dbt build"] = time.monotonic() - started
        print("postgres portability:", ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
        yield settings, crm


def test_every_certified_model_is_compared():
    assert CERTIFIED, f"no certified models found under {CERTIFIED_DIR}"


@pytest.mark.parametrize("table", sorted(CERTIFIED))
def test_certified_table_on_postgres_equals_duckdb(postgres_warehouse, built_warehouse, table):
    settings, crm = postgres_warehouse
    expected = built_warehouse(SEED, SCALE, **world_options(crm)).table(f"certified.{table}")
    assert expected, f"DuckDB's certified.{table} is empty: the comparison would prove nothing"
    actual = read_table(settings, f"certified.{table}")
    if actual:
        assert set(actual[0]) == set(expected[0]), (
            f"{table}: columns differ: postgres {sorted(actual[0])}, duckdb {sorted(expected[0])}"
        )
    assert_rows_equal(actual, expected, CERTIFIED[table], table=f"certified.{table} (postgres)")


#: the certified tables the simulator's ground truth computes (sandbox/truth.py)
TRUTH_TABLES = sorted(set(TABLES) & set(CERTIFIED))


@pytest.mark.parametrize("table", TRUTH_TABLES)
def test_certified_table_on_postgres_equals_the_ground_truth(
    postgres_warehouse, built_warehouse, table
):
    """The known answers on Postgres itself, not only through DuckDB: the ground truth of the
    world, computed from its model in plain Python, apart from dbt."""
    settings, crm = postgres_warehouse
    expected = built_warehouse(SEED, SCALE, **world_options(crm)).truth.table(table)
    assert expected, f"the ground truth has no {table} rows: the comparison would prove nothing"
    actual = read_table(settings, f"certified.{table}")
    assert_rows_equal(actual, expected, TABLES[table][0], table=f"certified.{table} (postgres)")


def contract_not_null_columns() -> dict[str, set[str]]:
    """Per certified model, the columns its enforced contract holds not null (``constraints:
    [{type: not_null}]``): the warehouse refuses to build the table with a null there."""
    held: dict[str, set[str]] = {}
    for model in certified_properties():
        for column in model.get("columns") or []:
            if {"type": "not_null"} in (column.get("constraints") or []):
                held.setdefault(model["name"], set()).add(column["name"])
    return held


def _non_nullable(columns: list[dict]) -> dict[str, set[str]]:
    """information_schema.columns' rows of the certified schema that are declared NOT NULL."""
    found: dict[str, set[str]] = {}
    for row in columns:
        row = {k.lower(): v for k, v in row.items()}
        if row["table_schema"] == "certified" and row["is_nullable"] == "NO":
            found.setdefault(row["table_name"], set()).add(row["column_name"])
    return found


def test_the_contracts_not_null_columns_are_declared_not_null_in_both_warehouses(
    postgres_warehouse, built_warehouse
):
    """The certified tables' not-null rules are constraints of their enforced contracts, not
    data tests: the warehouse itself refuses a null (dbt's build of the table fails and the
    previous table stays), on DuckDB and on Postgres, which is what a not_null test checked
    after the build."""
    settings, crm = postgres_warehouse
    held = contract_not_null_columns()
    assert held, "no certified column is held not null: the comparison would prove nothing"
    duckdb_columns = built_warehouse(SEED, SCALE, **world_options(crm)).table(
        "information_schema.columns"
    )
    assert _non_nullable(duckdb_columns) == held
    assert _non_nullable(read_table(settings, "information_schema.columns")) == held
