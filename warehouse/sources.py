"""The registry of source systems (``warehouse/sources.yml``) and which of them are enabled.

Every layer reads the registry instead of a list of its own: the Dagster definitions build a
load only for an enabled source, the schedules group sources by their ``schedule``, dbt unions the
staging models of the enabled sources (its copy of the registry is generated from this one:
``python -m warehouse.sources``), the checks run the suites of the enabled sources' tables and
the sandbox serves the registered APIs.

Enabled sources, each tool by its own convention, from one value:

* the loads and the orchestration read dlt's setting ``sources.<name>.enabled`` (environment
  ``SOURCES__<NAME>__ENABLED=false``, or ``enabled = false`` under ``[sources.<name>]`` in
  ``.dlt/config.toml``); unset, a source is enabled unless its registry entry says
  ``enabled_by_default: false`` (Salesforce: a team runs one CRM, HubSpot is the default);
* dbt reads one var per source, ``<name>_enabled`` (default: the same default, Fivetran's
  convention); the orchestration passes the same values to every dbt command (:func:`dbt_vars`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from warehouse.settings import DBT_PROJECT_DIR, PROJECT_DIR, read_yaml

REGISTRY_FILE = Path(__file__).with_name("sources.yml")
DBT_REGISTRY_MACRO = DBT_PROJECT_DIR / "macros" / "generated" / "source_registry.sql"
KINDS = ("crm", "automation", "ads", "fx")
SCHEDULE_GROUPS = ("daily", "ad_spend")


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    kind: str
    connector: str
    schedule: str
    sandbox: str
    tables: dict[str, tuple[str, ...]]
    dbt: dict[str, str]
    record_rules: dict = field(default_factory=dict)
    enabled_by_default: bool = True

    @property
    def dataset(self) -> str:
        """The warehouse schema the connector lands in."""
        return f"raw_{self.name}"

    @property
    def group(self) -> str:
        """The Dagster asset group of the source's raw tables."""
        return f"raw_{self.name}"

    @property
    def enabled_setting(self) -> str:
        return f"SOURCES__{self.name.upper()}__ENABLED"

    @property
    def dbt_var(self) -> str:
        return f"{self.name}_enabled"

    def dlt_source(self):
        """The connector's dlt source function, ``<connector>.<name>_source``."""
        import importlib

        return getattr(importlib.import_module(self.connector), f"{self.name}_source")

    def setting_name(self, field: str) -> str:
        """How a person sets one of the source's settings (environment form)."""
        return f"SOURCES__{self.name.upper()}__{field.upper()}"


def _load(path: Path) -> dict[str, Source]:
    raw: dict[str, Any] = read_yaml(path) or {}
    out: dict[str, Source] = {}
    for name, entry in raw.items():
        missing = {"title", "kind", "connector", "schedule", "sandbox", "tables"} - set(entry)
        if missing:
            raise ValueError(f"{path}: source {name!r} lacks {', '.join(sorted(missing))}")
        if entry["kind"] not in KINDS:
            raise ValueError(f"{path}: source {name!r} has kind {entry['kind']!r}, not in {KINDS}")
        if entry["schedule"] not in SCHEDULE_GROUPS:
            raise ValueError(
                f"{path}: source {name!r} has schedule {entry['schedule']!r}, "
                f"not in {SCHEDULE_GROUPS}"
            )
        out[name] = Source(
            name=name,
            title=entry["title"],
            kind=entry["kind"],
            connector=entry["connector"],
            schedule=entry["schedule"],
            sandbox=entry["sandbox"],
            tables={t: tuple(k) for t, k in entry["tables"].items()},
            dbt=dict(entry.get("dbt") or {}),
            record_rules=dict(entry.get("record_rules") or {}),
            enabled_by_default=_as_bool(
                entry.get("enabled_by_default", True), f"{name}.enabled_by_default"
            ),
        )
    return out


@cache
def registry() -> dict[str, Source]:
    """Every registered source, in the registry's order."""
    return _load(REGISTRY_FILE)


def source(name: str) -> Source:
    try:
        return registry()[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}: registered are {', '.join(registry())}") from None


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _as_bool(value: Any, setting: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{setting}={value!r}: expected true or false")


def is_enabled(name: str) -> bool:
    """dlt's ``sources.<name>.enabled``, read at call time; when unset, the registry's
    ``enabled_by_default`` (true but for a second CRM: a team runs one)."""
    src = source(name)
    value = os.environ.get(src.enabled_setting)
    if value is None:
        value = _config_file_value(name)
    return src.enabled_by_default if value is None else _as_bool(value, src.enabled_setting)


def _config_file_value(name: str) -> Any:
    """``enabled`` under ``[sources.<name>]`` in the project's ``.dlt/config.toml``."""
    import tomllib

    path = PROJECT_DIR / ".dlt" / "config.toml"
    if not path.exists():
        return None
    config = tomllib.loads(path.read_text())
    return config.get("sources", {}).get(name, {}).get("enabled")


def enabled_sources(kind: str | None = None) -> list[str]:
    """The enabled sources (of one kind), in the registry's order."""
    return [
        name
        for name, src in registry().items()
        if is_enabled(name) and (kind is None or src.kind == kind)
    ]


def default_sources() -> list[str]:
    """The sources enabled when no setting says otherwise, in the registry's order."""
    return [name for name, src in registry().items() if src.enabled_by_default]


def dbt_vars(enabled: list[str] | None = None) -> dict[str, bool]:
    """One dbt var per registered source: ``<name>_enabled``."""
    enabled = enabled_sources() if enabled is None else enabled
    return {src.dbt_var: name in enabled for name, src in registry().items()}


def enabled_env(enabled: list[str]) -> dict[str, str]:
    """The environment that enables exactly `enabled` (for tests and the demo)."""
    return {src.enabled_setting: str(name in enabled).lower() for name, src in registry().items()}


def dbt_registry() -> dict[str, dict]:
    """What dbt needs of the registry: kind, raw tables, the unioned staging models and the
    record rules of the raw tables."""
    return {
        name: {
            "kind": src.kind,
            "enabled_by_default": src.enabled_by_default,
            "tables": list(src.tables),
            "models": src.dbt,
            "record_rules": src.record_rules,
        }
        for name, src in registry().items()
    }


def render_dbt_macro() -> str:
    payload = json.dumps(dbt_registry(), sort_keys=False, separators=(",", ":"))
    return (
        "{#- Generated from warehouse/sources.yml by `python -m warehouse.sources`"
        " (make setup runs it). Do not edit. -#}\n"
        "{% macro source_registry() %}{{ return(fromjson('" + payload + "')) }}{% endmacro %}\n"
    )


def write_dbt_macro(path: Path = DBT_REGISTRY_MACRO) -> bool:
    """Write dbt's copy of the registry; True when it changed."""
    text = render_dbt_macro()
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


if __name__ == "__main__":
    changed = write_dbt_macro()
    print(f"{DBT_REGISTRY_MACRO.relative_to(PROJECT_DIR)}: {'written' if changed else 'current'}")
