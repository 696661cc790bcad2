"""Known answers for spend: dbt's spend_daily and budget_vs_actual_monthly on sandbox worlds
equal the ground truth of ``sandbox/truth.py``; certified spend equals the raw
platform rows converted independently here (per platform and day); a missing FX rate fails the
build instead of converting at a null or a rate of 1."""

from __future__ import annotations

import math
import shutil
from collections import defaultdict

import duckdb
import pytest

from sandbox.truth import TABLES, FxTable
from sandbox.world import FxRate
from tests.dbt_project.worlds import KNOWN_ANSWER_WORLDS as WORLDS
from tests.dbt_project.worlds import world_id
from tests.support.pipeline import WITHOUT_UNIT_TESTS, assert_rows_equal, dbt

SPEND_TABLES = ("spend_daily", "budget_vs_actual_monthly")
REPORTING_CURRENCY = "USD"

#: raw spend per platform: (date, account currency, cost in account currency) as loaded by dlt
RAW_SPEND = {
    "google_ads": (
        "select date, currency_code, cost_micros / 1e6 from raw_google_ads.campaign_daily"
    ),
    "meta": "select date_start, account_currency, spend from raw_meta.campaign_insights_daily",
    "linkedin": (
        "select date, currency, cost_in_local_currency from raw_linkedin.campaign_analytics_daily"
    ),
    "microsoft_ads": (
        "select date, currency_code, spend from raw_microsoft_ads.campaign_performance_daily"
    ),
    "marketo": "select start_date, 'USD', cost from raw_marketo.program_costs",
}


@pytest.fixture(scope="module", params=WORLDS, ids=world_id)
def warehouse(request, built_warehouse):
    return built_warehouse(**request.param)


@pytest.mark.parametrize("table", SPEND_TABLES)
def test_spend_table_equals_the_ground_truth(warehouse, table):
    expected = warehouse.truth.table(table)
    assert expected, f"the world has no {table} rows: the comparison would prove nothing"
    grain = TABLES[table][0]
    assert_rows_equal(warehouse.table(f"certified.{table}"), expected, grain, table=table)


def test_certified_spend_is_the_raw_spend_converted_per_platform_and_day(warehouse):
    """Raw rows of every platform, converted with the raw FX rates (latest on or before the
    day, through EUR), summed per (platform, date) = certified spend_daily summed the same way."""
    with duckdb.connect(str(warehouse.workdir / "warehouse.duckdb"), read_only=True) as con:
        fx = FxTable(
            FxRate(day, currency, rate)
            for day, currency, rate in con.execute(
                "select date, currency, rate from raw_fx.rates"
            ).fetchall()
        )
        expected: dict[tuple, float] = defaultdict(float)
        for platform, query in RAW_SPEND.items():
            for day, currency, cost in con.execute(query).fetchall():
                expected[(platform, day)] += fx.convert(
                    float(cost), currency, day, REPORTING_CURRENCY
                )
    actual: dict[tuple, float] = defaultdict(float)
    for row in warehouse.table("certified.spend_daily"):
        actual[(row["platform"], row["date"])] += row["spend"]
    assert set(actual) == set(expected)
    assert {p for p, _ in actual} == set(RAW_SPEND), "every platform has spend"
    wrong = {
        k: (actual[k], expected[k])
        for k in expected
        if not math.isclose(actual[k], expected[k], rel_tol=1e-9, abs_tol=1e-6)
    }
    assert not wrong, f"{len(wrong)} platform days differ, e.g. {list(wrong.items())[:3]}"


def test_every_non_usd_row_is_converted_at_a_real_rate(warehouse):
    rows = warehouse.table("certified.spend_daily")
    foreign = [r for r in rows if r["currency"] != REPORTING_CURRENCY]
    assert foreign, "the world has spend in other currencies"
    assert all(r["fx_rate"] != 1.0 and r["fx_rate"] > 0 for r in foreign)
    assert all(r["fx_rate"] == 1.0 for r in rows if r["currency"] == REPORTING_CURRENCY)


def test_a_missing_fx_rate_fails_the_build(built_warehouse, tmp_path):
    """Without any rate on or before the first spend days, the build fails on the FX test."""
    warehouse = built_warehouse(**WORLDS[0])
    shutil.copy(warehouse.workdir / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        first_gbp_day = con.execute(
            "select min(date_start) from raw_meta.campaign_insights_daily"
            " where account_currency = 'GBP'"
        ).fetchone()[0]
        con.execute(
            "delete from raw_fx.rates where currency = 'GBP' and date <= ?", [first_gbp_day]
        )
    with pytest.raises(AssertionError) as failure:
        dbt(tmp_path, "build", *WITHOUT_UNIT_TESTS, "--select", "+int_ad_spend_converted")
    assert "ad_spend_without_fx_rate" in str(failure.value)
