"""Implausible values are quarantined, never published: a copy of a built sandbox warehouse
whose raw records are doctored as a broken export would leave them (a deal of 1e20, a day of
Google Ads spend of five billion, a Marketo program cost of five billion, a lifecycle date, a
deal's creation and an activity dated 0001-01-01) is built again by dbt. Each doctored record is
in the quarantine under its rule (money: ``money_plausible``, blocking; dates:
``date_plausible``, warning) with what is wrong; no certified table shows it; and for each raw
table, rows loaded = rows passed on + rows quarantined.

The known answers are the doctored records themselves and the settings' defaults
(``plausible_money_ceilings.default`` = 1e9 in the record's currency, floor 2000-01-01).
"""

from __future__ import annotations

import shutil
import time
from datetime import date

import duckdb
import pytest

from tests.support.pipeline import dbt

SEED, SCALE = 3, 300
FLOOR = date(2000, 1, 1)

#: (source, raw table, SQL picking one record's id, the edit, the rule, its severity, staging)
DOCTORED = {
    "deal of 1e20": (
        "hubspot", "deals", "select min(id) from raw_hubspot.deals",
        "update raw_hubspot.deals set amount = 1e20, _dlt_load_id = ? where id = ?",
        "money_plausible", "blocking", "stg_hubspot__deals",
    ),
    "deal created in year 1": (
        "hubspot", "deals", "select max(id) from raw_hubspot.deals",
        "update raw_hubspot.deals set createdate = '0001-01-01 00:00:00+00', _dlt_load_id = ?"
        " where id = ?",
        "date_plausible", "warning", "stg_hubspot__deals",
    ),
    "lead date in year 1": (
        "hubspot", "contacts",
        "select min(id) from raw_hubspot.contacts where hs_lifecyclestage_lead_date is not null",
        "update raw_hubspot.contacts set hs_lifecyclestage_lead_date = '0001-01-01 00:00:00+00',"
        " _dlt_load_id = ? where id = ?",
        "date_plausible", "warning", "stg_hubspot__contacts",
    ),
    "activity in year 1": (
        "marketo", "activities", "select min(id) from raw_marketo.activities",
        "update raw_marketo.activities set activity_date = '0001-01-01 00:00:00+00',"
        " _dlt_load_id = ? where id = ?",
        "date_plausible", "warning", "stg_marketo__activities",
    ),
    "program cost of five billion": (
        "marketo", "program_costs",
        "select program_id || ':' || seq from raw_marketo.program_costs"
        " order by program_id, seq limit 1",
        "update raw_marketo.program_costs set cost = 5e9, _dlt_load_id = ?"
        " where program_id || ':' || seq = ?",
        "money_plausible", "blocking", "stg_marketo__program_costs",
    ),
    "ad day of five billion": (
        "google_ads", "campaign_daily",
        "select campaign_id || ':' || date from raw_google_ads.campaign_daily"
        " where cost_micros > 0 order by date, campaign_id limit 1",
        "update raw_google_ads.campaign_daily set cost_micros = 5000000000000000, _dlt_load_id = ?"
        " where campaign_id || ':' || date = ?",
        "money_plausible", "blocking", "stg_google_ads__campaign_days",
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def doctored(built_warehouse, tmp_path_factory):
    built = built_warehouse(SEED, SCALE)
    workdir = tmp_path_factory.mktemp("implausible")
    shutil.copy(built.workdir / "warehouse.duckdb", workdir / "warehouse.duckdb")
    ids = {}
    # the broken record arrives as a load does: with a new dlt load id (its start time)
    new_load_id = str(time.time())
    with duckdb.connect(str(workdir / "warehouse.duckdb")) as con:
        for case, (_, _, pick, edit, *_) in DOCTORED.items():
            (record_id,) = con.execute(pick).fetchone()
            assert record_id is not None, f"{case}: the world has no such record"
            con.execute(edit, [new_load_id, record_id])
            ids[case] = str(record_id)
        loaded = {
            (source, table): con.execute(f"select count(*) from raw_{source}.{table}").fetchone()[0]
            for source, table, *_ in DOCTORED.values()
        }
    dbt(workdir, "run")  # the models only: the rules are in them, dbt's tests are not asked
    return workdir, ids, loaded


def _query(workdir, sql, *params):
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.mark.parametrize("case", list(DOCTORED))
def test_an_implausible_record_is_quarantined_under_its_rule(doctored, case):
    workdir, ids, _ = doctored
    source, table, _, _, rule, severity, _ = DOCTORED[case]
    rows = _query(
        workdir,
        "select rule, severity, action, detail from quarantine.quarantine_records"
        " where source = ? and table_name = ? and record_id = ?",
        source, table, ids[case],
    )  # fmt: skip
    assert [(r[0], r[1], r[2]) for r in rows] == [(rule, severity, "quarantined")], rows
    detail = rows[0][3]
    if rule == "money_plausible":
        assert "is not a finite amount below the ceiling 1000000000" in detail, detail
    else:
        assert "0001-01-01" in detail and "is before 2000-01-01" in detail, detail


@pytest.mark.parametrize("case", list(DOCTORED))
def test_rows_loaded_equal_rows_passed_plus_quarantined(doctored, case):
    workdir, _, loaded = doctored
    source, table, *_, staging = DOCTORED[case]
    passed = _query(workdir, f"select count(*) from staging.{staging}")[0][0]
    quarantined = _query(
        workdir,
        "select count(*) from quarantine.quarantine_records where source = ? and table_name = ?"
        " and action = 'quarantined'",
        source, table,
    )[0][0]  # fmt: skip
    assert loaded[(source, table)] == passed + quarantined


def test_no_certified_table_shows_an_implausible_value(doctored):
    workdir, _, _ = doctored
    (first_day,) = _query(
        workdir,
        "select min(d) from (select min(date) as d from certified.funnel_daily"
        " union all select min(month) from certified.pipeline_monthly"
        " union all select min(date) from certified.spend_daily"
        " union all select min(cohort_month) from certified.funnel_cohorts)",
    )[0]
    assert first_day >= FLOOR
    (largest_spend,) = _query(workdir, "select max(spend) from certified.spend_daily")[0]
    (largest_month,) = _query(workdir, "select max(pipeline) from certified.pipeline_monthly")[0]
    assert largest_spend < 1e9 and largest_month < 1e12
