"""Each rule family fires on a doctored copy of a built sandbox warehouse, and only there.

A clean world passes every suite. Then rows are changed by hand, each change made so that the
failing rule and its count are known by construction (one row made negative fails one row, a
duplicated row fails both copies, and so on), and the suites of the changed tables must report
exactly those failures. Raw and certified changes go into separate copies: the certified
reconciliation reads the staging views over the raw tables, so a raw change would also show
there.
"""

from __future__ import annotations

import duckdb
import pytest

from expectations.runner import validate
from expectations.suites import all_suites
from tests.expectations.conftest import SCALE, SEED
from warehouse.sources import enabled_env


def failures(result) -> dict[str, int | None]:
    """rule -> unexpected count (None when the rule errored or counts no rows)."""
    assert all(r.error is None for r in result.rules), [r.error for r in result.rules if r.error]
    return {r.rule: r.unexpected_count for r in result.failed}


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_a_clean_world_passes_every_suite(
    built_warehouse, warehouse_copy, quality_env, monkeypatch, crm
):
    """With each CRM: between them, every suite runs on a clean world and passes."""
    built = built_warehouse(SEED, SCALE, **({} if crm == "hubspot" else {"crm": crm}))
    for name, value in enabled_env(list(built.world.system_names)).items():
        monkeypatch.setenv(name, value)
    path = warehouse_copy(built)
    docs = quality_env(path)
    results = validate()
    # every handle was released: a writer in this process (the next load) can open the file
    duckdb.connect(str(path)).close()
    assert {t: failures(r) for t, r in results.items() if r.failed} == {}
    other_crm = "salesforce" if crm == "hubspot" else "hubspot"
    expected = {t for t, suite in all_suites().items() if suite.source != other_crm}
    assert set(results) == expected, "every suite runs on a world with every source"
    certified = [r for t, r in results.items() if t.startswith("certified.")]
    assert all("no previous publication" in " ".join(r.notes) for r in certified)
    for result in results.values():
        assert result.docs_page and result.docs_page.is_file()
        assert docs in result.docs_page.parents


def test_the_docs_index_lists_every_step_of_a_run(built_warehouse, warehouse_copy, quality_env):
    """A run validates in steps (raw tables after the loads, certified before publishing), each
    building the Data Docs into the same folder: the index must list every step's suites, not
    only the last step's."""
    path = warehouse_copy(built_warehouse(SEED, SCALE))
    docs = quality_env(path)
    steps = (["raw_hubspot.contacts", "raw_marketo.leads"], ["certified.spend_daily"])
    for tables in steps:
        validate(tables)
    index = (docs / "index.html").read_text()
    for table in (t for tables in steps for t in tables):
        schema, name = table.split(".")
        assert f"validations/{schema}/{name}/" in index, f"{table} is not in the docs index"


def test_raw_rules_fire_on_doctored_rows(built_warehouse, warehouse_copy, quality_env):
    path = warehouse_copy(built_warehouse(SEED, SCALE))
    with duckdb.connect(str(path)) as con:
        # a contact loaded twice (both copies fail uniqueness), another without an id
        con.execute(
            "insert into raw_hubspot.contacts select * from raw_hubspot.contacts "
            "where id = (select min(id) from raw_hubspot.contacts)"
        )
        con.execute("alter table raw_hubspot.contacts alter column id drop not null")
        con.execute(
            "update raw_hubspot.contacts set id = null "
            "where id = (select max(id) from raw_hubspot.contacts)"
        )
        # two ad days with negative spend
        con.execute(
            "update raw_google_ads.campaign_daily set cost_micros = -1 where (campaign_id, date) "
            "in (select campaign_id, date from raw_google_ads.campaign_daily "
            "order by campaign_id, date limit 2)"
        )
        # a deal in a currency nobody knows
        con.execute(
            "update raw_hubspot.deals set deal_currency_code = 'XXX' "
            "where id = (select min(id) from raw_hubspot.deals)"
        )
        # a lead created ten days from now
        con.execute(
            "update raw_marketo.leads set created_at = current_timestamp + interval 10 day "
            "where id = (select min(id) from raw_marketo.leads)"
        )
        # a Meta day in CHF, a currency the FX source has never published; and a zero rate
        con.execute(
            "insert into raw_meta.campaign_insights_daily (account_id, campaign_id, date_start, "
            "date_stop, impressions, clicks, spend, account_currency, _dlt_load_id, _dlt_id) "
            "select account_id, 'doctored', date_start, date_stop, 1, 0, 1.5, 'CHF', "
            "_dlt_load_id, 'doctored' from raw_meta.campaign_insights_daily limit 1"
        )
        con.execute(
            "update raw_fx.rates set rate = 0 where (date, currency) in "
            "(select date, currency from raw_fx.rates order by date, currency limit 1)"
        )
    quality_env(path)
    tables = [
        "raw_hubspot.contacts", "raw_google_ads.campaign_daily", "raw_hubspot.deals",
        "raw_marketo.leads", "raw_fx.rates", "raw_meta.campaign_insights_daily",
    ]  # fmt: skip
    results = validate(tables)
    assert failures(results["raw_hubspot.contacts"]) == {"id unique": 2, "id present": 1}
    assert failures(results["raw_google_ads.campaign_daily"]) == {"spend never negative": 2}
    assert failures(results["raw_hubspot.deals"]) == {"currency known": 1}
    assert failures(results["raw_marketo.leads"]) == {"created in the past": 1}
    assert failures(results["raw_fx.rates"]) == {
        "rate positive": 1,
        "a rate for every day that has spend": 1,
    }
    assert failures(results["raw_meta.campaign_insights_daily"]) == {}
    # raw rules warn: they never block
    assert all(r.success for r in results.values())
    assert all(f.severity == "warning" for r in results.values() for f in r.failed)
    chf = results["raw_fx.rates"].failed
    assert any("CHF" in str(f.examples) for f in chf)


def test_certified_rules_fire_and_block(built_warehouse, warehouse_copy, quality_env, tmp_path):
    built = built_warehouse(SEED, SCALE)
    path = warehouse_copy(built)
    previous = tmp_path / "previous" / "certified.duckdb"
    previous.parent.mkdir()
    with duckdb.connect(str(path)) as con:
        # the previous publication (tables in the file's default schema, as the publish step
        # writes them): the same tables, but funnel_cohorts twice as long, so the current
        # funnel_cohorts looks like a 50% drop
        con.execute(f"attach '{previous}' as previous")
        for (table,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'certified' "
            "and table_catalog = 'warehouse'"
        ).fetchall():
            con.execute(f"create table previous.main.{table} as from warehouse.certified.{table}")
        con.execute(
            "insert into previous.main.funnel_cohorts from warehouse.certified.funnel_cohorts"
        )
        con.execute("detach previous")

        # one google_ads spend row off by 100: one platform-day and one month off
        con.execute(
            "update certified.spend_daily set spend = spend + 100 where (date, campaign_key) in "
            "(select date, campaign_key from certified.spend_daily where platform = 'google_ads' "
            "order by date, campaign_key limit 1)"
        )
        # a raw ad day that fails a record rule (a negative cost): staging never passes it on
        # (it is quarantined), so it is never certified and the reconciliation leaves it out
        con.execute(
            "insert into raw_google_ads.campaign_daily (customer_id, campaign_id, date, "
            "impressions, clicks, cost_micros, currency_code, time_zone, _dlt_load_id, _dlt_id) "
            "select customer_id, 'doctored', date, 1, 1, -5000000, currency_code, time_zone, "
            "_dlt_load_id, 'doctored' from raw_google_ads.campaign_daily order by date desc limit 1"
        )
        # funnel_daily: a repeated row (both copies fail the grain) and a day 30 days ahead
        con.execute(
            "insert into certified.funnel_daily from certified.funnel_daily "
            "order by date, channel limit 1"
        )
        con.execute(
            "update certified.funnel_daily set date = current_date + 30 where (date, channel) in "
            "(select date, channel from certified.funnel_daily order by date desc, channel limit 1)"
        )
        # funnel_cohorts: more SQLs than MQLs in one cohort, a conversion of 1.5 in another
        rows = con.execute(
            "select cohort_month, channel from certified.funnel_cohorts "
            "order by cohort_month, channel limit 2"
        ).fetchall()
        con.execute(
            "update certified.funnel_cohorts set reached_sql = reached_mql + 1 "
            "where cohort_month = ? and channel = ?",
            list(rows[0]),
        )
        con.execute(
            "update certified.funnel_cohorts set conv_lead_to_mql = 1.5 "
            "where cohort_month = ? and channel = ?",
            list(rows[1]),
        )
        # one opportunity's credits in one model no longer sum to 1
        con.execute(
            "update marts.fct_attribution_credits set credit = credit + 0.1 "
            "where (opportunity_id, attribution_model, touch_rank) in (select opportunity_id, "
            "attribution_model, touch_rank from marts.fct_attribution_credits "
            "order by opportunity_id, attribution_model, touch_rank limit 1)"
        )
        # one month's pipeline off by 1000
        con.execute(
            "update certified.pipeline_monthly set pipeline = pipeline + 1000 "
            "where month = (select min(month) from certified.pipeline_monthly)"
        )
        # one ad performance row whose CTR no longer follows from its clicks and impressions
        # (its spend still equals spend_daily's: the google_ads row above is the first by date
        # and key, this one the last)
        con.execute(
            "update certified.ad_performance_daily set ctr = ctr + 0.5 where (date, campaign_key) "
            "in (select date, campaign_key from certified.ad_performance_daily "
            "where impressions > 0 and platform = 'meta' order by date desc, campaign_key limit 1)"
        )
        # a channel the certified tables use loses its label row
        con.execute("delete from certified.channel_labels where channel = 'paid_search'")
        models = con.execute(
            "select count(distinct attribution_model) from certified.pipeline_attribution_monthly"
        ).fetchone()[0]
        # velocity: one more won opportunity in one channel row (no longer won + lost = closed,
        # no longer the month total); lead to booking: more booked people than leads in one
        # cohort; cost per stage: one row's romi off by 0.5
        con.execute(
            "update certified.opportunity_velocity_monthly set won_opportunities = "
            "won_opportunities + 1 where (month, channel) in (select month, channel from "
            "certified.opportunity_velocity_monthly where not is_month_total "
            "order by month, channel limit 1)"
        )
        con.execute(
            "update certified.lead_to_booking_monthly set booked_people = leads + 1 "
            "where (cohort_month, channel) in (select cohort_month, channel from "
            "certified.lead_to_booking_monthly order by cohort_month, channel limit 1)"
        )
        con.execute(
            "update certified.cost_per_stage_channel_monthly set romi = romi + 0.5 "
            "where (month, channel) in (select month, channel from "
            "certified.cost_per_stage_channel_monthly where spend > 0 "
            "order by month, channel limit 1)"
        )
    quality_env(path, previous=previous)
    results = validate([t for t in sorted(_certified())])

    assert failures(results["certified.spend_daily"]) == {
        "spend equals staged spend converted, per platform and day": 1
    }
    assert failures(results["certified.budget_vs_actual_monthly"]) == {
        "actual equals spend_daily, per month and channel": 1
    }
    assert failures(results["certified.cost_per_stage_channel_monthly"]) == {
        "spend equals spend_daily, per month": 1,
        "romi is roas at the gross margin, less the spend": 1,
    }
    assert failures(results["certified.cost_per_stage_campaign_monthly"]) == {
        "spend equals spend_daily, per month": 1
    }
    assert failures(results["certified.opportunity_velocity_monthly"]) == {
        "counts add up": 1,
        "channel rows add up to the month total": 1,
    }
    assert failures(results["certified.lead_to_booking_monthly"]) == {
        "booked people within the cohort": 1
    }
    # the doctored spend_daily row has no equal in ad_performance_daily any more
    assert failures(results["certified.ad_performance_daily"]) == {
        "rates follow from the counts": 1,
        "spend equals spend_daily, row by row": 1,
    }
    assert failures(results["certified.channel_labels"]) == {"every certified channel is listed": 1}
    assert failures(results["certified.funnel_daily"]) == {"grain unique": 2, "no future dates": 1}
    cohorts = results["certified.funnel_cohorts"]
    assert failures(cohorts) == {
        "funnel counts never grow along the funnel": 1,
        "conversion rates between 0 and 1": 1,
        "row count within the band of the previous publication": None,
    }
    band = next(r for r in cohorts.failed if r.rule.startswith("row count"))
    assert band.observed == len(built.table("certified.funnel_cohorts"))
    assert failures(results["certified.pipeline_monthly"]) == {
        "pipeline equals the sum of opportunity amounts": 1
    }
    assert failures(results["certified.pipeline_attribution_monthly"]) == {
        "each opportunity's credits sum to 1 in every model": 1,
        "monthly credits equal the month's opportunities, per model": models,
    }
    assert failures(results["certified.marketing_pipeline_monthly"]) == {}
    # certified rules block; the untouched table passes its band (same rows as published)
    assert all(f.severity == "blocking" for r in results.values() for f in r.failed)
    assert not results["certified.funnel_cohorts"].success
    assert results["certified.marketing_pipeline_monthly"].success
    assert not results["certified.marketing_pipeline_monthly"].notes


def _certified() -> list[str]:
    from expectations.suites import all_suites

    return [t for t in all_suites() if t.startswith("certified.")]


@pytest.mark.parametrize("destination", ["postgres"])
def test_band_rule_is_skipped_off_duckdb(destination):
    from expectations.runner import row_count_band_rule
    from expectations.suites import all_suites

    rule, note = row_count_band_rule(all_suites()["certified.funnel_daily"], destination)
    assert rule is None and "skipped" in note


def test_a_build_with_other_settings_is_refused(built_warehouse, warehouse_copy, quality_env):
    """The certified tables of a build in EUR (a `dbt build --vars` by hand) checked against the
    project's USD: the settings table's suite names the difference, blocking."""
    path = warehouse_copy(built_warehouse(SEED, SCALE))
    with duckdb.connect(str(path)) as con:
        con.execute("update certified.warehouse_settings set reporting_currency = 'EUR'")
    quality_env(path)
    result = validate(["certified.warehouse_settings"])["certified.warehouse_settings"]
    assert failures(result) == {"built with the settings the checks assume": 1}


def test_placeholder_dates_and_non_numbers_are_caught_in_certified_tables(
    built_warehouse, warehouse_copy, quality_env
):
    """What escaped the record rules is still caught before publication: a day of year 1 in the
    funnel, a NaN of spend."""
    path = warehouse_copy(built_warehouse(SEED, SCALE))
    with duckdb.connect(str(path)) as con:
        con.execute(
            "update certified.funnel_daily set date = '0001-01-01' where (date, channel) in "
            "(select date, channel from certified.funnel_daily order by date, channel limit 1)"
        )
        con.execute(
            "update certified.spend_daily set spend = 'NaN' where (date, platform, account_id, "
            "campaign_key) in (select date, platform, account_id, campaign_key "
            "from certified.spend_daily order by all limit 1)"
        )
    quality_env(path)
    results = validate(["certified.funnel_daily", "certified.spend_daily"])
    assert failures(results["certified.funnel_daily"]) == {"no date before the floor": 1}
    spend = failures(results["certified.spend_daily"])
    assert spend["spend is a finite number"] == 1, spend
