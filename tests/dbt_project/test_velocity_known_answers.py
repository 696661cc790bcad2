"""Known answers for revenue velocity, lead to booking and ROMI: dbt's
opportunity_velocity_monthly and lead_to_booking_monthly on sandbox worlds equal the ground truth
of ``sandbox/truth.py`` (counts exactly, money, rates, means and medians to 1e-6), every
opportunity's close and earliest-lead person equal the truth's, and a deal the CRM serves as
closed before its creation is listed in the quarantine and left out of velocity only. ROMI is
compared with the other cost-per-stage columns (test_pipeline_known_answers.py), at the default
and at a non-default ``gross_margin``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sandbox.apis.hubspot import CLOSE_BEFORE_CREATION
from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.truth import TABLES, compute_truth, iter_truth
from sandbox.world import World
from tests.dbt_project.worlds import KNOWN_ANSWER_WORLDS as WORLDS
from tests.dbt_project.worlds import world_id
from tests.support.pipeline import (
    WITHOUT_UNIT_TESTS,
    assert_rows_equal,
    dbt,
    load_sources,
    read_table,
)

VELOCITY_TABLES = ("opportunity_velocity_monthly", "lead_to_booking_monthly")


@pytest.fixture(scope="module", params=WORLDS, ids=world_id)
def warehouse(request, built_warehouse):
    return built_warehouse(**request.param)


@pytest.mark.parametrize("table", VELOCITY_TABLES)
def test_velocity_table_equals_the_ground_truth(warehouse, table):
    expected = warehouse.truth.table(table)
    assert expected, f"the world has no {table} rows: the comparison would prove nothing"
    if table == "opportunity_velocity_monthly":  # the comparison covers the figures it must
        assert any(r["won_opportunities"] % 2 == 0 < r["won_opportunities"] for r in expected)
        assert any(r["pipeline_velocity"] is not None for r in expected)
    else:
        assert any(r["booked_opportunities"] for r in expected)
    grain = TABLES[table][0]
    assert_rows_equal(warehouse.table(f"certified.{table}"), expected, grain, table=table)


def _as_utc(value):
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def test_every_opportunitys_close_and_earliest_lead_person_equal_the_ground_truth(warehouse):
    expected = []
    for _, o in iter_truth(warehouse.world):
        if o is None:
            continue
        expected.append(
            {
                "opportunity_id": str(o.opportunity_id),
                "is_closed": o.is_closed,
                "is_won": o.is_won,
                "is_lost": o.is_closed and not o.is_won,
                "closed_at": o.closed_at,
                "days_to_close": o.days_to_close,
                "first_touch_channel": o.sourced_channel,
                "lead_person_id": o.lead_person_id,
                "lead_at": o.lead_at,
                "lead_channel": o.lead_channel,
            }
        )
    assert any(r["is_lost"] for r in expected) and any(not r["is_closed"] for r in expected)
    actual = [
        {k: _as_utc(r[k]) for k in expected[0]} for r in warehouse.table("marts.fct_opportunities")
    ]
    assert_rows_equal(actual, expected, ("opportunity_id",), table="fct_opportunities")


def test_a_close_before_creation_is_listed_and_left_out_of_velocity_only(tmp_path):
    """HubSpot serves one closed deal with its close two days before its creation: the deal is
    listed in the quarantine (rule close_after_creation, warning) and stays in the models; the
    certified tables equal the truth of what was served: the deal is in pipeline and lead to
    booking, and in no column of velocity."""
    world = World(seed=3, scale=300)
    faults = FaultPlan(bad_records=frozenset({"close_before_creation"}))
    with SandboxServer(world, faults=faults) as server:
        bad = [b for b in server.bad_records() if b.kind == "close_before_creation"]
        load_sources(server, tmp_path)
    assert len(bad) == 1
    deal_id = int(bad[0].record_id)
    deal = next(d for d in world.deals() if d.deal_id == deal_id)
    dbt(tmp_path, "build", *WITHOUT_UNIT_TESTS)

    listed = read_table(tmp_path, "quarantine.quarantine_records")
    assert [
        (r["source"], r["table_name"], r["record_id"], r["severity"], r["action"])
        for r in listed
        if r["rule"] == "close_after_creation"
    ] == [("hubspot", "deals", str(deal_id), "warning", "corrected")]
    opportunity = [
        r for r in read_table(tmp_path, "marts.fct_opportunities")
        if r["opportunity_id"] == str(deal_id)
    ]  # fmt: skip
    assert len(opportunity) == 1 and opportunity[0]["closes_before_creation"]

    served = deal.created_at - CLOSE_BEFORE_CREATION
    truth = compute_truth(world, served_closes={deal_id: served})
    clean = compute_truth(world)
    for table in ("pipeline_monthly", *VELOCITY_TABLES):
        assert_rows_equal(
            read_table(tmp_path, f"certified.{table}"),
            truth.table(table),
            TABLES[table][0],
            table=table,
        )
    # the served close changes velocity (the deal is left out) and nothing else
    assert truth.table("pipeline_monthly") == clean.table("pipeline_monthly")
    assert truth.table("opportunity_velocity_monthly") != clean.table(
        "opportunity_velocity_monthly"
    )
