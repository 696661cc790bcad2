"""Known answers for ad performance: dbt's ad_performance_daily and channel_labels on sandbox
worlds equal the ground truth of ``sandbox/truth.py`` (impressions, clicks, spend, CTR, CPC,
CPM, campaign and account names, account time zones, channel labels, all computed in plain
Python from the world model), and every ad campaign day carries exactly the spend of
certified.spend_daily."""

from __future__ import annotations

import pytest

from sandbox.rules import CHANNELS
from sandbox.truth import TABLES
from tests.dbt_project.worlds import KNOWN_ANSWER_WORLDS as WORLDS
from tests.dbt_project.worlds import world_id
from tests.support.pipeline import assert_rows_equal

AD_PLATFORMS = {"google_ads", "meta", "linkedin", "microsoft_ads"}
SPEND_KEY = ("date", "platform", "account_id", "campaign_key")


@pytest.fixture(scope="module", params=WORLDS, ids=world_id)
def warehouse(request, built_warehouse):
    return built_warehouse(**request.param)


@pytest.mark.parametrize("table", ["ad_performance_daily", "channel_labels"])
def test_table_equals_the_ground_truth(warehouse, table):
    expected = warehouse.truth.table(table)
    assert expected, f"the world has no {table} rows: the comparison would prove nothing"
    assert_rows_equal(
        warehouse.table(f"certified.{table}"), expected, TABLES[table][0], table=table
    )


def test_every_ad_campaign_day_has_the_spend_of_spend_daily(warehouse):
    """Same rows (the ad platform rows of spend_daily, none other) and the same spend, exactly:
    the two tables are one money."""
    spend = {
        tuple(r[k] for k in SPEND_KEY): r["spend"]
        for r in warehouse.table("certified.spend_daily")
        if r["platform"] != "marketo"
    }
    performance = {
        tuple(r[k] for k in SPEND_KEY): r["spend"]
        for r in warehouse.table("certified.ad_performance_daily")
    }
    assert {key[1] for key in spend} == AD_PLATFORMS, "every ad platform has spend"
    assert performance == spend


def test_the_truth_names_what_the_world_names(warehouse):
    """The ground truth itself: every campaign day is named after the world's campaign and
    account, and its rates follow the definitions (a guard on the truth, not on dbt)."""
    world = warehouse.world
    names = {f"{c.platform}:{c.campaign_id}": c.name for c in world.ad_campaigns}
    accounts = {a.account_id: a.name for a in world.ad_accounts}
    labels = {c.channel: c.label for c in CHANNELS}
    rows = warehouse.truth.table("ad_performance_daily")
    converting = {r["platform"] for r in rows if r["platform_conversions"] > 0}
    assert converting == AD_PLATFORMS, "every platform reports conversions: the test proves them"
    for r in rows:
        assert r["campaign_name"] == names[r["campaign_key"]]
        assert r["account_name"] == accounts[r["account_id"]]
        assert r["channel_label"] == labels[r["channel"]]
        if r["impressions"]:
            assert r["ctr"] == r["clicks"] / r["impressions"]
            assert r["cpm"] == r["spend"] * 1000 / r["impressions"]
        if r["clicks"]:
            assert r["cpc"] == r["spend"] / r["clicks"]
    truth_spend = {
        tuple(r[k] for k in SPEND_KEY): r["spend"]
        for r in warehouse.truth.table("spend_daily")
        if r["platform"] != "marketo"
    }
    assert {tuple(r[k] for k in SPEND_KEY): r["spend"] for r in rows} == truth_spend
