"""A deterministic simulated B2B marketing organisation.

``World(seed, scale, start, end)`` describes one organisation: ad accounts and campaigns on four
ad platforms, Marketo programs, companies whose people arrive through touchpoints and move through
the lifecycle, deals, and daily FX rates. ``scale`` is the number of people who arrive between
``start`` and ``end``; the world goes on at the same rate after ``end`` so that it can be
advanced (``advance(days)``) for incremental-load tests.

Everything is a pure function of the seed and an entity's index:

* people are grouped into companies; company ``k`` starts at a time that grows with ``k`` and
  owns a contiguous block of person indices (``company_offsets``), so any person, company or
  deal can be regenerated on its own, and a million-person world can be streamed page by page;
* a company's whole history (its people's touches, stage changes, its deal and the deal's later
  revisions) is generated at once from the company's own random stream; ``as_of`` only decides
  what is visible. Advancing a world therefore never changes the past, it only reveals
  new activity and late updates to old records (a deal closing, an amount revised);
* ad platform figures for the most recent ``RESTATEMENT_DAYS`` days are preliminary and are
  restated to their final values as the world advances.

The world holds "truth" in source-neutral terms (canonical stages, channels, the human behind
each record). ``sandbox/apis`` turns it into the vendors' wire shapes and
``sandbox/truth.py`` computes the certified metrics from it.

Systems: ``World(..., systems={"hubspot", "google_ads"})`` is the same organisation seen through
only some of the registered source systems (``warehouse/sources.yml``; default: every one). What
happens does not change, only what is recorded: the sandbox serves only the world's systems and
the ground truth counts only what they record (see ``World``).
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from warehouse.sources import registry

DAY = timedelta(days=1)

# --- constants shared by the APIs and the ground truth -------------------------------------

CANONICAL_STAGES = ("lead", "mql", "sql", "opportunity", "customer")
STAGE_ORDER = {stage: i + 1 for i, stage in enumerate(CANONICAL_STAGES)}

#: HubSpot lifecycle values in the order HubSpot shows them, and their canonical stage.
HUBSPOT_STAGES = {
    "subscriber": "lead",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "salesqualifiedlead": "sql",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "customer",
}
#: Marketo lead status values written by the (simulated) lead lifecycle program.
MARKETO_STATUSES = {"New": "lead", "Marketing Qualified": "mql", "Sales Qualified": "sql"}

CHANNELS = (
    "paid_search",
    "paid_social",
    "display",
    "email",
    "events",
    "organic_search",
    "organic_social",
    "referral",
    "partner",
    "direct",
)

#: HubSpot's original-source value written for a person whose first touch has this channel.
HUBSPOT_ANALYTICS_SOURCE = {
    "paid_search": "PAID_SEARCH",
    "paid_social": "PAID_SOCIAL",
    "display": "OTHER_CAMPAIGNS",
    "email": "EMAIL_MARKETING",
    "events": "OFFLINE",
    "organic_search": "ORGANIC_SEARCH",
    "organic_social": "SOCIAL_MEDIA",
    "referral": "REFERRALS",
    "partner": "OTHER_CAMPAIGNS",
    "direct": "DIRECT_TRAFFIC",
}

REPORTING_CURRENCY = "USD"
FX_BASE = "EUR"
CURRENCIES = ("USD", "EUR", "GBP")
MARKETO_CURRENCY = "USD"  # the reporting currency already: single-currency worlds keep it

RESTATEMENT_DAYS = 3  # ad platforms revise the last few days' figures
FX_HISTORY_DAYS = 40  # rates are published from this many days before the world's start
MAX_COMPANY_SPAN = timedelta(days=365)  # every event of a company falls within this of its start
PERSON_ARRIVAL_SPREAD_DAYS = 40
MEAN_COMPANY_SIZE = 3.0
SAME_DAY_CLOSE_SHARE = 0.1  # of the closed deals: closed on the (UTC) day they are created

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farah", "Gus", "Hana", "Ivan", "Jade", "Kofi",
    "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Vik",
    "Wen", "Xena", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Abara", "Berg", "Costa", "Dubois", "Eze", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Quist", "Rossi", "Silva",
    "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
    "Kestrel", "Lumen", "Meridian", "Nimbus", "Onyx", "Pioneer", "Quartz", "Ridge", "Summit",
    "Tidal", "Umbra", "Vertex", "Willow", "Zenith",
)  # fmt: skip
COMPANY_SUFFIXES = ("Labs", "Systems", "Group", "Analytics", "Logistics", "Health", "Works")


# --- dimension records ----------------------------------------------------------------------


@dataclass(frozen=True)
class AdAccount:
    platform: str  # google_ads | meta | linkedin | microsoft_ads
    account_id: str
    name: str
    currency: str
    timezone: str  # IANA zone: the account reports in its own dates, daylight saving included

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(ZoneInfo(self.timezone)).date()

    def local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=ZoneInfo(self.timezone))


@dataclass(frozen=True)
class AdCampaign:
    platform: str
    account_id: str
    campaign_id: str
    name: str  # UTM convention: <platform>_<type>_<topic>_<region>
    kind: str  # search | display | social
    channel: str  # paid_search | display | paid_social
    daily_budget: float  # account currency, at scale 10,000 people
    start: date  # account-local first day of delivery

    @property
    def campaign_key(self) -> str:
        """The certified campaign key, ``<platform>:<campaign_id>``."""
        return f"{self.platform}:{self.campaign_id}"


@dataclass(frozen=True)
class AdDay:
    """One campaign-day as the platform reports it on the world's ``as_of``."""

    campaign: AdCampaign
    day: date  # account-local reporting date
    impressions: int
    clicks: int
    cost: float  # account currency
    is_final: bool  # False while the day is still inside the restatement window
    #: the platform's own count of conversions it attributes to the campaign's day, by its own
    #: rules (Google's data-driven attribution gives fractions; the others count whole ones)
    conversions: float = 0.0
    conversion_value: float = 0.0  # account currency, the value the advertiser assigned them


@dataclass(frozen=True)
class ProgramCost:
    start_date: date  # the day the period cost is booked
    cost: float  # MARKETO_CURRENCY
    note: str


@dataclass(frozen=True)
class Program:
    program_id: int
    name: str
    channel: str  # Marketo program channel: Webinar | Tradeshow | Email Send
    canonical_channel: str  # events | email
    type: str  # Event | Email | Default
    created_at: datetime
    event_day: date | None
    costs: tuple[ProgramCost, ...]

    @property
    def campaign_key(self) -> str:
        """The certified campaign key of a Marketo program, ``marketo:<program_id>``."""
        return f"marketo:{self.program_id}"


@dataclass(frozen=True)
class FxRate:
    day: date
    currency: str  # units of `currency` per one FX_BASE
    rate: float


#: the organisation's ad accounts in their native currencies (``World.ad_accounts`` may override
#: the currency); campaign names carry the account's region, which never changes
_AD_ACCOUNTS = (
    AdAccount("google_ads", "1234567890", "Acme Google Ads US", "USD", "America/New_York"),
    AdAccount("google_ads", "9876543210", "Acme Google Ads EU", "EUR", "Europe/Berlin"),
    AdAccount("meta", "act_101010101", "Acme Meta UK", "GBP", "Europe/London"),
    AdAccount("meta", "act_202020202", "Acme Meta US", "USD", "America/Los_Angeles"),
    AdAccount("linkedin", "508000001", "Acme LinkedIn", "USD", "America/Chicago"),
    AdAccount("microsoft_ads", "180000001", "Acme Microsoft Ads", "EUR", "Europe/Paris"),
)  # fmt: skip


# --- people, touches, deals -----------------------------------------------------------------


@dataclass(frozen=True)
class Touch:
    """One marketing interaction, as Marketo records it (an activity)."""

    activity_id: int
    at: datetime
    kind: str  # visit | form | email_click | attended
    channel: str  # the channel the rules must assign
    campaign_key: str | None  # ground-truth campaign: "<platform>:<id>", "marketo:<id>" or utm text
    query: dict[str, str]  # URL query parameters as recorded (UTM, click ids)
    program_id: int | None = None  # email / event programs
    page: str = "/"

    @property
    def touchpoint_id(self) -> str:
        return touchpoint_id(self.activity_id)


def touchpoint_id(activity_id: int) -> str:
    """Touchpoint ids sort as text in the same order as the activity ids sort as numbers."""
    return f"marketo-{activity_id:015d}"


@dataclass(frozen=True)
class StatusChange:
    """A Marketo lead status change (activity type 13, Change Data Value on Lead Status)."""

    activity_id: int
    at: datetime
    old: str | None
    new: str


@dataclass(frozen=True)
class DuplicateContact:
    """A second HubSpot contact for the same human, later merged into the primary one."""

    contact_id: int
    email: str
    created_at: datetime
    merged_at: datetime


@dataclass(frozen=True)
class Person:
    idx: int
    company_idx: int
    first_name: str
    last_name: str
    email: str | None  # canonical (lowercase) address; None: the person never gave one
    hubspot_email: str | None  # as typed into the CRM (case varies)
    marketo_email: str | None  # as the automation platform holds it
    hubspot_id: int | None  # None: not in the CRM
    marketo_id: int | None  # None: not in the automation platform
    created_at: datetime  # when the person became known (lead creation)
    touches: tuple[Touch, ...]  # sorted by (at, activity_id)
    hubspot_stage_dates: dict[str, datetime]  # HubSpot lifecycle value -> entry instant
    marketo_status_changes: tuple[StatusChange, ...]
    hs_analytics_source: str
    duplicate: DuplicateContact | None

    @property
    def true_stage_dates(self) -> dict[str, datetime]:
        """Canonical stage -> earliest entry over every source record (before the monotone rule)."""
        out: dict[str, datetime] = {}
        for value, at in self.hubspot_stage_dates.items():
            stage = HUBSPOT_STAGES[value]
            if stage not in out or at < out[stage]:
                out[stage] = at
        for change in self.marketo_status_changes:
            stage = MARKETO_STATUSES[change.new]
            if stage not in out or change.at < out[stage]:
                out[stage] = change.at
        return out


@dataclass(frozen=True)
class DealRevision:
    at: datetime
    amount: float


@dataclass(frozen=True)
class Deal:
    deal_id: int
    company_idx: int
    name: str
    created_at: datetime
    amount: float  # at creation, in `currency`
    currency: str
    contact_idxs: tuple[int, ...]  # person indices associated with the deal
    closed_at: datetime | None
    is_won: bool
    revision: DealRevision | None  # a later change of amount (a late update to an old record)
    stage_path: tuple[tuple[datetime, str], ...]  # HubSpot dealstage values over time

    def amount_as_of(self, as_of: datetime) -> float:
        if self.revision is not None and self.revision.at < as_of:
            return self.revision.amount
        return self.amount

    def stage_as_of(self, as_of: datetime) -> str:
        current = self.stage_path[0][1]
        for at, stage in self.stage_path:
            if at < as_of:
                current = stage
        return current

    def is_closed_as_of(self, as_of: datetime) -> bool:
        return self.closed_at is not None and self.closed_at < as_of

    def last_modified_as_of(self, as_of: datetime) -> datetime:
        times = [self.created_at] + [at for at, _ in self.stage_path if at < as_of]
        if self.revision is not None and self.revision.at < as_of:
            times.append(self.revision.at)
        return max(times)


@dataclass(frozen=True)
class Company:
    idx: int
    company_id: int  # HubSpot id
    name: str
    domain: str
    currency: str
    country: str
    started_at: datetime
    created_at: datetime  # first person's creation


@dataclass(frozen=True)
class CompanyBundle:
    company: Company
    people: tuple[Person, ...]
    deal: Deal | None


# --- the world ------------------------------------------------------------------------------


def _utc(d: date, seconds: float = 0.0) -> datetime:
    return datetime.combine(d, time(), tzinfo=UTC) + timedelta(seconds=seconds)


def _exp_days(rng: random.Random, mean: float, cap: float) -> timedelta:
    return timedelta(days=min(rng.expovariate(1.0 / mean), cap))


def _second(dt: datetime) -> datetime:
    return dt.replace(microsecond=0)


def registered_systems() -> tuple[str, ...]:
    """Every registered source system, in the registry's order (``warehouse/sources.yml``)."""
    return tuple(registry())


def registered_crms() -> tuple[str, ...]:
    """The registered CRMs (kind ``crm``), in the registry's order; the first is the default."""
    return tuple(name for name, s in registry().items() if s.kind == "crm")


def default_systems(crm: str | None = None) -> frozenset[str]:
    """Every registered system but one CRM: ``crm`` (default: the first registered CRM)."""
    crms = registered_crms()
    crm = crms[0] if crm is None else crm
    if crm not in crms:
        raise ValueError(f"unknown CRM {crm!r}: registered CRMs are {', '.join(crms)}")
    return frozenset(name for name in registry() if name == crm or name not in crms)


def parse_systems(text: str) -> frozenset[str]:
    """``"hubspot,google_ads"`` -> the set of names (command lines: ``--systems``)."""
    names = frozenset(part.strip() for part in text.split(",") if part.strip())
    known = registered_systems()
    unknown = sorted(names - set(known))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown systems {', '.join(unknown)}: registered are {', '.join(known)}"
        )
    return names


@dataclass(frozen=True)
class World:
    """One simulated organisation, observed at ``now``.

    ``systems`` is the set of registered source systems (``warehouse/sources.yml`` names) the
    organisation has; ``None`` (the default) is every registered one but a single CRM: ``crm``
    (HubSpot, the first registered CRM, unless set). An organisation runs one CRM: the same
    people, companies and deals are rendered by HubSpot's API or by Salesforce's, and the
    ground truth is the same. ``crm`` may be left out when ``systems`` names the CRM. A world
    with only some
    systems is the same organisation seen through only those systems: the same people, touches,
    deals, campaigns and programs happen (generation draws the same random numbers), but the
    sandbox serves only the world's systems (``SandboxServer``) and the ground truth counts only
    what they record (``sandbox/truth.py``): without the automation platform there are no leads,
    activities or program costs, without an ad platform none of its spend, without the CRM no
    contacts and no deals.

    One choice goes beyond recording: an organisation with no FX feed (no system of kind ``fx``)
    is **single-currency**. A team that cannot convert money cannot report it in one currency
    unless it is already in one, so every deal, ad account and automation program cost is in
    the reporting currency (``REPORTING_CURRENCY``, USD). Generation is otherwise unchanged: the
    currency is still drawn (so every other value stays the same as in the full world) and then
    replaced; campaign names keep the region of the account's native currency.
    """

    seed: int = 7
    scale: int = 1_000
    start: date = date(2025, 1, 1)
    end: date = date(2025, 7, 1)  # exclusive: people arrive in [start, end)
    as_of: date | None = None  # the world's "today" (exclusive); defaults to `end`
    systems: frozenset[str] | None = None  # registered source names; None: default_systems(crm)
    crm: str | None = None  # the CRM that renders the world's CRM records (None: see systems)

    def __post_init__(self) -> None:
        known = registered_systems()
        if self.systems is None:
            systems = default_systems(self.crm)
        elif isinstance(self.systems, str):
            raise TypeError(f"systems must be a collection of names, not {self.systems!r}")
        else:
            systems = frozenset(self.systems)
        unknown = sorted(systems - set(known))
        if unknown:
            raise ValueError(
                f"unknown systems {', '.join(unknown)}: registered are {', '.join(known)}"
            )
        crms = [name for name in registered_crms() if name in systems]
        if len(crms) > 1:
            raise ValueError(f"a world runs one CRM, not {', '.join(crms)}")
        if self.crm is not None and crms and crms != [self.crm]:
            raise ValueError(f"crm={self.crm!r} but the systems hold the CRM {crms[0]!r}")
        crm = crms[0] if crms else (self.crm or registered_crms()[0])
        object.__setattr__(self, "systems", systems)
        object.__setattr__(self, "crm", crm)

    # -- systems ----------------------------------------------------------------------------

    @property
    def system_names(self) -> tuple[str, ...]:
        """The world's systems in the registry's order."""
        return tuple(name for name in registered_systems() if name in self.systems)

    @cached_property
    def single_currency(self) -> bool:
        """No FX feed among the systems: every amount is in ``REPORTING_CURRENCY``."""
        sources = registry()
        return not any(sources[name].kind == "fx" for name in self.systems)

    # -- time ---------------------------------------------------------------------------------

    @property
    def today(self) -> date:
        return self.as_of or self.end

    @property
    def now(self) -> datetime:
        """The instant the world is observed at: everything strictly before it is visible."""
        return _utc(self.today)

    def advance(self, days: int) -> World:
        return replace(self, as_of=self.today + timedelta(days=days))

    @property
    def period_days(self) -> int:
        return (self.end - self.start).days

    @property
    def companies_in_period(self) -> int:
        return max(1, round(self.scale / MEAN_COMPANY_SIZE))

    def company_start(self, k: int) -> datetime:
        """Company k's first moment; increases with k, continuing past `end` at the same rate."""
        u = random.Random(f"{self.seed}:cstart:{k}").random()
        seconds_per_company = self.period_days * 86_400 / self.companies_in_period
        return _second(_utc(self.start, (k + u) * seconds_per_company))

    @cached_property
    def company_offsets(self) -> np.ndarray:
        """offsets[k] is the first person index of company k (room for 4x the period)."""
        n = self.companies_in_period * 4 + 8
        sizes = np.random.default_rng([self.seed, 11]).integers(1, 6, size=n)  # mean 3
        return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    def company_count(self) -> int:
        """Companies whose first moment is before `now` (monotone in k)."""
        now = self.now
        lo, hi = 0, len(self.company_offsets) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.company_start(mid) < now:
                lo = mid + 1
            else:
                hi = mid
        if lo >= len(self.company_offsets) - 2:
            raise ValueError("world advanced beyond 4x its period; make a larger world")
        return lo

    def first_company_active_since(self, since: datetime) -> int:
        """The smallest k whose events can fall at or after `since`."""
        threshold = since - MAX_COMPANY_SPAN
        lo, hi = 0, self.company_count()
        while lo < hi:
            mid = (lo + hi) // 2
            if self.company_start(mid) < threshold:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def company_of_person(self, idx: int) -> int:
        return int(np.searchsorted(self.company_offsets, idx, side="right") - 1)

    # -- dimensions -----------------------------------------------------------------------------

    @cached_property
    def ad_accounts(self) -> tuple[AdAccount, ...]:
        """Every ad account of the organisation, on every ad platform (also those the world does
        not record: their campaigns still run and are named in touches' UTM parameters)."""
        if self.single_currency:
            return tuple(replace(a, currency=REPORTING_CURRENCY) for a in _AD_ACCOUNTS)
        return _AD_ACCOUNTS

    @cached_property
    def ad_campaigns(self) -> tuple[AdCampaign, ...]:
        rng = random.Random(f"{self.seed}:campaigns")
        plan = {
            "google_ads": [("search", "brand"), ("search", "competitor"), ("search", "category"),
                           ("display", "retargeting")],
            "meta": [("social", "leadgen"), ("social", "retargeting")],
            "linkedin": [("social", "abm"), ("social", "webinar_promo"), ("social", "leadgen")],
            "microsoft_ads": [("search", "brand"), ("search", "category"), ("display", "audience")],
        }  # fmt: skip
        prefix = {"google_ads": "gads", "meta": "meta", "linkedin": "li", "microsoft_ads": "msads"}
        region = {"USD": "us", "EUR": "eu", "GBP": "uk"}
        out = []
        for n, account in enumerate(_AD_ACCOUNTS):  # native currencies: the region of a name
            for m, (kind, topic) in enumerate(plan[account.platform]):
                channel = {"search": "paid_search", "display": "display"}.get(kind, "paid_social")
                out.append(
                    AdCampaign(
                        platform=account.platform,
                        account_id=account.account_id,
                        campaign_id=str(rng.randint(10**9, 10**10 - 1) if account.platform
                                        != "linkedin" else 700_000_000 + n * 100 + m),
                        name=f"{prefix[account.platform]}_{kind}_{topic}_{region[account.currency]}",
                        kind=kind,
                        channel=channel,
                        daily_budget=round(rng.uniform(40, 260), 2),
                        # campaigns start delivering up to 20 days before the first people
                        # arrive, as real ones do: spend dated in the December before `start`
                        start=self.start - timedelta(days=rng.randint(0, 20)),
                    )
                )  # fmt: skip
        return tuple(out)

    @cached_property
    def _campaigns_by_channel(self) -> dict[str, tuple[AdCampaign, ...]]:
        return {ch: tuple(c for c in self.ad_campaigns if c.channel == ch) for ch in CHANNELS}

    def campaigns_for_channel(self, channel: str) -> tuple[AdCampaign, ...]:
        return self._campaigns_by_channel[channel]

    def account(self, account_id: str) -> AdAccount:
        for a in self.ad_accounts:
            if a.account_id == account_id:
                return a
        raise KeyError(f"no ad account {account_id!r} in this world")

    @property
    def spend_factor(self) -> float:
        """Spend grows with the number of people so that cost per lead stays realistic."""
        return self.scale / 10_000

    def ad_days(self, campaign: AdCampaign) -> Iterator[AdDay]:
        """The campaign's daily rows as reported on `as_of` (account-local dates before today)."""
        account = self.account(campaign.account_id)
        # the account's own "today": the local date of the world's instant
        local_today = account.local_date(self.now)
        d = campaign.start
        while d < local_today:
            rng = random.Random(f"{self.seed}:ad:{campaign.campaign_id}:{d.isoformat()}")
            weekday_factor = 0.6 if d.weekday() >= 5 else 1.0
            cost = (
                campaign.daily_budget * self.spend_factor * weekday_factor * rng.uniform(0.7, 1.1)
            )
            # delivery follows spend: impressions at the campaign's CPM, clicks at its CTR
            cpm = rng.uniform(20, 60) if campaign.kind != "display" else rng.uniform(2, 8)
            ctr = (
                rng.uniform(0.02, 0.06) if campaign.kind == "search" else rng.uniform(0.003, 0.012)
            )
            impressions = max(1, round(cost / cpm * 1000))
            clicks = int(impressions * ctr + rng.random())
            age = (local_today - d).days
            is_final = age > RESTATEMENT_DAYS
            if not is_final:
                # preliminary figures: conversions and invalid-click adjustments come later
                shrink = 1 - 0.04 * (RESTATEMENT_DAYS + 1 - age) * rng.random()
                cost *= shrink
                clicks = int(clicks * shrink)
                impressions = int(impressions * shrink)
            cost = round(cost, 2)
            conversions, value = self._ad_conversions(campaign, d, clicks, age)
            yield AdDay(campaign, d, impressions, clicks, cost, is_final, conversions, value)
            d += DAY

    def _ad_conversions(
        self, campaign: AdCampaign, d: date, clicks: int, age: int
    ) -> tuple[float, float]:
        """The conversions the platform reports for a campaign-day, and their value.

        Drawn from a generator of their own, so the delivery and cost of every day are those the
        world had before it had conversions. A share of the clicks converts (search most, display
        least); Google reports data-driven fractions, the others whole conversions; conversions
        of the last days keep arriving until the day is final.
        """
        rng = random.Random(f"{self.seed}:adconv:{campaign.campaign_id}:{d.isoformat()}")
        rate = {"search": (0.04, 0.10), "social": (0.02, 0.06)}.get(campaign.kind, (0.005, 0.02))
        count = int(clicks * rng.uniform(*rate) + rng.random())
        if age <= RESTATEMENT_DAYS:
            count = int(count * (1 - 0.15 * (RESTATEMENT_DAYS + 1 - age) * rng.random()))
        conversions = (
            round(count * rng.uniform(0.6, 1.0), 2) if campaign.platform == "google_ads" else count
        )
        return float(conversions), round(conversions * rng.uniform(40, 240), 2)

    def all_ad_days(self) -> Iterator[AdDay]:
        for campaign in self.ad_campaigns:
            yield from self.ad_days(campaign)

    @cached_property
    def programs(self) -> tuple[Program, ...]:
        rng = random.Random(f"{self.seed}:programs")
        out = []
        pid = 1001
        months = []
        m = date(self.start.year, self.start.month, 1)
        last = self.end + timedelta(days=3 * self.period_days)
        while m < last:
            months.append(m)
            m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
        for month in months:
            for channel, canonical, ptype, count in (
                ("Webinar", "events", "Event", 1),
                ("Tradeshow", "events", "Event", 1 if month.month % 3 == 1 else 0),
                ("Email Send", "email", "Email", 2),
            ):
                for i in range(count):
                    event_day = month + timedelta(days=rng.randint(5, 24))
                    topic = rng.choice(("pipeline", "attribution", "revops", "abm", "analytics"))
                    name = f"{month:%Y-%m} {channel} {topic.title()} {i + 1}"
                    base_cost = {"Webinar": 2500, "Tradeshow": 18000, "Email Send": 400}[channel]
                    costs = (
                        ProgramCost(month, round(base_cost * self.spend_factor
                                                 * rng.uniform(0.8, 1.2), 2), "Period cost"),
                    )  # fmt: skip
                    created = _utc(month - timedelta(days=20), rng.randint(0, 86_399))
                    out.append(Program(pid, name, channel, canonical, ptype, created,
                                       event_day if ptype == "Event" else None, costs))  # fmt: skip
                    pid += 1
        return tuple(out)

    def program(self, program_id: int) -> Program:
        return self.programs[program_id - 1001]

    def visible_programs(self) -> tuple[Program, ...]:
        return tuple(p for p in self.programs if p.created_at < self.now)

    @cached_property
    def _programs_by_month(self) -> dict[tuple[int, int], list[Program]]:
        out: dict[tuple[int, int], list[Program]] = {}
        for p in self.programs:
            out.setdefault((p.created_at.year, p.created_at.month), []).append(p)
        return out

    def programs_for(self, canonical: str, at: datetime) -> list[Program]:
        """Programs of a channel a touch at `at` can belong to (events: held that month)."""
        candidates = []
        for back in range(4):  # programs are created 20 days before their month; email lasts 60
            months = at.year * 12 + at.month - 1 - back
            candidates += self._programs_by_month.get((months // 12, months % 12 + 1), [])
        out = []
        for p in sorted(candidates, key=lambda p: p.program_id):
            if p.canonical_channel != canonical or p.created_at > at:
                continue
            if canonical == "events" and not (
                p.event_day and 0 <= (at.date() - p.event_day).days < 2
            ):
                continue
            if canonical == "email" and not (0 <= (at - p.created_at).days < 60):
                continue
            out.append(p)
        return out

    @cached_property
    def _event_days(self) -> list[tuple[date, int]]:
        return sorted((p.event_day, p.program_id) for p in self.programs if p.event_day)

    def next_event(self, after: datetime) -> Program | None:
        i = bisect.bisect_left(self._event_days, (after.date() + DAY, 0))
        if i >= len(self._event_days):
            return None
        return self.program(self._event_days[i][1])

    def fx_rates(self) -> Iterator[FxRate]:
        """Daily reference rates against EUR, published on business days up to yesterday."""
        first = self.start - timedelta(days=FX_HISTORY_DAYS)
        rng = random.Random(f"{self.seed}:fx")
        level = {"USD": 1.08, "GBP": 0.85}
        d = first
        while d < self.today:
            moves = {c: rng.gauss(0, 0.003) for c in level}
            is_holiday = d in _target_holidays(d.year)
            if d.weekday() < 5 and not is_holiday:
                for c in level:
                    level[c] = level[c] * (1 + moves[c])
                    yield FxRate(d, c, round(level[c], 4))
            d += DAY

    # -- companies, people, deals -------------------------------------------------------------

    def bundles(self, first: int = 0, last: int | None = None) -> Iterator[CompanyBundle]:
        """Company bundles k in [first, last) (default: every company visible now)."""
        stop = self.company_count() if last is None else last
        for k in range(first, stop):
            yield self.bundle(k)

    def bundle(self, k: int) -> CompanyBundle:
        # generation never depends on as_of: advanced views share one cache entry
        base = _base_world(self.seed, self.scale, self.start, self.end, self.single_currency)
        return _generate_company(base, k)

    def person(self, idx: int) -> Person:
        bundle = self.bundle(self.company_of_person(idx))
        return bundle.people[idx - int(self.company_offsets[bundle.company.idx])]

    def people(self) -> Iterator[Person]:
        """Every person visible now (created before `now`), in index order."""
        now = self.now
        for b in self.bundles():
            for p in b.people:
                if p.created_at < now:
                    yield p

    def deals(self) -> Iterator[Deal]:
        now = self.now
        for b in self.bundles():
            if b.deal is not None and b.deal.created_at < now:
                yield b.deal


@lru_cache(maxsize=64)
def _target_holidays(year: int) -> frozenset[date]:
    """Days the ECB publishes no reference rate (the TARGET2 closing days)."""
    # Easter Sunday by the anonymous Gregorian algorithm
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    easter = date(year, month, day + 1)
    return frozenset({
        date(year, 1, 1), easter - timedelta(days=2), easter + timedelta(days=1),
        date(year, 5, 1), date(year, 12, 25), date(year, 12, 26),
    })  # fmt: skip


# -- generation --------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _base_world(seed: int, scale: int, start: date, end: date, single_currency: bool) -> World:
    """One instance per generation key, so its cached dimensions are computed once.

    Which systems record the world does not change what happens in it, except its currencies:
    generation depends on the systems only through ``single_currency``.
    """
    systems = None
    if single_currency:
        systems = frozenset(name for name in default_systems() if registry()[name].kind != "fx")
    return World(seed, scale, start, end, systems=systems)


@lru_cache(maxsize=4096)
def _generate_company(world: World, k: int) -> CompanyBundle:
    rng = random.Random(f"{world.seed}:company:{k}")
    started = world.company_start(k)
    first_idx = int(world.company_offsets[k])
    size = int(world.company_offsets[k + 1]) - first_idx
    word = COMPANY_WORDS[k % len(COMPANY_WORDS)]
    suffix = COMPANY_SUFFIXES[(k // len(COMPANY_WORDS)) % len(COMPANY_SUFFIXES)]
    domain = f"{word.lower()}{k}.example.com"
    currency = rng.choices(CURRENCIES, weights=(6, 3, 2))[0]
    country = {"USD": "US", "EUR": rng.choice(("DE", "FR", "NL")), "GBP": "GB"}[currency]
    if world.single_currency:
        currency = REPORTING_CURRENCY  # drawn all the same: the random stream stays the same

    people_drafts = [
        _draft_person(world, rng, first_idx + j, k, started, domain) for j in range(size)
    ]
    deal = _make_deal(world, rng, k, started, people_drafts, currency)
    people = tuple(_finish_person(world, rng, draft, deal) for draft in people_drafts)
    company = Company(
        idx=k,
        company_id=5_000_001 + k,
        name=f"{word} {suffix} {k}",
        domain=domain,
        currency=currency,
        country=country,
        started_at=started,
        created_at=min(p.created_at for p in people),
    )
    return CompanyBundle(company, people, deal)


@dataclass
class _Draft:
    idx: int
    company_idx: int
    first_name: str
    last_name: str
    email: str | None
    in_crm: bool
    in_marketo: bool
    created_at: datetime
    touches: list[Touch]
    stages: dict[str, datetime]  # canonical stage -> source entry (before deal effects)
    skips_mql: bool
    subscriber_first: bool
    offline_source: str | None  # CRM-only people created by sales: their original source
    has_duplicate: bool
    evangelist_lag: timedelta | None


_TOUCH_CHANNEL_WEIGHTS = {
    "paid_search": 22, "paid_social": 14, "display": 6, "email": 16, "events": 6,
    "organic_search": 14, "organic_social": 6, "referral": 6, "partner": 3, "direct": 7,
}  # fmt: skip
_FIRST_TOUCH_WEIGHTS = {
    "paid_search": 26, "paid_social": 18, "display": 6, "email": 0, "events": 0,
    "organic_search": 20, "organic_social": 8, "referral": 8, "partner": 4, "direct": 10,
}  # fmt: skip


@dataclass(frozen=True)
class _Weighted:
    """Names drawn by weight: the same draw as ``rng.choices(names, weights)[0]`` (one
    ``rng.random()``, so the world's random stream is unchanged), with the weights summed once
    instead of at every draw (a draw per touch: about a seventh of generating a company)."""

    names: tuple[str, ...]
    cumulative: tuple[int, ...]

    @classmethod
    def of(cls, weights: dict[str, int]) -> _Weighted:
        return cls(tuple(weights), tuple(itertools.accumulate(weights.values())))

    def pick(self, rng: random.Random) -> str:
        # random.choices with cum_weights, inlined: the same bisect of the same float
        total = self.cumulative[-1] + 0.0
        hi = len(self.cumulative) - 1
        return self.names[bisect.bisect(self.cumulative, rng.random() * total, 0, hi)]


_TOUCH_CHANNELS = _Weighted.of(_TOUCH_CHANNEL_WEIGHTS)
_FIRST_TOUCH_CHANNELS = _Weighted.of(_FIRST_TOUCH_WEIGHTS)


def _draft_person(
    world: World, rng: random.Random, idx: int, k: int, started: datetime, domain: str
) -> _Draft:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    arrival = _second(
        started + timedelta(seconds=rng.uniform(0, PERSON_ARRIVAL_SPREAD_DAYS * 86_400))
    )
    roll = rng.random()
    has_email = roll >= 0.03  # 3% never give an email: automation platform only
    offline = has_email and roll < 0.07  # 4% created by sales in the CRM, no marketing touch
    email = f"{first}.{last}.{idx}@{domain}".lower() if has_email else None
    draft = _Draft(
        idx=idx, company_idx=k, first_name=first, last_name=last, email=email,
        in_crm=has_email, in_marketo=not offline, created_at=arrival, touches=[], stages={},
        skips_mql=False, subscriber_first=rng.random() < 0.15,
        offline_source=(rng.choice(("OFFLINE", "OFFLINE", "DIRECT_TRAFFIC", "REFERRALS"))
                        if offline else None),
        has_duplicate=has_email and not offline and rng.random() < 0.02,
        evangelist_lag=None,
    )  # fmt: skip
    activity_base = idx * 64  # room for 64 activities per person
    seq = 0

    def next_id() -> int:
        nonlocal seq
        seq += 1
        return activity_base + seq

    if not offline:
        # anonymous visits before the form fill, attached to the lead once it is known
        t = arrival
        pre_visits = rng.choices((0, 1, 2, 3), weights=(4, 3, 2, 1))[0]
        for _ in range(pre_visits):
            channel = _FIRST_TOUCH_CHANNELS.pick(rng)
            draft.touches.append(_make_touch(world, rng, next_id(), t, "visit", channel))
            t = _second(t + _exp_days(rng, 2.0, 12))
        channel = _FIRST_TOUCH_CHANNELS.pick(rng)
        form = _make_touch(world, rng, next_id(), t, "form", channel)
        draft.touches.append(form)
        draft.created_at = t
    lead_at = draft.created_at
    draft.stages["lead"] = lead_at

    # lifecycle progression of the individual (deal effects come later)
    cap = started + MAX_COMPANY_SPAN - timedelta(days=60)
    cursor = lead_at
    if rng.random() < 0.45:
        mql = _second(cursor + _exp_days(rng, 12, 90))
        draft.skips_mql = rng.random() < 0.08
        draft.stages["mql"] = mql
        cursor = mql
        if rng.random() < 0.5:
            sql = _second(cursor + _exp_days(rng, 8, 60))
            draft.stages["sql"] = sql
            cursor = sql
    draft.stages = {s: at for s, at in draft.stages.items() if at < cap}

    # nurture touches after the lead: email clicks, events, visits
    if not offline:
        n_after = min(44, int(rng.expovariate(1 / 18.0)))
        t = lead_at
        for _ in range(n_after):
            # now and then a tied instant: two activities in the same second
            gap = timedelta(0) if rng.random() < 0.03 else _exp_days(rng, 6, 45)
            t = _second(t + gap)
            if t >= cap:
                break
            channel = _TOUCH_CHANNELS.pick(rng)
            kind = "visit"
            if channel == "email":
                kind = "email_click"
            elif channel == "events":
                event = world.next_event(t)
                if event is None or event.event_day is None:
                    continue
                t = _second(_utc(event.event_day, rng.randint(14 * 3600, 18 * 3600)))
                if t >= cap:
                    break
                kind = "attended"
            elif rng.random() < 0.25:
                kind = "form"
            touch = _make_touch(world, rng, next_id(), t, kind, channel)
            if touch is not None:
                draft.touches.append(touch)
    draft.touches = [t for t in draft.touches if t is not None]
    draft.touches.sort(key=lambda t: (t.at, t.activity_id))
    if rng.random() < 0.1:
        draft.evangelist_lag = _exp_days(rng, 20, 40)
    return draft


def _make_touch(
    world: World, rng: random.Random, activity_id: int, at: datetime, kind: str, channel: str
) -> Touch | None:
    query: dict[str, str] = {}
    campaign_key: str | None = None
    program_id: int | None = None
    page = rng.choice(("/", "/pricing", "/product", "/blog/attribution", "/demo", "/webinars"))
    if channel in ("paid_search", "paid_social", "display"):
        campaign = rng.choice(world.campaigns_for_channel(channel))
        campaign_key = campaign.campaign_key
        source = {"google_ads": "google", "microsoft_ads": "bing", "meta": "facebook",
                  "linkedin": "linkedin"}[campaign.platform]  # fmt: skip
        query["utm_source"] = source
        style = rng.random()
        if style < 0.1:
            query["utm_campaign"] = campaign.campaign_id
        elif style < 0.2:
            query["utm_campaign"] = f" {campaign.name.upper()} "  # matched after lower(trim())
        else:
            query["utm_campaign"] = campaign.name
        if channel == "paid_search":
            query["utm_medium"] = rng.choice(("cpc", "cpc", "ppc", "paid_search"))
        elif channel == "display":
            query["utm_medium"] = rng.choice(("display", "cpm"))
        else:
            query["utm_medium"] = rng.choice(("paid_social", "social_paid"))
        click_id = {"google_ads": "gclid", "microsoft_ads": "msclkid", "meta": "fbclid",
                    "linkedin": "li_fat_id"}[campaign.platform]  # fmt: skip
        if channel != "display" and rng.random() < 0.7:
            query[click_id] = f"{click_id[:2]}{activity_id:x}{rng.randint(0, 10**6):06d}"
            if rng.random() < 0.05:
                # a click id wins over a misleading medium: the rules' priority decides
                query["utm_medium"] = rng.choice(("email", "social", "referral"))
    elif channel == "email":
        programs = world.programs_for("email", at)
        if not programs:
            return None
        program = rng.choice(programs)
        program_id = program.program_id
        campaign_key = program.campaign_key
        query = {"utm_source": "marketo", "utm_medium": "email",
                 "utm_campaign": program.name.lower().replace(" ", "_")}  # fmt: skip
    elif channel == "events":
        programs = world.programs_for("events", at)
        if not programs:
            return None
        program = programs[0]
        program_id = program.program_id
        campaign_key = program.campaign_key
    elif channel == "organic_search":
        query = {"utm_source": rng.choice(("google", "bing")), "utm_medium": "organic"}
    elif channel == "organic_social":
        query = {"utm_source": rng.choice(("linkedin", "twitter")), "utm_medium": "social",
                 "utm_campaign": "always_on_social"}  # fmt: skip
        campaign_key = "always_on_social"
    elif channel == "referral":
        query = {"utm_source": rng.choice(("g2", "capterra")), "utm_medium": "referral"}
    elif channel == "partner":
        query = {
            "utm_source": "partnerco",
            "utm_medium": "partner",
            "utm_campaign": "partner_q_launch",
        }
        campaign_key = "partner_q_launch"
    return Touch(activity_id, at, kind, channel, campaign_key, query, program_id, page)


def _make_deal(
    world: World, rng: random.Random, k: int, started: datetime, drafts: list[_Draft], currency: str
) -> Deal | None:
    sql_times = sorted(d.stages["sql"] for d in drafts if "sql" in d.stages and d.in_crm)
    # a company with only a lead can still get a sales-sourced deal now and then
    if not sql_times:
        crm = [d for d in drafts if d.in_crm]
        if not crm or rng.random() >= 0.03:
            return None
        sql_times = [max(d.created_at for d in crm) + _exp_days(rng, 10, 30)]
    elif rng.random() >= 0.6:
        return None
    created = _second(sql_times[0] + _exp_days(rng, 5, 30))
    cap = started + MAX_COMPANY_SPAN - timedelta(days=5)
    if created >= cap:
        return None
    contacts = tuple(d.idx for d in drafts if d.in_crm and d.created_at <= created)
    if not contacts:
        return None
    amount = round(rng.lognormvariate(math.log(25_000), 0.8), 2)
    outcome = rng.random()
    closed_at = None
    is_won = False
    path = [(created, "appointmentscheduled")]
    t = created
    for stage in (
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
    ):
        t = _second(t + _exp_days(rng, 6, 25))
        if t >= cap or rng.random() < 0.15:
            break
        path.append((t, stage))
    if outcome < 0.35:
        closed_at = min(_second(t + _exp_days(rng, 10, 40)), cap)
        is_won = True
        path.append((closed_at, "closedwon"))
    elif outcome < 0.75:
        closed_at = min(_second(t + _exp_days(rng, 10, 40)), cap)
        path.append((closed_at, "closedlost"))
    if closed_at is not None:
        # a share of the closed deals close on the day they are created (a renewal booked at
        # once, a lost deal disqualified at once), drawn from a stream of their own so that
        # every other deal, and the company's later draws, stay as they were
        close_rng = random.Random(f"{world.seed}:deal-close:{k}")
        if close_rng.random() < SAME_DAY_CLOSE_SHARE:
            midnight = datetime.combine(created.date() + DAY, time(), tzinfo=UTC)
            left = int((midnight - created).total_seconds())
            closed_at = created + timedelta(seconds=close_rng.randint(0, left - 1))
            path = [path[0], (closed_at, "closedwon" if is_won else "closedlost")]
    revision = None
    if rng.random() < 0.3:
        rev_at = min(_second(created + _exp_days(rng, 8, 30)), cap)
        if closed_at is not None:  # amounts are revised while the deal is open
            rev_at = min(rev_at, closed_at - timedelta(seconds=1))
        revision = DealRevision(rev_at, round(amount * rng.uniform(0.6, 1.4), 2))
        if revision.at <= created:  # closed too soon after creation to be revised
            revision = None
    return Deal(
        deal_id=9_000_001 + k,
        company_idx=k,
        name=f"{COMPANY_WORDS[k % len(COMPANY_WORDS)]} {k} - new business",
        created_at=created,
        amount=amount,
        currency=currency,
        contact_idxs=contacts,
        closed_at=closed_at,
        is_won=is_won,
        revision=revision,
        stage_path=tuple(path),
    )


def _vary_case(rng: random.Random, email: str) -> str:
    local, _, host = email.partition("@")
    style = rng.random()
    if style < 0.6:
        return email
    if style < 0.85:
        return ".".join(p.capitalize() for p in local.split(".")) + "@" + host
    return email.upper()


def _finish_person(world: World, rng: random.Random, d: _Draft, deal: Deal | None) -> Person:
    stages = dict(d.stages)
    if deal is not None and d.idx in deal.contact_idxs:
        # sales pulls every associated contact to "opportunity"; later-dated earlier stages
        # of that contact never happen
        stages = {s: at for s, at in stages.items() if at < deal.created_at and s != "opportunity"}
        stages["opportunity"] = deal.created_at
        if deal.is_won and deal.closed_at is not None:
            stages["customer"] = deal.closed_at
    hubspot_id = 100_001 + 2 * d.idx if d.in_crm else None
    marketo_id = 1 + d.idx if d.in_marketo else None

    hubspot_dates: dict[str, datetime] = {}
    if d.in_crm:
        for stage, at in stages.items():
            if stage == "mql" and d.skips_mql:
                continue
            if stage == "lead" and d.subscriber_first:
                hubspot_dates["subscriber"] = at
                hubspot_dates["lead"] = _second(at + _exp_days(rng, 3, 10))
                continue
            value = {"lead": "lead", "mql": "marketingqualifiedlead", "sql": "salesqualifiedlead",
                     "opportunity": "opportunity", "customer": "customer"}[stage]  # fmt: skip
            hubspot_dates[value] = at
        if "customer" in stages and d.evangelist_lag is not None:
            last_moment = (
                world.company_start(d.company_idx) + MAX_COMPANY_SPAN - timedelta(seconds=1)
            )
            hubspot_dates["evangelist"] = min(
                _second(stages["customer"] + d.evangelist_lag), last_moment
            )

    status_changes: list[StatusChange] = []
    if d.in_marketo:
        old = None
        seq = 50  # activity ids 51.. of the person's block are status changes
        for stage, status in (
            ("lead", "New"),
            ("mql", "Marketing Qualified"),
            ("sql", "Sales Qualified"),
        ):
            if stage not in stages or (stage == "mql" and d.skips_mql):
                continue
            if stage == "sql" and not d.in_crm:
                continue
            seq += 1
            status_changes.append(StatusChange(d.idx * 64 + seq, stages[stage], old, status))
            old = status

    if d.offline_source is not None:
        source = d.offline_source
    elif d.touches:
        source = HUBSPOT_ANALYTICS_SOURCE[d.touches[0].channel]
    else:
        source = "DIRECT_TRAFFIC"

    duplicate = None
    if d.has_duplicate:
        created = _second(d.created_at + _exp_days(rng, 20, 60))
        duplicate = DuplicateContact(
            contact_id=100_002 + 2 * d.idx,
            email=f"{d.first_name}.{d.last_name}.{d.idx}@personalmail.example.org".lower(),
            created_at=created,
            merged_at=_second(created + _exp_days(rng, 15, 40)),
        )
    return Person(
        idx=d.idx,
        company_idx=d.company_idx,
        first_name=d.first_name,
        last_name=d.last_name,
        email=d.email,
        hubspot_email=_vary_case(rng, d.email) if d.email and d.in_crm else None,
        marketo_email=d.email if d.email and d.in_marketo else None,
        hubspot_id=hubspot_id,
        marketo_id=marketo_id,
        created_at=d.created_at,
        touches=tuple(d.touches),
        hubspot_stage_dates=hubspot_dates,
        marketo_status_changes=tuple(status_changes),
        hs_analytics_source=source,
        duplicate=duplicate,
    )
