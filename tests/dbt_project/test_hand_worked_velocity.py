"""Revenue velocity, lead to booking and ROMI worked by hand: the hand-worked world of
``test_hand_worked.py`` with its deals closed and four more, built with a non-default
``gross_margin`` (0.6) on DuckDB and on Postgres. Every expected figure is a literal with its
arithmetic beside it (docs/metrics.md, "Revenue velocity, bookings and return on marketing
investment"), never an output of the code under test.

What changes from the hand-worked world (``velocity_world()`` makes these edits; all instants
UTC, every deal created in March 2025; USD unless said):

- Dee's merged duplicate (contact 100008) is created, and becomes a lead, on 2025-02-26 10:00
  instead of 03-02: Dee's lead date is 02-26 10:00, so Dee is the February paid_search cohort
  (her channel is still her own ``hs_analytics_source``, PAID_SEARCH).
- 9000001 Ann, 1,000 EUR at 03-20's 1.10 = 1,100; created 03-20 12:00, won 03-27 12:00: 7 days.
- 9000002 Bob, 5,000; created 03-21 09:00, now won 05-20 09:00: 60 days.
- 9000003 Cy **and Dee**, 2,000; created 03-25 15:00, now won 04-04 15:00: 10 days. Its
  earliest-lead person is Dee (02-26 10:00, before Cy's 03-11 15:00): the booking is February's,
  though its sourced channel (first eligible touch, Cy's 999) is referral. Dee has no touch, so
  the deal's touches and credits are as before.
- 9000004 Ann, 3,000; created 03-22 12:00, won the same day 18:00: 0.25 days.
- 9000005 Ann, 400; created 03-24 12:00, lost 03-31 12:00.
- 9000006 Bob, 700; created 03-26 09:00, won with a close date of 03-20 09:00, six days before
  its creation: a bad record (quarantine rule ``close_after_creation``, warning), left out of
  velocity, still in pipeline, lead to booking and ROMI.
- 9000007 Cy, 900; created 03-28 15:00, open.

Sourced channels (first eligible touch, 90-day lookback): Ann's deals paid_search (1001),
Bob's partner (1004; his December visits are outside the lookback), Cy's referral (999, the tie).
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest

from tests.dbt_project.test_hand_worked import LOAD_ID, fixture_tables, write_raw_tables
from tests.support import raw_tables
from tests.support.pipeline import WITHOUT_UNIT_TESTS, assert_rows_equal, dbt
from tests.support.pipeline import read_table as read_duckdb

FEBRUARY, MARCH = date(2025, 2, 1), date(2025, 3, 1)
GROSS_MARGIN = 0.6  # not the default 0.75
HOUR = 1 / 24


def _deal(deal_id: str, name: str, amount: str, created: str, closed: str | None, won: bool):
    return {
        "id": deal_id, "created_at": created, "updated_at": closed or created,
        "dealname": name, "amount": amount, "deal_currency_code": "USD",
        "createdate": created, "closedate": closed,
        "dealstage": ("closedwon" if won else "closedlost") if closed else "appointmentscheduled",
        "pipeline": "default", "hs_is_closed_won": won, "hs_is_closed": closed is not None,
        "hs_lastmodifieddate": closed or created, "archived": False,
    }  # fmt: skip


def _contact_link(deal_id: str, contact_id: str) -> dict:
    return {"deal_id": deal_id, "contact_id": contact_id, "type_id": 3,
            "category": "HUBSPOT_DEFINED", "type": "deal_to_contact"}  # fmt: skip


ANN, BOB, CY, DEE = "100001", "100003", "100005", "100007"


def velocity_world() -> dict[str, dict]:
    """The hand-worked raw tables with the edits of the module docstring."""
    tables = copy.deepcopy(fixture_tables())
    duplicate = next(c for c in tables["raw_hubspot.contacts"]["rows"] if c["id"] == "100008")
    for column in ("created_at", "updated_at", "createdate", "lastmodifieddate",
                   "hs_lifecyclestage_lead_date"):  # fmt: skip
        duplicate[column] = "2025-02-26T10:00:00Z"
    deals = {d["id"]: d for d in tables["raw_hubspot.deals"]["rows"]}
    deals["9000002"] |= {"closedate": "2025-05-20T09:00:00Z", "dealstage": "closedwon",
                         "hs_is_closed_won": True, "hs_is_closed": True,
                         "updated_at": "2025-05-20T09:00:00Z",
                         "hs_lastmodifieddate": "2025-05-20T09:00:00Z"}  # fmt: skip
    deals["9000003"] |= {"closedate": "2025-04-04T15:00:00Z", "dealstage": "closedwon",
                         "hs_is_closed_won": True, "hs_is_closed": True,
                         "updated_at": "2025-04-04T15:00:00Z",
                         "hs_lastmodifieddate": "2025-04-04T15:00:00Z"}  # fmt: skip
    tables["raw_hubspot.deals"]["rows"] += [
        _deal("9000004", "Acme - add-on", "3000.00",
              "2025-03-22T12:00:00Z", "2025-03-22T18:00:00Z", won=True),
        _deal("9000005", "Acme - pilot", "400.00",
              "2025-03-24T12:00:00Z", "2025-03-31T12:00:00Z", won=False),
        _deal("9000006", "Acme - renewal", "700.00",
              "2025-03-26T09:00:00Z", "2025-03-20T09:00:00Z", won=True),
        _deal("9000007", "Acme - training", "900.00", "2025-03-28T15:00:00Z", None, won=False),
    ]  # fmt: skip
    tables["raw_hubspot.deal_contacts"]["rows"] += [
        _contact_link("9000003", DEE), _contact_link("9000004", ANN),
        _contact_link("9000005", ANN), _contact_link("9000006", BOB),
        _contact_link("9000007", CY),
    ]  # fmt: skip
    return tables


# --- Postgres: the same raw tables, written with dlt's Postgres types --------------------------

#: DuckDB's type (as the fixture names it) -> the type dlt's Postgres destination creates
POSTGRES_TYPES = {"DOUBLE": "double precision", "JSON": "jsonb",
                  "TIMESTAMP WITH TIME ZONE": "timestamp with time zone"}  # fmt: skip


def write_postgres_tables(settings, tables: dict[str, dict]) -> None:
    with settings.connect() as con, con.cursor() as cursor:
        raw_tables.write_raw_tables(
            cursor.execute,
            tables,
            load_id=LOAD_ID,
            type_of=lambda kind: POSTGRES_TYPES.get(kind, kind.lower()),
            placeholder="%s",
        )
        con.commit()


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(request, tmp_path_factory):
    """A function reading a relation of the velocity world built with gross_margin 0.6."""
    target = request.param
    workdir: Path = tmp_path_factory.mktemp(f"hand-worked-velocity-{target}")
    vars = {"gross_margin": GROSS_MARGIN}
    if target == "duckdb":
        write_raw_tables(workdir / "warehouse.duckdb", velocity_world())
        dbt(workdir, "build", *WITHOUT_UNIT_TESTS, vars=vars)
        yield lambda relation: read_duckdb(workdir, relation)
        return
    from tests.support.postgres import postgres_for_test
    from tests.support.postgres import read_table as read_postgres

    with postgres_for_test("the hand-worked velocity world") as settings:
        write_postgres_tables(settings, velocity_world())
        dbt(workdir, "build", *WITHOUT_UNIT_TESTS, vars=vars, target="postgres",
            extra_env=settings.env())  # fmt: skip
        yield lambda relation: read_postgres(settings, relation)


def velocity_row(channel: str, counts: tuple, won_revenue: float, days: list[float]) -> dict:
    """A velocity row from its counts (opportunities, closed, won, lost), won revenue and the
    won deals' days to close; the ratios are written out beside each call below too."""
    opportunities, closed, won, lost = counts
    days = sorted(days)
    middle = len(days) // 2
    median = (days[middle - 1] + days[middle]) / 2 if len(days) % 2 == 0 else days[middle]
    return {"month": MARCH, "channel": channel, "is_month_total": channel == "all",
            "opportunities": opportunities, "closed_opportunities": closed,
            "won_opportunities": won, "lost_opportunities": lost, "won_revenue": won_revenue,
            "median_days_to_close_won": median,
            "avg_days_to_close_won": sum(days) / len(days)}  # fmt: skip


def test_opportunity_velocity_monthly(built):
    expected = [
        # paid_search: 9000001 won 1100 in 7 days, 9000004 won 3000 in 0.25, 9000005 lost.
        # win rate 2 / 3; avg won 4100 / 2 = 2050; median = mean of two = (7 + 0.25) / 2 =
        # 3.625; velocity 3 x 2/3 x 2050 / 3.625 = 4100 / 3.625 = 1131.03...
        velocity_row("paid_search", (3, 3, 2, 1), 4100.0, [7.0, 0.25])
        | {"win_rate": 2 / 3, "avg_won_amount": 2050.0, "pipeline_velocity": 4100 / 3.625},
        # partner: 9000002 won 5000 in 60 days; 9000006 (closed before created) left out:
        # velocity 1 x 1 x 5000 / 60 = 83.33...
        velocity_row("partner", (1, 1, 1, 0), 5000.0, [60.0])
        | {"win_rate": 1.0, "avg_won_amount": 5000.0, "pipeline_velocity": 5000 / 60},
        # referral: 9000003 won 2000 in 10 days, 9000007 open: win rate 1 / 1;
        # velocity 2 x 1 x 2000 / 10 = 400
        velocity_row("referral", (2, 1, 1, 0), 2000.0, [10.0])
        | {"win_rate": 1.0, "avg_won_amount": 2000.0, "pipeline_velocity": 400.0},
        # the month: 6 opportunities, 5 closed, 4 won (an even count), 1 lost; won revenue
        # 1100 + 3000 + 5000 + 2000 = 11100; win rate 4 / 5 = 0.8; avg won 11100 / 4 = 2775;
        # days 0.25, 7, 10, 60: median (7 + 10) / 2 = 8.5, mean 77.25 / 4 = 19.3125;
        # velocity 6 x 0.8 x 2775 / 19.3125 = 13320 / 19.3125 = 689.71...
        velocity_row("all", (6, 5, 4, 1), 11100.0, [0.25, 7.0, 10.0, 60.0])
        | {"win_rate": 0.8, "avg_won_amount": 2775.0, "pipeline_velocity": 13320 / 19.3125},
    ]
    assert expected[3]["median_days_to_close_won"] == 8.5  # the hand arithmetic, checked
    assert expected[3]["avg_days_to_close_won"] == 19.3125
    assert_rows_equal(built("certified.opportunity_velocity_monthly"), expected,
                      ("month", "channel"), table="opportunity_velocity_monthly")  # fmt: skip


def booking_row(month: date, channel: str, booked: tuple, median: float | None) -> dict:
    leads, people, opportunities, bookings = booked
    return {"cohort_month": month, "channel": channel, "leads": leads,
            "booked_people": people, "booked_opportunities": opportunities,
            "bookings": bookings, "lead_to_booking_rate": people / leads,
            "median_days_lead_to_booking": median}  # fmt: skip


def test_lead_to_booking_monthly(built):
    expected = [
        # February paid_search: Dee (lead 02-26 10:00). 9000003's earliest-lead person is
        # Dee: its booking (2000) is hers, though its sourced channel is Cy's referral;
        # days: 04-04 15:00 - 02-26 10:00 = 2 (to 02-28) + 31 (March) + 4 days, + 5 h = 37 5/24
        booking_row(FEBRUARY, "paid_search", (1, 1, 1, 2000.0), 37 + 5 * HOUR),
        # March paid_search: Ann (lead 03-06 12:00) alone now; 9000001 (closed 03-27 12:00:
        # 21 days) and 9000004 (03-22 18:00: 16.25 days): bookings 1100 + 3000 = 4100;
        # median of two (21 + 16.25) / 2 = 18.625. The lost 9000005 books nothing.
        booking_row(MARCH, "paid_search", (1, 1, 2, 4100.0), 18.625),
        # March organic_search: Bob (lead 03-07 09:00): 9000002 (05-20 09:00: 24 + 30 + 20 =
        # 74 days) and 9000006, closed before it was created but a booking all the same
        # (03-20 09:00: 13 days): 5000 + 700 = 5700; median (74 + 13) / 2 = 43.5
        booking_row(MARCH, "organic_search", (1, 1, 2, 5700.0), 43.5),
        # March referral: Cy is a person of the won 9000003 (booked), but the booking is
        # Dee's cohort's: 1 booked person, 0 booked opportunities, no median
        booking_row(MARCH, "referral", (1, 1, 0, 0.0), None),
    ]
    assert_rows_equal(built("certified.lead_to_booking_monthly"), expected,
                      ("cohort_month", "channel"), table="lead_to_booking_monthly")  # fmt: skip


def test_pipeline_monthly_keeps_the_close_before_creation(built):
    # 7 deals: 1100 + 5000 + 2000 + 3000 + 400 + 700 + 900 = 13100; won: 1100 + 5000 + 2000 +
    # 3000 + 700 (9000006, closed before created, still won) = 11800 over 5 deals. Every first
    # eligible touch is in a marketing channel: all sourced and all influenced.
    expected = [{
        "month": MARCH, "opportunities": 7, "pipeline": 13100.0,
        "won_opportunities": 5, "won_revenue": 11800.0,
        "sourced_opportunities": 7, "sourced_pipeline": 13100.0, "sourced_won_revenue": 11800.0,
        "influenced_opportunities": 7, "influenced_pipeline": 13100.0,
        "influenced_won_revenue": 11800.0,
    }]  # fmt: skip
    assert_rows_equal(built("certified.pipeline_monthly"), expected, ("month",),
                      table="pipeline_monthly")  # fmt: skip


def test_the_close_before_creation_is_listed_as_a_warning(built):
    listed = [
        (r["source"], r["table_name"], r["record_id"], r["severity"])
        for r in built("quarantine.quarantine_records")
        if r["rule"] == "close_after_creation"
    ]
    assert listed == [("hubspot", "deals", "9000006", "warning")]


def romi_row(month: date, key: str, spend: float, won: float, dimension: str) -> dict:
    return {"month": month, dimension: key, "spend": spend, "attributed_won_revenue": won,
            "gross_margin": GROSS_MARGIN,
            "romi": None if spend == 0 else (won * GROSS_MARGIN - spend) / spend}  # fmt: skip


#: the cost-per-stage rows' ROMI inputs, by dimension, each worked beside it
ROMI_EXPECTED = {
    "channel": [
        # paid_search: spend 226.2 (test_hand_worked.py); position-based won revenue: half of
        # 9000001's 1100 (touch 1001 of two) + half of 9000004's 3000 = 550 + 1500 = 2050;
        # romi = (2050 x 0.6 - 226.2) / 226.2 = (1230 - 226.2) / 226.2 = 4.4377...
        (MARCH, "paid_search", 226.2, 2050.0),
        # no spend: romi null. email: Ann's touch 1002, the other halves: 2050
        (MARCH, "email", 0.0, 2050.0),
        # partner: Bob's one touch: all of 9000002 (5000) and 9000006 (700)
        (MARCH, "partner", 0.0, 5700.0),
        # referral and organic_search: half each of 9000003's 2000 (Cy's tied touches)
        (MARCH, "referral", 0.0, 1000.0),
        (MARCH, "organic_search", 0.0, 1000.0),
        # February: Dee's lead, no spend, nothing won
        (FEBRUARY, "paid_search", 0.0, 0.0),
    ],
    "campaign_key": [
        # the US campaign (touch 1001): 150 spent, 2050 won: (1230 - 150) / 150 = 7.2
        (MARCH, "google_ads:501", 150.0, 2050.0),
        # the EU campaign: 76.2 spent, nothing won: (0 - 76.2) / 76.2 = -1
        (MARCH, "google_ads:502", 76.2, 0.0),
        (MARCH, "march_newsletter", 0.0, 2050.0),
        (MARCH, "partner_spring", 0.0, 5700.0),
        # (none): Cy's touches 999 and 1000 carry no campaign: all of 9000003's 2000
        (MARCH, "(none)", 0.0, 2000.0),
        # February: Dee (no touch: no original campaign)
        (FEBRUARY, "(none)", 0.0, 0.0),
    ],
}
#: the hand arithmetic above, checked: (dimension, key) -> romi
ROMI_WORKED = {("channel", "paid_search"): 1003.8 / 226.2, ("campaign_key", "google_ads:501"): 7.2,
               ("campaign_key", "google_ads:502"): -1.0}  # fmt: skip


@pytest.mark.parametrize("dimension", ["channel", "campaign_key"])
def test_romi_at_a_gross_margin_of_0_6(built, dimension):
    expected = [romi_row(month, key, spend, won, dimension)
                for month, key, spend, won in ROMI_EXPECTED[dimension]]  # fmt: skip
    for (dim, key), romi in ROMI_WORKED.items():
        if dim == dimension:
            assert next(r["romi"] for r in expected if r[dim] == key) == pytest.approx(romi)
    table = "cost_per_stage_channel_monthly" if dimension == "channel" else (
        "cost_per_stage_campaign_monthly")  # fmt: skip
    actual = [{k: r[k] for k in expected[0]} for r in built(f"certified.{table}")]
    assert_rows_equal(actual, expected, ("month", dimension), table=table)
