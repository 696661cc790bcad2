"""The source registry (``warehouse/sources.yml``) holds every layer together.

Each registered source must have: a connector whose dlt source lands exactly the registered
tables with the registered keys; a staging folder declaring those tables as a dbt source and
holding the models the registry names; a Great Expectations suite per raw table; a sandbox API;
and dbt's generated copy of the registry must be current. Outside those places no code, model,
macro, suite or schedule names a source.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
import yaml
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.normalizers.naming.snake_case import NamingConvention

from warehouse.sources import (
    DBT_REGISTRY_MACRO,
    REGISTRY_FILE,
    _load,
    registry,
    render_dbt_macro,
)

ROOT = Path(__file__).resolve().parents[2]
STAGING = ROOT / "dbt_project" / "models" / "staging"
SUITES = ROOT / "expectations" / "suites"
NAMES = list(registry())
snake = NamingConvention().normalize_identifier


def test_dbt_copy_of_the_registry_is_current():
    assert DBT_REGISTRY_MACRO.read_text() == render_dbt_macro(), (
        "dbt_project/macros/generated/source_registry.sql is stale: run "
        "`python -m warehouse.sources` (make setup does)"
    )


def test_a_bad_entry_is_refused_naming_the_source(tmp_path):
    entry = yaml.safe_load(REGISTRY_FILE.read_text())["hubspot"]
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump({"acme": {**entry, "kind": "telepathy"}}))
    with pytest.raises(ValueError, match="acme.*telepathy"):
        _load(path)
    del entry["tables"]
    path.write_text(yaml.safe_dump({"acme": entry}))
    with pytest.raises(ValueError, match="acme.*tables"):
        _load(path)


def describe_source(name: str):
    """The connector's dlt source, with placeholders for every setting not configured here."""
    make = registry()[name].dlt_source()
    overrides: dict[str, str] = {}
    for _ in range(10):
        try:
            return make(**overrides)
        except ConfigFieldMissingException as missing:
            overrides.update({field: "<placeholder>" for field in missing.fields})
    raise RuntimeError(f"{name}: could not describe the source without its settings")


@pytest.mark.parametrize("name", NAMES)
def test_connector_lands_the_registered_tables_with_their_keys(name):
    # the Dagster assets are described from the registry, and each run maps the resources the
    # connector loads to the same keys: this holds the two to each other
    landed = {}
    for resource in describe_source(name).resources.values():
        if not resource.selected:
            continue
        columns = resource.compute_table_schema().get("columns", {})
        keys = tuple(snake(c) for c, spec in columns.items() if spec.get("primary_key"))
        landed[resource.table_name] = set(keys)
    assert landed == {t: set(k) for t, k in registry()[name].tables.items()}


@pytest.mark.parametrize("name", NAMES)
def test_staging_folder_declares_the_source_and_holds_the_registered_models(name):
    folder = STAGING / name
    declared = yaml.safe_load((folder / f"_{name}__sources.yml").read_text())["sources"]
    (src,) = [s for s in declared if s["name"] == name]
    assert src["schema"] == f"raw_{name}"
    assert "var('" + f"{name}_enabled" in str(src.get("config", {}).get("enabled")), (
        f"source {name} must be disabled by its var {name}_enabled"
    )
    # dbt declares the raw tables its staging models read: each must be one the connector lands
    assert {t["name"] for t in src["tables"]} <= set(registry()[name].tables)
    models = {p.stem for p in folder.glob("*.sql")}
    missing = set(registry()[name].dbt.values()) - models
    assert not missing, f"{name}: the registry names staging models that do not exist: {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_every_staging_model_follows_its_sources_switch(name):
    folder = STAGING / name
    configured = {}
    for path in folder.glob("_*__models.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            configured[model["name"]] = str(model.get("config", {}).get("enabled"))
    for sql in folder.glob("*.sql"):
        assert f"var('{name}_enabled'" in configured.get(sql.stem, ""), (
            f"{sql.relative_to(ROOT)} is not disabled with its source ({name}_enabled)"
        )


def test_every_raw_table_has_a_suite_and_every_raw_suite_a_registered_table():
    registered = {(f"raw_{n}", t) for n, s in registry().items() for t in s.tables}
    suites = {
        (p.parent.name, p.stem) for p in SUITES.glob("raw_*/*.yml") if not p.name.startswith("_")
    }
    assert registered - suites == set(), "raw tables without a Great Expectations suite"
    # a child table dlt unnests from a list (`<table>__<list>`) is landed by its parent's load
    landed_by = {(schema, table.split("__")[0]) for schema, table in suites}
    assert landed_by - registered == set(), "suites of tables no registered source lands"


@pytest.mark.parametrize("name", NAMES)
def test_sandbox_serves_the_source(name):
    module = importlib.import_module(registry()[name].sandbox)
    assert callable(getattr(module, "routes", None)), f"{module.__name__} has no routes(ctx)"


def test_every_unioned_entity_is_read_by_a_shared_model():
    # the shared models and the macros they call (a union a macro writes is read by its model)
    shared = "\n".join(
        p.read_text()
        for folder in ("models", "macros")
        for p in (ROOT / "dbt_project" / folder).rglob("*.sql")
        if STAGING not in p.parents and "generated" not in p.parts
    )
    entities = {e for s in registry().values() for e in s.dbt}
    read = set(re.findall(r"(?:union_sources|sources_holding)\(\s*'(\w+)'", shared))
    assert entities - read == set(), "entities the registry lists but no shared model reads"
    assert read - entities == set(), "entities shared models read but no source holds"


# --- nothing outside a source's own places names it ---------------------------------------------

#: what a source's own places are; anything else that names a source fails the test below
OWN = ("ingestion/{name}/", "dbt_project/models/staging/{name}/", "expectations/suites/raw_{name}/")
SCANNED = {
    "dbt_project/models": ("*.sql", "*.yml"),
    "dbt_project/macros": ("*.sql",),
    "expectations": ("*.py", "*.yml"),
    "orchestration": ("*.py",),
    "warehouse": ("*.py",),
    "ingestion": ("*.py",),
}
#: the simulator's shared parts (its world model and ground truth simulate each system by name)
SCANNED_FILES = (
    "sandbox/server.py",
    "sandbox/connect.py",
    "sandbox/loading.py",
    "sandbox/apis/__init__.py",
    "sandbox/apis/_common.py",
    "sandbox/apis/_ads_common.py",
)
#: words that are also a source's name but mean something else where they stand
NOT_A_SOURCE = (
    re.compile(r"""\.get\(["']meta["']\)|\bmeta:|\bmeta=|['"]meta['"]\s*:"""),
    re.compile(r"^KINDS = .*$", re.M),  # the kinds of source: "fx" is a kind as well as a source
)


def _namings(text: str, name: str) -> list[str]:
    for pattern in NOT_A_SOURCE:
        text = pattern.sub("", text)
    found = re.findall(
        rf"""(['"]{name}['"]|\braw_{name}\b|\bstg_{name}__|\bingestion\.{name}\b)""", text
    )
    return found


def test_no_shared_code_model_macro_or_suite_names_a_source():
    offenders = []
    paths = [p for f, pats in SCANNED.items() for pat in pats for p in (ROOT / f).rglob(pat)]
    paths += [ROOT / f for f in SCANNED_FILES]
    for path in paths:
        rel = path.relative_to(ROOT).as_posix()
        if "/generated/" in rel:
            continue
        text = path.read_text()
        for name in NAMES:
            if any(rel.startswith(own.format(name=name)) for own in OWN):
                continue
            if found := _namings(text, name):
                offenders.append(f"{rel}: {name} ({found[0]})")
    assert not offenders, "shared code names a source:\n" + "\n".join(sorted(offenders))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _top_packages(folder: str) -> dict[str, set[str]]:
    return {
        p.relative_to(ROOT).as_posix(): {m.split(".")[0] for m in _imports(p)}
        for p in (ROOT / folder).rglob("*.py")
    }


def test_connectors_import_neither_the_simulator_nor_the_orchestration():
    bad = {
        p: m & {"sandbox", "orchestration", "expectations"}
        for p, m in _top_packages("ingestion").items()
    }
    assert not {p: m for p, m in bad.items() if m}


def test_nothing_outside_tests_imports_tests():
    bad = []
    for folder in ("ingestion", "orchestration", "expectations", "warehouse", "sandbox",
                   "benchmarks", "scripts"):  # fmt: skip
        for path, modules in _top_packages(folder).items():
            if "tests" in modules:
                bad.append(path)
    assert not bad
