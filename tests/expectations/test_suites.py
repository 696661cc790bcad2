"""The suite files: readable, complete, and refused with a clear message when malformed."""

from __future__ import annotations

import duckdb
import pytest

from expectations.suites import SuiteError, all_suites, load_suite
from tests.expectations.conftest import SCALE, SEED
from tests.support.pipeline import DBT_PROJECT_DIR

CERTIFIED_MODELS = {p.stem for p in (DBT_PROJECT_DIR / "models" / "certified").rglob("*.sql")}


def test_every_rule_says_why_and_raw_rules_warn_while_certified_rules_block():
    suites = all_suites()
    assert suites
    for table, suite in suites.items():
        expected = "blocking" if suite.schema == "certified" else "warning"
        for rule in suite.rules:
            assert rule.why and len(rule.why.splitlines()) == 1, (table, rule.name)
            assert rule.severity == expected, (table, rule.name, rule.severity)


def test_every_certified_table_has_a_suite_with_a_row_count_band():
    certified = {s.name: s for s in all_suites().values() if s.schema == "certified"}
    assert set(certified) == CERTIFIED_MODELS
    assert all(s.row_count_band for s in certified.values())


def test_every_raw_table_of_a_loaded_world_has_a_suite(built_warehouse):
    built = built_warehouse(SEED, SCALE)
    with duckdb.connect(str(built.workdir / "warehouse.duckdb"), read_only=True) as con:
        raw = {
            f"{schema}.{table}"
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema like 'raw\\_%' escape '\\' "
                "and table_schema not like '%\\_staging' escape '\\' "
                "and table_name not like '\\_%' escape '\\'"  # dlt's own, _quarantine
            ).fetchall()
        }
    assert len(raw) >= 20
    assert raw - set(all_suites()) == set(), "raw tables without a suite"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("table: raw_x.t\nexpectations:\n  - {rule: r, expect: column_values_to_not_be_null, "
         "column: id, why: w, severity: fatal}\n", "severity 'fatal'"),
        ("table: raw_x.t\nexpectations:\n  - {rule: r, expect: column_values_to_not_be_null, "
         "column: id}\n", "missing why"),
        ("table: raw_x.t\nexpectations:\n  - {rule: r, expect: unexpected_rows, "
         "query: select 1, why: w}\n", "reading {batch}"),
        ("table: raw_x.t\nexpectations:\n  - {rule: r, expect: column_values_to_be_in_set, "
         "column: c, value_set: $nope, why: w}\n", "unknown shared list"),
    ],
)  # fmt: skip
def test_a_malformed_suite_names_file_rule_and_problem(tmp_path, body, message):
    path = tmp_path / "t.yml"
    path.write_text(body)
    with pytest.raises(SuiteError) as error:
        load_suite(path, {"reporting_currency": "USD"})
    assert "t.yml" in str(error.value) and "(r)" in str(error.value)
    assert message in str(error.value)


def test_the_readme_lists_every_rule():
    readme = (DBT_PROJECT_DIR.parent / "expectations" / "README.md").read_text()
    rows = {
        tuple(cell.strip().strip("`") for cell in line.strip("|").split("|")[:3])
        for line in readme.splitlines()
        if line.startswith("| `")
    }
    for table, suite in all_suites().items():
        for rule in suite.rules:
            assert (table, rule.name, rule.severity) in rows, (table, rule.name)


# --- the suites follow the enabled sources -------------------------------------------------------


def _enable_only(monkeypatch, enabled: list[str]) -> None:
    from warehouse.sources import enabled_env

    for name, value in enabled_env(enabled).items():
        monkeypatch.setenv(name, value)


def test_raw_suites_run_only_for_the_enabled_sources(monkeypatch):
    from expectations.suites import enabled_suites

    enabled = ["hubspot", "google_ads", "linkedin", "fx"]
    _enable_only(monkeypatch, enabled)
    suites = enabled_suites()
    assert {s.source for s in suites.values() if s.is_raw} == set(enabled)
    certified = {t for t, s in all_suites().items() if not s.is_raw}
    assert certified <= set(suites)
    # the certified reconciliation reads the enabled sources' spend staging models only
    spend = suites["certified.spend_daily"].rules
    rule = next(r for r in spend if r.name.startswith("spend equals"))
    query = rule.kwargs["unexpected_rows_query"]
    assert "staging.stg_google_ads__ad_spend" in query and "staging.stg_fx__rates" in query
    assert "stg_meta__" not in query and "stg_marketo__" not in query
    fx_rule = next(r for r in suites["raw_fx.rates"].rules if "every day" in r.name)
    assert "raw_linkedin." in fx_rule.kwargs["unexpected_rows_query"]
    assert "raw_meta." not in fx_rule.kwargs["unexpected_rows_query"]


def test_a_disabled_sources_raw_suite_is_refused_by_name(monkeypatch):
    from expectations.runner import validate

    _enable_only(monkeypatch, ["hubspot"])
    with pytest.raises(ValueError, match="raw_marketo.leads.*disabled.*marketo"):
        validate(["raw_marketo.leads"])


def test_without_spend_sources_the_spend_rules_run_on_empty_relations():
    """HubSpot alone: no ad platform, no program costs, no FX. The generated relations are
    typed and empty, and the reconciliation runs (and passes) on an empty spend_daily."""
    from expectations.suites import parameters

    params = parameters(["hubspot"])
    assert params["ad_platforms"] == "null"
    for name in ("spend_rows", "fx_rates", "ad_days"):
        assert params[name].endswith("where 1 = 0"), name
    suite = load_suite(DBT_PROJECT_DIR.parent / "expectations/suites/certified/spend_daily.yml",
                       params)  # fmt: skip
    with duckdb.connect() as con:
        con.execute(
            "create table spend_daily (date date, platform varchar, account_id varchar, "
            "campaign_key varchar, channel varchar, currency varchar, fx_rate double, spend double)"
        )
        for rule in suite.rules:
            if rule.expect == "unexpected_rows":
                query = rule.kwargs["unexpected_rows_query"].replace("{batch}", "spend_daily")
                assert con.execute(query).fetchall() == [], rule.name


def test_no_suite_names_a_source_outside_its_own_folder():
    """Sources appear in the suites only through the registry (a raw suite's own folder aside)."""
    from warehouse.sources import registry

    for path in (DBT_PROJECT_DIR.parent / "expectations" / "suites").rglob("*.yml"):
        text = path.read_text()
        for name in registry():
            if path.parent.name == f"raw_{name}":
                continue
            for naming in (f"raw_{name}.", f"stg_{name}__", f"'{name}'"):
                assert naming not in text, f"{path.name} names {name} ({naming})"
