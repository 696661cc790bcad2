"""The ground truth of the certified metrics, computed in plain Python from the world model.

``compute_truth(world, settings)`` streams ``world.bundles()`` once and aggregates every
certified table of ``docs/certified_tables.md`` (the contract the dbt layer implements), so the
known-answer tests can compare dbt's certified tables to it. Nothing here uses SQL or dbt; the
rules are those of ``docs/metrics.md`` with the defaults of ``sandbox/rules.py``
and every choice the spec leaves open is written down in ``docs/certified_tables.md``.

Memory: only one company bundle's people and touches are held at a time (a deal's people are
always in its own company bundle); the aggregates are keyed by day/month x channel/campaign, and
the cohort medians keep one float per (person, stage pair) in compact arrays, so a 1M-person
world fits in a few hundred MB.

Systems: only what the world's systems (``world.systems``) record counts. A person exists
through their CRM contacts (``hubspot``) and automation leads (``marketo``) of present systems
only; touches are the automation platform's activities (none without it: first touch and
original channel then fall back to the CRM's original source, and every opportunity is
unattributed); opportunities are CRM deals (none without the CRM); spend is that of the present
ad platforms and, with the automation platform, its program costs; money is converted with the
rates of the FX feed, and a world without one is single-currency (``World``). A touch whose UTM
campaign names a campaign of an absent ad platform keeps the raw ``utm_campaign`` as its
campaign key: the warehouse has no campaign of that platform to match it to.

Lower-level truths for tests: :func:`iter_truth` yields, per company bundle, the visible
people (:class:`PersonTruth`) and the opportunity (:class:`OpportunityTruth`, with its credits
in every model).

``write_truth(world, out_dir, settings)`` writes every table as CSV (header, deterministic row
order, empty field = null, booleans ``true``/``false``, floats as Python's shortest repr):
``python -m sandbox.truth --seed 7 --scale 1000 --out data/truth``.

The demo budget ``dbt_project/seeds/marketing_budget.csv`` holds planned spend in USD per month
(2025-01 .. 2026-12) for paid_search, paid_social, display, email and events. Its values are
sized for a world of scale 1,000 (the demo default): the world's spend is proportional to
``world.spend_factor = scale / 10_000``, so at scale 1,000 actual spend is roughly paid_search
2.4k, paid_social 2.35k, display 1.05k, email 80 and events 250 (2.1k in the tradeshow months
Jan/Apr/Jul/Oct) USD a month; the budget plans 2,500 / 2,300 / 1,000 / 80 / 250 (2,000) in 2025
and 10% more in 2026. At other scales pacing is off by the factor scale / 1,000.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import hashlib
import re
import statistics
import sys
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sandbox.apis._salesforce_records import CAMPAIGN_TYPES, campaign_responses, org_date
from sandbox.apis._salesforce_records import campaign_key as salesforce_campaign_key
from sandbox.apis._salesforce_records import opportunity_id as salesforce_opportunity_id
from sandbox.rules import (
    CANONICAL_STAGES,
    NO_CAMPAIGN,
    UNATTRIBUTED,
    Settings,
    ad_campaign_channel,
    channel_for_crm_source,
    channel_for_touch,
    lifecycle_lookup,
    program_channel,
    unmatched_campaign_key,
    visitor_text,
)
from sandbox.truth_attribution import MODELS, AttributionTouch, Credit, attribute
from sandbox.world import (
    FX_BASE,
    MARKETO_CURRENCY,
    CompanyBundle,
    FxRate,
    Program,
    Touch,
    World,
    default_systems,
    parse_systems,
    registered_crms,
    registered_systems,
)

__all__ = [
    "CONVERSION_PAIRS",
    "TABLES",
    "Clock",
    "FxTable",
    "MissingFxRate",
    "OpportunityTruth",
    "PersonTruth",
    "Settings",
    "Truth",
    "compute_truth",
    "iter_truth",
    "make_person_id",
    "normalize_email",
    "ad_performance_rows",
    "spend_rows",
    "write_truth",
]

#: stage pairs of the cohort view's conv_<a>_to_<b> and median_days_<a>_to_<b> columns
CONVERSION_PAIRS: tuple[tuple[str, str], ...] = (
    ("lead", "mql"),
    ("mql", "sql"),
    ("sql", "opportunity"),
    ("opportunity", "customer"),
    ("lead", "opportunity"),
    ("lead", "customer"),
)
STAGE_COUNT_NAMES = {
    "lead": "leads",
    "mql": "mqls",
    "sql": "sqls",
    "opportunity": "opportunities",
    "customer": "customers",
}
COST_NAMES = {
    "lead": "cpl",
    "mql": "cost_per_mql",
    "sql": "cost_per_sql",
    "opportunity": "cost_per_opportunity",
    "customer": "cac",
}
#: the record systems of a person: the CRM (contacts, deals) and the automation platform (leads,
#: activities, programs)
AUTOMATION_SYSTEM = "marketo"
NON_CRM_SYSTEMS = frozenset(n for n in registered_systems() if n not in registered_crms())
PROGRAM_PLATFORM = AUTOMATION_SYSTEM
PROGRAM_ACCOUNT = AUTOMATION_SYSTEM


# --- time ---------------------------------------------------------------------------------------


class Clock:
    """Turns UTC instants into dates and months of the reporting time zone."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.is_utc = timezone in ("UTC", "Etc/UTC", "Z")

    def day(self, at: datetime) -> date:
        if at.tzinfo is None:
            raise ValueError(f"naive instant {at!r}")
        return at.date() if self.is_utc else at.astimezone(self.zone).date()

    def month(self, at: datetime) -> date:
        return self.day(at).replace(day=1)

    def midnight(self, day: date) -> datetime:
        """The instant a date of the reporting time zone starts."""
        return datetime.combine(day, time(), tzinfo=self.zone)


def month_of(d: date) -> date:
    return d.replace(day=1)


def days_between(a: datetime, b: datetime) -> float:
    """b - a in days, exact (seconds / 86,400)."""
    return (b - a).total_seconds() / 86_400


# --- FX -----------------------------------------------------------------------------------------


class MissingFxRate(LookupError):
    """No published rate on or before the day: a data-quality failure, never a rate of 1."""


class FxTable:
    """Daily rates as units of a currency per one unit of the base (EUR)."""

    def __init__(self, rates: Iterable[FxRate], base: str = FX_BASE) -> None:
        by_currency: dict[str, list[tuple[date, float]]] = defaultdict(list)
        for r in rates:
            by_currency[r.currency].append((r.day, r.rate))
        self.base = base
        self._days: dict[str, list[date]] = {}
        self._rates: dict[str, list[float]] = {}
        for currency, rows in by_currency.items():
            rows.sort()
            self._days[currency] = [d for d, _ in rows]
            self._rates[currency] = [x for _, x in rows]

    def rate(self, currency: str, day: date) -> float:
        """Units of ``currency`` per one base unit: the latest rate published on or before day."""
        if currency == self.base:
            return 1.0
        days = self._days.get(currency)
        if not days:
            raise MissingFxRate(f"no {currency}/{self.base} rate at all")
        i = bisect.bisect_right(days, day) - 1
        if i < 0:
            raise MissingFxRate(f"no {currency}/{self.base} rate on or before {day}")
        rate = self._rates[currency][i]
        if not rate > 0:
            raise MissingFxRate(f"invalid {currency}/{self.base} rate {rate!r} on {days[i]}")
        return rate

    def convert(self, amount: float, currency: str, day: date, to: str) -> float:
        """amount / rate[currency] * rate[to]; the identity when the currencies are equal."""
        if currency == to:
            return amount
        return amount / self.rate(currency, day) * self.rate(to, day)

    def factor(self, currency: str, day: date, to: str) -> float:
        """Units of ``to`` per one unit of ``currency`` (for display; use convert for money)."""
        if currency == to:
            return 1.0
        return self.rate(to, day) / self.rate(currency, day)


# --- identity -----------------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(email: str | None) -> str | None:
    """lower(trim(email)) when it looks like an address (x@y.z, no blanks), else None."""
    if email is None:
        return None
    e = email.strip().lower()
    return e if _EMAIL.match(e) else None


def make_person_id(key: str) -> str:
    """sha256 hex of the person key (the normalized email, or ``<system>:<source id>``)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ResponseTouch:
    """A CRM campaign member's response as a touchpoint (Salesforce CampaignMember): at the
    member's creation or, when later, the start of its FirstRespondedDate; channel from the
    campaign's Type through the rules; campaign ``salesforce:<CampaignId>``."""

    touchpoint_id: str
    at: datetime
    channel: str
    campaign_key: str
    program_id: int


@dataclass
class _Record:
    """One source record of a person (a HubSpot contact or a Marketo lead)."""

    system: str
    source_id: int
    key: str
    created_at: datetime
    stage_values: list[tuple[str, datetime]]
    source_field: str | None = None
    touches: tuple[Touch, ...] = ()
    merged: bool = False


@dataclass(frozen=True)
class PersonTruth:
    person_id: str
    has_email: bool
    hubspot_ids: tuple[int, ...]
    marketo_ids: tuple[int, ...]
    created_at: datetime  # the earliest creation of its records
    entries: dict[str, datetime]  # canonical stage -> entry after the monotone rule
    implied: frozenset[str]  # stages with no own entry, implied by a later one
    original_channel: str
    original_campaign_key: str
    first_touchpoint_id: str | None
    touch_count: int  # visible touchpoints

    @property
    def lead_at(self) -> datetime | None:
        return self.entries.get("lead")


@dataclass(frozen=True)
class OpportunityTruth:
    opportunity_id: int | str  # HubSpot deal id, or Salesforce Opportunity Id
    created_at: datetime
    currency: str
    amount: float  # deal currency, as of now
    amount_reporting: float  # reporting currency at the rate of the creation date
    is_won: bool
    person_ids: tuple[str, ...]
    lead_at: datetime | None  # lead date of the earliest-lead person (w_shaped)
    eligible_touch_count: int
    credits: tuple[Credit, ...]
    is_closed: bool = False  # as of now
    closed_at: datetime | None = None  # the close instant, None while open
    # the earliest-lead person (ties: the lowest person id) and their original channel; None
    # when no person of the opportunity has a lead date (the opportunity is in no cohort)
    lead_person_id: str | None = None
    lead_channel: str | None = None

    @property
    def sourced_channel(self) -> str:
        """The first-touch channel (``unattributed`` without an eligible touch)."""
        return next(c.channel for c in self.credits if c.model == "first_touch")

    @property
    def days_to_close(self) -> float | None:
        return None if self.closed_at is None else days_between(self.created_at, self.closed_at)

    def credits_of(self, model: str) -> list[Credit]:
        return [c for c in self.credits if c.model == model]


def _person_from_records(
    records: list[_Record],
    now: datetime,
    lookup: dict[tuple[str, str], str],
    settings: Settings,
) -> tuple[PersonTruth, list[Touch]]:
    own: dict[str, datetime] = {}
    for r in records:
        for value, at in r.stage_values:
            if at >= now:
                continue
            stage = lookup.get((r.system, value.strip().lower()))
            if stage is None:
                continue
            if stage not in own or at < own[stage]:
                own[stage] = at
    entries: dict[str, datetime] = {}
    running: datetime | None = None
    for stage in reversed(CANONICAL_STAGES):
        at = own.get(stage)
        if at is not None and (running is None or at < running):
            running = at
        if running is not None:
            entries[stage] = running
    entries = {s: entries[s] for s in CANONICAL_STAGES if s in entries}
    implied = frozenset(s for s in entries if s not in own)

    touches = [t for r in records for t in r.touches if t.at < now]
    # a CRM campaign response another source holds as its own touch (the same program: Marketo
    # syncs its programs to Salesforce campaigns of the same name) is that touch, counted once
    held = {t.program_id for t in touches if not isinstance(t, ResponseTouch)}
    touches = [t for t in touches if not (isinstance(t, ResponseTouch) and t.program_id in held)]
    if touches:
        first = min(touches, key=lambda t: (t.at, t.touchpoint_id))
        channel = first.channel
        campaign = first.campaign_key or NO_CAMPAIGN
        first_id: str | None = first.touchpoint_id
    else:
        source = next(
            (r.source_field for r in records if r.system == "hubspot" and not r.merged), None
        )
        channel = channel_for_crm_source(source, settings.channel_rules) if source else "unknown"
        campaign = NO_CAMPAIGN
        first_id = None
    key = records[0].key
    person = PersonTruth(
        person_id=make_person_id(key),
        has_email=normalize_email(key) is not None,
        hubspot_ids=tuple(r.source_id for r in records if r.system == "hubspot"),
        marketo_ids=tuple(r.source_id for r in records if r.system == "marketo"),
        created_at=min(r.created_at for r in records),
        entries=entries,
        implied=implied,
        original_channel=channel,
        original_campaign_key=campaign,
        first_touchpoint_id=first_id,
        touch_count=len(touches),
    )
    return person, touches


def recorded_touches(touches: tuple[Touch, ...], systems: frozenset[str]) -> tuple[Touch, ...]:
    """The touches with the campaign keys the warehouse can give them with only ``systems``.

    A campaign key ``<system>:<id>`` of an absent system cannot be matched: the touch keeps its
    ``utm_campaign`` as the warehouse cleans it (``(none)`` when it has none), as the campaign
    key rule says for any utm_campaign that names no known campaign.
    """
    out = []
    for t in touches:
        key = t.campaign_key
        if key is not None:
            system, sep, _ = key.partition(":")
            if sep and system not in systems:
                raw = visitor_text(t.query.get("utm_campaign"))
                t = replace(t, campaign_key=unmatched_campaign_key(raw) if raw else None)
        out.append(t)
    return tuple(out)


def bundle_truth(
    bundle: CompanyBundle,
    now: datetime,
    settings: Settings,
    fx: FxTable,
    clock: Clock,
    lookup: dict[tuple[str, str], str] | None = None,
    systems: frozenset[str] | None = None,
    programs: Mapping[int, Program] | None = None,
) -> tuple[list[PersonTruth], OpportunityTruth | None]:
    """The visible people of one company bundle and its opportunity, if visible, as the
    ``systems`` record them (default: every registered system)."""
    lookup = lookup if lookup is not None else lifecycle_lookup(settings.lifecycle_stage_map)
    systems = default_systems() if systems is None else systems
    # every campaign key's system is there: the touches keep their keys as generated
    every = systems >= NON_CRM_SYSTEMS
    # the world's CRM records are counted in HubSpot's values (``Person.hubspot_stage_dates``,
    # ``hs_analytics_source``) whichever CRM renders them: Salesforce renders the same facts
    crm = any(name in systems for name in registered_crms())
    automation = AUTOMATION_SYSTEM in systems
    groups: dict[str, list[_Record]] = {}
    contact_key: dict[int, str] = {}  # person idx -> key of its CRM contact (deal associations)
    for p in bundle.people:
        if p.created_at >= now:
            continue
        records: list[_Record] = []
        survivor: _Record | None = None
        if p.hubspot_id is not None and crm:
            key = normalize_email(p.hubspot_email) or f"hubspot:{p.hubspot_id}"
            survivor = _Record(
                "hubspot",
                p.hubspot_id,
                key,
                p.created_at,
                list(p.hubspot_stage_dates.items()),
                p.hs_analytics_source,
                touches=(
                    tuple(_responses(p, now, programs or {}, settings, clock))
                    if "salesforce" in systems
                    else ()
                ),
            )
            records.append(survivor)
            contact_key[p.idx] = key
        if p.marketo_id is not None and automation:
            key = normalize_email(p.marketo_email) or f"marketo:{p.marketo_id}"
            records.append(
                _Record(
                    "marketo",
                    p.marketo_id,
                    key,
                    p.created_at,
                    [(c.new, c.at) for c in p.marketo_status_changes],
                    touches=p.touches if every else recorded_touches(p.touches, systems),
                )
            )
        dup = p.duplicate if crm else None
        if dup is not None and dup.created_at < now:
            key = normalize_email(dup.email) or f"hubspot:{dup.contact_id}"
            rec = _Record(
                "hubspot", dup.contact_id, key, dup.created_at, [("lead", dup.created_at)],
                "DIRECT_TRAFFIC",
            )  # fmt: skip
            if dup.merged_at < now and survivor is not None:
                rec.key = survivor.key
                rec.merged = True
            records.append(rec)
        for r in records:
            groups.setdefault(r.key, []).append(r)

    people: list[PersonTruth] = []
    by_key: dict[str, tuple[PersonTruth, list[Touch]]] = {}
    for key, records in groups.items():
        person, touches = _person_from_records(records, now, lookup, settings)
        people.append(person)
        by_key[key] = (person, touches)

    deal = bundle.deal if crm else None
    opportunity = None
    if deal is not None and deal.created_at < now:
        keys = list(dict.fromkeys(contact_key[i] for i in deal.contact_idxs if i in contact_key))
        members = [by_key[k] for k in keys]
        opp_touches: dict[str, AttributionTouch] = {}
        for _, person_touches in members:
            for t in person_touches:
                opp_touches[t.touchpoint_id] = AttributionTouch(
                    t.touchpoint_id, t.at, t.channel, t.campaign_key or NO_CAMPAIGN
                )
        leads = sorted((p.lead_at, p.person_id, p.original_channel) for p, _ in members
                       if p.lead_at is not None)  # fmt: skip
        lead_at, lead_person_id, lead_channel = leads[0] if leads else (None, None, None)
        closed = deal.is_closed_as_of(now)
        credits = attribute(opp_touches.values(), deal.created_at, lead_at, settings)
        amount = deal.amount_as_of(now)
        day = clock.day(deal.created_at)
        opportunity = OpportunityTruth(
            # the opportunity as the CRM names it: a HubSpot deal id, a Salesforce Opportunity Id
            opportunity_id=(
                salesforce_opportunity_id(deal.deal_id) if "salesforce" in systems else deal.deal_id
            ),
            created_at=deal.created_at,
            currency=deal.currency,
            amount=amount,
            amount_reporting=fx.convert(amount, deal.currency, day, settings.reporting_currency),
            is_won=deal.is_won and closed,
            person_ids=tuple(p.person_id for p, _ in members),
            lead_at=lead_at,
            eligible_touch_count=sum(
                1 for c in credits if c.model == MODELS[0] and c.touch_id is not None
            ),
            credits=tuple(credits),
            is_closed=closed,
            closed_at=None
            if not closed
            # METRICS.md: Salesforce's CloseDate is a date, taken as its midnight in the
            # reporting time zone
            else (
                clock.midnight(org_date(deal.closed_at))
                if "salesforce" in systems
                else deal.closed_at
            ),
            lead_person_id=lead_person_id,
            lead_channel=lead_channel,
        )
    return people, opportunity


def _responses(
    person, now: datetime, programs: Mapping[int, Program], settings: Settings, clock: Clock
) -> Iterator[ResponseTouch]:
    """A person's Salesforce campaign responses as touchpoints (stg_salesforce__touchpoints)."""
    for r in campaign_responses(person, now):
        program = programs[r.program_id]  # a touch's program is created before it
        # FirstRespondedDate's start, or the member's creation when later
        start_of_day = clock.midnight(org_date(r.responded_at))
        yield ResponseTouch(
            touchpoint_id=f"salesforce-{r.member_id}",
            at=max(r.responded_at, start_of_day),
            channel=channel_for_touch({}, CAMPAIGN_TYPES[program.channel], settings.channel_rules),
            campaign_key=salesforce_campaign_key(r.program_id),
            program_id=r.program_id,
        )


def iter_truth(
    world: World, settings: Settings | None = None, fx: FxTable | None = None
) -> Iterator[tuple[list[PersonTruth], OpportunityTruth | None]]:
    """Per company bundle: its visible people and its visible opportunity (or None), as the
    world's systems record them."""
    settings = settings or Settings()
    fx = fx or recorded_fx(world)
    clock = Clock(settings.reporting_timezone)
    lookup = lifecycle_lookup(settings.lifecycle_stage_map)
    now = world.now
    systems = frozenset(world.systems)
    # the programs, by id, that Salesforce's campaigns are (its campaign responses' channels)
    programs = {p.program_id: p for p in world.programs} if "salesforce" in systems else {}
    for bundle in world.bundles():
        yield bundle_truth(bundle, now, settings, fx, clock, lookup, systems, programs)


def recorded_fx(world: World) -> FxTable:
    """The rates the warehouse has: the FX feed's, none in a (single-currency) world without."""
    return FxTable(() if world.single_currency else world.fx_rates())


# --- spend --------------------------------------------------------------------------------------


def spend_rows(world: World, settings: Settings, fx: FxTable | None = None) -> list[dict]:
    """spend_daily: ad platform days as reported now plus the visible programs' period costs,
    of the world's systems only."""
    fx = fx or recorded_fx(world)
    systems = world.systems
    rep = settings.reporting_currency
    accounts = {a.account_id: a for a in world.ad_accounts}
    rows: dict[tuple, dict] = {}

    def add(day, platform, account, campaign_key, channel, currency, amount, timezone):
        key = (day, platform, account, campaign_key)
        row = rows.get(key)
        if row is None:
            row = rows[key] = {
                "date": day,
                "platform": platform,
                "account_id": account,
                "campaign_key": campaign_key,
                "channel": channel,
                "account_timezone": timezone,
                "currency": currency,
                "spend_original": 0.0,
                "fx_rate": fx.factor(currency, day, rep),
                "spend": 0.0,
            }
        row["spend_original"] += amount
        row["spend"] += fx.convert(amount, currency, day, rep)

    for ad in world.all_ad_days():
        c = ad.campaign
        if c.platform not in systems:
            continue
        account = accounts[c.account_id]
        add(
            ad.day, c.platform, c.account_id, c.campaign_key,
            ad_campaign_channel(c.platform, c.kind), account.currency, ad.cost, account.timezone,
        )  # fmt: skip
    programs = world.visible_programs() if PROGRAM_PLATFORM in systems else ()
    for p in programs:
        channel = program_channel(p.channel, settings.channel_rules)
        for cost in p.costs:
            add(
                cost.start_date, PROGRAM_PLATFORM, PROGRAM_ACCOUNT, p.campaign_key,
                channel, MARKETO_CURRENCY, cost.cost, None,
            )  # fmt: skip
    return [rows[k] for k in sorted(rows)]


def ad_performance_rows(world: World, settings: Settings, fx: FxTable | None = None) -> list[dict]:
    """ad_performance_daily: every ad platform campaign day as reported now (zero cost
    included), of the world's systems only, with the names the platforms serve (the campaign's
    and the account's), the account's time zone, the channel's display label, and CTR / CPC /
    CPM in reporting currency (None when the denominator is 0), and the conversions and value
    the platform itself reports. Spend and conversion value are converted at the account-local
    day's rate, as in spend_daily."""
    fx = fx or recorded_fx(world)
    rep = settings.reporting_currency
    labels = {c.channel: c.label for c in settings.channels}
    accounts = {a.account_id: a for a in world.ad_accounts}
    rows = []
    for ad in world.all_ad_days():
        c = ad.campaign
        if c.platform not in world.systems:
            continue
        account = accounts[c.account_id]
        channel = ad_campaign_channel(c.platform, c.kind)
        spend = fx.convert(ad.cost, account.currency, ad.day, rep)
        rows.append(
            {
                "date": ad.day,
                "platform": c.platform,
                "account_id": c.account_id,
                "account_name": account.name,
                "account_timezone": account.timezone,
                "campaign_key": c.campaign_key,
                "campaign_name": c.name,
                "channel": channel,
                "channel_label": labels[channel],
                "currency": account.currency,
                "impressions": ad.impressions,
                "clicks": ad.clicks,
                "spend_original": ad.cost,
                "spend": spend,
                "ctr": _div(ad.clicks, ad.impressions),
                "cpc": _div(spend, ad.clicks),
                "cpm": _div(spend * 1000, ad.impressions),
                # the platform's own count and value: per platform, never added across them
                "platform_conversions": ad.conversions,
                "platform_conversion_value": fx.convert(
                    ad.conversion_value, account.currency, ad.day, rep
                ),
            }
        )
    rows.sort(key=lambda r: (r["date"], r["platform"], r["account_id"], r["campaign_key"]))
    return rows


# --- budget -------------------------------------------------------------------------------------


def read_budget(path: Path | None) -> dict[tuple[date, str], float]:
    """(month, channel) -> planned spend in reporting currency; {} when there is no budget."""
    if path is None:
        return {}
    out: dict[tuple[date, str], float] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            text = row["month"].strip()
            month = date.fromisoformat(text if len(text) > 7 else text + "-01").replace(day=1)
            key = (month, row["channel"].strip())
            out[key] = out.get(key, 0.0) + float(row["planned_spend"])
    return out


# --- the certified tables -----------------------------------------------------------------------

_STAGE_COUNTS = [STAGE_COUNT_NAMES[s] for s in CANONICAL_STAGES]
_COSTS = [COST_NAMES[s] for s in CANONICAL_STAGES]
_COST_COLUMNS = [
    ("spend", "double"),
    *[(c, "bigint") for c in _STAGE_COUNTS],
    *[(c, "double") for c in _COSTS],
    ("attribution_model", "varchar"),
    ("attributed_pipeline", "double"),
    ("attributed_won_revenue", "double"),
    ("pipeline_roi", "double"),
    ("roas", "double"),
    ("gross_margin", "double"),
    ("romi", "double"),
]
_MARKETING = [
    ("sourced_opportunities", "bigint"),
    ("sourced_pipeline", "double"),
    ("sourced_won_revenue", "double"),
    ("influenced_opportunities", "bigint"),
    ("influenced_pipeline", "double"),
    ("influenced_won_revenue", "double"),
]

#: table -> (grain, columns with types). Every grain column is part of the row order.
TABLES: dict[str, tuple[tuple[str, ...], list[tuple[str, str]]]] = {
    "funnel_daily": (
        ("date", "channel"),
        [("date", "date"), ("channel", "varchar")]
        + [(f"entered_{s}", "bigint") for s in CANONICAL_STAGES],
    ),
    "funnel_cohorts": (
        ("cohort_month", "channel"),
        [("cohort_month", "date"), ("channel", "varchar"), ("leads", "bigint")]
        + [(f"reached_{s}", "bigint") for s in CANONICAL_STAGES[1:]]
        + [(f"conv_{a}_to_{b}", "double") for a, b in CONVERSION_PAIRS]
        + [(f"median_days_{a}_to_{b}", "double") for a, b in CONVERSION_PAIRS],
    ),
    "pipeline_attribution_monthly": (
        ("month", "attribution_model", "channel", "campaign_key"),
        [
            ("month", "date"),
            ("attribution_model", "varchar"),
            ("is_default_model", "boolean"),
            ("channel", "varchar"),
            ("campaign_key", "varchar"),
            ("attributed_opportunities", "double"),
            ("attributed_pipeline", "double"),
            ("attributed_won_revenue", "double"),
        ],
    ),
    "opportunity_attribution": (
        ("opportunity_id", "attribution_model", "channel", "campaign_key"),
        [
            ("opportunity_id", "varchar"),
            ("created_date", "date"),
            ("created_month", "date"),
            ("status", "varchar"),
            ("closed_date", "date"),
            ("amount", "double"),
            ("attribution_model", "varchar"),
            ("is_default_model", "boolean"),
            ("channel", "varchar"),
            ("channel_label", "varchar"),
            ("campaign_key", "varchar"),
            ("campaign_name", "varchar"),
            ("credit", "double"),
            ("attributed_pipeline", "double"),
            ("attributed_won_revenue", "double"),
        ],
    ),
    "marketing_pipeline_monthly": (
        ("month", "channel"),
        [("month", "date"), ("channel", "varchar"), *_MARKETING],
    ),
    "pipeline_monthly": (
        ("month",),
        [
            ("month", "date"),
            ("opportunities", "bigint"),
            ("pipeline", "double"),
            ("won_opportunities", "bigint"),
            ("won_revenue", "double"),
            *_MARKETING,
        ],
    ),
    "spend_daily": (
        ("date", "platform", "account_id", "campaign_key"),
        [
            ("date", "date"),
            ("platform", "varchar"),
            ("account_id", "varchar"),
            ("campaign_key", "varchar"),
            ("channel", "varchar"),
            ("account_timezone", "varchar"),
            ("currency", "varchar"),
            ("spend_original", "double"),
            ("fx_rate", "double"),
            ("spend", "double"),
        ],
    ),
    "ad_performance_daily": (
        ("date", "platform", "account_id", "campaign_key"),
        [
            ("date", "date"),
            ("platform", "varchar"),
            ("account_id", "varchar"),
            ("account_name", "varchar"),
            ("account_timezone", "varchar"),
            ("campaign_key", "varchar"),
            ("campaign_name", "varchar"),
            ("channel", "varchar"),
            ("channel_label", "varchar"),
            ("currency", "varchar"),
            ("impressions", "bigint"),
            ("clicks", "bigint"),
            ("spend_original", "double"),
            ("spend", "double"),
            ("ctr", "double"),
            ("cpc", "double"),
            ("cpm", "double"),
            ("platform_conversions", "double"),
            ("platform_conversion_value", "double"),
        ],
    ),
    "channel_labels": (
        ("channel",),
        [
            ("channel", "varchar"),
            ("label", "varchar"),
            ("is_paid", "boolean"),
            ("is_marketing", "boolean"),
        ],
    ),
    "cost_per_stage_channel_monthly": (
        ("month", "channel"),
        [("month", "date"), ("channel", "varchar"), *_COST_COLUMNS],
    ),
    "cost_per_stage_campaign_monthly": (
        ("month", "campaign_key"),
        [
            ("month", "date"),
            ("campaign_key", "varchar"),
            ("campaign_name", "varchar"),
            *_COST_COLUMNS,
        ],  # fmt: skip
    ),
    "opportunity_velocity_monthly": (
        ("month", "channel"),
        [
            ("month", "date"),
            ("channel", "varchar"),
            ("is_month_total", "boolean"),
            ("opportunities", "bigint"),
            ("closed_opportunities", "bigint"),
            ("won_opportunities", "bigint"),
            ("lost_opportunities", "bigint"),
            ("won_revenue", "double"),
            ("win_rate", "double"),
            ("avg_won_amount", "double"),
            ("median_days_to_close_won", "double"),
            ("avg_days_to_close_won", "double"),
            ("pipeline_velocity", "double"),
        ],
    ),
    "lead_to_booking_monthly": (
        ("cohort_month", "channel"),
        [
            ("cohort_month", "date"),
            ("channel", "varchar"),
            ("leads", "bigint"),
            ("booked_people", "bigint"),
            ("booked_opportunities", "bigint"),
            ("bookings", "double"),
            ("lead_to_booking_rate", "double"),
            ("median_days_lead_to_booking", "double"),
        ],
    ),
    "budget_vs_actual_monthly": (
        ("month", "channel"),
        [
            ("month", "date"),
            ("channel", "varchar"),
            ("planned_spend", "double"),
            ("actual_spend", "double"),
            ("pacing", "double"),
            ("variance", "double"),
        ],
    ),
}

#: lower-level truths (not certified tables): written next to them for tests
AUX_TABLES: dict[str, list[str]] = {
    "people": [
        "person_id", "has_email", "hubspot_ids", "marketo_ids", "created_at", "lead_at",
        *[f"{s}_at" for s in CANONICAL_STAGES[1:]],
        *[f"{s}_is_implied" for s in CANONICAL_STAGES],
        "original_channel", "original_campaign_key", "first_touchpoint_id", "touch_count",
    ],
    "opportunities": [
        "opportunity_id", "created_at", "month", "currency", "amount", "amount_reporting",
        "is_won", "person_ids", "lead_at", "eligible_touch_count", "is_closed", "closed_at",
        "sourced_channel", "lead_person_id", "lead_channel",
    ],
    "opportunity_credits": [
        "opportunity_id", "attribution_model", "touchpoint_id", "touched_at", "channel",
        "campaign_key", "credit", "amount_reporting", "is_won",
    ],
}  # fmt: skip


#: the channel of opportunity_velocity_monthly's month-total row (no channel is named so)
ALL_CHANNELS = "all"


def _div(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _mean(values: array | list) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class _Aggregates:
    settings: Settings
    clock: Clock
    funnel: dict[tuple[date, str], list[int]] = field(default_factory=dict)
    funnel_campaign: dict[tuple[date, str], list[int]] = field(default_factory=dict)
    cohorts: dict[tuple[date, str], list[int]] = field(default_factory=dict)
    durations: dict[tuple[date, str, int], array] = field(default_factory=dict)
    attribution: dict[tuple[date, str, str, str], list[float]] = field(default_factory=dict)
    marketing: dict[tuple[date, str], list[float]] = field(default_factory=dict)
    pipeline: dict[date, list[float]] = field(default_factory=dict)
    # (month, sourced channel | ALL_CHANNELS) -> [opportunities, closed, won, lost, won revenue]
    velocity: dict[tuple[date, str], list[float]] = field(default_factory=dict)
    days_to_close_won: dict[tuple[date, str], array] = field(default_factory=dict)
    # (cohort month, original channel) -> [booked people, booked opportunities, bookings]
    bookings: dict[tuple[date, str], list[float]] = field(default_factory=dict)
    days_to_booking: dict[tuple[date, str], array] = field(default_factory=dict)
    # (opportunity id, model, channel, campaign key) -> credit; opportunity id -> its facts
    opportunity_credits: dict[tuple[str, str, str, str], float] = field(default_factory=dict)
    opportunity_facts: dict[str, dict] = field(default_factory=dict)

    def add_person(self, p: PersonTruth, booked: bool = False) -> None:
        """``booked``: the person is associated with at least one won opportunity."""
        clock = self.clock
        months: dict[str, date] = {}
        for i, stage in enumerate(CANONICAL_STAGES):
            at = p.entries.get(stage)
            if at is None:
                continue
            day = clock.day(at)
            months[stage] = month_of(day)
            self.funnel.setdefault((day, p.original_channel), [0] * 5)[i] += 1
            self.funnel_campaign.setdefault((month_of(day), p.original_campaign_key), [0] * 5)[
                i
            ] += 1
        lead_at = p.lead_at
        if lead_at is None:
            return
        cohort = (months["lead"], p.original_channel)
        if booked:
            self.bookings.setdefault(cohort, [0, 0, 0.0])[0] += 1
        counts = self.cohorts.setdefault(cohort, [0] * 5)
        for i, stage in enumerate(CANONICAL_STAGES):
            if stage in p.entries:
                counts[i] += 1
        for j, (a, b) in enumerate(CONVERSION_PAIRS):
            if b in p.entries and a in p.entries:
                key = (cohort[0], cohort[1], j)
                arr = self.durations.get(key)
                if arr is None:
                    arr = self.durations[key] = array("d")
                arr.append(days_between(p.entries[a], p.entries[b]))

    def add_opportunity(self, o: OpportunityTruth) -> None:
        month = self.clock.month(o.created_at)
        won = o.amount_reporting if o.is_won else 0.0
        self._add_velocity(o, month, won)
        if o.is_won and o.lead_at is not None:
            # a booking belongs to the cohort and original channel of the earliest-lead person
            cohort = (self.clock.month(o.lead_at), o.lead_channel)
            acc = self.bookings.setdefault(cohort, [0, 0, 0.0])
            acc[1] += 1
            acc[2] += o.amount_reporting
            self.days_to_booking.setdefault(cohort, array("d")).append(
                days_between(o.lead_at, o.closed_at)
            )
        self._add_opportunity_credits(o, month)
        for c in o.credits:
            if c.credit == 0:
                continue
            key = (month, c.model, c.channel, c.campaign_key)
            acc = self.attribution.setdefault(key, [0.0, 0.0, 0.0])
            acc[0] += c.credit
            acc[1] += c.credit * o.amount_reporting
            acc[2] += c.credit * won
        marketing = self.settings.marketing_channels
        # the first_touch credits list every eligible touch in order (or the unattributed one)
        eligible = [c for c in o.credits if c.model == "first_touch"]
        first = eligible[0].channel if eligible else UNATTRIBUTED
        sourced = first in marketing
        influencers = sorted({c.channel for c in eligible if c.channel in marketing})
        if sourced:
            acc = self.marketing.setdefault((month, first), [0.0] * 6)
            acc[0] += 1
            acc[1] += o.amount_reporting
            acc[2] += won
        for channel in influencers:
            acc = self.marketing.setdefault((month, channel), [0.0] * 6)
            acc[3] += 1
            acc[4] += o.amount_reporting
            acc[5] += won
        acc = self.pipeline.setdefault(month, [0.0] * 10)
        acc[0] += 1
        acc[1] += o.amount_reporting
        acc[2] += 1 if o.is_won else 0
        acc[3] += won
        if sourced:
            acc[4] += 1
            acc[5] += o.amount_reporting
            acc[6] += won
        if influencers:
            acc[7] += 1
            acc[8] += o.amount_reporting
            acc[9] += won

    def _add_velocity(self, o: OpportunityTruth, month: date, won: float) -> None:
        if o.closed_at is not None and o.closed_at < o.created_at:
            return  # a close before creation: a bad record, left out of velocity entirely
        for key in ((month, o.sourced_channel), (month, ALL_CHANNELS)):
            acc = self.velocity.setdefault(key, [0, 0, 0, 0, 0.0])
            acc[0] += 1
            acc[1] += o.is_closed
            acc[2] += o.is_won
            acc[3] += o.is_closed and not o.is_won
            acc[4] += won
            if o.is_won:
                self.days_to_close_won.setdefault(key, array("d")).append(o.days_to_close)

    # -- tables --

    def opportunity_velocity_monthly(self) -> list[dict]:
        out = []
        for key, (opps, closed, won, lost, revenue) in sorted(self.velocity.items()):
            days = self.days_to_close_won.get(key, array("d"))
            win_rate = _div(won, closed)
            avg_won = _div(revenue, won)
            avg_days = _mean(days)
            factors = (win_rate, avg_won, avg_days)
            velocity = (
                None
                if any(f is None for f in factors) or avg_days == 0
                else opps * win_rate * avg_won / avg_days
            )
            out.append(
                {
                    "month": key[0],
                    "channel": key[1],
                    "is_month_total": key[1] == ALL_CHANNELS,
                    "opportunities": opps,
                    "closed_opportunities": closed,
                    "won_opportunities": won,
                    "lost_opportunities": lost,
                    "won_revenue": revenue,
                    "win_rate": win_rate,
                    "avg_won_amount": avg_won,
                    "median_days_to_close_won": statistics.median(days) if days else None,
                    "avg_days_to_close_won": avg_days,
                    "pipeline_velocity": velocity,
                }
            )
        return out

    def lead_to_booking_monthly(self) -> list[dict]:
        out = []
        for key, counts in sorted(self.cohorts.items()):
            booked_people, booked_opps, bookings = self.bookings.get(key, [0, 0, 0.0])
            days = self.days_to_booking.get(key)
            out.append(
                {
                    "cohort_month": key[0],
                    "channel": key[1],
                    "leads": counts[0],
                    "booked_people": booked_people,
                    "booked_opportunities": booked_opps,
                    "bookings": bookings,
                    "lead_to_booking_rate": _div(booked_people, counts[0]),
                    "median_days_lead_to_booking": statistics.median(days) if days else None,
                }
            )
        return out

    def funnel_daily(self) -> list[dict]:
        out = []
        for (day, channel), counts in sorted(self.funnel.items()):
            row = {"date": day, "channel": channel}
            row.update({f"entered_{s}": counts[i] for i, s in enumerate(CANONICAL_STAGES)})
            out.append(row)
        return out

    def funnel_cohorts(self) -> list[dict]:
        out = []
        index = {s: i for i, s in enumerate(CANONICAL_STAGES)}
        for (month, channel), counts in sorted(self.cohorts.items()):
            row: dict = {"cohort_month": month, "channel": channel, "leads": counts[0]}
            for i, s in enumerate(CANONICAL_STAGES[1:], start=1):
                row[f"reached_{s}"] = counts[i]
            for a, b in CONVERSION_PAIRS:
                row[f"conv_{a}_to_{b}"] = _div(counts[index[b]], counts[index[a]])
            for j, (a, b) in enumerate(CONVERSION_PAIRS):
                values = self.durations.get((month, channel, j))
                row[f"median_days_{a}_to_{b}"] = statistics.median(values) if values else None
            out.append(row)
        return out

    def _add_opportunity_credits(self, o: OpportunityTruth, month: date) -> None:
        """One opportunity's credits per model, channel and campaign (touches of the same
        campaign added up, zero credits left out), with the facts a reader sees of it."""
        opportunity = str(o.opportunity_id)
        status = "won" if o.is_won else "lost" if o.is_closed else "open"
        self.opportunity_facts[opportunity] = {
            "created_date": self.clock.day(o.created_at),
            "created_month": month,
            "status": status,
            "closed_date": None if o.closed_at is None else self.clock.day(o.closed_at),
            "amount": o.amount_reporting,
        }
        for c in o.credits:
            if c.credit == 0:
                continue
            key = (opportunity, c.model, c.channel, c.campaign_key)
            self.opportunity_credits[key] = self.opportunity_credits.get(key, 0.0) + c.credit

    def opportunity_attribution(self, names: dict[str, str]) -> list[dict]:
        labels = {c.channel: c.label for c in self.settings.channels}
        out = []
        for (opportunity, model, channel, campaign), credit in sorted(
            self.opportunity_credits.items()
        ):
            facts = self.opportunity_facts[opportunity]
            amount = facts["amount"]
            out.append(
                {
                    "opportunity_id": opportunity,
                    **facts,
                    "attribution_model": model,
                    "is_default_model": model == self.settings.default_attribution_model,
                    "channel": channel,
                    "channel_label": labels[channel],
                    "campaign_key": campaign,
                    "campaign_name": names.get(campaign)
                    or (NO_CAMPAIGN_NAME if campaign == NO_CAMPAIGN else campaign),
                    "credit": credit,
                    "attributed_pipeline": credit * amount,
                    "attributed_won_revenue": credit * amount if facts["status"] == "won" else 0.0,
                }
            )
        return out

    def pipeline_attribution_monthly(self) -> list[dict]:
        return [
            {
                "month": month,
                "attribution_model": model,
                "is_default_model": model == self.settings.default_attribution_model,
                "channel": channel,
                "campaign_key": campaign,
                "attributed_opportunities": acc[0],
                "attributed_pipeline": acc[1],
                "attributed_won_revenue": acc[2],
            }
            for (month, model, channel, campaign), acc in sorted(self.attribution.items())
        ]

    def marketing_pipeline_monthly(self) -> list[dict]:
        names = [c for c, _ in _MARKETING]
        out = []
        for (month, channel), acc in sorted(self.marketing.items()):
            row = {"month": month, "channel": channel}
            row.update(
                {
                    n: (int(v) if n.endswith("opportunities") else v)
                    for n, v in zip(names, acc, strict=True)
                }
            )
            out.append(row)
        return out

    def pipeline_monthly(self) -> list[dict]:
        names = ["opportunities", "pipeline", "won_opportunities", "won_revenue"]
        names += [c for c, _ in _MARKETING]
        out = []
        for month, acc in sorted(self.pipeline.items()):
            row = {"month": month}
            row.update(
                {
                    n: (int(v) if n.endswith("opportunities") else v)
                    for n, v in zip(names, acc, strict=True)
                }
            )
            out.append(row)
        return out


def _cost_rows(
    dim: str,
    spend: dict[tuple[date, str], float],
    entered: dict[tuple[date, str], list[int]],
    attributed: dict[tuple[date, str], list[float]],
    model: str,
    gross_margin: float,
) -> list[dict]:
    out = []
    for key in sorted(set(spend) | set(entered) | set(attributed)):
        month, value = key
        s = spend.get(key, 0.0)
        counts = entered.get(key, [0] * 5)
        pipe, won = attributed.get(key, [0.0, 0.0])
        row: dict = {"month": month, dim: value, "spend": s}
        row.update({n: counts[i] for i, n in enumerate(_STAGE_COUNTS)})
        row.update({n: _div(s, counts[i]) for i, n in enumerate(_COSTS)})
        row.update(
            {
                "attribution_model": model,
                "attributed_pipeline": pipe,
                "attributed_won_revenue": won,
                "pipeline_roi": _div(pipe, s),
                "roas": _div(won, s),
                "gross_margin": gross_margin,
                "romi": _div(won * gross_margin - s, s),
            }
        )
        out.append(row)
    return out


#: the name of the `(none)` campaign key, as a reader sees it
NO_CAMPAIGN_NAME = "(no campaign)"


def campaign_names(world: World) -> dict[str, str]:
    """Campaign key -> the name a reader sees: the ad platform campaign's or the Marketo
    program's own name, as the world's systems serve them."""
    names = {c.campaign_key: c.name for c in world.ad_campaigns if c.platform in world.systems}
    if PROGRAM_PLATFORM in world.systems:
        names |= {p.campaign_key: p.name for p in world.visible_programs()}
    if "salesforce" in world.systems:  # its campaigns: the programs by their own names
        names |= {salesforce_campaign_key(p.program_id): p.name for p in world.visible_programs()}
    return names


def _with_campaign_names(rows: list[dict], names: dict[str, str]) -> list[dict]:
    """The campaign cost rows with ``campaign_name`` after ``campaign_key``: a known campaign's
    name, the UTM value itself for a campaign only touches name, NO_CAMPAIGN_NAME for none."""
    out = []
    for row in rows:
        key = row["campaign_key"]
        name = names.get(key) or (NO_CAMPAIGN_NAME if key == NO_CAMPAIGN else key)
        out.append({"month": row["month"], "campaign_key": key, "campaign_name": name, **row})
    return out


@dataclass
class Truth:
    settings: Settings
    tables: dict[str, list[dict]]

    def table(self, name: str) -> list[dict]:
        return self.tables[name]


def compute_truth(
    world: World,
    settings: Settings | None = None,
    *,
    on_person: Callable[[PersonTruth], None] | None = None,
    on_opportunity: Callable[[OpportunityTruth], None] | None = None,
    served_closes: Mapping[int, datetime] | None = None,
) -> Truth:
    """Every certified table of the world as observed at ``world.now`` (one streaming pass),
    counting only what the world's systems (``world.systems``) record.

    ``served_closes``: deal id -> the close instant the CRM served instead of the world's (the
    bad record ``close_before_creation`` of ``sandbox/apis/hubspot.py``), so that the truth is
    that of what the warehouse loaded."""
    settings = settings or Settings()
    if settings.default_attribution_model not in MODELS:
        raise ValueError(f"unknown attribution model {settings.default_attribution_model!r}")
    clock = Clock(settings.reporting_timezone)
    fx = recorded_fx(world)
    agg = _Aggregates(settings, clock)
    for people, opportunity in iter_truth(world, settings, fx):
        # a person's opportunities are those of their own company bundle
        booked = set(opportunity.person_ids) if opportunity and opportunity.is_won else set()
        for p in people:
            agg.add_person(p, booked=p.person_id in booked)
            if on_person is not None:
                on_person(p)
        served = (served_closes or {}).get(opportunity.opportunity_id) if opportunity else None
        if served is not None:
            opportunity = replace(opportunity, closed_at=served)
        if opportunity is not None:
            agg.add_opportunity(opportunity)
            if on_opportunity is not None:
                on_opportunity(opportunity)

    spend = spend_rows(world, settings, fx)
    spend_channel: dict[tuple[date, str], float] = defaultdict(float)
    spend_campaign: dict[tuple[date, str], float] = defaultdict(float)
    for r in spend:
        spend_channel[(month_of(r["date"]), r["channel"])] += r["spend"]
        spend_campaign[(month_of(r["date"]), r["campaign_key"])] += r["spend"]

    entered_channel: dict[tuple[date, str], list[int]] = {}
    for (day, channel), counts in agg.funnel.items():
        acc = entered_channel.setdefault((month_of(day), channel), [0] * 5)
        for i in range(5):
            acc[i] += counts[i]

    model = settings.default_attribution_model
    attributed_channel: dict[tuple[date, str], list[float]] = {}
    attributed_campaign: dict[tuple[date, str], list[float]] = {}
    for (month, m, channel, campaign), acc in sorted(agg.attribution.items()):
        if m != model:
            continue
        for target, value in ((attributed_channel, channel), (attributed_campaign, campaign)):
            a = target.setdefault((month, value), [0.0, 0.0])
            a[0] += acc[1]
            a[1] += acc[2]

    budget = read_budget(settings.budget_path)
    budget_rows = []
    for month, channel in sorted(set(budget) | set(spend_channel)):
        planned = budget.get((month, channel), 0.0)
        actual = spend_channel.get((month, channel), 0.0)
        budget_rows.append(
            {
                "month": month,
                "channel": channel,
                "planned_spend": planned,
                "actual_spend": actual,
                "pacing": _div(actual, planned),
                "variance": actual - planned,
            }
        )

    tables = {
        "funnel_daily": agg.funnel_daily(),
        "funnel_cohorts": agg.funnel_cohorts(),
        "pipeline_attribution_monthly": agg.pipeline_attribution_monthly(),
        "marketing_pipeline_monthly": agg.marketing_pipeline_monthly(),
        "pipeline_monthly": agg.pipeline_monthly(),
        "spend_daily": spend,
        "ad_performance_daily": ad_performance_rows(world, settings, fx),
        "channel_labels": [
            {
                "channel": c.channel,
                "label": c.label,
                "is_paid": c.is_paid,
                "is_marketing": c.is_marketing,
            }
            for c in settings.channels
        ],
        "cost_per_stage_channel_monthly": _cost_rows(
            "channel",
            spend_channel,
            entered_channel,
            attributed_channel,
            model,
            settings.gross_margin,
        ),
        "cost_per_stage_campaign_monthly": _with_campaign_names(
            _cost_rows(
                "campaign_key",
                spend_campaign,
                agg.funnel_campaign,
                attributed_campaign,
                model,
                settings.gross_margin,
            ),
            campaign_names(world),
        ),
        "budget_vs_actual_monthly": budget_rows,
        "opportunity_velocity_monthly": agg.opportunity_velocity_monthly(),
        "lead_to_booking_monthly": agg.lead_to_booking_monthly(),
        "opportunity_attribution": agg.opportunity_attribution(campaign_names(world)),
    }
    return Truth(settings, tables)


# --- CSV ----------------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list | frozenset):
        return "|".join(str(v) for v in value)
    return str(value)


def _write(path: Path, columns: list[str], rows: Iterable[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([_cell(row[c]) for c in columns])


def _person_row(p: PersonTruth) -> dict:
    row = {
        "person_id": p.person_id,
        "has_email": p.has_email,
        "hubspot_ids": p.hubspot_ids,
        "marketo_ids": p.marketo_ids,
        "created_at": p.created_at,
        "original_channel": p.original_channel,
        "original_campaign_key": p.original_campaign_key,
        "first_touchpoint_id": p.first_touchpoint_id,
        "touch_count": p.touch_count,
    }
    for s in CANONICAL_STAGES:
        row[f"{s}_at"] = p.entries.get(s)
        row[f"{s}_is_implied"] = (s in p.implied) if s in p.entries else None
    return row


def write_truth(world: World, out_dir: Path | str, settings: Settings | None = None) -> Truth:
    """Write every certified table and the lower-level truths as CSV files into out_dir.

    Rows: certified tables sorted by their grain; people and opportunities in world order
    (company index, then person index; a not yet merged duplicate contact after its primary).
    """
    settings = settings or Settings()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clock = Clock(settings.reporting_timezone)
    files = {name: open(out / f"{name}.csv", "w", newline="") for name in AUX_TABLES}  # noqa: SIM115
    try:
        writers = {name: csv.writer(f, lineterminator="\n") for name, f in files.items()}
        for name, columns in AUX_TABLES.items():
            writers[name].writerow(columns)

        def on_person(p: PersonTruth) -> None:
            row = _person_row(p)
            writers["people"].writerow([_cell(row[c]) for c in AUX_TABLES["people"]])

        def on_opportunity(o: OpportunityTruth) -> None:
            row = {
                "opportunity_id": o.opportunity_id,
                "created_at": o.created_at,
                "month": clock.month(o.created_at),
                "currency": o.currency,
                "amount": o.amount,
                "amount_reporting": o.amount_reporting,
                "is_won": o.is_won,
                "person_ids": o.person_ids,
                "lead_at": o.lead_at,
                "eligible_touch_count": o.eligible_touch_count,
                "is_closed": o.is_closed,
                "closed_at": o.closed_at,
                "sourced_channel": o.sourced_channel,
                "lead_person_id": o.lead_person_id,
                "lead_channel": o.lead_channel,
            }
            writers["opportunities"].writerow([_cell(row[c]) for c in AUX_TABLES["opportunities"]])
            for c in o.credits:
                writers["opportunity_credits"].writerow(
                    [
                        _cell(v)
                        for v in (
                            o.opportunity_id, c.model, c.touch_id, c.touched_at, c.channel,
                            c.campaign_key, c.credit, o.amount_reporting, o.is_won,
                        )
                    ]
                )  # fmt: skip

        truth = compute_truth(world, settings, on_person=on_person, on_opportunity=on_opportunity)
    finally:
        for f in files.values():
            f.close()
    for name, (_, columns) in TABLES.items():
        _write(out / f"{name}.csv", [c for c, _ in columns], truth.tables[name])
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, default=1_000)
    parser.add_argument("--start", type=date.fromisoformat, default=World.start)
    parser.add_argument("--end", type=date.fromisoformat, default=World.end)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    parser.add_argument("--out", type=Path, default=Path("data/truth"))
    parser.add_argument("--reporting-currency", default=Settings.reporting_currency)
    parser.add_argument("--reporting-timezone", default=Settings.reporting_timezone)
    parser.add_argument("--lookback-days", type=float, default=Settings.attribution_lookback_days)
    parser.add_argument("--half-life-days", type=float, default=Settings.time_decay_half_life_days)
    parser.add_argument("--model", default=Settings.default_attribution_model)
    parser.add_argument("--budget", type=Path, default=Settings.budget_path)
    parser.add_argument("--gross-margin", type=float, default=Settings.gross_margin)
    parser.add_argument(
        "--systems", type=parse_systems, default=None,
        help="the world's systems, comma-separated (default: every registered one, one CRM)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    world = World(args.seed, args.scale, args.start, args.end, args.as_of, systems=args.systems)
    settings = Settings(
        reporting_currency=args.reporting_currency,
        reporting_timezone=args.reporting_timezone,
        attribution_lookback_days=args.lookback_days,
        time_decay_half_life_days=args.half_life_days,
        default_attribution_model=args.model,
        budget_path=args.budget,
        gross_margin=args.gross_margin,
    )
    truth = write_truth(world, args.out, settings)
    for name, rows in truth.tables.items():
        print(f"{name}: {len(rows)} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
