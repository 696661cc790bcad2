"""The ground truth: attribution by hand, hand-built people, and invariants over a few worlds."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from sandbox.rules import CANONICAL_STAGES, Settings
from sandbox.truth import (
    TABLES,
    FxTable,
    MissingFxRate,
    compute_truth,
    iter_truth,
    make_person_id,
    spend_rows,
    write_truth,
)
from sandbox.truth_attribution import MODELS, attribute
from sandbox.world import (
    Company,
    CompanyBundle,
    Deal,
    DuplicateContact,
    FxRate,
    Person,
    StatusChange,
    Touch,
    World,
    default_systems,
)

T = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SETTINGS = Settings(budget_path=None)


def credits_by_model(touches, created_at=T, lead_at=None, settings=SETTINGS):
    out: dict[str, dict] = defaultdict(dict)
    for c in attribute(touches, created_at, lead_at, settings):
        out[c.model][c.touch_id] = c.credit
    return out


def approx(values):
    return pytest.approx(values, abs=1e-12)


# --- attribution by hand ------------------------------------------------------------------------


def test_worked_example():
    touches = [
        ("A", T - 14 * DAY, "paid_search", "g:1"),
        ("B", T - 7 * DAY, "email", "marketo:1"),
        ("C", T, "events", "marketo:2"),
    ]
    got = credits_by_model(touches, lead_at=T - 7 * DAY)
    expected = {
        "first_touch": (1, 0, 0),
        "last_touch": (0, 0, 1),
        "linear": (1 / 3, 1 / 3, 1 / 3),
        "position_based": (0.4, 0.2, 0.4),
        "w_shaped": (1 / 3, 1 / 3, 1 / 3),
        "time_decay": (1 / 7, 2 / 7, 4 / 7),
    }
    assert set(got) == set(MODELS)
    for model, values in expected.items():
        assert [got[model][k] for k in "ABC"] == approx(list(values)), model


def test_one_touch_gets_everything():
    got = credits_by_model([("A", T - 3 * DAY, "email", "x")], lead_at=T - 10 * DAY)
    for model in MODELS:
        assert got[model] == {"A": pytest.approx(1.0)}


def test_two_touches():
    touches = [("A", T - 2 * DAY, "email", "x"), ("B", T - DAY, "display", "y")]
    got = credits_by_model(touches, lead_at=T - 2 * DAY)  # lead touch: A
    assert got["first_touch"] == {"A": 1.0, "B": 0.0}
    assert got["last_touch"] == {"A": 0.0, "B": 1.0}
    assert got["linear"] == {"A": 0.5, "B": 0.5}
    assert got["position_based"] == {"A": 0.5, "B": 0.5}
    # A holds first + lead (0.6), B last (0.3); no role-less touch: 0.1 over the 2 holders
    assert [got["w_shaped"][k] for k in "AB"] == approx([0.65, 0.35])
    wa, wb = 2 ** (-2 / 7), 2 ** (-1 / 7)
    assert [got["time_decay"][k] for k in "AB"] == approx([wa / (wa + wb), wb / (wa + wb)])
    # lead after both touches: the lead touch is B
    got = credits_by_model(touches, lead_at=T)
    assert [got["w_shaped"][k] for k in "AB"] == approx([0.35, 0.65])


def test_tied_times_are_ordered_by_touch_id():
    touches = [("b", T - DAY, "email", "x"), ("a", T - DAY, "display", "y")]
    got = credits_by_model(touches)
    assert got["first_touch"] == {"a": 1.0, "b": 0.0}
    assert got["last_touch"] == {"a": 0.0, "b": 1.0}
    assert got["time_decay"]["a"] == pytest.approx(0.5)


def test_w_shaped_roles():
    ts = [(f"t{i}", T - (10 - i) * DAY, "email", "x") for i in range(5)]
    # lead touch t2: roles t0, t2, t4 get 0.3; t1 and t3 share 0.1
    got = credits_by_model(ts, lead_at=T - 8 * DAY)
    assert [got["w_shaped"][f"t{i}"] for i in range(5)] == approx([0.3, 0.05, 0.3, 0.05, 0.3])
    # lead before every touch: the lead touch is t1 -> t0 holds two roles
    got = credits_by_model(ts, lead_at=T - 30 * DAY)
    assert [got["w_shaped"][f"t{i}"] for i in range(5)] == approx(
        [0.6, 0.1 / 3, 0.1 / 3, 0.1 / 3, 0.3]
    )
    # three touches, lead touch t0: the role-less t1 takes the whole 0.1
    got = credits_by_model(ts[:3], lead_at=T - 20 * DAY)
    assert [got["w_shaped"][f"t{i}"] for i in range(3)] == approx([0.6, 0.1, 0.3])
    got = credits_by_model(ts[:3], lead_at=None)
    assert [got["w_shaped"][f"t{i}"] for i in range(3)] == approx([0.6, 0.1, 0.3])
    # every touch holds a role, the last one two: 0.1 split over the 2 distinct holders
    got = credits_by_model(ts[3:], lead_at=T)
    assert [got["w_shaped"][f"t{i}"] for i in (3, 4)] == approx([0.35, 0.65])
    # position_based with a middle share
    got = credits_by_model(ts)
    assert [got["position_based"][f"t{i}"] for i in range(5)] == approx(
        [0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4]
    )


def test_lookback_window_and_unattributed():
    touches = [
        ("old", T - 90 * DAY - timedelta(seconds=1), "email", "x"),
        ("edge", T - 90 * DAY, "display", "y"),
        ("after", T + timedelta(seconds=1), "email", "x"),
    ]
    got = credits_by_model(touches)
    assert got["linear"] == {"edge": 1.0}
    got = credits_by_model(touches[:1] + touches[2:])
    for model in MODELS:
        assert got[model] == {None: 1.0}
    credits = attribute([], T, None, SETTINGS)
    assert {(c.model, c.channel, c.campaign_key, c.credit) for c in credits} == {
        (m, "unattributed", "(none)", 1.0) for m in MODELS
    }
    shorter = Settings(budget_path=None, attribution_lookback_days=30)
    assert credits_by_model(touches, settings=shorter)["linear"] == {None: 1.0}


def test_time_decay_half_life_setting():
    touches = [("A", T - 4 * DAY, "email", "x"), ("B", T, "email", "x")]
    got = credits_by_model(touches, settings=Settings(time_decay_half_life_days=4))
    assert [got["time_decay"][k] for k in "AB"] == approx([1 / 3, 2 / 3])


# --- FX ------------------------------------------------------------------------------------------


def test_fx_conversion_and_missing_rates():
    fx = FxTable(
        [
            FxRate(date(2025, 1, 2), "USD", 1.25),
            FxRate(date(2025, 1, 2), "GBP", 0.8),
            FxRate(date(2025, 1, 6), "USD", 1.0),
        ]
    )
    # latest rate on or before the day (the weekend uses Friday's)
    assert fx.convert(100, "EUR", date(2025, 1, 4), "USD") == pytest.approx(125)
    assert fx.convert(100, "GBP", date(2025, 1, 4), "USD") == pytest.approx(156.25)
    assert fx.convert(100, "GBP", date(2025, 1, 6), "USD") == pytest.approx(125)
    assert fx.convert(100, "USD", date(2020, 1, 1), "USD") == 100  # identity needs no rate
    with pytest.raises(MissingFxRate):
        fx.convert(100, "EUR", date(2025, 1, 1), "USD")  # before the first published rate
    with pytest.raises(MissingFxRate):
        fx.convert(100, "CHF", date(2025, 1, 6), "USD")


def test_missing_fx_rate_raises_for_a_world():
    w = World(3, 200)
    no_gbp = FxTable(r for r in w.fx_rates() if r.currency != "GBP")
    with pytest.raises(MissingFxRate):
        spend_rows(w, SETTINGS, no_gbp)
    with pytest.raises(MissingFxRate):
        list(iter_truth(w, Settings(budget_path=None, reporting_currency="JPY")))


# --- hand-built people ---------------------------------------------------------------------------


def _touch(aid, at, channel, campaign=None, program_id=None):
    return Touch(aid, at, "visit", channel, campaign, {}, program_id)


def _person(idx, created, *, email=True, touches=(), hubspot=None, marketo=(), source="X",
            duplicate=None, in_crm=True, in_marketo=True):  # fmt: skip
    mail = f"p.{idx}@example.com" if email else None
    return Person(
        idx=idx, company_idx=0, first_name="P", last_name=str(idx), email=mail,
        hubspot_email=mail.upper() if mail and in_crm else None,
        marketo_email=f"  {mail} " if mail and in_marketo else None,
        hubspot_id=100_001 + 2 * idx if in_crm and email else None,
        marketo_id=1 + idx if in_marketo else None, created_at=created, touches=tuple(touches),
        hubspot_stage_dates=dict(hubspot or {}), marketo_status_changes=tuple(marketo),
        hs_analytics_source=source, duplicate=duplicate,
    )  # fmt: skip


@dataclass
class FakeWorld:
    """Just enough of a World for compute_truth: hand-made bundles, no spend."""

    items: list
    now: datetime

    def bundles(self):
        return iter(self.items)

    def fx_rates(self):
        return iter([FxRate(date(2025, 1, 1), "USD", 1.1), FxRate(date(2025, 1, 1), "GBP", 0.9)])

    def all_ad_days(self):
        return iter([])

    def visible_programs(self):
        return ()

    ad_accounts = ()
    ad_campaigns = ()
    systems = default_systems()  # every registered system but one CRM, as a World's default
    single_currency = False


def _hand_world(now):
    d0 = datetime(2025, 2, 1, 9, tzinfo=UTC)
    # p0: paid search first touch; hubspot skips mql (implied), Marketo records it later
    p0 = _person(
        0, d0,
        touches=[_touch(5, d0 + 2 * DAY, "email", "marketo:1001", 1001),
                 _touch(2, d0, "paid_search", "google_ads:1"),
                 _touch(9, d0 + 60 * DAY, "email", "marketo:1002", 1002)],
        hubspot={"subscriber": d0, "lead": d0 + DAY, "salesqualifiedlead": d0 + 10 * DAY,
                 "opportunity": d0 + 20 * DAY},
        marketo=[StatusChange(51, d0, None, "New"),
                 StatusChange(52, d0 + 12 * DAY, "New", "Marketing Qualified")],
    )  # fmt: skip
    # p1: no email, Marketo only, one organic touch (tied with a later-id touch)
    d1 = datetime(2025, 2, 27, 23, tzinfo=UTC)
    p1 = _person(
        1, d1, email=False, in_crm=False,
        touches=[_touch(70, d1, "referral"), _touch(66, d1, "organic_search")],
        marketo=[StatusChange(115, d1, None, "New")],
    )  # fmt: skip
    # p2: CRM only, no touch, offline source; has a duplicate contact merged on day 40
    d2 = datetime(2025, 3, 1, 3, tzinfo=UTC)
    dup = DuplicateContact(555, "P.2@personal.example.org", d2 + 5 * DAY, d2 + 40 * DAY)
    p2 = _person(2, d2, in_marketo=False, hubspot={"lead": d2}, source="OFFLINE", duplicate=dup)
    # p3: created after now: invisible
    p3 = _person(3, now + DAY, touches=[_touch(200, now + DAY, "email")],
                 hubspot={"lead": now + DAY})  # fmt: skip
    deal = Deal(
        deal_id=9_000_001, company_idx=0, name="d", created_at=d0 + 20 * DAY, amount=1000.0,
        currency="EUR", contact_idxs=(0, 2), closed_at=None, is_won=False, revision=None,
        stage_path=((d0 + 20 * DAY, "appointmentscheduled"),),
    )  # fmt: skip
    company = Company(0, 5_000_001, "C", "c.example.com", "EUR", "DE", d0, d0)
    return FakeWorld([CompanyBundle(company, (p0, p1, p2, p3), deal)], now)


def test_hand_built_funnel_before_the_merge():
    now = datetime(2025, 3, 20, tzinfo=UTC)
    world = _hand_world(now)
    [(people, opp)] = list(iter_truth(world, SETTINGS))
    by_id = {p.person_id: p for p in people}
    p0 = by_id[make_person_id("p.0@example.com")]
    assert p0.entries["lead"] == datetime(2025, 2, 1, 9, tzinfo=UTC)
    assert p0.entries["mql"] == datetime(2025, 2, 11, 9, tzinfo=UTC)  # implied by sql < marketo
    assert p0.implied == frozenset()  # marketo holds its own mql entry
    assert (p0.original_channel, p0.original_campaign_key) == ("paid_search", "google_ads:1")
    assert p0.touch_count == 2  # the day-60 touch is after now
    p1 = by_id[make_person_id("marketo:2")]
    assert not p1.has_email
    assert p1.original_channel == "organic_search"  # tie broken by touchpoint id
    p2 = by_id[make_person_id("p.2@example.com")]
    assert p2.original_channel == "unknown"  # OFFLINE
    dup = by_id[make_person_id("p.2@personal.example.org")]
    assert dup.original_channel == "direct" and dup.implied == frozenset()
    assert len(people) == 4  # p3 is not visible yet

    assert opp is not None
    assert opp.person_ids == (p0.person_id, p2.person_id)
    assert opp.amount_reporting == pytest.approx(1100.0)
    linear = {c.touch_id: c.credit for c in opp.credits_of("linear")}
    assert linear == {"marketo-000000000000002": 0.5, "marketo-000000000000005": 0.5}

    truth = compute_truth(world, SETTINGS)
    daily = {(r["date"], r["channel"]): r for r in truth.table("funnel_daily")}
    assert daily[(date(2025, 2, 1), "paid_search")]["entered_lead"] == 1
    assert daily[(date(2025, 2, 11), "paid_search")]["entered_mql"] == 1
    assert daily[(date(2025, 2, 21), "paid_search")]["entered_opportunity"] == 1
    assert daily[(date(2025, 3, 6), "direct")]["entered_lead"] == 1
    assert sum(r["entered_lead"] for r in truth.table("funnel_daily")) == 4
    cohorts = {(r["cohort_month"], r["channel"]): r for r in truth.table("funnel_cohorts")}
    c = cohorts[(date(2025, 2, 1), "paid_search")]
    assert (c["leads"], c["reached_mql"], c["reached_sql"], c["reached_opportunity"]) == (
        1, 1, 1, 1)  # fmt: skip
    assert c["reached_customer"] == 0 and c["conv_opportunity_to_customer"] == 0.0
    assert c["median_days_lead_to_mql"] == 10.0 and c["median_days_lead_to_opportunity"] == 20
    assert cohorts[(date(2025, 2, 1), "organic_search")]["conv_lead_to_mql"] == 0.0
    assert cohorts[(date(2025, 2, 1), "organic_search")]["conv_mql_to_sql"] is None
    assert set(cohorts) == {
        (date(2025, 2, 1), "paid_search"),
        (date(2025, 2, 1), "organic_search"),
        (date(2025, 3, 1), "unknown"),
        (date(2025, 3, 1), "direct"),
    }
    pipe = {r["attribution_model"]: r for r in truth.table("pipeline_attribution_monthly")}
    assert pipe["first_touch"]["channel"] == "paid_search"
    [month] = truth.table("pipeline_monthly")
    assert (month["opportunities"], month["sourced_opportunities"]) == (1, 1)
    assert month["influenced_pipeline"] == pytest.approx(1100.0)


def test_hand_built_funnel_after_the_merge_and_in_another_time_zone():
    now = datetime(2025, 4, 20, tzinfo=UTC)
    world = _hand_world(now)
    [(people, _)] = list(iter_truth(world, SETTINGS))
    assert len(people) == 3  # the duplicate collapsed into p2
    p2 = next(p for p in people if p.person_id == make_person_id("p.2@example.com"))
    assert p2.hubspot_ids == (100_005, 555) and p2.original_channel == "unknown"

    la = Settings(budget_path=None, reporting_timezone="America/Los_Angeles")
    truth = compute_truth(world, la)
    daily = {(r["date"], r["channel"]): r for r in truth.table("funnel_daily")}
    # 2025-02-27 23:00 UTC is 15:00 the same day in LA; 2025-03-01 03:00 UTC is 28 February
    assert daily[(date(2025, 2, 27), "organic_search")]["entered_lead"] == 1
    assert daily[(date(2025, 2, 28), "unknown")]["entered_lead"] == 1
    cohorts = {(r["cohort_month"], r["channel"]) for r in truth.table("funnel_cohorts")}
    assert (date(2025, 2, 1), "unknown") in cohorts


# --- invariants over worlds ---------------------------------------------------------------------


@pytest.fixture(scope="module", params=[(7, 900, None), (8, 700, date(2025, 9, 1)), (9, 600, None)])
def world_truth(request):
    seed, scale, as_of = request.param
    world = World(seed, scale, as_of=as_of)
    people, opps = [], []
    truth = compute_truth(world, Settings(), on_person=people.append, on_opportunity=opps.append)
    return world, truth, people, opps


def test_credits_sum_to_one(world_truth):
    _, _, _, opps = world_truth
    assert len(opps) > 20
    for o in opps:
        for model in MODELS:
            credits = o.credits_of(model)
            assert credits and all(c.credit >= 0 for c in credits)
            assert math.fsum(c.credit for c in credits) == pytest.approx(1.0, abs=1e-9)


def test_attributed_pipeline_adds_up_to_total_pipeline(world_truth):
    _, truth, _, opps = world_truth
    total = defaultdict(float)
    won = defaultdict(float)
    for r in truth.table("pipeline_monthly"):
        total[r["month"]] = r["pipeline"]
        won[r["month"]] = r["won_revenue"]
    assert sum(r["opportunities"] for r in truth.table("pipeline_monthly")) == len(opps)
    attributed = defaultdict(float)
    attributed_won = defaultdict(float)
    count = defaultdict(float)
    for r in truth.table("pipeline_attribution_monthly"):
        key = (r["month"], r["attribution_model"])
        attributed[key] += r["attributed_pipeline"]
        attributed_won[key] += r["attributed_won_revenue"]
        count[key] += r["attributed_opportunities"]
    opps_per_month = defaultdict(int)
    for r in truth.table("pipeline_monthly"):
        opps_per_month[r["month"]] = r["opportunities"]
    for month in total:
        for model in MODELS:
            assert attributed[(month, model)] == pytest.approx(total[month], rel=1e-9)
            assert attributed_won[(month, model)] == pytest.approx(won[month], rel=1e-9, abs=1e-6)
            assert count[(month, model)] == pytest.approx(opps_per_month[month], rel=1e-9)


def test_stage_entries_are_monotone(world_truth):
    _, _, people, _ = world_truth
    implied = 0
    for p in people:
        times = [p.entries[s] for s in CANONICAL_STAGES if s in p.entries]
        stages = [s for s in CANONICAL_STAGES if s in p.entries]
        assert stages == list(CANONICAL_STAGES[: len(stages)])  # no gaps
        assert times == sorted(times)
        assert "lead" in p.entries
        for s in p.implied:
            later = CANONICAL_STAGES[CANONICAL_STAGES.index(s) + 1 :]
            assert any(p.entries.get(t) == p.entries[s] for t in later)
        implied += len(p.implied)
    assert implied > 0


def test_cohorts_never_grow_along_the_funnel(world_truth):
    _, truth, people, _ = world_truth
    keys = ["leads", "reached_mql", "reached_sql", "reached_opportunity", "reached_customer"]
    for r in truth.table("funnel_cohorts"):
        counts = [r[k] for k in keys]
        assert counts == sorted(counts, reverse=True) and counts[0] > 0
        for a, b in (("lead", "mql"), ("mql", "sql")):
            conv = r[f"conv_{a}_to_{b}"]
            assert conv is None or 0 <= conv <= 1
    assert sum(r["leads"] for r in truth.table("funnel_cohorts")) == len(people)
    daily = truth.table("funnel_daily")
    for i, stage in enumerate(CANONICAL_STAGES):
        entered = sum(r[f"entered_{stage}"] for r in daily)
        assert entered == sum(1 for p in people if stage in p.entries)
        if i:
            assert entered == sum(r[keys[i]] for r in truth.table("funnel_cohorts"))


def test_marketing_pipeline(world_truth):
    _, truth, _, _ = world_truth
    per_channel = defaultdict(lambda: defaultdict(float))
    for r in truth.table("marketing_pipeline_monthly"):
        for k, v in r.items():
            if k not in ("month", "channel"):
                per_channel[r["month"]][k] += v
    for r in truth.table("pipeline_monthly"):
        s = per_channel[r["month"]]
        assert r["influenced_opportunities"] <= s["influenced_opportunities"]
        assert r["influenced_pipeline"] <= s["influenced_pipeline"] + 1e-6
        assert r["sourced_opportunities"] == s["sourced_opportunities"]
        assert r["sourced_pipeline"] == pytest.approx(s["sourced_pipeline"], rel=1e-9)
        assert r["sourced_opportunities"] <= r["influenced_opportunities"] <= r["opportunities"]
        assert r["won_revenue"] <= r["pipeline"]


def _independent_spend(world: World) -> float:
    """Spend in USD recomputed with a plain rate lookup (rates are units per EUR)."""
    rates: dict[str, list[FxRate]] = defaultdict(list)
    for r in world.fx_rates():
        rates[r.currency].append(r)

    def per_eur(currency, day):
        if currency == "EUR":
            return 1.0
        return [r for r in rates[currency] if r.day <= day][-1].rate

    total = 0.0
    currency = {a.account_id: a.currency for a in world.ad_accounts}
    for d in world.all_ad_days():
        cur = currency[d.campaign.account_id]
        total += d.cost if cur == "USD" else d.cost / per_eur(cur, d.day) * per_eur("USD", d.day)
    for p in world.programs:
        if p.created_at < world.now:
            total += sum(c.cost for c in p.costs)
    return total


def test_spend_totals(world_truth):
    world, truth, _, _ = world_truth
    expected = _independent_spend(world)
    spend = truth.table("spend_daily")
    assert math.fsum(r["spend"] for r in spend) == pytest.approx(expected, rel=1e-9)
    channel = truth.table("cost_per_stage_channel_monthly")
    campaign = truth.table("cost_per_stage_campaign_monthly")
    budget = truth.table("budget_vs_actual_monthly")
    for table, column in ((channel, "spend"), (campaign, "spend"), (budget, "actual_spend")):
        assert math.fsum(r[column] for r in table) == pytest.approx(expected, rel=1e-9)
    assert {r["channel"] for r in spend} == {
        "paid_search", "paid_social", "display", "email", "events"}  # fmt: skip
    for r in channel + campaign:
        for stage, cost in (("leads", "cpl"), ("customers", "cac"), ("sqls", "cost_per_sql")):
            if r[stage] == 0:
                assert r[cost] is None
            else:
                assert r[cost] == pytest.approx(r["spend"] / r[stage])
        assert (r["pipeline_roi"] is None) == (r["spend"] == 0)
    for r in budget:
        assert r["variance"] == pytest.approx(r["actual_spend"] - r["planned_spend"])
        if r["planned_spend"]:
            assert r["pacing"] == pytest.approx(r["actual_spend"] / r["planned_spend"])


def test_cost_tables_agree_with_attribution(world_truth):
    _, truth, _, _ = world_truth
    attributed = math.fsum(
        r["attributed_pipeline"]
        for r in truth.table("pipeline_attribution_monthly")
        if r["attribution_model"] == "position_based"
    )
    for name in ("cost_per_stage_channel_monthly", "cost_per_stage_campaign_monthly"):
        rows = truth.table(name)
        assert math.fsum(r["attributed_pipeline"] for r in rows) == pytest.approx(attributed)
        leads = sum(r["leads"] for r in rows)
        assert leads == sum(r["entered_lead"] for r in truth.table("funnel_daily"))


def test_reporting_in_euros():
    world = World(4, 300)
    usd = compute_truth(world, Settings(budget_path=None))
    eur = compute_truth(world, Settings(budget_path=None, reporting_currency="EUR"))
    by_key = {
        (r["date"], r["campaign_key"]): r
        for r in eur.table("spend_daily")
        if r["currency"] == "EUR"
    }
    assert by_key and all(r["spend"] == r["spend_original"] for r in by_key.values())
    assert len(usd.table("pipeline_monthly")) == len(eur.table("pipeline_monthly"))
    for a, b in zip(usd.table("pipeline_monthly"), eur.table("pipeline_monthly"), strict=True):
        assert a["opportunities"] == b["opportunities"]
        assert 0.8 < b["pipeline"] / a["pipeline"] < 1.0  # a euro is worth more than a dollar


def test_write_truth(tmp_path):
    world = World(2, 200)
    truth = write_truth(world, tmp_path)
    for name, (grain, columns) in TABLES.items():
        with open(tmp_path / f"{name}.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        assert list(rows[0]) == [c for c, _ in columns] if rows else True
        assert len(rows) == len(truth.table(name))
        keys = [tuple(r[g] for g in grain) for r in rows]
        assert len(set(keys)) == len(keys), name
    with open(tmp_path / "opportunity_credits.csv", newline="") as f:
        credits = list(csv.DictReader(f))
    sums = defaultdict(float)
    for c in credits:
        sums[(c["opportunity_id"], c["attribution_model"])] += float(c["credit"])
    assert sums and all(abs(v - 1) < 1e-9 for v in sums.values())
    budget = {(r["month"], r["channel"]) for r in truth.table("budget_vs_actual_monthly")}
    assert (date(2026, 12, 1), "events") in budget
    assert write_truth(world, tmp_path / "again").tables == truth.tables


def test_opportunity_velocity(world_truth):
    world, truth, _, opps = world_truth
    rows = {(r["month"], r["channel"]): r for r in truth.table("opportunity_velocity_monthly")}
    by_month = defaultdict(list)
    for o in opps:
        by_month[o.created_at.date().replace(day=1)].append(o)
    assert {m for m, _ in rows} == set(by_month)
    same_day = 0
    for month, month_opps in by_month.items():
        total = rows[month, "all"]
        assert total["is_month_total"]
        won = [o for o in month_opps if o.is_won]
        closed = [o for o in month_opps if o.closed_at is not None and o.closed_at < world.now]
        days = sorted((o.closed_at - o.created_at).total_seconds() / 86_400 for o in won)
        same_day += sum(o.closed_at.date() == o.created_at.date() for o in closed)
        assert total["opportunities"] == len(month_opps)
        assert total["closed_opportunities"] == len(closed)
        assert total["won_opportunities"] == len(won)
        assert total["lost_opportunities"] == len(closed) - len(won)
        assert total["won_revenue"] == pytest.approx(math.fsum(o.amount_reporting for o in won))
        if not won:
            assert total["avg_won_amount"] is None and total["pipeline_velocity"] is None
            continue
        middle = len(days) // 2
        median = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
        assert total["median_days_to_close_won"] == pytest.approx(median)
        assert total["avg_days_to_close_won"] == pytest.approx(sum(days) / len(days))
        expected = (
            len(month_opps) * (len(won) / len(closed))
            * (total["won_revenue"] / len(won)) / (sum(days) / len(days))
        )  # fmt: skip
        assert total["pipeline_velocity"] == pytest.approx(expected)
        channels = [r for (m, c), r in rows.items() if m == month and c != "all"]
        assert not any(r["is_month_total"] for r in channels)
        for column in ("opportunities", "closed_opportunities", "won_opportunities"):
            assert sum(r[column] for r in channels) == total[column]
        for r in channels:
            assert r["won_opportunities"] + r["lost_opportunities"] == r["closed_opportunities"]
            assert r["win_rate"] is None or 0 <= r["win_rate"] <= 1
    assert same_day > 0


def test_lead_to_booking(world_truth):
    world, truth, people, opps = world_truth
    rows = truth.table("lead_to_booking_monthly")
    cohorts = {(r["cohort_month"], r["channel"]): r["leads"] for r in truth.table("funnel_cohorts")}
    assert {(r["cohort_month"], r["channel"]): r["leads"] for r in rows} == cohorts
    won = [o for o in opps if o.is_won]
    booked = {p for o in won for p in o.person_ids}
    assert sum(r["booked_people"] for r in rows) == sum(
        1 for p in people if p.lead_at is not None and p.person_id in booked
    )
    assert sum(r["booked_opportunities"] for r in rows) == sum(o.lead_at is not None for o in won)
    assert math.fsum(r["bookings"] for r in rows) == pytest.approx(
        math.fsum(o.amount_reporting for o in won if o.lead_at is not None)
    )
    # the earliest-lead person decides the cohort: their lead date is the opportunity's lead_at
    leads = {p.person_id: p for p in people}
    for o in won:
        if o.lead_at is not None:
            person = leads[o.lead_person_id]
            assert (
                person.lead_at
                == o.lead_at
                == min(leads[i].lead_at for i in o.person_ids if leads[i].lead_at is not None)
            )
            assert o.lead_channel == person.original_channel
    for r in rows:
        assert r["lead_to_booking_rate"] == r["booked_people"] / r["leads"] <= 1
        assert (r["median_days_lead_to_booking"] is None) == (r["booked_opportunities"] == 0)


def test_romi_is_roas_less_spend_at_the_gross_margin():
    world = World(4, 300)
    for margin in (0.75, 0.4):
        truth = compute_truth(world, Settings(budget_path=None, gross_margin=margin))
        for name in ("cost_per_stage_channel_monthly", "cost_per_stage_campaign_monthly"):
            rows = truth.table(name)
            assert any(r["romi"] is not None and r["romi"] > -1 for r in rows)
            for r in rows:
                if r["spend"] == 0:
                    assert r["romi"] is None
                else:
                    expected = (r["attributed_won_revenue"] * margin - r["spend"]) / r["spend"]
                    assert r["romi"] == pytest.approx(expected)
