"""The world as Salesforce records: the objects' fields (for describe and SOQL) and their rows.

Objects and how the world renders them are those of ``/tmp/sf/spec.md`` ("Objects and how the
world renders them"); a summary is in :mod:`sandbox.apis.salesforce`.

A row is a tuple of the object's field values in describe order, already in the REST API's JSON
form: instants as ``2025-01-02T03:04:05.000+0000`` (fixed width, UTC: their text sorts in time
order, so a SOQL comparison of instants compares text), dates as ``2025-01-02``, numbers,
booleans, text and ``None``. Value ``0`` of every row is its 18-character ``Id``.

Everything is rendered as the world stands at ``world.now`` (strictly before it), per company
bundle (:func:`company_rows`) plus the world-wide objects (:func:`world_rows`): users, campaigns,
currencies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sandbox.apis._soql import sf_date, sf_datetime
from sandbox.world import CURRENCIES, REPORTING_CURRENCY, World

# --- ids ---------------------------------------------------------------------------------------

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CHECKSUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
ORG_ID_NUMBER = 7_000_001
INTEGRATION_USER_NUMBER = 90


_CASE_BITS = str.maketrans(
    {**{chr(c): "0" for c in range(128)}, **{chr(c): "1" for c in range(ord("A"), ord("Z") + 1)}}
)
_PAIRS = [a + b for a in BASE62 for b in BASE62]  # two base-62 digits, by value


def id_suffix(id15: str) -> str:
    """Salesforce's case-safe suffix of a 15-character id: for each 5-character chunk, bit i is
    set when character i is an uppercase letter; the 5-bit number names a character of
    ``A..Z0..5``."""
    bits = id15.translate(_CASE_BITS)
    return (
        CHECKSUM_CHARS[int(bits[4::-1], 2)]
        + CHECKSUM_CHARS[int(bits[9:4:-1], 2)]
        + CHECKSUM_CHARS[int(bits[14:9:-1], 2)]
    )


def sfid(prefix: str, number: int) -> str:
    """An 18-character id: the 3-character key prefix, the number in 12 base-62 digits, the
    case-safe suffix. Ids of one prefix sort as text in the order of their numbers."""
    if not 0 <= number < 62**12:
        raise ValueError(f"id number {number} out of range")
    n = number
    parts = []
    for _ in range(6):
        n, r = divmod(n, 3844)
        parts.append(_PAIRS[r])
    id15 = prefix + "".join(reversed(parts))
    return id15 + id_suffix(id15)


def id_number(sf_id: str) -> int:
    """The number an id was made from (inverse of :func:`sfid`)."""
    n = 0
    for ch in sf_id[3:15]:
        n = n * 62 + BASE62.index(ch)
    return n


ORG_ID = sfid("00D", ORG_ID_NUMBER)

# --- fields and objects ------------------------------------------------------------------------

SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "string": "xsd:string", "email": "xsd:string",
    "picklist": "xsd:string", "textarea": "xsd:string", "url": "xsd:string",
    "phone": "xsd:string", "boolean": "xsd:boolean", "currency": "xsd:double",
    "double": "xsd:double", "percent": "xsd:double", "int": "xsd:int", "date": "xsd:date",
    "datetime": "xsd:dateTime", "anyType": "xsd:anyType",
}  # fmt: skip
TEXT_TYPES = frozenset({"string", "email", "picklist", "textarea", "url", "phone", "anyType"})
NUMBER_TYPES = frozenset({"currency", "double", "percent", "int"})
ID_TYPES = frozenset({"id", "reference"})
#: fields the platform maintains: never createable nor updateable
SYSTEM_FIELDS = frozenset(
    {"Id", "IsDeleted", "MasterRecordId", "CreatedDate", "CreatedById", "LastModifiedDate",
     "LastModifiedById", "SystemModstamp", "IsConverted", "ConvertedDate", "ConvertedAccountId",
     "ConvertedContactId", "ConvertedOpportunityId", "IsClosed", "IsWon", "HasResponded",
     "FirstRespondedDate", "Field", "DataType", "OldValue", "NewValue"}
)  # fmt: skip


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: str
    nillable: bool = True
    reference_to: tuple[str, ...] = ()
    relationship: str | None = None
    length: int = 0
    picklist: tuple[str, ...] = ()
    precision: int = 0
    scale: int = 0
    currency_only: bool = False  # exists only in a multi-currency org

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")


@dataclass(frozen=True)
class SObject:
    name: str
    prefix: str
    label: str
    label_plural: str
    fields: tuple[Field, ...]
    currency_only: bool = False  # the object exists only in a multi-currency org
    history: bool = False  # written once by the platform: no SystemModstamp
    positions: dict[str, int] = field(default_factory=dict, compare=False)
    by_lower: dict[str, Field] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.positions.update({f.name: i for i, f in enumerate(self.fields)})
        self.by_lower.update({f.name.lower(): f for f in self.fields})

    @property
    def cursor(self) -> str:
        """The field rows are indexed by: SystemModstamp, or CreatedDate without one."""
        return "SystemModstamp" if "SystemModstamp" in self.positions else "CreatedDate"


def _label(name: str) -> str:
    base = name.removesuffix("__c").replace("_", " ")
    if base.endswith("Id") and len(base) > 2:
        base = base[:-2]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base).strip()


def F(name: str, type_: str, label: str | None = None, **kw) -> Field:  # noqa: N802
    length = kw.pop("length", None)
    if length is None:
        length = {"id": 18, "reference": 18, "string": 255, "email": 80, "picklist": 255,
                  "url": 255, "phone": 40, "textarea": 32000}.get(type_, 0)  # fmt: skip
    if type_ == "currency":
        kw.setdefault("precision", 18)
        kw.setdefault("scale", 2)
    elif type_ == "percent":
        kw.setdefault("precision", 3)
    elif type_ == "double":
        kw.setdefault("precision", 18)
        kw.setdefault("scale", 6)
    return Field(name, type_, label or _label(name), length=length, **kw)


def _ref(name: str, target: str | tuple[str, ...], nillable: bool = True, **kw) -> Field:
    targets = (target,) if isinstance(target, str) else target
    relationship = name[:-2] if name.endswith("Id") else None
    return F(name, "reference", reference_to=targets, relationship=relationship,
             nillable=nillable, **kw)  # fmt: skip


def _audit(modified: bool = True, stamp: bool = True) -> tuple[Field, ...]:
    out = [F("CreatedDate", "datetime", nillable=False)]
    if modified:
        out.append(F("LastModifiedDate", "datetime", nillable=False))
    if stamp:
        out.append(F("SystemModstamp", "datetime", "System Modstamp", nillable=False))
    return tuple(out)


ID = F("Id", "id", "Record ID", nillable=False)
DELETED = F("IsDeleted", "boolean", "Deleted", nillable=False)
CURRENCY = F("CurrencyIsoCode", "picklist", "Currency ISO Code", length=3,
             picklist=CURRENCIES, currency_only=True, nillable=False)  # fmt: skip

LEAD_SOURCES = {
    "PAID_SEARCH": "Paid Search", "PAID_SOCIAL": "Paid Social", "EMAIL_MARKETING": "Email",
    "ORGANIC_SEARCH": "Organic Search", "SOCIAL_MEDIA": "Social Media", "REFERRALS": "Referral",
    "DIRECT_TRAFFIC": "Web", "OTHER_CAMPAIGNS": "Other", "OFFLINE": "Phone Inquiry",
}  # fmt: skip
LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Converted")
#: HubSpot dealstage -> (StageName, Probability, ForecastCategoryName, ForecastCategory)
STAGES = {
    "appointmentscheduled": ("Prospecting", 10.0, "Pipeline", "Pipeline"),
    "qualifiedtobuy": ("Qualification", 10.0, "Pipeline", "Pipeline"),
    "presentationscheduled": ("Value Proposition", 50.0, "Pipeline", "Pipeline"),
    "decisionmakerboughtin": ("Id. Decision Makers", 60.0, "Pipeline", "Pipeline"),
    "contractsent": ("Negotiation/Review", 90.0, "Commit", "Forecast"),
    "closedwon": ("Closed Won", 100.0, "Closed", "Closed"),
    "closedlost": ("Closed Lost", 0.0, "Omitted", "Omitted"),
}
STAGE_NAMES = tuple(v[0] for v in STAGES.values())
INDUSTRIES = {
    "Labs": "Biotechnology", "Systems": "Technology", "Group": "Consulting",
    "Analytics": "Technology", "Logistics": "Transportation", "Health": "Healthcare",
    "Works": "Manufacturing",
}  # fmt: skip
CAMPAIGN_TYPES = {"Webinar": "Webinar", "Tradeshow": "Trade Show", "Email Send": "Email"}
CAMPAIGN_STATUSES = ("Planned", "In Progress", "Completed")
#: the sales reps (the same people as HubSpot's owners): number, email, first, last
USERS = (
    (1, "maya.fischer@acme.example.com", "Maya", "Fischer"),
    (2, "omar.haddad@acme.example.com", "Omar", "Haddad"),
    (3, "lena.ito@acme.example.com", "Lena", "Ito"),
)
EXPECTED_CLOSE = timedelta(days=30)
#: when a day's reference rates are entered (the ECB publishes about 16:00 CET)
RATE_PUBLISHED = time(15, 0)

OBJECT_LIST = (
    SObject("User", "005", "User", "Users", (
        ID, F("Username", "string", length=80, nillable=False),
        F("LastName", "string", length=80, nillable=False), F("FirstName", "string", length=40),
        F("Name", "string", "Full Name", length=121, nillable=False),
        F("Email", "email", length=128, nillable=False),
        F("IsActive", "boolean", "Active", nillable=False), *_audit(), DELETED,
    )),
    SObject("Account", "001", "Account", "Accounts", (
        ID, DELETED, _ref("MasterRecordId", "Account"),
        F("Name", "string", "Account Name", nillable=False),
        F("BillingCountry", "string", length=80), F("Website", "url"),
        F("Industry", "picklist", picklist=tuple(sorted(set(INDUSTRIES.values())))),
        _ref("OwnerId", "User", nillable=False), *_audit(), CURRENCY,
    )),
    SObject("Lead", "00Q", "Lead", "Leads", (
        ID, DELETED, _ref("MasterRecordId", "Lead"),
        F("LastName", "string", length=80, nillable=False), F("FirstName", "string", length=40),
        F("Company", "string", nillable=False), F("Email", "email"),
        F("LeadSource", "picklist", picklist=tuple(LEAD_SOURCES.values())),
        F("Status", "picklist", nillable=False, picklist=LEAD_STATUSES),
        _ref("OwnerId", ("Group", "User"), nillable=False),
        F("IsConverted", "boolean", "Converted", nillable=False),
        F("ConvertedDate", "date"), _ref("ConvertedAccountId", "Account"),
        _ref("ConvertedContactId", "Contact"), _ref("ConvertedOpportunityId", "Opportunity"),
        *_audit(), CURRENCY,
        F("MQL_Date__c", "datetime", "MQL Date"), F("SQL_Date__c", "datetime", "SQL Date"),
    )),
    SObject("Contact", "003", "Contact", "Contacts", (
        ID, DELETED, _ref("MasterRecordId", "Contact"), _ref("AccountId", "Account"),
        F("LastName", "string", length=80, nillable=False), F("FirstName", "string", length=40),
        F("Email", "email"), F("LeadSource", "picklist", picklist=tuple(LEAD_SOURCES.values())),
        _ref("OwnerId", "User", nillable=False), *_audit(),
        F("MQL_Date__c", "datetime", "MQL Date"), F("SQL_Date__c", "datetime", "SQL Date"),
    )),
    SObject("Opportunity", "006", "Opportunity", "Opportunities", (
        ID, DELETED, _ref("AccountId", "Account"),
        F("Name", "string", length=120, nillable=False),
        F("StageName", "picklist", "Stage", length=255, nillable=False, picklist=STAGE_NAMES),
        F("Amount", "currency"), F("Probability", "percent", "Probability (%)"),
        F("CloseDate", "date", nillable=False),
        F("Type", "picklist", "Opportunity Type", picklist=("New Business", "Existing Business")),
        F("LeadSource", "picklist", picklist=tuple(LEAD_SOURCES.values())),
        F("IsClosed", "boolean", "Closed", nillable=False),
        F("IsWon", "boolean", "Won", nillable=False),
        F("ForecastCategoryName", "picklist", "Forecast Category",
          picklist=("Omitted", "Pipeline", "Best Case", "Commit", "Closed")),
        CURRENCY, _ref("OwnerId", "User", nillable=False), *_audit(),
    )),
    SObject("OpportunityContactRole", "00K", "Opportunity Contact Role",
            "Opportunity Contact Roles", (
        ID, _ref("OpportunityId", "Opportunity", nillable=False),
        _ref("ContactId", "Contact", nillable=False),
        F("Role", "picklist", picklist=("Decision Maker", "Influencer")),
        F("IsPrimary", "boolean", "Primary", nillable=False),
        *_audit(modified=False), DELETED,
    )),
    SObject("Campaign", "701", "Campaign", "Campaigns", (
        ID, DELETED, F("Name", "string", "Campaign Name", length=80, nillable=False),
        F("Type", "picklist", picklist=tuple(CAMPAIGN_TYPES.values())),
        F("Status", "picklist", picklist=CAMPAIGN_STATUSES),
        F("StartDate", "date"), F("EndDate", "date"),
        F("IsActive", "boolean", "Active", nillable=False), *_audit(modified=False),
    )),
    SObject("CampaignMember", "00v", "Campaign Member", "Campaign Members", (
        ID, DELETED, _ref("CampaignId", "Campaign", nillable=False), _ref("LeadId", "Lead"),
        _ref("ContactId", "Contact"), F("Status", "picklist", picklist=("Responded", "Attended")),
        F("HasResponded", "boolean", "Responded", nillable=False), *_audit(modified=False),
        F("FirstRespondedDate", "date", "First Responded Date"),
    )),
    SObject("OpportunityFieldHistory", "017", "Opportunity Field History",
            "Opportunity Field History", (
        ID, DELETED, _ref("OpportunityId", "Opportunity", nillable=False),
        _ref("CreatedById", "User", nillable=False), *_audit(modified=False, stamp=False),
        F("Field", "picklist", "Changed Field", nillable=False),
        F("DataType", "picklist", "Data Type"),
        F("OldValue", "anyType", "Old Value"), F("NewValue", "anyType", "New Value"),
    ), history=True),
    SObject("OpportunityHistory", "008", "Opportunity History", "Opportunity History", (
        ID, _ref("OpportunityId", "Opportunity", nillable=False),
        F("CreatedDate", "datetime", nillable=False),
        F("StageName", "picklist", "Stage", nillable=False, picklist=STAGE_NAMES),
        F("Amount", "currency"), F("CloseDate", "date", "Close Date"),
        F("Probability", "percent", "Probability (%)"),
        F("ForecastCategory", "picklist", "Forecast Category",
          picklist=("Omitted", "Pipeline", "BestCase", "Forecast", "Closed")),
        F("SystemModstamp", "datetime", "System Modstamp", nillable=False), DELETED,
    )),
    SObject("LeadHistory", "017", "Lead History", "Lead History", (
        ID, DELETED, _ref("LeadId", "Lead", nillable=False),
        *_audit(modified=False, stamp=False),
        F("Field", "picklist", "Changed Field", nillable=False),
        F("DataType", "picklist", "Data Type"),
        F("OldValue", "anyType", "Old Value"), F("NewValue", "anyType", "New Value"),
    ), history=True),
    SObject("CurrencyType", "01L", "Currency", "Currencies", (
        ID, F("IsoCode", "picklist", "Currency ISO Code", length=3, nillable=False,
              picklist=CURRENCIES),
        F("ConversionRate", "double", "Conversion Rate", nillable=False),
        F("DecimalPlaces", "int", "Decimal Places", nillable=False),
        F("IsActive", "boolean", "Active", nillable=False),
        F("IsCorporate", "boolean", "Corporate Currency", nillable=False),
        *_audit(modified=False), DELETED,
    ), currency_only=True),
    SObject("DatedConversionRate", "04w", "Dated Exchange Rate", "Dated Exchange Rates", (
        ID, F("IsoCode", "picklist", "Currency ISO Code", length=3, nillable=False,
              picklist=CURRENCIES),
        F("ConversionRate", "double", "Conversion Rate", nillable=False),
        F("StartDate", "date", nillable=False), F("NextStartDate", "date"),
        *_audit(modified=False), DELETED,
    ), currency_only=True),
)  # fmt: skip

#: the custom field the ``new_property`` fault adds to Lead
NEW_PROPERTY = F("Sandbox_Beta__c", "string", "Sandbox Beta", length=80)
NEW_PROPERTY_VALUE = "sandbox-beta"


@lru_cache(maxsize=2)
def objects(single_currency: bool) -> dict[str, SObject]:
    """The org's objects and their fields, in describe order (currency objects and
    ``CurrencyIsoCode`` fields only in a multi-currency org)."""
    out = {}
    for obj in OBJECT_LIST:
        if obj.currency_only and single_currency:
            continue
        fields = tuple(f for f in obj.fields if not (f.currency_only and single_currency))
        out[obj.name] = SObject(obj.name, obj.prefix, obj.label, obj.label_plural, fields,
                                obj.currency_only, obj.history)  # fmt: skip
    return out


def with_new_property(obj: SObject) -> SObject:
    """Lead with the ``Sandbox_Beta__c`` field the ``new_property`` fault adds (last)."""
    return SObject(obj.name, obj.prefix, obj.label, obj.label_plural,
                   (*obj.fields, NEW_PROPERTY), obj.currency_only, obj.history)  # fmt: skip


# --- rows --------------------------------------------------------------------------------------


def user_id(number: int) -> str:
    return sfid("005", number)


def owner_of(k: int) -> str:
    """The sales rep owning company ``k``'s account and everything under it."""
    return user_id(USERS[k % len(USERS)][0])


def lead_id(number: int) -> str:
    return sfid("00Q", number)


def contact_id(number: int) -> str:
    return sfid("003", number)


def account_id(k: int) -> str:
    return sfid("001", k + 1)


def opportunity_id(deal_id: int) -> str:
    return sfid("006", deal_id)


def campaign_id(program_id: int) -> str:
    return sfid("701", program_id)


def org_date(at: datetime) -> date:
    """The date a date field (an opportunity's CloseDate once closed, a campaign member's
    FirstRespondedDate) holds for an instant: its UTC date (the sandbox org's time zone is
    UTC; a real org sets it in its users' time zone)."""
    return _utc_date(at)


def campaign_key(program_id: int) -> str:
    """The certified campaign key of a program's Salesforce campaign, ``salesforce:<Id>``."""
    return f"salesforce:{campaign_id(program_id)}"


@dataclass(frozen=True)
class CampaignResponse:
    """A person's membership of a campaign they responded to (one CampaignMember): the world's
    touches of one program from the person's CRM record on, the first of them its response."""

    member_id: str
    program_id: int
    responded_at: datetime  # the first touch's instant: the member's CreatedDate
    attended: bool  # an event attended (Status Attended) rather than an email click


def campaign_responses(person, now: datetime) -> list[CampaignResponse]:
    """The person's campaign members as the CRM holds them at ``now``: one per program the person
    touched (an email clicked, an event attended) at or after their lead's creation, the member
    created at the first such touch (Salesforce keeps one member per campaign and person, and
    its `FirstRespondedDate`, a date)."""
    first: dict[int, object] = {}
    attended: set[int] = set()
    for t in person.touches:
        if t.program_id is None or t.at >= now or t.at < person.created_at:
            continue
        if t.kind == "attended":
            attended.add(t.program_id)
        held = first.get(t.program_id)
        if held is None or (t.at, t.activity_id) < (held.at, held.activity_id):
            first[t.program_id] = t
    return [
        CampaignResponse(sfid("00v", t.activity_id), pid, t.at, pid in attended)
        for pid, t in sorted(first.items(), key=lambda item: (item[1].at, item[1].activity_id))
    ]


#: LeadHistory and OpportunityFieldHistory share the key prefix 017: their numbers stay apart
FIELD_HISTORY_OFFSET = 10**15


class _Rows:
    """Rows per object, each made from a dict of field values (missing fields are null)."""

    def __init__(self, objs: dict[str, SObject]):
        self.names = {name: tuple(f.name for f in obj.fields) for name, obj in objs.items()}
        # CurrencyIsoCode is given for every row; single-currency orgs do not have the field
        self.allowed = {name: {*names, "CurrencyIsoCode"} for name, names in self.names.items()}
        self.out: dict[str, list[tuple]] = {name: [] for name in objs}

    def add(self, name: str, **values) -> None:
        if not values.keys() <= self.allowed[name]:
            raise KeyError(f"{name} has no field {sorted(values.keys() - self.allowed[name])}")
        get = values.get
        self.out[name].append(tuple(map(get, self.names[name])))


def _utc_date(dt: datetime) -> date:
    return dt.astimezone(UTC).date()


def _dt(dt: datetime | None) -> str | None:
    return sf_datetime(dt)


def company_rows(world: World, k: int, objs: dict[str, SObject]) -> dict[str, list[tuple]]:
    """Company ``k``'s records as they stand at ``world.now``: its account, its people's leads,
    contacts, lead history and campaign memberships, its deal's opportunity, contact roles and
    histories."""
    now = world.now
    multi = not world.single_currency
    rows = _Rows(objs)
    b = world.bundle(k)
    c = b.company
    deal = b.deal
    owner = owner_of(k)
    acc = account_id(k)
    currency = c.currency if multi else None
    if c.created_at < now:
        created = _dt(c.created_at)
        rows.add(
            "Account", Id=acc, IsDeleted=False, MasterRecordId=None, Name=c.name,
            BillingCountry=c.country, Website=c.domain,
            Industry=INDUSTRIES[c.name.split(" ")[1]], OwnerId=owner, CreatedDate=created,
            LastModifiedDate=created, SystemModstamp=created, CurrencyIsoCode=currency,
        )  # fmt: skip

    deal_visible = deal is not None and deal.created_at < now
    conversions: dict[int, datetime] = {}
    opp = None
    if deal_visible:
        opp = opportunity_id(deal.deal_id)
        conversions = {idx: deal.created_at for idx in deal.contact_idxs}
    people = {p.idx: p for p in b.people}

    for p in b.people:
        if p.hubspot_id is None or p.created_at >= now:
            continue
        lid = lead_id(p.hubspot_id)
        conv = conversions.get(p.idx)
        dates = p.hubspot_stage_dates
        mql = dates.get("marketingqualifiedlead")
        sql = dates.get("salesqualifiedlead")
        mql = mql if mql is not None and mql < now else None
        sql = sql if sql is not None and sql < now else None
        working = min((d for d in (mql, sql) if d is not None), default=None)
        if working is not None and conv is not None and working >= conv:
            working = None
        dup = p.duplicate
        dup_visible = dup is not None and dup.created_at < now
        dup_done = dup_visible and dup.merged_at < now
        # a duplicate is merged into a lead not converted by then, else converted into the contact
        dup_merged = dup_done and (conv is None or conv >= dup.merged_at)
        dup_converted = dup_done and not dup_merged
        times = [p.created_at, *(d for d in (mql, sql, conv) if d is not None)]
        if dup_merged:
            times.append(dup.merged_at)
        modified = _dt(max(times))
        status = LEAD_STATUSES[2] if conv else LEAD_STATUSES[1] if working else LEAD_STATUSES[0]
        source = LEAD_SOURCES[p.hs_analytics_source]
        created = _dt(p.created_at)
        is_primary = deal_visible and conv is not None and deal.contact_idxs[0] == p.idx
        cid = contact_id(p.hubspot_id) if conv is not None else None
        rows.add(
            "Lead", Id=lid, IsDeleted=False, MasterRecordId=None, LastName=p.last_name,
            FirstName=p.first_name, Company=c.name, Email=p.hubspot_email, LeadSource=source,
            Status=status, OwnerId=owner, IsConverted=conv is not None,
            ConvertedDate=sf_date(_utc_date(conv)) if conv else None,
            ConvertedAccountId=acc if conv else None, ConvertedContactId=cid,
            ConvertedOpportunityId=opp if is_primary else None, CreatedDate=created,
            LastModifiedDate=modified, SystemModstamp=modified, CurrencyIsoCode=currency,
            MQL_Date__c=_dt(mql), SQL_Date__c=_dt(sql),
        )  # fmt: skip
        seq = 0

        def history(lead: str, number: int, at: datetime, field_name: str, data_type: str,
                    old=None, new=None) -> None:  # fmt: skip
            nonlocal seq
            rows.add(
                "LeadHistory", Id=sfid("017", number * 8 + seq), IsDeleted=False, LeadId=lead,
                CreatedDate=_dt(at), Field=field_name, DataType=data_type, OldValue=old,
                NewValue=new,
            )  # fmt: skip
            seq += 1

        history(lid, p.hubspot_id, p.created_at, "created", "Text")
        previous = LEAD_STATUSES[0]
        if working is not None:
            history(lid, p.hubspot_id, working, "Status", "DynamicEnum", previous, LEAD_STATUSES[1])
            previous = LEAD_STATUSES[1]
        if conv is not None:
            history(lid, p.hubspot_id, conv, "Status", "DynamicEnum", previous, LEAD_STATUSES[2])
            history(lid, p.hubspot_id, conv, "leadConverted", "Text")

        if conv is not None:
            contact_times = [conv] + ([dup.merged_at] if dup_converted else [])
            stamp = _dt(max(contact_times))
            rows.add(
                "Contact", Id=cid, IsDeleted=False, MasterRecordId=None, AccountId=acc,
                LastName=p.last_name, FirstName=p.first_name, Email=p.hubspot_email,
                LeadSource=source, OwnerId=owner, CreatedDate=_dt(conv),
                LastModifiedDate=stamp, SystemModstamp=stamp,
                MQL_Date__c=_dt(mql if mql is not None and mql < conv else None),
                SQL_Date__c=_dt(sql if sql is not None and sql < conv else None),
            )  # fmt: skip

        for r in campaign_responses(p, now):
            linked = conv is not None
            stamp = _dt(max(r.responded_at, conv) if linked else r.responded_at)
            rows.add(
                "CampaignMember", Id=r.member_id, IsDeleted=False,
                CampaignId=campaign_id(r.program_id), LeadId=lid,
                ContactId=cid if linked else None,
                Status="Attended" if r.attended else "Responded", HasResponded=True,
                CreatedDate=_dt(r.responded_at), SystemModstamp=stamp,
                FirstRespondedDate=sf_date(org_date(r.responded_at)),
            )  # fmt: skip

        if dup_visible:
            did = lead_id(dup.contact_id)
            dcreated = _dt(dup.created_at)
            values = dict(
                Id=did, IsDeleted=False, MasterRecordId=None, LastName=p.last_name,
                FirstName=p.first_name, Company=c.name, Email=dup.email, LeadSource="Web",
                Status=LEAD_STATUSES[0], OwnerId=owner, IsConverted=False, ConvertedDate=None,
                ConvertedAccountId=None, ConvertedContactId=None, ConvertedOpportunityId=None,
                CreatedDate=dcreated, LastModifiedDate=dcreated, SystemModstamp=dcreated,
                CurrencyIsoCode=currency, MQL_Date__c=None, SQL_Date__c=None,
            )  # fmt: skip
            seq = 0
            history(did, dup.contact_id, dup.created_at, "created", "Text")
            if dup_merged:
                merged = _dt(dup.merged_at)
                values.update(IsDeleted=True, MasterRecordId=lid, LastModifiedDate=merged,
                              SystemModstamp=merged)  # fmt: skip
            elif dup_converted:
                merged = _dt(dup.merged_at)
                values.update(
                    Status=LEAD_STATUSES[2], IsConverted=True,
                    ConvertedDate=sf_date(_utc_date(dup.merged_at)), ConvertedAccountId=acc,
                    ConvertedContactId=cid, LastModifiedDate=merged, SystemModstamp=merged,
                )  # fmt: skip
                history(did, dup.contact_id, dup.merged_at, "Status", "DynamicEnum",
                        LEAD_STATUSES[0], LEAD_STATUSES[2])  # fmt: skip
                history(did, dup.contact_id, dup.merged_at, "leadConverted", "Text")
            rows.add("Lead", **values)

    if deal_visible:
        _deal_rows(rows, world, deal, people, owner, acc, currency)
    return rows.out


def _deal_rows(rows: _Rows, world: World, deal, people, owner, acc, currency) -> None:
    now = world.now
    opp = opportunity_id(deal.deal_id)
    path = [(at, s) for at, s in deal.stage_path if at < now]
    stage, probability, forecast_name, _ = STAGES[path[-1][1]]
    closed = deal.closed_at is not None and deal.closed_at < now
    expected = sf_date(_utc_date(deal.created_at + EXPECTED_CLOSE))
    close = sf_date(org_date(deal.closed_at)) if closed else expected
    revised = deal.revision is not None and deal.revision.at < now
    first = people[deal.contact_idxs[0]]
    created = _dt(deal.created_at)
    modified = _dt(deal.last_modified_as_of(now))
    rows.add(
        "Opportunity", Id=opp, IsDeleted=False, AccountId=acc, Name=deal.name, StageName=stage,
        Amount=deal.amount_as_of(now), Probability=probability, CloseDate=close,
        Type="New Business", LeadSource=LEAD_SOURCES[first.hs_analytics_source],
        IsClosed=closed, IsWon=closed and deal.is_won, ForecastCategoryName=forecast_name,
        CurrencyIsoCode=currency, OwnerId=owner, CreatedDate=created,
        LastModifiedDate=modified, SystemModstamp=modified,
    )  # fmt: skip
    for i, idx in enumerate(deal.contact_idxs):
        rows.add(
            "OpportunityContactRole", Id=sfid("00K", deal.deal_id * 8 + i), OpportunityId=opp,
            ContactId=contact_id(people[idx].hubspot_id),
            Role="Decision Maker" if i == 0 else "Influencer", IsPrimary=i == 0,
            CreatedDate=created, SystemModstamp=created, IsDeleted=False,
        )  # fmt: skip
    # field history: every stage step after the first, the amount revision
    changes: list[tuple[datetime, str, str, object, object]] = []
    for (_, old), (at, new) in zip(path, path[1:], strict=False):
        changes.append((at, "StageName", "DynamicEnum", STAGES[old][0], STAGES[new][0]))
    if revised:
        changes.append((deal.revision.at, "Amount", "Currency", deal.amount, deal.revision.amount))
    changes.sort(key=lambda c: c[0])
    for seq, (at, name, data_type, old, new) in enumerate(changes):
        rows.add(
            "OpportunityFieldHistory", Id=sfid("017", FIELD_HISTORY_OFFSET + deal.deal_id * 16
                                               + seq),
            IsDeleted=False, OpportunityId=opp, CreatedById=owner, CreatedDate=_dt(at),
            Field=name, DataType=data_type, OldValue=old, NewValue=new,
        )  # fmt: skip
    # opportunity history: a snapshot at creation and at every change
    instants = sorted({deal.created_at, *(at for at, _ in path), *(
        [deal.revision.at] if revised else [])})  # fmt: skip
    for seq, at in enumerate(instants):
        value = [s for t, s in path if t <= at][-1]
        stage_at, probability_at, _, forecast_at = STAGES[value]
        closed_at = deal.closed_at is not None and deal.closed_at <= at
        amount = deal.revision.amount if revised and deal.revision.at <= at else deal.amount
        stamp = _dt(at)
        rows.add(
            "OpportunityHistory", Id=sfid("008", deal.deal_id * 16 + seq), OpportunityId=opp,
            CreatedDate=stamp, StageName=stage_at, Amount=amount,
            CloseDate=sf_date(org_date(deal.closed_at)) if closed_at else expected,
            Probability=probability_at, ForecastCategory=forecast_at, SystemModstamp=stamp,
            IsDeleted=False,
        )  # fmt: skip


def users_created(world: World) -> datetime:
    return world.company_start(0) - timedelta(days=400)


def world_rows(world: World, objs: dict[str, SObject]) -> dict[str, list[tuple]]:
    """The records that belong to no company: users, campaigns, currencies and rates."""
    now = world.now
    rows = _Rows(objs)
    created = _dt(users_created(world))
    for number, email, first, last in USERS:
        rows.add(
            "User", Id=user_id(number), Username=email, LastName=last, FirstName=first,
            Name=f"{first} {last}", Email=email, IsActive=True, CreatedDate=created,
            LastModifiedDate=created, SystemModstamp=created, IsDeleted=False,
        )  # fmt: skip
    for program in world.programs:
        if program.created_at >= now:
            continue
        start, end = campaign_window(program)
        changes = [program.created_at]
        status = CAMPAIGN_STATUSES[0]
        for at, value in ((_midnight(start), CAMPAIGN_STATUSES[1]),
                          (_midnight(end + timedelta(days=1)), CAMPAIGN_STATUSES[2])):  # fmt: skip
            if program.created_at < at < now:
                changes.append(at)
                status = value
            elif at <= program.created_at:
                status = value
        rows.add(
            "Campaign", Id=campaign_id(program.program_id), IsDeleted=False, Name=program.name,
            Type=CAMPAIGN_TYPES[program.channel], Status=status, StartDate=sf_date(start),
            EndDate=sf_date(end), IsActive=status != CAMPAIGN_STATUSES[2],
            CreatedDate=_dt(program.created_at), SystemModstamp=_dt(max(changes)),
        )  # fmt: skip
    if "DatedConversionRate" in objs:
        _currency_rows(rows, world)
    return rows.out


def campaign_window(program) -> tuple[date, date]:
    """(StartDate, EndDate): an event's day and the day after (attendance is logged then too);
    an email program's 60 days from its creation (its clicks fall in them)."""
    if program.event_day is not None:
        return program.event_day, program.event_day + timedelta(days=1)
    start = _utc_date(program.created_at)
    return start, start + timedelta(days=59)


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(), tzinfo=UTC)


def rate_days(world: World) -> list[tuple[date, dict[str, float]]]:
    """Every published rate day with each currency's units per one USD (the corporate
    currency), rounded to 6 decimals as Salesforce keeps them."""
    by_day: dict[date, dict[str, float]] = {}
    for rate in world.fx_rates():
        by_day.setdefault(rate.day, {})[rate.currency] = rate.rate
    out = []
    for day in sorted(by_day):
        per_eur = {"EUR": 1.0, **by_day[day]}
        usd = per_eur[REPORTING_CURRENCY]
        out.append((day, {cur: round(per_eur[cur] / usd, 6) for cur in CURRENCIES}))
    return out


def _currency_rows(rows: _Rows, world: World) -> None:
    days = rate_days(world)
    if not days:
        return
    published = [_dt(_midnight(day) + timedelta(hours=RATE_PUBLISHED.hour)) for day, _ in days]
    for n, cur in enumerate(CURRENCIES):
        corporate = cur == REPORTING_CURRENCY
        rows.add(
            "CurrencyType", Id=sfid("01L", n + 1), IsoCode=cur,
            ConversionRate=days[-1][1][cur], DecimalPlaces=2, IsActive=True,
            IsCorporate=corporate, CreatedDate=published[0],
            SystemModstamp=published[0] if corporate else published[-1], IsDeleted=False,
        )  # fmt: skip
        for i, (day, rates) in enumerate(days):
            last = i == len(days) - 1
            rows.add(
                "DatedConversionRate", Id=sfid("04w", day.toordinal() * 4 + n), IsoCode=cur,
                ConversionRate=rates[cur], StartDate=sf_date(day),
                NextStartDate=sf_date(date(9999, 12, 31) if last else days[i + 1][0]),
                CreatedDate=published[i], SystemModstamp=published[i if last else i + 1],
                IsDeleted=False,
            )  # fmt: skip
