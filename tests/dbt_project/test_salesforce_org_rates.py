"""The documented option to convert Salesforce amounts with the org's own rates
(`salesforce_conversion_rates: dated_conversion_rate`, docs/salesforce.md).

On a copy of the Salesforce known-answer warehouse, the opportunities are rebuilt with the
option on. Every opportunity's amount in the reporting currency must equal its amount divided
by the org's rate for its currency and multiplied by the org's rate for the reporting currency,
both in force on its creation date. The answer is computed here from the world: the sandbox org's
rates are the FX feed's published days as units per one USD (its corporate currency), kept to 6
decimals as Salesforce keeps them (``docs/salesforce.md``, the sandbox). Without a rate for a
currency, the build fails on the amount's test instead of passing a null amount on as 0.
"""

from __future__ import annotations

import bisect
import math
import shutil

import duckdb
import pytest

from sandbox.apis._salesforce_records import opportunity_id
from sandbox.world import REPORTING_CURRENCY
from tests.dbt_project.worlds import KNOWN_ANSWER_WORLDS
from tests.support.pipeline import WITHOUT_UNIT_TESTS, dbt
from warehouse.sources import dbt_vars

SALESFORCE_WORLD = next(w for w in KNOWN_ANSWER_WORLDS if w.get("crm") == "salesforce")
OPTION = {"salesforce_conversion_rates": "dated_conversion_rate"}
MODELS = "stg_salesforce__opportunities int_opportunities_converted"


def org_rates(world) -> dict[str, tuple[list, list]]:
    """Per currency: (published days, units per one USD to 6 decimals), from the world's FX
    rates (units per one EUR)."""
    per_day: dict = {}
    for rate in world.fx_rates():
        per_day.setdefault(rate.day, {"EUR": 1.0})[rate.currency] = rate.rate
    out: dict[str, tuple[list, list]] = {}
    for day in sorted(per_day):
        usd = per_day[day]["USD"]
        for currency, per_eur in per_day[day].items():
            days, values = out.setdefault(currency, ([], []))
            days.append(day)
            values.append(round(per_eur / usd, 6))
    return out


@pytest.fixture(scope="module")
def rebuilt(built_warehouse, tmp_path_factory):
    built = built_warehouse(**SALESFORCE_WORLD)
    workdir = tmp_path_factory.mktemp("org-rates")
    shutil.copyfile(built.workdir / "warehouse.duckdb", workdir / "warehouse.duckdb")
    variables = {**dbt_vars(list(built.world.system_names)), **OPTION}
    dbt(workdir, "build", *WITHOUT_UNIT_TESTS, "--select", MODELS, vars=variables)
    return built.world, workdir, variables


def test_amounts_are_converted_by_the_orgs_dated_rates(rebuilt):
    world, workdir, _ = rebuilt
    assert REPORTING_CURRENCY == "USD"  # the sandbox org's corporate currency
    rates = org_rates(world)
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        got = dict(
            con.execute(
                "select opportunity_id, amount_reporting"
                " from intermediate.int_opportunities_converted"
            ).fetchall()
        )
    now = world.now
    checked = foreign = 0
    for deal in world.deals():
        if deal.created_at >= now:
            continue
        amount = deal.amount_as_of(now)
        day = deal.created_at.date()  # reporting time zone UTC
        if deal.currency == "USD":
            want = amount
        else:
            days, values = rates[deal.currency]
            want = amount / values[bisect.bisect_right(days, day) - 1]
            foreign += 1
        assert math.isclose(got[opportunity_id(deal.deal_id)], want, rel_tol=1e-12), deal.deal_id
        checked += 1
    assert checked == len(got) and foreign > 3, (checked, foreign)


def test_an_amount_without_an_org_rate_fails_the_build(rebuilt, tmp_path):
    _, workdir, variables = rebuilt
    shutil.copyfile(workdir / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("delete from raw_salesforce.dated_conversion_rates where iso_code = 'EUR'")
    with pytest.raises(AssertionError) as failed:
        dbt(tmp_path, "build", *WITHOUT_UNIT_TESTS, "--select", MODELS, vars=variables)
    assert "not_null_stg_salesforce__opportunities_amount" in str(failed.value)
