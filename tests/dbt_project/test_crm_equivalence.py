"""One organisation, two CRMs: the same world loaded through HubSpot + Marketo + the ad platforms
and through Salesforce + Marketo + the ad platforms gives the same certified tables, row for
row (counts and text exactly, money to 1e-6). The only differences allowed are the name the CRM
gives an opportunity (a HubSpot deal id there, a Salesforce Opportunity Id here, paired through
the world's deals), the CRM named among the enabled sources in `warehouse_settings`, and what
METRICS.md derives from the close instant: HubSpot's `closedate` is the instant, Salesforce's
`CloseDate` a date taken as its midnight in the reporting time zone (UTC here), so a Salesforce
close comes at most a day earlier. Those columns are held to that here, and to the ground truth
(which takes Salesforce's close the same way) by the known-answer tests of the Salesforce world."""

from __future__ import annotations

import math

import duckdb
import pytest

from sandbox.apis._salesforce_records import opportunity_id as salesforce_opportunity_id
from tests.dbt_project.worlds import KNOWN_ANSWER_WORLDS

HUBSPOT_WORLD = KNOWN_ANSWER_WORLDS[0]
SALESFORCE_WORLD = {**HUBSPOT_WORLD, "crm": "salesforce"}
assert SALESFORCE_WORLD in KNOWN_ANSWER_WORLDS  # built once for the known answers too


def certified_relations(workdir) -> list[str]:
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        return sorted(
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'certified'"
            ).fetchall()
        )


#: days from a close instant (METRICS.md: a Salesforce close is the start of its close day)
CLOSE_DAYS = {
    "median_days_to_close_won", "avg_days_to_close_won", "median_days_lead_to_booking",
}  # fmt: skip
#: a function of the days to close: compared with nothing but the truth
CLOSE_DERIVED = {"pipeline_velocity"}


def normalized(
    rows: list[dict], ids: dict[str, str], leave_out: frozenset[str] = frozenset()
) -> list[tuple[tuple, tuple]]:
    """Each row as (its values but floats, its floats), opportunity ids paired, sorted."""
    out = []
    for row in rows:
        exact, floats = [], []
        for column, value in sorted(row.items()):
            if column in leave_out:
                continue
            if hasattr(value, "is_finite"):  # Decimal
                value = float(value)
            if column == "opportunity_id" and value is not None:
                value = ids.get(str(value), f"unpaired:{value}")
            (floats if isinstance(value, float) else exact).append((column, value))
        out.append((tuple(exact), tuple(floats)))
    return sorted(out, key=repr)


def same(want: list[tuple[tuple, tuple]], got: list[tuple[tuple, tuple]]) -> bool:
    """Same rows: every value but floats exactly, floats to 1e-6."""
    if len(want) != len(got):
        return False
    for (w_exact, w_floats), (g_exact, g_floats) in zip(want, got, strict=True):
        if w_exact != g_exact or [c for c, _ in w_floats] != [c for c, _ in g_floats]:
            return False
        for (_, w), (_, g) in zip(w_floats, g_floats, strict=True):
            if not math.isclose(w, g, rel_tol=1e-9, abs_tol=1e-6):
                return False
    return True


@pytest.fixture(scope="module")
def both(built_warehouse):
    return built_warehouse(**HUBSPOT_WORLD), built_warehouse(**SALESFORCE_WORLD)


def test_both_crms_give_the_same_certified_tables(both):
    hubspot, salesforce = both
    relations = certified_relations(hubspot.workdir)
    assert relations == certified_relations(salesforce.workdir)
    assert "opportunity_attribution" in relations and "funnel_daily" in relations
    deals = {str(d.deal_id): str(d.deal_id) for d in hubspot.world.deals()}
    opportunities = {
        salesforce_opportunity_id(d.deal_id): str(d.deal_id) for d in salesforce.world.deals()
    }
    differ = []
    for relation in relations:
        want = normalized(hubspot.table(f"certified.{relation}"), deals)
        rows = salesforce.table(f"certified.{relation}")
        if relation == "warehouse_settings":  # says which sources ran: the other CRM
            assert rows[0]["enabled_sources"].startswith("salesforce,")
            rows = [
                {**r, "enabled_sources": r["enabled_sources"].replace("salesforce", "hubspot")}
                for r in rows
            ]
        got = normalized(rows, opportunities)
        assert want, f"certified.{relation} is empty: the comparison would prove nothing"
        if CLOSE_DAYS & set(rows[0]):
            close_days_earlier_by_less_than_a_day(
                hubspot.table(f"certified.{relation}"), rows, deals, opportunities
            )
            leave_out = frozenset(CLOSE_DAYS | CLOSE_DERIVED)
            want = normalized(hubspot.table(f"certified.{relation}"), deals, leave_out)
            got = normalized(rows, opportunities, leave_out)
        if not same(want, got):
            missing = [r for r in want if r not in got][:2]
            extra = [r for r in got if r not in want][:2]
            differ.append(f"{relation}: {len(want)} vs {len(got)} rows; {missing} / {extra}")
    assert not differ, "\n".join(differ)


def close_days_earlier_by_less_than_a_day(hubspot_rows, salesforce_rows, deals, opportunities):
    """Every day count from a close: Salesforce's within (HubSpot's - 1, HubSpot's], row by row
    (the rows paired by every column that is not a float)."""
    columns = sorted(CLOSE_DAYS & set(hubspot_rows[0]))

    def keyed(rows, ids):
        return {
            exact: dict(floats) for exact, floats in normalized(rows, ids, frozenset(CLOSE_DERIVED))
        }

    want, got = keyed(hubspot_rows, deals), keyed(salesforce_rows, opportunities)
    assert want.keys() == got.keys()
    compared = 0
    for key, floats in want.items():
        for column in columns:
            h, s = floats.get(column), got[key].get(column)
            assert (h is None) == (s is None), (key, column, h, s)
            if h is not None:
                assert h - 1 < s <= h + 1e-9, (key, column, h, s)
                compared += 1
    assert compared, "no close to compare: the check would prove nothing"
