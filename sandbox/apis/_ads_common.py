"""What the ad platform stand-ins share: the campaign-days they serve and the faults in them.

Every ad API (the registered sources of kind ``ads``) serves the world's ``AdDay`` rows in its
own wire shape. This module turns the world into a list of ``Row`` objects for one platform and
window, applies the bad records of the fault plan, and says which rows carry data faults, so that
the four modules inject the same catalogue in the same deterministic places:

Bad records (``FaultPlan.bad_records``), one row each per platform, chosen by position from the
campaign's first day so that advancing the world does not move them:

* ``negative_spend``   the 8th day of the platform's first campaign is served with a negative cost;
* ``null_id``          an extra copy of the 10th day of the platform's last campaign without its id;
* ``unknown_currency`` the 12th day of the first campaign is served in currency ``XXX``
                       (only where a row carries its currency: an ad API module says
                       ``ROWS_CARRY_CURRENCY = False`` when its rows do not);
* ``future_date``      an extra row for the first campaign dated the day after the account's
                       local today (served when the requested window reaches the latest day);
* ``implausible_amount`` the 14th day of the first campaign costs ``IMPLAUSIBLE_COST``;
* ``non_finite_number`` the 16th day of the first campaign costs NaN, and
* ``impossible_date``  an extra copy of its 18th day is dated ``IMPOSSIBLE_DAY`` (2024-02-30),
                       both only where the API serves numbers and dates as text (an ad API
                       module says ``SERVES_TEXT_VALUES = True``).

Data faults (``FaultPlan.new_property`` / ``changed_type``) are decided here and rendered by each
module in its own way: rows of the last ``NEW_PROPERTY_DAYS`` local days gain a property, and the
latest day of the first campaign has one numeric value in the wrong type.

With no faults the rows are exactly the world's ``AdDay`` rows.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sandbox.apis._common import source_settings
from sandbox.faults import BadRecord
from sandbox.world import AdAccount, AdCampaign, World
from warehouse.sources import source

#: the connectors load from this many days before the world's start: campaigns of the world
#: may start up to three weeks before it does
START_DAYS_BEFORE = 30
#: rows of the last N account-local days gain a property under ``new_property``
NEW_PROPERTY_DAYS = 7
#: positions (0-based, from the campaign's first day) of the rows the bad records replace
NEGATIVE_SPEND_INDEX = 7
NULL_ID_INDEX = 9
UNKNOWN_CURRENCY_INDEX = 11
FUTURE_DAYS_AHEAD = 1  # days after the account's local today
IMPLAUSIBLE_INDEX = 13
NON_FINITE_INDEX = 15
IMPOSSIBLE_INDEX = 17
IMPLAUSIBLE_COST = 5e12  # beyond every default ceiling of the world's currencies (USD, EUR, GBP)
IMPOSSIBLE_DAY = "2024-02-30"
UNKNOWN_CURRENCY = "XXX"
TABLE = "campaign_days"


@dataclass(frozen=True)
class Row:
    """One campaign-day as an ad platform serves it (after bad records are applied)."""

    campaign: AdCampaign
    account: AdAccount
    campaign_id: str | None  # None: the null_id bad record
    day: date  # account-local reporting date
    impressions: int
    clicks: int
    cost: float  # account currency (negative for the negative_spend bad record)
    currency: str
    is_final: bool
    served_day: str | None = None  # the date as served, when it is no calendar date
    conversions: float = 0.0  # the platform's own count (fractional on Google)
    conversion_value: float = 0.0  # account currency

    @property
    def day_text(self) -> str:
        return self.served_day or self.day.isoformat()

    @property
    def key(self) -> str:
        return f"{self.campaign.campaign_id}:{self.day.isoformat()}"


def local_today(world: World, account: AdAccount) -> date:
    """The account's own date at the world's instant (its days before this one exist)."""
    return account.local_date(world.now)


def accounts(world: World, platform: str) -> list[AdAccount]:
    return [a for a in world.ad_accounts if a.platform == platform]


def find_account(world: World, platform: str, account_id: str) -> AdAccount | None:
    for a in world.ad_accounts:
        if a.platform == platform and a.account_id == account_id:
            return a
    return None


def campaigns(world: World, platform: str, account_id: str | None = None) -> list[AdCampaign]:
    return [
        c
        for c in world.ad_campaigns
        if c.platform == platform and (account_id is None or c.account_id == account_id)
    ]


def _clean_rows(world: World, campaign: AdCampaign) -> list[Row]:
    account = world.account(campaign.account_id)
    return [
        Row(
            campaign,
            account,
            campaign.campaign_id,
            d.day,
            d.impressions,
            d.clicks,
            d.cost,
            account.currency,
            d.is_final,
            conversions=d.conversions,
            conversion_value=d.conversion_value,
        )
        for d in world.ad_days(campaign)
    ]


@dataclass(frozen=True)
class _Plan:
    """Where the bad records of one platform sit (None: not injected / not visible yet)."""

    negative_spend: tuple[AdCampaign, date] | None
    null_id: tuple[AdCampaign, date] | None
    unknown_currency: tuple[AdCampaign, date] | None
    future_date: tuple[AdCampaign, date] | None
    implausible_amount: tuple[AdCampaign, date] | None = None
    non_finite_number: tuple[AdCampaign, date] | None = None
    impossible_date: tuple[AdCampaign, date] | None = None


def _nth_day(world: World, campaign: AdCampaign, n: int) -> date | None:
    day = campaign.start + timedelta(days=n)
    today = local_today(world, world.account(campaign.account_id))
    return day if day < today else None


def rows_carry_currency(platform: str) -> bool:
    """Whether the platform's API serves each row with its currency (its module's
    ``ROWS_CARRY_CURRENCY``, true unless it says otherwise)."""
    module = importlib.import_module(source(platform).sandbox)
    return getattr(module, "ROWS_CARRY_CURRENCY", True)


def serves_text_values(platform: str) -> bool:
    """Whether the platform's API serves numbers and dates as text (its module's
    ``SERVES_TEXT_VALUES``), so that it can serve NaN or 2024-02-30."""
    module = importlib.import_module(source(platform).sandbox)
    return getattr(module, "SERVES_TEXT_VALUES", False)


def _plan(world: World, kinds: frozenset[str], platform: str) -> _Plan:
    cps = campaigns(world, platform)
    if not cps:
        return _Plan(None, None, None, None)
    first, last = cps[0], cps[-1]

    def at(kind: str, campaign: AdCampaign, n: int) -> tuple[AdCampaign, date] | None:
        if kind not in kinds:
            return None
        day = _nth_day(world, campaign, n)
        return (campaign, day) if day is not None else None

    future = None
    if "future_date" in kinds:
        today = local_today(world, world.account(first.account_id))
        future = (first, today + timedelta(days=FUTURE_DAYS_AHEAD))
    unknown = None
    if rows_carry_currency(platform):
        unknown = at("unknown_currency", first, UNKNOWN_CURRENCY_INDEX)
    text = serves_text_values(platform)
    return _Plan(
        negative_spend=at("negative_spend", first, NEGATIVE_SPEND_INDEX),
        null_id=at("null_id", last, NULL_ID_INDEX),
        unknown_currency=unknown,
        future_date=future,
        implausible_amount=at("implausible_amount", first, IMPLAUSIBLE_INDEX),
        non_finite_number=at("non_finite_number", first, NON_FINITE_INDEX) if text else None,
        impossible_date=at("impossible_date", first, IMPOSSIBLE_INDEX) if text else None,
    )


def rows(
    world: World,
    kinds: frozenset[str],
    platform: str,
    account_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
    campaign_ids: set[str] | None = None,
) -> list[Row]:
    """The platform's campaign-days in [since, until] (account-local), bad records applied.

    Sorted by (day, campaign order in the world), the extra bad rows next to their source.
    """
    plan = _plan(world, kinds, platform)
    out: list[Row] = []
    for campaign in campaigns(world, platform, account_id):
        if campaign_ids is not None and campaign.campaign_id not in campaign_ids:
            continue
        clean = _clean_rows(world, campaign)
        for row in clean:
            if since is not None and row.day < since:
                continue
            if until is not None and row.day > until:
                continue
            target = (campaign, row.day)
            if plan.negative_spend == target:
                row = replace(row, cost=-abs(row.cost) if row.cost else -1.0)
            if plan.unknown_currency == target:
                row = replace(row, currency=UNKNOWN_CURRENCY)
            if plan.implausible_amount == target:
                row = replace(row, cost=IMPLAUSIBLE_COST)
            if plan.non_finite_number == target:
                row = replace(row, cost=float("nan"))
            out.append(row)
            if plan.null_id == target:
                out.append(replace(row, campaign_id=None))
            if plan.impossible_date == target:
                out.append(replace(row, served_day=IMPOSSIBLE_DAY))
        if plan.future_date is not None and plan.future_date[0] == campaign and clean:
            latest = clean[-1]
            future_day = plan.future_date[1]
            # served to a request whose window reaches the latest day (an incremental load)
            reaches = until is None or until >= latest.day
            if reaches and (since is None or since <= future_day):
                out.append(replace(latest, day=future_day, is_final=False))
    order = {c.campaign_id: i for i, c in enumerate(world.ad_campaigns)}
    out.sort(
        key=lambda r: (
            r.day,
            order[r.campaign.campaign_id],
            r.campaign_id is None,
            r.served_day or "",
        )
    )
    return out


#: each bad record an ad platform serves: what is wrong, of campaign {campaign} and day {day}
#: (the day the record copies), and the day its id names when it is not that one
_BAD_RECORD_DETAILS = (
    ("negative_spend", "campaign {campaign} on {day} is served with a negative cost", None),
    ("null_id", "an extra row for {day} (a copy of campaign {campaign}) has no campaign id", None),
    ("unknown_currency",
     "campaign {campaign} on {day} is served in currency " + UNKNOWN_CURRENCY, None),
    ("implausible_amount", f"campaign {{campaign}} on {{day}} costs {IMPLAUSIBLE_COST:g}", None),
    ("non_finite_number", "campaign {campaign} on {day} costs NaN", None),
    ("impossible_date",
     "an extra row of campaign {campaign} (a copy of {day}) is dated " + IMPOSSIBLE_DAY,
     IMPOSSIBLE_DAY),
    ("future_date", "campaign {campaign} has a row dated {day}, after the account's today", None),
)  # fmt: skip


def bad_records(world: World, kinds: frozenset[str], platform: str) -> list[BadRecord]:
    """The bad records the platform serves under the plan (what a quarantine must name)."""
    plan = _plan(world, kinds, platform)
    out = []
    for kind, detail, served_day in _BAD_RECORD_DETAILS:
        target = getattr(plan, kind)
        if target is None:
            continue
        c, d = target
        # a null-id record has no id; the others are named `<campaign id>:<day as served>`
        record_id = None if kind == "null_id" else f"{c.campaign_id}:{served_day or d}"
        text = detail.format(campaign=c.campaign_id, day=d)
        out.append(BadRecord(platform, TABLE, record_id, kind, text))
    return out


def has_new_property(world: World, row: Row) -> bool:
    """Under ``new_property``: rows of the last NEW_PROPERTY_DAYS local days gain a property."""
    return row.day >= local_today(world, row.account) - timedelta(days=NEW_PROPERTY_DAYS)


def changed_type_target(world: World, platform: str) -> tuple[str, date] | None:
    """Under ``changed_type``: (campaign id, day) of the one row with a value in the wrong type:
    the latest day of the platform's first campaign, so that every incremental load sees it."""
    cps = campaigns(world, platform)
    if not cps:
        return None
    day = local_today(world, world.account(cps[0].account_id)) - timedelta(days=1)
    return cps[0].campaign_id, day


def is_changed_type(world: World, platform: str, row: Row) -> bool:
    target = changed_type_target(world, platform)
    return target is not None and row.campaign_id == target[0] and row.day == target[1]


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def request_id(*parts: object, length: int = 22) -> str:
    """A deterministic id that looks like the vendors' random request ids."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:length]


def usd_per_unit(world: World) -> dict[date, dict[str, float]]:
    """For each business day: how many USD one unit of each currency buys (world FX, EUR base)."""
    by_day: dict[date, dict[str, float]] = {}
    for fx in world.fx_rates():
        by_day.setdefault(fx.day, {"EUR": 1.0})[fx.currency] = fx.rate
    out = {}
    for d, per_eur in by_day.items():
        usd = per_eur.get("USD")
        if usd:
            out[d] = {c: usd / r for c, r in per_eur.items()}
    return out


def to_usd(table: dict[date, dict[str, float]], amount: float, currency: str, day: date) -> float:
    """Convert with the rate of `day` or, on a weekend / holiday, the last business day before."""
    if currency == "USD":
        return amount
    for back in range(10):
        rates = table.get(day - timedelta(days=back))
        if rates and currency in rates:
            return amount * rates[currency]
    raise KeyError(f"no FX rate for {currency} near {day}")


def source_env(
    platform: str, ids_setting: str, world: World, base_url: str, credentials: dict[str, str]
) -> dict[str, str]:
    """An ad platform connector's settings: base URL, credentials, the ids of the platform's
    accounts in the world (setting ``ids_setting``) and the first day to load."""
    ids = [a.account_id for a in accounts(world, platform)]
    start = world.start - timedelta(days=START_DAYS_BEFORE)
    return source_settings(
        platform,
        base_url,
        credentials,
        **{ids_setting: json.dumps(ids), "start_date": start.isoformat()},
    )
