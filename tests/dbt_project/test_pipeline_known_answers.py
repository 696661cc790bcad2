"""Known answers for pipeline and attribution: dbt's pipeline and cost-per-stage tables on
sandbox worlds equal the ground truth of ``sandbox/truth.py``; every opportunity's
credits equal the truth's in every model; for every model, attributed pipeline summed over
channels equals total pipeline; the same holds with every setting changed."""

from __future__ import annotations

import math
import shutil
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest

from sandbox.truth import TABLES, Settings, compute_truth, iter_truth
from sandbox.truth_attribution import MODELS
from tests.dbt_project.worlds import KNOWN_ANSWER_WORLDS as WORLDS
from tests.dbt_project.worlds import world_id
from tests.support.pipeline import WITHOUT_UNIT_TESTS, assert_rows_equal, dbt, read_table
from warehouse.sources import registry

PIPELINE_TABLES = (
    "pipeline_attribution_monthly",
    "opportunity_attribution",
    "marketing_pipeline_monthly",
    "pipeline_monthly",
    "cost_per_stage_channel_monthly",
    "cost_per_stage_campaign_monthly",
)


@pytest.fixture(scope="module", params=WORLDS, ids=world_id)
def warehouse(request, built_warehouse):
    return built_warehouse(**request.param)


@pytest.mark.parametrize("table", PIPELINE_TABLES)
def test_pipeline_table_equals_the_ground_truth(warehouse, table):
    expected = warehouse.truth.table(table)
    assert expected, f"the world has no {table} rows: the comparison would prove nothing"
    grain = TABLES[table][0]
    assert_rows_equal(warehouse.table(f"certified.{table}"), expected, grain, table=table)


def test_the_drill_down_names_no_person(warehouse):
    """opportunity_attribution names an opportunity by its id only: no person, email or deal
    name reaches it (the world's people and deal names are the independent list to look for)."""
    rows = warehouse.table("certified.opportunity_attribution")
    assert rows and set(rows[0]) == {c for c, _ in TABLES["opportunity_attribution"][1]}
    text = {str(v) for r in rows for v in r.values() if isinstance(v, str)}
    assert not [t for t in text if "@" in t], "an email address in the drill-down table"
    deals = {d.name for d in warehouse.world.deals()}
    assert deals and not (text & deals), "a deal's name in the drill-down table"


def test_every_opportunitys_credits_equal_the_ground_truth(warehouse):
    expected = {}
    for _, opportunity in iter_truth(warehouse.world):
        if opportunity is None:
            continue
        for c in opportunity.credits:
            key = (str(opportunity.opportunity_id), c.model, c.touch_id)
            expected[key] = {
                "credit": c.credit,
                "channel": c.channel,
                "campaign_key": c.campaign_key,
            }
    assert expected
    actual = [
        {k: r[k] for k in ("opportunity_id", "attribution_model", "touchpoint_id", "credit",
                           "channel", "campaign_key")}
        for r in warehouse.table("marts.fct_attribution_credits")
    ]  # fmt: skip
    assert_rows_equal(
        actual,
        [
            {"opportunity_id": o, "attribution_model": m, "touchpoint_id": t, **v}
            for (o, m, t), v in expected.items()
        ],
        ("opportunity_id", "attribution_model", "touchpoint_id"),
        table="fct_attribution_credits",
    )


def test_attributed_pipeline_over_channels_equals_total_pipeline_in_every_model(warehouse):
    total = {r["month"]: r["pipeline"] for r in warehouse.table("certified.pipeline_monthly")}
    attributed: dict[tuple, float] = defaultdict(float)
    for r in warehouse.table("certified.pipeline_attribution_monthly"):
        attributed[(r["month"], r["attribution_model"])] += r["attributed_pipeline"]
    assert {m for m, _ in attributed} == set(total)
    for month, pipeline in total.items():
        for model in MODELS:
            got = attributed.get((month, model), 0.0)
            assert math.isclose(got, pipeline, rel_tol=1e-9, abs_tol=1e-6), (month, model)


def settings_row(settings: Settings, world) -> dict:
    """The row ``certified.warehouse_settings`` must hold for a build with ``settings`` of
    ``world``: METRICS.md's settings as the test set them, the FX source's base (EUR, the
    sandbox's rates API), every system of the world in the registry's order."""
    return {
        "reporting_currency": settings.reporting_currency,
        "reporting_timezone": settings.reporting_timezone,
        "fx_base_currency": "EUR",
        "attribution_lookback_days": settings.attribution_lookback_days,
        "time_decay_half_life_days": settings.time_decay_half_life_days,
        "default_attribution_model": settings.default_attribution_model,
        "gross_margin": settings.gross_margin,
        "enabled_sources": ",".join(n for n in registry() if n in world.system_names),
    }


def test_settings_table_holds_the_defaults(warehouse):
    """A build with dbt_project.yml as it ships records METRICS.md's default settings."""
    assert warehouse.table("certified.warehouse_settings") == [
        settings_row(Settings(), warehouse.world)
    ]


def test_non_default_settings_equal_the_ground_truth(built_warehouse, tmp_path):
    """Every setting changed at once (EUR through the FX base, a non-UTC reporting zone, a
    shorter lookback and half-life, another default model, another gross margin): still the
    ground truth, velocity and lead to booking included."""
    warehouse = built_warehouse(**WORLDS[0])
    shutil.copy(warehouse.workdir / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    settings = Settings(
        reporting_currency="EUR",
        reporting_timezone="America/New_York",
        attribution_lookback_days=30,
        time_decay_half_life_days=3,
        default_attribution_model="w_shaped",
        gross_margin=0.6,
    )
    dbt(
        tmp_path,
        "build",
        *WITHOUT_UNIT_TESTS,
        vars={
            "reporting_currency": settings.reporting_currency,
            "reporting_timezone": settings.reporting_timezone,
            "attribution_lookback_days": 30,
            "time_decay_half_life_days": 3,
            "default_attribution_model": settings.default_attribution_model,
            "gross_margin": settings.gross_margin,
        },
    )
    assert read_table(tmp_path, "certified.warehouse_settings") == [
        settings_row(settings, warehouse.world)
    ]
    # the incremental marts that write a date of each instant wrote it again in the new zone
    zone = ZoneInfo(settings.reporting_timezone)
    for relation, instant, day in (
        ("marts.fct_touchpoints", "touched_at", "touched_date"),
        ("marts.fct_stage_entries", "entered_at", "entered_date"),
    ):
        rows = read_table(tmp_path, relation)
        assert rows, f"{relation} is empty"
        wrong = [r for r in rows if r[instant].astimezone(zone).date() != r[day]]
        assert not wrong, f"{relation}: {len(wrong)} of {len(rows)} dates not in {zone}: {wrong[0]}"
    truth = compute_truth(warehouse.world, settings)
    for table in (
        *PIPELINE_TABLES,
        "spend_daily",
        "budget_vs_actual_monthly",
        "opportunity_velocity_monthly",
        "lead_to_booking_monthly",
    ):
        assert_rows_equal(
            read_table(tmp_path, f"certified.{table}"),
            truth.table(table),
            TABLES[table][0],
            table=table,
        )
