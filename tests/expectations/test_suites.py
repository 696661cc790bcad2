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
