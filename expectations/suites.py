"""The suites as people write them: one YAML file per guarded table, under ``suites/<schema>/``.

A suite file::

    table: certified.spend_daily          # the relation it guards (schema.table)
    severity: blocking                    # default of its expectations: blocking | warning
    row_count_band: {max_drop: 0.25, max_growth: 1.0}   # optional, certified tables
    expectations:
      - rule: spend never negative        # a short name, shown in the check's metadata
        expect: column_values_to_be_between   # a GX expectation, without the Expect prefix
        column: spend                     # every other key is the expectation's argument
        min_value: 0
        why: negative spend is a refund or a reversed sign upstream; it would shrink CPL

``expect: unexpected_rows`` is GX's ``UnexpectedRowsExpectation``: ``query`` returns the
offending rows, ``{batch}`` is the guarded table. ``${name}`` in a query or a value is one of
:func:`parameters`: a metric setting such as ``${reporting_currency}`` (from
``warehouse.settings.metric_settings``), ``${enabled_sources}``, or SQL built from the source
registry for the enabled sources (``${spend_rows}``, ``${fx_rates}``, ``${ad_platforms}``,
``${ad_days}``), so no suite lists sources of its own; a ``value_set: $currencies`` is the
shared list in ``suites/_shared.yml``. Nothing here imports GX: reading and checking a suite
is cheap.

A raw table's suite (``suites/raw_<source>/<table>.yml``) belongs to a registered source
(``warehouse/sources.yml``) and runs only while that source is enabled (:func:`enabled_suites`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from warehouse.settings import dbt_var, metric_settings, read_yaml
from warehouse.sources import enabled_sources, registry

SUITES_DIR = Path(__file__).resolve().parent / "suites"
SEVERITIES = ("blocking", "warning")
_RESERVED = {"rule", "expect", "why", "severity"}


class SuiteError(ValueError):
    """A suite file that cannot be read: names the file, the expectation and the rule broken."""


@dataclass(frozen=True)
class Rule:
    name: str
    expect: str  # snake_case GX expectation name, e.g. column_values_to_be_between
    kwargs: dict[str, Any]
    severity: str
    why: str


@dataclass(frozen=True)
class Suite:
    table: str  # schema.table
    path: Path
    rules: tuple[Rule, ...]
    row_count_band: dict[str, float] | None = field(default=None)

    @property
    def schema(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.table.split(".", 1)[1]

    @property
    def is_raw(self) -> bool:
        """A suite of a raw table, landed by one source."""
        return self.schema.startswith("raw_")

    @property
    def source(self) -> str:
        """The source that lands the table: ``<name>`` for ``raw_<name>.<table>``."""
        return self.schema.removeprefix("raw_")


@cache
def shared() -> dict[str, Any]:
    return read_yaml(SUITES_DIR / "_shared.yml") or {}


def reporting_currency() -> str:
    """The dbt var ``reporting_currency`` (the certified tables' currency)."""
    return metric_settings()["reporting_currency"]


#: the schema dbt builds the staging models in (dbt_project.yml, `+schema: staging`)
STAGING_SCHEMA = "staging"
#: the registry's spend entities (keys of a source's `dbt` block) and each one's day column
SPEND_ENTITIES = {"ad_spend": "report_date", "campaign_costs": "cost_date"}


def _union(selects: list[str], empty: str) -> str:
    """The selects as one UNION ALL, or a typed empty relation when there are none."""
    return "\n    union all\n    ".join(selects) if selects else empty + " where 1 = 0"


def spend_rows(enabled: list[str]) -> str:
    """SQL of every spend row the enabled sources stage (their `ad_spend` and `campaign_costs`
    staging models: the records that passed the record rules), as platform, day, currency and
    amount in that currency."""
    selects = [
        f"select platform, {day} as day, currency, cast(cost as double precision) as amount "
        f"from {STAGING_SCHEMA}.{model}"
        for name in enabled
        for entity, day in SPEND_ENTITIES.items()
        if (model := registry()[name].dbt.get(entity))
    ]
    return _union(
        selects,
        "select cast(null as varchar) as platform, cast(null as date) as day, "
        "cast(null as varchar) as currency, cast(null as double precision) as amount",
    )


def fx_rates(enabled: list[str]) -> str:
    """SQL of the rates the enabled FX sources published against the FX base (their `fx_rates`
    staging models), as currency, published_date and units_per_base; none without one."""
    base = metric_settings()["fx_base_currency"]
    selects = [
        f"select currency, published_date, units_per_base from {STAGING_SCHEMA}.{model} "
        f"where base_currency = '{base}'"
        for name in enabled
        if (model := registry()[name].dbt.get("fx_rates"))
    ]
    return _union(
        selects,
        "select cast(null as varchar) as currency, cast(null as date) as published_date, "
        "cast(null as double precision) as units_per_base",
    )


def ad_platforms(enabled: list[str]) -> str:
    """The enabled sources holding ad days (`ad_spend`) as a SQL list; `null` when none."""
    names = [n for n in enabled if registry()[n].dbt.get("ad_spend")]
    return ", ".join(f"'{n}'" for n in names) or "null"


def ad_days(enabled: list[str]) -> str:
    """SQL of the (day, currency) pairs of the enabled sources' raw ad days: every raw table
    whose `record_rules` has an `ad_day` rule, read through that rule's `day` and `currency`
    columns (the raw suites run right after the loads, before dbt)."""
    selects = []
    for name in enabled:
        src = registry()[name]
        for table, entry in src.record_rules.items():
            for rule in (entry or {}).get("rules") or []:
                if rule.get("kind") == "ad_day" and rule.get("currency"):
                    selects.append(
                        f"select distinct cast({rule['day']} as date) as day, "
                        f"{rule['currency']} as currency from {src.dataset}.{table}"
                    )
    return _union(selects, "select cast(null as date) as day, cast(null as varchar) as currency")


def parameters(enabled: list[str] | None = None) -> dict[str, str]:
    """The ``${name}`` values of the suites, for the enabled sources (default: as set now)."""
    enabled = enabled_sources() if enabled is None else enabled
    return {
        **metric_settings(),
        "plausible_date_floor": dbt_var("plausible_date_floor"),
        "enabled_sources": ",".join(name for name in registry() if name in enabled),
        "spend_rows": spend_rows(enabled),
        "fx_rates": fx_rates(enabled),
        "ad_platforms": ad_platforms(enabled),
        "ad_days": ad_days(enabled),
    }


def _substitute(value: Any, params: dict[str, str], where: str) -> Any:
    if isinstance(value, str):
        if value.startswith("$") and not value.startswith("${"):
            name = value[1:]
            if name not in shared():
                raise SuiteError(f"{where}: unknown shared list {value!r} (suites/_shared.yml)")
            return list(shared()[name])

        def one(match: re.Match) -> str:
            if match.group(1) not in params:
                raise SuiteError(f"{where}: unknown parameter ${{{match.group(1)}}}")
            return params[match.group(1)]

        return re.sub(r"\$\{(\w+)\}", one, value)
    if isinstance(value, list):
        return [_substitute(v, params, where) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, params, where) for k, v in value.items()}
    return value


def load_suite(path: Path, params: dict[str, str] | None = None) -> Suite:
    params = parameters() if params is None else params
    try:
        spec = read_yaml(path)
    except yaml.YAMLError as e:
        raise SuiteError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(spec, dict) or "table" not in spec or "expectations" not in spec:
        raise SuiteError(f"{path}: a suite needs `table` and `expectations`")
    table = spec["table"]
    if table.count(".") != 1:
        raise SuiteError(f"{path}: table {table!r} must be schema.table")
    default = spec.get("severity", "warning")
    rules, names = [], set()
    for i, item in enumerate(spec["expectations"]):
        where = f"{path.name} expectation #{i + 1} ({item.get('rule', '?')})"
        missing = [k for k in ("rule", "expect", "why") if not item.get(k)]
        if missing:
            raise SuiteError(f"{where}: missing {', '.join(missing)}")
        severity = item.get("severity", default)
        if severity not in SEVERITIES:
            raise SuiteError(f"{where}: severity {severity!r} is not one of {SEVERITIES}")
        if item["rule"] in names:
            raise SuiteError(f"{where}: rule name used twice in the suite")
        names.add(item["rule"])
        kwargs = {k: v for k, v in item.items() if k not in _RESERVED}
        if item["expect"] == "unexpected_rows":
            if "query" not in kwargs or "{batch}" not in kwargs["query"]:
                raise SuiteError(f"{where}: unexpected_rows needs a `query` reading {{batch}}")
            kwargs["unexpected_rows_query"] = kwargs.pop("query")
        kwargs = _substitute(kwargs, params, where)
        rules.append(Rule(item["rule"], item["expect"], kwargs, severity, item["why"].strip()))
    return Suite(table, path, tuple(rules), spec.get("row_count_band"))


def suite_files() -> list[Path]:
    return sorted(p for p in SUITES_DIR.rglob("*.yml") if not p.name.startswith("_"))


def all_suites() -> dict[str, Suite]:
    """Every suite, by the table it guards."""
    params = parameters()
    suites = {}
    for path in suite_files():
        suite = load_suite(path, params)
        if suite.table in suites:
            raise SuiteError(f"{path}: {suite.table} already has a suite")
        expected = SUITES_DIR / suite.schema / f"{suite.name}.yml"
        if path != expected:
            raise SuiteError(f"{path}: the suite of {suite.table} belongs at {expected}")
        if suite.is_raw and suite.source not in registry():
            raise SuiteError(
                f"{path}: guards {suite.table}, but no source {suite.source!r} is registered "
                f"(warehouse/sources.yml)"
            )
        suites[suite.table] = suite
    return suites


def enabled_suites() -> dict[str, Suite]:
    """The suites that run: every certified one and those of the enabled sources' raw tables
    (``warehouse.sources.enabled_sources()``, read at call time)."""
    enabled = set(enabled_sources())
    return {t: s for t, s in all_suites().items() if not s.is_raw or s.source in enabled}
