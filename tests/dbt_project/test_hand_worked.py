"""The hand-worked world: four people, two ad accounts, three deals, every certified number
worked out by hand from docs/metrics.md and docs/certified_tables.md.

The raw tables (``tests/fixtures/hand_worked/raw_tables.json``) are written as the dlt sources
land them: the same schemas, tables, column names and types, plus dlt's ``_dlt_load_id`` and
``_dlt_id``. A test holds the fixture's columns to a real load of a sandbox world, so the fixture
fails when a source changes shape. ``dbt build`` then runs with the project's default vars
(USD, UTC, 90-day lookback, 7-day half-life, position_based by default) and every expected
figure below is a literal with its arithmetic beside it, never an output of the code under test.

The world (all instants UTC; the fixture's README tells it as a story):

- FX, USD per EUR: Thu 2025-03-06 1.06, Fri 03-07 1.08, Mon 03-10 1.10, Thu 03-20 1.10
  (no rate on the weekend 03-08/03-09: Friday's 1.08 carries forward).
- Google Ads US (USD, campaign 501 ``gads_search_brand_us``): 100 on 03-07, 50 on 03-10.
  Google Ads EU (EUR, campaign 502): 20 on Fri 03-07, 10 on Sat 03-08, 10 on Sun 03-09,
  30 on Mon 03-10. Both SEARCH campaigns: channel paid_search.
- Ann (HubSpot ``Ann.Lee@Acme...``, Marketo ``ann.lee@acme...``: one person): lead 03-06 12:00,
  mql 03-10, sql 03-14, opportunity 03-20, customer 03-27. Touches: 1001 form fill 03-06 12:00
  (gclid, utm_campaign = the US campaign's name: paid_search, google_ads:501), 1002 visit
  03-13 12:00 (utm_medium=email, utm_campaign=march_newsletter). Deal 9000001: 1000 EUR, created
  03-20 12:00, won: the two-touch opportunity (ages 14 and 7 days).
- Bob: lead 03-07 09:00, sql 03-14 09:00 (mql skipped: implied at 03-14), opportunity 03-21
  09:00. Touches: 1003 visit 2024-12-01 (utm_medium=organic: his original channel
  organic_search, 110 days before his deal: outside the 90-day lookback), 1007 visit
  2024-12-05 (referral, after his first touch and outside the lookback too: it moves no number
  below; its UTM values are visitor text to clean), 1004 form fill 03-07 09:00 (partner,
  partner_spring). Deal 9000002: 5000 USD, created 03-21 09:00, open:
  the one-touch opportunity.
- Cy: HubSpot lead 03-11 15:00 and opportunity 03-25 15:00, Marketo status New 03-11 15:00 and
  Marketing Qualified 03-18 15:00 (sql skipped: implied at 03-25). Two touches at the same
  instant 03-11 15:00: 999 (referral) and 1000 (organic_search): the tie goes to the lower
  touchpoint id, ``marketo-000000000000999`` (as text ``"999" > "1000"``: the padding matters).
  Deal 9000003: 2000 USD, created 03-25 15:00, open: the tied opportunity.
- Dee: no touchpoint, ``hs_analytics_source`` PAID_SEARCH (channel paid_search), lead 03-04
  08:00, mql 03-12 08:00; her duplicate contact 100008 (lead 03-02 10:00, DIRECT_TRAFFIC) was
  merged into her: its lead entry joins hers and, being earlier, becomes her lead date (03-02).
- Budget: the project's seed ``marketing_budget`` (2025-03: paid_search 2500, paid_social 2300,
  display 1000, email 80, events 250).
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sandbox.world import World
from tests.support import raw_tables
from tests.support.pipeline import (
    DBT_PROJECT_DIR,
    WITHOUT_UNIT_TESTS,
    assert_rows_equal,
    dbt,
    load_world,
    read_table,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hand_worked" / "raw_tables.json"
LOAD_ID = "1741600000.000000"  # one dlt load, as a load of 2025-03-10 would be numbered
MARCH = date(2025, 3, 1)
MODELS = ("first_touch", "last_touch", "linear", "position_based", "w_shaped", "time_decay")
STAGES = ("lead", "mql", "sql", "opportunity", "customer")


def fixture_tables() -> dict[str, dict]:
    return json.loads(FIXTURE.read_text())


def write_raw_tables(warehouse: Path, tables: dict[str, dict] | None = None) -> None:
    """Create every raw table with the fixture's columns (dlt's own columns as dlt adds them)
    and insert its rows. ``tables``: the fixture's, or a variant of them (another test's edited
    world)."""
    with duckdb.connect(str(warehouse)) as con:
        raw_tables.write_raw_tables(
            con.execute, tables or fixture_tables(), load_id=LOAD_ID, source=FIXTURE.name
        )


@pytest.fixture(scope="module")
def hand_worked(tmp_path_factory) -> Path:
    """The hand-worked raw tables built by `dbt build` with the project's default vars."""
    workdir = tmp_path_factory.mktemp("hand-worked")
    write_raw_tables(workdir / "warehouse.duckdb")
    dbt(workdir, "build", *WITHOUT_UNIT_TESTS)
    return workdir


def table(workdir: Path, name: str) -> list[dict]:
    return read_table(workdir, f"certified.{name}")


# --- the fixture has the shape of a real load --------------------------------------------------


def raw_columns(warehouse: Path) -> dict[str, dict[str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name, column_name, data_type"
            " from information_schema.columns"
            " where table_schema like 'raw\\_%' escape '\\'"
            " and table_schema not like '%\\_staging' escape '\\'"
            " and table_name not like '\\_dlt\\_%' escape '\\'"
        ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for relation, column, kind in rows:
        out.setdefault(relation, {})[column] = kind
    return out


def test_the_raw_tables_have_the_columns_of_a_real_load(tmp_path):
    """Every raw table a real load of the sandbox lands, with the same columns and types."""
    load_world(World(seed=7, scale=40), tmp_path)
    real = raw_columns(tmp_path / "warehouse.duckdb")
    write_raw_tables(tmp_path / "hand_worked.duckdb")
    ours = raw_columns(tmp_path / "hand_worked.duckdb")
    assert set(ours) == set(real), (
        f"tables only in the fixture: {sorted(set(ours) - set(real))}, "
        f"only in a real load: {sorted(set(real) - set(ours))}"
    )
    differences = {t: (ours[t], real[t]) for t in real if ours[t] != real[t]}
    assert not differences, f"columns differ from a real load: {differences}"


# --- funnel -------------------------------------------------------------------------------------


def funnel_row(day: int, channel: str, **entered: int) -> dict:
    return {"date": date(2025, 3, day), "channel": channel,
            **{f"entered_{s}": entered.get(s, 0) for s in STAGES}}  # fmt: skip


def test_funnel_daily(hand_worked):
    expected = [
        # Dee: her merged duplicate's lead (03-02 10:00) is earlier than her own (03-04), so it
        # is her lead date; no touchpoint: channel from hs_analytics_source PAID_SEARCH.
        # The duplicate is no person of its own: no `direct` row on 03-02.
        funnel_row(2, "paid_search", lead=1),
        funnel_row(6, "paid_search", lead=1),  # Ann (first touch 1001: gclid)
        funnel_row(7, "organic_search", lead=1),  # Bob (first touch 1003: utm_medium=organic)
        funnel_row(10, "paid_search", mql=1),  # Ann
        # Cy: tied first touches, 999 (referral) before 1000 (organic)
        funnel_row(11, "referral", lead=1),
        funnel_row(12, "paid_search", mql=1),  # Dee
        funnel_row(14, "paid_search", sql=1),  # Ann
        # Bob: sql 03-14, and mql implied by the monotone rule: min(no own mql, sql 03-14)
        funnel_row(14, "organic_search", mql=1, sql=1),
        funnel_row(18, "referral", mql=1),  # Cy (Marketo: Marketing Qualified)
        funnel_row(20, "paid_search", opportunity=1),  # Ann
        funnel_row(21, "organic_search", opportunity=1),  # Bob
        # Cy: opportunity 03-25, sql implied: min(no own sql, opportunity 03-25)
        funnel_row(25, "referral", sql=1, opportunity=1),
        funnel_row(27, "paid_search", customer=1),  # Ann
    ]
    assert_rows_equal(
        table(hand_worked, "funnel_daily"), expected, ("date", "channel"), table="funnel_daily"
    )


PAIRS = (("lead", "mql"), ("mql", "sql"), ("sql", "opportunity"), ("opportunity", "customer"),
         ("lead", "opportunity"), ("lead", "customer"))  # fmt: skip


def cohort_row(channel: str, reached: dict[str, int], medians: dict[str, float | None]) -> dict:
    row = {"cohort_month": MARCH, "channel": channel, "leads": reached["lead"]}
    row |= {f"reached_{s}": reached.get(s, 0) for s in STAGES[1:]}
    for a, b in PAIRS:
        row[f"conv_{a}_to_{b}"] = reached.get(b, 0) / reached[a] if reached.get(a) else None
        row[f"median_days_{a}_to_{b}"] = medians.get(f"{a}_to_{b}")
    return row


def test_funnel_cohorts(hand_worked):
    expected = [
        # Ann: lead 03-06 12:00, mql 03-10 12:00, sql 03-14 12:00, opp 03-20 12:00, customer
        # 03-27 12:00. Dee: lead 03-02 10:00 (her merged duplicate's), mql 03-12 08:00.
        # lead->mql: Ann 4 days, Dee 9 days 22 h = 9 + 22/24; median of two = their mean.
        # conv: mql/lead 2/2, sql/mql 1/2, opp/sql 1/1, customer/opp 1/1, opp/lead 1/2, ...
        cohort_row(
            "paid_search",
            {"lead": 2, "mql": 2, "sql": 1, "opportunity": 1, "customer": 1},
            {"lead_to_mql": (4 + (9 + 22 / 24)) / 2, "mql_to_sql": 4.0,
             "sql_to_opportunity": 6.0, "opportunity_to_customer": 7.0,
             "lead_to_opportunity": 14.0, "lead_to_customer": 21.0},
        ),
        # Bob: lead 03-07 09:00, mql = sql 03-14 09:00 (implied), opp 03-21 09:00, no customer
        cohort_row(
            "organic_search",
            {"lead": 1, "mql": 1, "sql": 1, "opportunity": 1},
            {"lead_to_mql": 7.0, "mql_to_sql": 0.0, "sql_to_opportunity": 7.0,
             "lead_to_opportunity": 14.0},
        ),
        # Cy: lead 03-11 15:00, mql 03-18 15:00, sql = opp 03-25 15:00 (sql implied)
        cohort_row(
            "referral",
            {"lead": 1, "mql": 1, "sql": 1, "opportunity": 1},
            {"lead_to_mql": 7.0, "mql_to_sql": 7.0, "sql_to_opportunity": 0.0,
             "lead_to_opportunity": 14.0},
        ),
    ]  # fmt: skip
    assert (
        expected[0]["conv_mql_to_sql"] == 0.5 and expected[1]["conv_opportunity_to_customer"] == 0
    )
    assert_rows_equal(
        table(hand_worked, "funnel_cohorts"),
        expected,
        ("cohort_month", "channel"),
        table="funnel_cohorts",
    )


# --- attribution --------------------------------------------------------------------------------

# Amounts in USD, at the rate of the creation date (UTC):
ANN_DEAL = 1000 * 1.10  # 9000001: 1000 EUR / rate(EUR) 1 * rate(USD, 03-20) 1.10 = 1100, won
BOB_DEAL = 5000.0  # 9000002: USD, open
CY_DEAL = 2000.0  # 9000003: USD, open

PAID = ("paid_search", "google_ads:501")  # touch 1001: gclid; utm_campaign = campaign 501's name
EMAIL = ("email", "march_newsletter")  # touch 1002: no ad campaign of that name: kept as text
PARTNER = ("partner", "partner_spring")  # touch 1004
REFERRAL = ("referral", "(none)")  # touch 999
ORGANIC = ("organic_search", "(none)")  # touch 1000

#: credits per model: {(channel, campaign_key): [(credit, amount_usd, is_won), ...]}
CREDITS = {
    # Ann's deal: t1 = 1001, t2 = 1002. Bob's deal: one eligible touch, 1004 (1003 is 110
    # days old: outside the lookback), credit 1 in every model. Cy's deal: 999 and 1000 tie
    # at 03-11 15:00, ordered by touchpoint id: t1 = 999, t2 = 1000.
    "first_touch": {PAID: [(1, ANN_DEAL, True)], PARTNER: [(1, BOB_DEAL, False)],
                    REFERRAL: [(1, CY_DEAL, False)]},
    "last_touch": {EMAIL: [(1, ANN_DEAL, True)], PARTNER: [(1, BOB_DEAL, False)],
                   ORGANIC: [(1, CY_DEAL, False)]},
    # n = 2: 1/2 each
    "linear": {PAID: [(0.5, ANN_DEAL, True)], EMAIL: [(0.5, ANN_DEAL, True)],
               PARTNER: [(1, BOB_DEAL, False)],
               REFERRAL: [(0.5, CY_DEAL, False)], ORGANIC: [(0.5, CY_DEAL, False)]},
    # n = 2: 0.5 each
    "position_based": {PAID: [(0.5, ANN_DEAL, True)], EMAIL: [(0.5, ANN_DEAL, True)],
                       PARTNER: [(1, BOB_DEAL, False)],
                       REFERRAL: [(0.5, CY_DEAL, False)], ORGANIC: [(0.5, CY_DEAL, False)]},
    # Ann: lead date 03-06 12:00, L = last touch at or before it = 1001 = t1: 0.3 + 0.3
    #   (t1, L) on 1001, 0.3 on 1002 (tn), both hold roles: 0.1 / 2 each -> 0.65 / 0.35.
    # Cy: lead date 03-11 15:00, L = the last of the tied touches at or before it = 1000 = tn:
    #   999 holds t1 (0.3), 1000 holds L and tn (0.6), + 0.05 each -> 0.35 / 0.65.
    "w_shaped": {PAID: [(0.65, ANN_DEAL, True)], EMAIL: [(0.35, ANN_DEAL, True)],
                 PARTNER: [(1, BOB_DEAL, False)],
                 REFERRAL: [(0.35, CY_DEAL, False)], ORGANIC: [(0.65, CY_DEAL, False)]},
    # Ann: ages 14 and 7 days, half-life 7: raw 2^-2 = 0.25 and 2^-1 = 0.5, sum 0.75 ->
    #   1/3 and 2/3. Cy: both 14 days old: equal weights -> 1/2 each.
    "time_decay": {PAID: [(1 / 3, ANN_DEAL, True)], EMAIL: [(2 / 3, ANN_DEAL, True)],
                   PARTNER: [(1, BOB_DEAL, False)],
                   REFERRAL: [(0.5, CY_DEAL, False)], ORGANIC: [(0.5, CY_DEAL, False)]},
}  # fmt: skip


def attribution_rows(model: str) -> list[dict]:
    rows = []
    for (channel, campaign_key), credits in CREDITS[model].items():
        rows.append({
            "month": MARCH, "attribution_model": model, "channel": channel,
            "campaign_key": campaign_key,
            "attributed_opportunities": sum(c for c, _, _ in credits),
            "attributed_pipeline": sum(c * amount for c, amount, _ in credits),
            "attributed_won_revenue": sum(c * amount for c, amount, won in credits if won),
        })  # fmt: skip
    return rows


def test_hand_worked_credits_of_each_deal_sum_to_one():
    """The arithmetic above: each model gives each deal credits summing to 1."""
    for model, by_key in CREDITS.items():
        per_deal: dict[float, float] = {}
        for credits in by_key.values():
            for credit, amount, _ in credits:
                per_deal[amount] = per_deal.get(amount, 0) + credit
        assert per_deal == pytest.approx({ANN_DEAL: 1, BOB_DEAL: 1, CY_DEAL: 1}), model


@pytest.mark.parametrize("model", MODELS)
def test_pipeline_attribution_monthly(hand_worked, model):
    actual = [
        r for r in table(hand_worked, "pipeline_attribution_monthly")
        if r["attribution_model"] == model
    ]  # fmt: skip
    assert_rows_equal(
        actual,
        attribution_rows(model),
        ("month", "attribution_model", "channel", "campaign_key"),
        table=f"pipeline_attribution_monthly[{model}]",
    )


def test_pipeline_monthly(hand_worked):
    # 3 deals: 1100 + 5000 + 2000 = 8100; won: Ann's 1100. Every first eligible touch is in a
    # marketing channel (paid_search, partner, referral): all sourced and influenced.
    expected = [{
        "month": MARCH, "opportunities": 3, "pipeline": 8100.0,
        "won_opportunities": 1, "won_revenue": 1100.0,
        "sourced_opportunities": 3, "sourced_pipeline": 8100.0, "sourced_won_revenue": 1100.0,
        "influenced_opportunities": 3, "influenced_pipeline": 8100.0,
        "influenced_won_revenue": 1100.0,
    }]  # fmt: skip
    assert_rows_equal(
        table(hand_worked, "pipeline_monthly"), expected, ("month",), table="pipeline_monthly"
    )


def marketing_row(channel: str, sourced: tuple, influenced: tuple) -> dict:
    return {
        "month": MARCH, "channel": channel,
        "sourced_opportunities": sourced[0], "sourced_pipeline": sourced[1],
        "sourced_won_revenue": sourced[2],
        "influenced_opportunities": influenced[0], "influenced_pipeline": influenced[1],
        "influenced_won_revenue": influenced[2],
    }  # fmt: skip


def test_marketing_pipeline_monthly(hand_worked):
    expected = [
        marketing_row("paid_search", (1, 1100.0, 1100.0), (1, 1100.0, 1100.0)),  # Ann's t1
        marketing_row("email", (0, 0.0, 0.0), (1, 1100.0, 1100.0)),  # Ann's t2
        marketing_row("partner", (1, 5000.0, 0.0), (1, 5000.0, 0.0)),  # Bob's only touch
        marketing_row("referral", (1, 2000.0, 0.0), (1, 2000.0, 0.0)),  # Cy's t1 (the tie)
        # Cy's t2 influences; Bob's organic visit is outside his deal's lookback: no more
        marketing_row("organic_search", (0, 0.0, 0.0), (1, 2000.0, 0.0)),
    ]
    assert_rows_equal(
        table(hand_worked, "marketing_pipeline_monthly"),
        expected,
        ("month", "channel"),
        table="marketing_pipeline_monthly",
    )


# --- spend --------------------------------------------------------------------------------------

US = ("google_ads", "1111111111", "google_ads:501", "paid_search", "America/New_York", "USD")
EU = ("google_ads", "2222222222", "google_ads:502", "paid_search", "Europe/Berlin", "EUR")


def spend_row(day: int, account: tuple, original: float, rate: float, spend: float) -> dict:
    platform, account_id, campaign_key, channel, timezone, currency = account
    return {
        "date": date(2025, 3, day), "platform": platform, "account_id": account_id,
        "campaign_key": campaign_key, "channel": channel, "account_timezone": timezone,
        "currency": currency, "spend_original": original, "fx_rate": rate, "spend": spend,
    }  # fmt: skip


def test_spend_daily_carries_fridays_rate_over_the_weekend(hand_worked):
    expected = [
        spend_row(7, US, 100.0, 1.0, 100.0),  # 100 000 000 micros / 1e6, USD: rate 1
        spend_row(10, US, 50.0, 1.0, 50.0),
        spend_row(7, EU, 20.0, 1.08, 21.6),  # 20 EUR * 1.08 (Friday's rate) = 21.6
        spend_row(8, EU, 10.0, 1.08, 10.8),  # Saturday: no rate, Friday's 1.08 carried
        spend_row(9, EU, 10.0, 1.08, 10.8),  # Sunday: the same
        spend_row(10, EU, 30.0, 1.10, 33.0),  # Monday: 30 EUR * 1.10 = 33
    ]
    grain = ("date", "platform", "account_id", "campaign_key")
    assert_rows_equal(table(hand_worked, "spend_daily"), expected, grain, table="spend_daily")


# March paid_search spend: US 100 + 50 = 150; EU 21.6 + 10.8 + 10.8 + 33 = 76.2; total 226.2
MARCH_PAID_SEARCH_SPEND = 226.2


def cost_row(
    key: str,
    spend: float,
    counts: dict[str, int],
    pipeline: float,
    won: float,
    dimension: str = "channel",
) -> dict:
    def per(count: int) -> float | None:
        return None if count == 0 else spend / count

    leads, mqls, sqls, opps, customers = (counts.get(s, 0) for s in STAGES)
    return {
        "month": MARCH, dimension: key, "spend": spend,
        "leads": leads, "mqls": mqls, "sqls": sqls, "opportunities": opps,
        "customers": customers,
        "cpl": per(leads), "cost_per_mql": per(mqls), "cost_per_sql": per(sqls),
        "cost_per_opportunity": per(opps), "cac": per(customers),
        "attribution_model": "position_based",
        "attributed_pipeline": pipeline, "attributed_won_revenue": won,
        "pipeline_roi": None if spend == 0 else pipeline / spend,
        "roas": None if spend == 0 else won / spend,
    }  # fmt: skip


def test_cost_per_stage_channel_monthly(hand_worked):
    expected = [
        # paid_search: Ann and Dee are leads and mqls (2), Ann alone sql, opportunity and
        # customer (1): cpl = cost per mql = 226.2 / 2 = 113.1; cost per sql = cost per
        # opportunity = cac = 226.2. Position-based: 0.5 * 1100 = 550 pipeline, won (550);
        # pipeline_roi = roas = 550 / 226.2.
        cost_row("paid_search", MARCH_PAID_SEARCH_SPEND,
                 {"lead": 2, "mql": 2, "sql": 1, "opportunity": 1, "customer": 1}, 550.0, 550.0),
        # email: no spend, no person; 0.5 * 1100 = 550 of Ann's won deal
        cost_row("email", 0.0, {}, 550.0, 550.0),
        # partner: Bob's deal, 1 * 5000, open
        cost_row("partner", 0.0, {}, 5000.0, 0.0),
        # organic_search: Bob lead, mql, sql, opportunity; 0 spend / 1 = 0; 0.5 * 2000 of
        # Cy's deal; no customer: cac null
        cost_row("organic_search", 0.0,
                 {"lead": 1, "mql": 1, "sql": 1, "opportunity": 1}, 1000.0, 0.0),
        # referral: Cy lead, mql, sql (implied), opportunity; 0.5 * 2000
        cost_row("referral", 0.0,
                 {"lead": 1, "mql": 1, "sql": 1, "opportunity": 1}, 1000.0, 0.0),
    ]  # fmt: skip
    assert expected[0]["cpl"] == pytest.approx(113.1)  # the hand arithmetic, checked
    assert_rows_equal(
        table(hand_worked, "cost_per_stage_channel_monthly"),
        expected,
        ("month", "channel"),
        table="cost_per_stage_channel_monthly",
    )


def test_cost_per_stage_campaign_monthly(hand_worked):
    expected = [
        # US campaign: 100 + 50 = 150 USD; Ann's original campaign (touch 1001): 150 / 1 at
        # every stage; position-based 0.5 * 1100 = 550, won
        cost_row("google_ads:501", 150.0,
                 {"lead": 1, "mql": 1, "sql": 1, "opportunity": 1, "customer": 1},
                 550.0, 550.0, dimension="campaign_key"),
        # EU campaign: 21.6 + 10.8 + 10.8 + 33 = 76.2, nobody's original campaign: costs null,
        # nothing attributed: roi = roas = 0 / 76.2 = 0
        cost_row("google_ads:502", 76.2, {}, 0.0, 0.0, dimension="campaign_key"),
        cost_row("march_newsletter", 0.0, {}, 550.0, 550.0, dimension="campaign_key"),
        cost_row("partner_spring", 0.0, {}, 5000.0, 0.0, dimension="campaign_key"),
        # (none): Dee (no touch), Bob (first touch without campaign), Cy (999, no campaign):
        # leads and mqls 3, sqls and opportunities 2 (Bob, Cy); Cy's deal 0.5 + 0.5 of 2000
        cost_row("(none)", 0.0, {"lead": 3, "mql": 3, "sql": 2, "opportunity": 2},
                 2000.0, 0.0, dimension="campaign_key"),
    ]  # fmt: skip
    # the names a reader sees: the Google Ads campaigns' own (raw_google_ads.campaigns), a UTM
    # campaign's value itself, and "(no campaign)" for the (none) key
    names = {"google_ads:501": "gads_search_brand_us", "google_ads:502": "gads_search_brand_eu",
             "march_newsletter": "march_newsletter", "partner_spring": "partner_spring",
             "(none)": "(no campaign)"}  # fmt: skip
    for row in expected:
        row["campaign_name"] = names[row["campaign_key"]]
    assert_rows_equal(
        table(hand_worked, "cost_per_stage_campaign_monthly"),
        expected,
        ("month", "campaign_key"),
        table="cost_per_stage_campaign_monthly",
    )


def budget_seed() -> list[dict]:
    with (DBT_PROJECT_DIR / "seeds" / "marketing_budget.csv").open() as f:
        return list(csv.DictReader(f))


def test_budget_vs_actual_monthly(hand_worked):
    rows = {(r["month"], r["channel"]): r for r in table(hand_worked, "budget_vs_actual_monthly")}
    # the seed's March 2025 rows, as written in dbt_project/seeds/marketing_budget.csv
    march = {
        # actual 226.2 (see spend_daily); pacing 226.2 / 2500 = 0.09048; variance -2273.8
        "paid_search": (2500.0, 226.2, 0.09048, -2273.8),
        # budgeted channels without spend: actual 0, pacing 0 / planned = 0, variance -planned
        "paid_social": (2300.0, 0.0, 0.0, -2300.0),
        "display": (1000.0, 0.0, 0.0, -1000.0),
        "email": (80.0, 0.0, 0.0, -80.0),
        "events": (250.0, 0.0, 0.0, -250.0),
    }
    expected = [
        {"month": MARCH, "channel": channel, "planned_spend": planned, "actual_spend": actual,
         "pacing": pacing, "variance": variance}
        for channel, (planned, actual, pacing, variance) in march.items()
    ]  # fmt: skip
    # every other budgeted month has no spend in this world: actual 0
    for seed_row in budget_seed():
        month = date.fromisoformat(seed_row["month"])
        if month != MARCH:
            planned = float(seed_row["planned_spend"])
            expected.append({"month": month, "channel": seed_row["channel"],
                             "planned_spend": planned, "actual_spend": 0.0,
                             "pacing": 0.0 if planned else None, "variance": -planned})  # fmt: skip
    assert_rows_equal(
        list(rows.values()), expected, ("month", "channel"), table="budget_vs_actual_monthly"
    )


# --- visitor text -------------------------------------------------------------------------------


def test_visitor_text_is_cleaned_and_listed_as_corrected(hand_worked):
    """Bob's visit of 2024-12-05 (activity 1007: after his first touch, outside his deal's
    lookback, so no number above moves) carries visitor text the rule `visitor_text_clean`
    changes: a right-to-left override and a NUL in utm_source, an email address in
    utm_campaign, a phone number in utm_term, 155 characters of utm_content. The touch keeps
    the cleaned values, and the quarantine lists it once as corrected with what was done, by
    kind and length: never the email address or the phone number."""
    with duckdb.connect(str(hand_worked / "warehouse.duckdb"), read_only=True) as con:
        touch = con.execute(
            "select utm_source, utm_medium, utm_campaign, utm_term, utm_content"
            " from intermediate.int_touchpoints_unioned"
            " where touchpoint_id = 'marketo-000000000001007'"
        ).fetchall()
        key = con.execute(
            "select campaign_key from marts.fct_touchpoints"
            " where touchpoint_id = 'marketo-000000000001007'"
        ).fetchall()
        quarantine = con.execute(
            "select source, table_name, record_id, rule, severity, action, detail"
            " from quarantine.quarantine_records where rule = 'visitor_text_clean'"
        ).fetchall()
    # caf%C3%A9_ + 150 letters: 'café_' (5 characters) + 150 = 155, cut to the first 100
    content = ("café_" + "abcdefghij" * 15)[:100]
    assert touch == [("newsletter", "referral", "(redacted email)", "(redacted phone)", content)]
    assert key == [("(redacted email)",)]
    detail = (
        "utm_source: 2 control or formatting character(s) removed; "
        # bob@home.example.org: 3 + 1 + 16 characters
        "utm_campaign: a text with an email address of 20 characters replaced by (redacted email); "
        # '+1 415 555 0100' ('+' decoded from %2B, each '+' a space): 15 characters
        "utm_term: a phone number of 15 characters replaced by (redacted phone); "
        "utm_content: cut from 155 to 100 characters"
    )
    assert quarantine == [
        ("marketo", "touchpoints", "marketo-000000000001007", "visitor_text_clean", "warning",
         "corrected", detail),
    ]  # fmt: skip
    assert "bob@" not in detail and "415" not in detail


# --- ad performance: the platforms' own conversions ----------------------------------------------


def test_ad_performance_carries_each_platforms_own_conversions(hand_worked):
    """Google's own conversions (the fixture's `conversions`, `conversions_value`) per campaign
    day, the value in USD at the day's rate as spend is; days without any are 0, not null."""
    got = {
        (r["campaign_key"], str(r["date"])): (
            round(r["platform_conversions"], 9),
            round(r["platform_conversion_value"], 9),
        )
        for r in table(hand_worked, "ad_performance_daily")
    }
    assert got == {
        ("google_ads:501", "2025-03-07"): (1.5, 150.0),  # a USD account: no conversion
        ("google_ads:501", "2025-03-10"): (0.5, 40.0),  # data-driven fractions stay fractions
        ("google_ads:502", "2025-03-07"): (2.0, 54.0),  # 50 EUR x 1.08 USD per EUR on Fri 03-07
        ("google_ads:502", "2025-03-08"): (0.0, 0.0),
        ("google_ads:502", "2025-03-09"): (0.0, 0.0),
        ("google_ads:502", "2025-03-10"): (0.0, 0.0),
    }
