"""The world model: determinism, append-only advancing, the variety it must produce, and a
cross-check that the default channel rules give every touch the channel the world intends."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from sandbox import world as world_module
from sandbox.apis import _salesforce_records as salesforce_records
from sandbox.rules import (
    LEAD_SOURCE_FIELD,
    LIFECYCLE_STAGE_MAP,
    ad_campaign_channel,
    campaign_key,
    canonical_stage,
    channel_for_crm_source,
    channel_for_touch,
    program_channel,
)
from sandbox.truth import iter_truth, normalize_email
from sandbox.world import (
    HUBSPOT_ANALYTICS_SOURCE,
    HUBSPOT_STAGES,
    MARKETO_STATUSES,
    RESTATEMENT_DAYS,
    World,
)

REPO = Path(__file__).resolve().parents[2]


def _clear_caches() -> None:
    world_module._generate_company.cache_clear()
    world_module._base_world.cache_clear()


_DIGEST = """
import hashlib
from sandbox.world import World
w = World(3, 200)
h = hashlib.sha256()
for b in w.bundles():
    h.update(repr(b).encode())
for d in w.all_ad_days():
    h.update(repr(d).encode())
for r in w.fx_rates():
    h.update(repr(r).encode())
h.update(repr(w.programs).encode())
print(h.hexdigest())
"""


def _run_digest(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", _DIGEST], cwd=REPO, env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return out.stdout.strip()


# --- determinism --------------------------------------------------------------------------------


def test_same_seed_same_world():
    a = World(7, 400)
    bundles_a = list(a.bundles())
    ads_a = list(a.all_ad_days())
    fx_a = list(a.fx_rates())
    _clear_caches()
    b = World(7, 400)
    assert list(b.bundles()) == bundles_a
    assert list(b.all_ad_days()) == ads_a
    assert list(b.fx_rates()) == fx_a
    assert b.programs == a.programs


def test_world_does_not_depend_on_hash_seed():
    assert _run_digest("1") == _run_digest("12345")


def test_different_seed_differs():
    a, b = World(7, 300), World(8, 300)
    assert list(a.bundles())[:5] != list(b.bundles())[:5]
    assert list(a.fx_rates()) != list(b.fx_rates())
    assert [d.cost for d in a.all_ad_days()] != [d.cost for d in b.all_ad_days()]
    assert a.programs != b.programs


# --- advancing ----------------------------------------------------------------------------------


def _visible(w: World, k: int) -> dict:
    """Company k as its sources show it at w.now, split into stable and late-updatable parts."""
    now = w.now
    b = w.bundle(k)
    people = {}
    for p in b.people:
        if p.created_at >= now:
            continue
        dup = p.duplicate
        people[p.idx] = {
            "record": (p.email, p.hubspot_email, p.marketo_email, p.hubspot_id, p.marketo_id,
                       p.created_at, p.hs_analytics_source),
            "touches": [t for t in p.touches if t.at < now],
            "hubspot": {v: at for v, at in p.hubspot_stage_dates.items() if at < now},
            "marketo": [c for c in p.marketo_status_changes if c.at < now],
            "duplicate": None if dup is None or dup.created_at >= now
            else (dup.contact_id, dup.email, dup.created_at),
            "merged": dup is not None and dup.merged_at < now,
        }  # fmt: skip
    deal = None
    if b.deal is not None and b.deal.created_at < now:
        d = b.deal
        deal = {
            "stable": (d.deal_id, d.created_at, d.currency, d.contact_idxs, d.amount),
            "amount": d.amount_as_of(now),
            "closed": d.is_closed_as_of(now),
            "path": [s for s in d.stage_path if s[0] < now],
        }
    return {"people": people, "deal": deal}


def test_advancing_only_reveals_and_updates_late():
    early = World(11, 1500, as_of=date(2025, 4, 15))
    late = early.advance(60)
    assert late.company_count() > early.company_count()
    changed = Counter()
    for k in range(early.company_count()):
        a, b = _visible(early, k), _visible(late, k)
        assert set(a["people"]) <= set(b["people"])
        for idx, pa in a["people"].items():
            pb = b["people"][idx]
            assert pa["record"] == pb["record"]
            assert pb["touches"][: len(pa["touches"])] == pa["touches"]
            assert {v: pb["hubspot"][v] for v in pa["hubspot"]} == pa["hubspot"]
            assert pb["marketo"][: len(pa["marketo"])] == pa["marketo"]
            if pa["duplicate"] is not None:
                assert pb["duplicate"] == pa["duplicate"]
            assert pa["merged"] <= pb["merged"]  # a merge never comes undone
            changed["merge"] += pb["merged"] and not pa["merged"]
            changed["touches"] += len(pb["touches"]) > len(pa["touches"])
        if a["deal"] is not None:
            da, db = a["deal"], b["deal"]
            assert da["stable"] == db["stable"]
            assert db["path"][: len(da["path"])] == da["path"]
            assert da["closed"] <= db["closed"]
            changed["revision"] += da["amount"] != db["amount"]
            changed["close"] += db["closed"] and not da["closed"]
    # the late updates the world documents really happen in this window
    assert changed["merge"] > 0 and changed["revision"] > 0 and changed["close"] > 0
    assert changed["touches"] > 0


def test_advancing_keeps_final_ad_days_and_fx():
    early = World(11, 600, as_of=date(2025, 4, 1))
    late = early.advance(10)
    late_days = {(d.campaign.campaign_id, d.day): d for d in late.all_ad_days()}
    restated = 0
    for d in early.all_ad_days():
        other = late_days[(d.campaign.campaign_id, d.day)]
        assert other.is_final
        if d.is_final:
            assert other == d
        else:
            account = early.account(d.campaign.account_id)
            local_today = account.local_date(early.now)
            assert (local_today - d.day).days <= RESTATEMENT_DAYS
            restated += other.cost != d.cost
    assert restated > 0
    fx_early, fx_late = list(early.fx_rates()), list(late.fx_rates())
    assert fx_late[: len(fx_early)] == fx_early
    assert len(fx_late) > len(fx_early)


# --- variety ------------------------------------------------------------------------------------


def test_world_has_the_variety_the_tests_need():
    w = World(5, 1000)
    n = Counter()
    kinds = Counter()
    channels = Counter()
    for p in w.people():
        n["people"] += 1
        n["no_email"] += p.email is None
        n["duplicate"] += p.duplicate is not None
        n["crm_only"] += p.marketo_id is None
        if p.hubspot_email and p.marketo_email:
            assert normalize_email(p.hubspot_email) == normalize_email(p.marketo_email)
            n["case_differs"] += p.hubspot_email != p.marketo_email
        for t in p.touches:
            kinds[t.kind] += 1
            channels[t.channel] += 1
    for key in ("no_email", "duplicate", "crm_only", "case_differs"):
        assert 0 < n[key] < n["people"] / 2, key
    assert {"visit", "form", "email_click", "attended"} <= set(kinds)
    assert {"paid_search", "paid_social", "display", "email", "events"} <= set(channels)
    implied = Counter()
    for people, _ in iter_truth(w):
        for p in people:
            implied.update(p.implied)
    assert implied["mql"] > 0  # people who skip mql still count as mqls
    assert sum(1 for _ in w.deals()) > 20


def test_deals_are_won_lost_or_open_and_some_close_the_day_they_are_created():
    w = World(5, 1000)
    outcome = Counter()
    for d in w.deals():
        if not d.is_closed_as_of(w.now):
            outcome["open"] += 1
            continue
        assert d.closed_at >= d.created_at  # a close before creation is only a bad record
        outcome["won" if d.is_won else "lost"] += 1
        same_day = d.closed_at.date() == d.created_at.date()
        outcome["same_day"] += same_day
        final = d.stage_path[-1]
        assert final == (d.closed_at, "closedwon" if d.is_won else "closedlost")
        if d.revision is not None:  # amounts are revised while the deal is open
            assert d.created_at < d.revision.at < d.closed_at
    assert min(outcome["won"], outcome["lost"], outcome["open"]) > 5, outcome
    assert 0 < outcome["same_day"] < (outcome["won"] + outcome["lost"]) / 4, outcome


# --- the default rules agree with the world -----------------------------------------------------


def test_lifecycle_map_matches_world():
    assert canonical_stage("hubspot", "  MarketingQualifiedLead ") == "mql"
    for value, stage in HUBSPOT_STAGES.items():
        assert canonical_stage("hubspot", value) == stage
    for value, stage in MARKETO_STATUSES.items():
        assert canonical_stage("marketo", value) == stage
    hubspot_and_marketo = [r for r in LIFECYCLE_STAGE_MAP if r[0] != "salesforce"]
    assert len(hubspot_and_marketo) == len(HUBSPOT_STAGES) + len(MARKETO_STATUSES)


def test_salesforce_rows_of_the_maps_give_the_world_its_stages_and_channels():
    """The Salesforce org of the sandbox says what HubSpot says: each opportunity stage it
    writes is an opportunity (customer when won), its open lead statuses are leads, its MQL /
    SQL date fields are MQL and SQL, and each LeadSource value is the channel of the HubSpot
    original source it renders."""
    for dealstage, (stage_name, *_) in salesforce_records.STAGES.items():
        want = "customer" if dealstage == "closedwon" else "opportunity"
        assert canonical_stage("salesforce", stage_name) == want, stage_name
    for status in ("Open - Not Contacted", "Working - Contacted"):
        assert canonical_stage("salesforce", status) == "lead"
    assert canonical_stage("salesforce", "Closed - Converted") is None
    assert canonical_stage("salesforce", "mql_date__c") == "mql"
    assert canonical_stage("salesforce", "sql_date__c") == "sql"
    assert set(salesforce_records.LEAD_SOURCES) == set(HUBSPOT_ANALYTICS_SOURCE.values()) | {
        "OFFLINE"
    }
    for hubspot_value, lead_source in salesforce_records.LEAD_SOURCES.items():
        assert channel_for_crm_source(lead_source, field=LEAD_SOURCE_FIELD) == (
            channel_for_crm_source(hubspot_value)
        ), lead_source


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_channel_rules_give_every_touch_its_channel(seed):
    w = World(seed, 400)
    ad_map = {}
    for c in w.ad_campaigns:
        key = f"{c.platform}:{c.campaign_id}"
        ad_map[c.campaign_id.strip().lower()] = key
        ad_map[c.name.strip().lower()] = key
        assert ad_campaign_channel(c.platform, c.kind) == c.channel
    for p in w.programs:
        assert program_channel(p.channel) == p.canonical_channel
    checked = 0
    for b in w.bundles():
        for p in b.people:
            for t in p.touches:
                program = w.program(t.program_id).channel if t.program_id is not None else None
                assert channel_for_touch(t.query, program) == t.channel, t
                assert campaign_key(t.query, t.program_id, ad_map) == (t.campaign_key or "(none)")
                checked += 1
    assert checked > 1000


def test_crm_source_rules():
    for channel, source in HUBSPOT_ANALYTICS_SOURCE.items():
        expected = "unknown" if source in ("OTHER_CAMPAIGNS", "OFFLINE") else channel
        assert channel_for_crm_source(source) == expected
    assert channel_for_crm_source(" direct_traffic ") == "direct"
    assert channel_for_crm_source("SOMETHING_NEW") == "unknown"
    assert channel_for_crm_source(None) == "unknown"
    assert channel_for_touch({}) == "direct"
    assert channel_for_touch({"utm_medium": " Email ", "gclid": "x"}) == "paid_search"


@pytest.mark.parametrize("weights", ["_TOUCH_CHANNEL_WEIGHTS", "_FIRST_TOUCH_WEIGHTS"])
def test_a_weighted_pick_is_the_draw_of_random_choices(weights):
    """Summing the weights once keeps the world's random stream: every pick equals
    ``random.Random.choices`` on the same stream, and leaves the stream where it leaves it."""
    import random

    table = getattr(world_module, weights)
    weighted = world_module._Weighted.of(table)
    for seed in range(300):
        ours, stdlib = random.Random(seed), random.Random(seed)
        for _ in range(40):
            expected = stdlib.choices(list(table), weights=list(table.values()))[0]
            assert weighted.pick(ours) == expected
        assert ours.random() == stdlib.random()
