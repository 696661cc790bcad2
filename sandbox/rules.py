"""Default business rules of the certified metrics, as plain Python data.

These mirror the defaults of ``docs/metrics.md`` (and the dbt seeds ``channels``,
``channel_rules`` and ``lifecycle_stage_map`` that implement them). The ground truth
(``sandbox/truth.py``) evaluates them in Python, independently of dbt.

Matching conventions (the dbt layer applies the same ones):

* every text comparison is on ``lower(trim(value))`` of both sides;
* a ``present`` rule matches when the field is present and not empty after ``trim``;
* an ``equals`` rule matches when the field equals ``match_value``;
* rules are evaluated in ascending ``priority``; the first match wins;
* touch rules (fields other than ``hs_analytics_source``) fall back to ``direct`` when nothing
  matches ("nothing -> direct"); the CRM source-field rules (``hs_analytics_source``) fall back
  to ``unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# --- canonical stages -----------------------------------------------------------------------

CANONICAL_STAGES: tuple[str, ...] = ("lead", "mql", "sql", "opportunity", "customer")
STAGE_ORDER: dict[str, int] = {stage: i + 1 for i, stage in enumerate(CANONICAL_STAGES)}

# --- channels (seed `channels`) ---------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    channel: str
    is_paid: bool
    is_marketing: bool
    label: str  # the display name a person reads (seed column `label`)


CHANNELS: tuple[Channel, ...] = (
    Channel("paid_search", True, True, "Paid search"),
    Channel("paid_social", True, True, "Paid social"),
    Channel("display", True, True, "Display"),
    Channel("email", False, True, "Email"),
    Channel("events", True, True, "Events"),
    Channel("organic_search", False, True, "Organic search"),
    Channel("organic_social", False, True, "Organic social"),
    Channel("referral", False, True, "Referral"),
    Channel("partner", False, True, "Partner"),
    Channel("direct", False, False, "Direct"),
    Channel("unknown", False, False, "Unknown"),
    Channel("unattributed", False, False, "Unattributed"),
)
CHANNEL_NAMES: tuple[str, ...] = tuple(c.channel for c in CHANNELS)
MARKETING_CHANNELS: frozenset[str] = frozenset(c.channel for c in CHANNELS if c.is_marketing)
PAID_CHANNELS: frozenset[str] = frozenset(c.channel for c in CHANNELS if c.is_paid)

UNATTRIBUTED = "unattributed"
UNKNOWN = "unknown"
DIRECT = "direct"
NO_CAMPAIGN = "(none)"

# --- lifecycle map (seed `lifecycle_stage_map`) ---------------------------------------------

#: (source_system, source_value) -> canonical stage. Values are compared after lower(trim()).
LIFECYCLE_STAGE_MAP: tuple[tuple[str, str, str], ...] = (
    ("hubspot", "subscriber", "lead"),
    ("hubspot", "lead", "lead"),
    ("hubspot", "marketingqualifiedlead", "mql"),
    ("hubspot", "salesqualifiedlead", "sql"),
    ("hubspot", "opportunity", "opportunity"),
    ("hubspot", "customer", "customer"),
    ("hubspot", "evangelist", "customer"),
    ("marketo", "New", "lead"),
    ("marketo", "Marketing Qualified", "mql"),
    ("marketo", "Sales Qualified", "sql"),
    # Salesforce: the default Lead Status values (a converted lead is counted by the
    # opportunity it became, not by its "Closed - Converted" status), the common custom
    # MQL / SQL date fields (by their loaded column names) and the default opportunity stages
    ("salesforce", "Open - Not Contacted", "lead"),
    ("salesforce", "Working - Contacted", "lead"),
    ("salesforce", "Closed - Not Converted", "lead"),
    ("salesforce", "MQL_Date__c", "mql"),
    ("salesforce", "SQL_Date__c", "sql"),
    ("salesforce", "Prospecting", "opportunity"),
    ("salesforce", "Qualification", "opportunity"),
    ("salesforce", "Needs Analysis", "opportunity"),
    ("salesforce", "Value Proposition", "opportunity"),
    ("salesforce", "Id. Decision Makers", "opportunity"),
    ("salesforce", "Perception Analysis", "opportunity"),
    ("salesforce", "Proposal/Price Quote", "opportunity"),
    ("salesforce", "Negotiation/Review", "opportunity"),
    ("salesforce", "Closed Lost", "opportunity"),
    ("salesforce", "Closed Won", "customer"),
)


def _norm(value: str | None) -> str:
    return (value or "").strip().lower()


def lifecycle_lookup(
    rows: tuple[tuple[str, str, str], ...] = LIFECYCLE_STAGE_MAP,
) -> dict[tuple[str, str], str]:
    return {(_norm(system), _norm(value)): stage for system, value, stage in rows}


_DEFAULT_LIFECYCLE = lifecycle_lookup()


def canonical_stage(
    source_system: str, value: str, lookup: Mapping[tuple[str, str], str] | None = None
) -> str | None:
    """The canonical stage of a source value, or None when the map does not cover it."""
    return (lookup or _DEFAULT_LIFECYCLE).get((_norm(source_system), _norm(value)))


# --- channel rules (seed `channel_rules`) ---------------------------------------------------


@dataclass(frozen=True)
class ChannelRule:
    priority: int
    match_field: str  # gclid | msclkid | fbclid | li_fat_id | utm_medium | utm_source |
    #                   program_channel | hs_analytics_source | LeadSource
    match_type: str  # present | equals
    match_value: str  # ignored for `present`
    channel: str


SOURCE_FIELD = "hs_analytics_source"
LEAD_SOURCE_FIELD = "LeadSource"  # Salesforce's original-source field of leads and contacts

#: the CRMs' own original-source fields: read for a person, never for a touch
CRM_SOURCE_FIELDS = frozenset({SOURCE_FIELD, LEAD_SOURCE_FIELD})

CHANNEL_RULES: tuple[ChannelRule, ...] = (
    # click ids first: a click id wins over a misleading utm_medium
    ChannelRule(10, "gclid", "present", "", "paid_search"),
    ChannelRule(11, "msclkid", "present", "", "paid_search"),
    ChannelRule(12, "fbclid", "present", "", "paid_social"),
    ChannelRule(13, "li_fat_id", "present", "", "paid_social"),
    ChannelRule(20, "utm_medium", "equals", "cpc", "paid_search"),
    ChannelRule(21, "utm_medium", "equals", "ppc", "paid_search"),
    ChannelRule(22, "utm_medium", "equals", "paid_search", "paid_search"),
    ChannelRule(30, "utm_medium", "equals", "paid_social", "paid_social"),
    ChannelRule(31, "utm_medium", "equals", "social_paid", "paid_social"),
    ChannelRule(40, "utm_medium", "equals", "display", "display"),
    ChannelRule(41, "utm_medium", "equals", "cpm", "display"),
    ChannelRule(50, "utm_medium", "equals", "email", "email"),
    ChannelRule(60, "program_channel", "equals", "webinar", "events"),
    ChannelRule(61, "program_channel", "equals", "tradeshow", "events"),
    ChannelRule(62, "program_channel", "equals", "event", "events"),
    ChannelRule(63, "program_channel", "equals", "email send", "email"),
    ChannelRule(64, "program_channel", "equals", "email", "email"),
    # Salesforce's default Campaign Type values (a campaign member's response is a touch)
    ChannelRule(65, "program_channel", "equals", "trade show", "events"),
    ChannelRule(66, "program_channel", "equals", "conference", "events"),
    ChannelRule(67, "program_channel", "equals", "seminar / conference", "events"),
    ChannelRule(68, "program_channel", "equals", "banner ads", "display"),
    ChannelRule(70, "utm_medium", "equals", "organic", "organic_search"),
    ChannelRule(80, "utm_medium", "equals", "social", "organic_social"),
    ChannelRule(90, "utm_medium", "equals", "referral", "referral"),
    ChannelRule(100, "utm_medium", "equals", "partner", "partner"),
    # the CRM's own original-source field (used for people without any touchpoint)
    ChannelRule(200, SOURCE_FIELD, "equals", "paid_search", "paid_search"),
    ChannelRule(201, SOURCE_FIELD, "equals", "paid_social", "paid_social"),
    ChannelRule(202, SOURCE_FIELD, "equals", "email_marketing", "email"),
    ChannelRule(203, SOURCE_FIELD, "equals", "organic_search", "organic_search"),
    ChannelRule(204, SOURCE_FIELD, "equals", "social_media", "organic_social"),
    ChannelRule(205, SOURCE_FIELD, "equals", "referrals", "referral"),
    ChannelRule(206, SOURCE_FIELD, "equals", "direct_traffic", "direct"),
    ChannelRule(207, SOURCE_FIELD, "equals", "other_campaigns", "unknown"),
    ChannelRule(208, SOURCE_FIELD, "equals", "offline", "unknown"),
    # Salesforce's LeadSource values as the sandbox org has them (a team edits these rows)
    ChannelRule(210, LEAD_SOURCE_FIELD, "equals", "paid search", "paid_search"),
    ChannelRule(211, LEAD_SOURCE_FIELD, "equals", "paid social", "paid_social"),
    ChannelRule(212, LEAD_SOURCE_FIELD, "equals", "email", "email"),
    ChannelRule(213, LEAD_SOURCE_FIELD, "equals", "organic search", "organic_search"),
    ChannelRule(214, LEAD_SOURCE_FIELD, "equals", "social media", "organic_social"),
    ChannelRule(215, LEAD_SOURCE_FIELD, "equals", "referral", "referral"),
    ChannelRule(216, LEAD_SOURCE_FIELD, "equals", "web", "direct"),
    ChannelRule(217, LEAD_SOURCE_FIELD, "equals", "other", "unknown"),
    ChannelRule(218, LEAD_SOURCE_FIELD, "equals", "phone inquiry", "unknown"),
)


def _matches(rule: ChannelRule, fields: Mapping[str, str | None]) -> bool:
    value = _norm(fields.get(rule.match_field))
    if rule.match_type == "present":
        return value != ""
    if rule.match_type == "equals":
        return value != "" and value == _norm(rule.match_value)
    raise ValueError(f"unknown match_type {rule.match_type!r}")


def channel_for_touch(
    query: Mapping[str, str] | None,
    program_channel: str | None = None,
    rules: tuple[ChannelRule, ...] = CHANNEL_RULES,
) -> str:
    """The channel of a touchpoint from its decoded URL query and its program's channel (the
    UTM values as the warehouse cleans them, :func:`visitor_text`)."""
    fields: dict[str, str | None] = {
        k.strip().lower(): visitor_text(v) if k.strip().lower().startswith("utm_") else v
        for k, v in (query or {}).items()
    }
    fields["program_channel"] = program_channel
    fields.pop(SOURCE_FIELD, None)
    for rule in sorted(rules, key=lambda r: r.priority):
        if rule.match_field not in CRM_SOURCE_FIELDS and _matches(rule, fields):
            return rule.channel
    return DIRECT


def channel_for_crm_source(
    value: str | None,
    rules: tuple[ChannelRule, ...] = CHANNEL_RULES,
    field: str = SOURCE_FIELD,
) -> str:
    """The channel of a CRM original-source value (HubSpot ``hs_analytics_source``; with
    ``field=LEAD_SOURCE_FIELD``, Salesforce ``LeadSource``)."""
    fields = {field: value}
    for rule in sorted(rules, key=lambda r: r.priority):
        if rule.match_field == field and _matches(rule, fields):
            return rule.channel
    return UNKNOWN


# --- ad platform and program channels ----------------------------------------------------------


def ad_campaign_channel(platform: str, campaign_kind: str) -> str:
    """Channel of an ad platform campaign: search platforms split by campaign type."""
    platform = _norm(platform)
    kind = _norm(campaign_kind)
    if platform in ("google_ads", "microsoft_ads"):
        return "display" if kind == "display" else "paid_search"
    if platform in ("meta", "linkedin"):
        return "paid_social"
    raise ValueError(f"no channel rule for ad platform {platform!r}")


def program_channel(marketo_channel: str, rules: tuple[ChannelRule, ...] = CHANNEL_RULES) -> str:
    """Channel of an automation program (its costs and its members' touches)."""
    return channel_for_touch({}, marketo_channel, rules)


# --- campaign matching -------------------------------------------------------------------------


#: the dbt var ``visitor_text_max_length``'s default
VISITOR_TEXT_MAX_LENGTH = 100
#: control characters (C0 with NUL, DEL, C1) and invisible bidirectional / formatting ones
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_EMAIL = re.compile(r"[^@\s]@[^@\s]+[.][A-Za-z]{2,}")
_PHONE = re.compile(r"[+(]*[0-9]([ ./()-]*[0-9]){8,14}")


def visitor_text(value: str | None, max_length: int = VISITOR_TEXT_MAX_LENGTH) -> str | None:
    """A decoded UTM value as the warehouse keeps it (rule ``visitor_text_clean``): control and
    invisible formatting characters removed, spaces trimmed; a text with an email address or a
    phone number (9-15 digits with separators, or led by ``+`` or ``0``) replaced by its
    placeholder; anything else cut to ``max_length`` characters."""
    if value is None:
        return None
    visible = _INVISIBLE.sub("", value).strip(" ")
    if "@" in visible and _EMAIL.search(visible):
        return "(redacted email)"
    if _PHONE.fullmatch(visible) and not re.fullmatch(r"[1-9][0-9]*", visible):
        return "(redacted phone)"
    return visible[:max_length]


def campaign_key(
    query: Mapping[str, str] | None,
    program_id: int | None,
    ad_campaigns: Mapping[str, str],
) -> str:
    """The certified campaign key of a touch.

    ``ad_campaigns`` maps ``lower(trim(campaign id))`` and ``lower(trim(campaign name))`` to
    ``"<platform>:<campaign_id>"``. A program member touch is ``"marketo:<program_id>"``; an
    utm_campaign matching an ad campaign's id or name is that campaign's key; any other
    utm_campaign is kept as :func:`unmatched_campaign_key` says; no campaign at all is
    ``"(none)"``.
    """
    if program_id is not None:
        return f"marketo:{program_id}"
    raw = visitor_text((query or {}).get("utm_campaign"))
    if not raw:
        return NO_CAMPAIGN
    return ad_campaigns.get(_norm(raw)) or unmatched_campaign_key(raw)


def unmatched_campaign_key(cleaned: str) -> str:
    """The key of a (cleaned, see :func:`visitor_text`) utm_campaign that names no ad campaign:
    the value itself, except a bare number of 9 to 15 digits, which may be a phone number."""
    return "(redacted phone)" if re.fullmatch(r"[0-9]{9,15}", cleaned) else cleaned


# --- settings (dbt vars) -------------------------------------------------------------------------

DEFAULT_BUDGET_PATH = Path(__file__).resolve().parents[1] / "dbt_project/seeds/marketing_budget.csv"


@dataclass(frozen=True)
class Settings:
    """The METRICS.md settings with their defaults (the dbt vars and seeds of the same names)."""

    reporting_currency: str = "USD"
    reporting_timezone: str = "UTC"  # any zoneinfo name
    attribution_lookback_days: float = 90
    time_decay_half_life_days: float = 7
    default_attribution_model: str = "position_based"
    budget_path: Path | None = DEFAULT_BUDGET_PATH  # None: no budget (planned spend 0)
    gross_margin: float = 0.75  # share of won revenue that is gross profit (ROMI)
    channel_rules: tuple[ChannelRule, ...] = CHANNEL_RULES
    lifecycle_stage_map: tuple[tuple[str, str, str], ...] = LIFECYCLE_STAGE_MAP
    channels: tuple[Channel, ...] = CHANNELS

    @property
    def marketing_channels(self) -> frozenset[str]:
        return frozenset(c.channel for c in self.channels if c.is_marketing)
