"""The same suites on Postgres (the portability target), through GX's stock Postgres datasource.

Hand-made tables, each row's fate known by construction: in ``raw_hubspot.deals`` one deal has
a negative amount, one an unknown currency, one a creation date ten days ahead; in
``certified.funnel_cohorts`` one cohort has more SQLs than MQLs. The row-count band is skipped
there with a note (the previous publication is a DuckDB file).
"""

from __future__ import annotations

from contextlib import closing

import pytest

from expectations.runner import validate
from tests.support.postgres import PostgresUnavailable, postgres_server

DEALS = """
create schema raw_hubspot;
create table raw_hubspot.deals (id text, amount numeric(38, 9), deal_currency_code text,
                                createdate timestamptz);
insert into raw_hubspot.deals values
  ('1', 100.5, 'USD', now() - interval '3 days'),
  ('2', -20, 'EUR', now() - interval '2 days'),
  ('3', 30, 'XXX', now() - interval '1 day'),
  ('4', 40, 'GBP', now() + interval '10 days');
"""
COHORTS = """
create schema certified;
create table certified.funnel_cohorts (
  cohort_month date, channel text, leads bigint, reached_mql bigint, reached_sql bigint,
  reached_opportunity bigint, reached_customer bigint, conv_lead_to_mql double precision,
  conv_mql_to_sql double precision, conv_sql_to_opportunity double precision,
  conv_opportunity_to_customer double precision, conv_lead_to_opportunity double precision,
  conv_lead_to_customer double precision);
insert into certified.funnel_cohorts values
  ('2025-01-01', 'email', 10, 5, 2, 1, 0, 0.5, 0.4, 0.5, 0, 0.1, 0),
  ('2025-01-01', 'paid_search', 4, 2, 3, 0, 0, 0.5, 1.5, 0, null, 0, 0);
"""


def test_suites_run_on_postgres(monkeypatch, tmp_path):
    try:
        server = postgres_server()
        settings = server.__enter__()
    except PostgresUnavailable as e:
        pytest.skip(f"no PostgreSQL server: {e}")
    try:
        with closing(settings.connect()) as con, con.cursor() as cursor:
            cursor.execute(DEALS + COHORTS)
            con.commit()
        monkeypatch.setenv("WAREHOUSE_TARGET", "postgres")
        monkeypatch.setenv("WAREHOUSE_POSTGRES_URL", settings.url)
        monkeypatch.setenv("QUALITY_DOCS_DIR", str(tmp_path / "docs"))
        results = validate(["raw_hubspot.deals", "certified.funnel_cohorts"])
    finally:
        server.__exit__(None, None, None)

    deals = results["raw_hubspot.deals"]
    assert all(r.error is None for r in deals.rules), [r.error for r in deals.rules]
    assert {r.rule: r.unexpected_count for r in deals.failed} == {
        "amount never negative": 1,
        "currency known": 1,
        "created in the past": 1,
    }
    assert [r.examples for r in deals.failed if r.rule == "currency known"] == [["XXX"]]
    cohorts = results["certified.funnel_cohorts"]
    assert all(r.error is None for r in cohorts.rules), [r.error for r in cohorts.rules]
    assert {r.rule: r.unexpected_count for r in cohorts.failed} == {
        "funnel counts never grow along the funnel": 1,
        "conversion rates between 0 and 1": 1,
    }
    assert not cohorts.success
    assert any("skipped" in note for note in cohorts.notes)
