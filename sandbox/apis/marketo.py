"""Sandbox stand-in for Marketo's REST API (identity, leads, activities, programs, bulk extract).

Mounted at ``/marketo`` (playing ``https://<munchkin>.mktorest.com``).

Authentication: ``GET|POST /identity/oauth/token?grant_type=client_credentials&client_id=&
client_secret=`` answers ``{access_token, token_type: "bearer", expires_in: 3600, scope}`` (401
``Bad client credentials`` otherwise). REST calls take the token as ``Authorization: Bearer`` or
the ``access_token`` query parameter. Like Marketo, errors of REST calls come back in HTTP 200
bodies: ``{"requestId", "success": false, "errors": [{"code": "601", "message": "Access token
invalid"}]}`` (602 expired, 606 rate limit, 1003 bad request, 1006 unknown field); a client must
read the body, not only the status.

Listing leads (the choice)
--------------------------
Marketo has no "list every lead" REST call and ``leads.json`` does not accept ``updatedAt`` as
a ``filterType``. What the vendor offers, and what the sandbox implements:

* **Bulk Lead Extract** (Marketo's recommended interface for ETL/warehousing):
  ``POST /bulk/v1/leads/export/create.json`` with ``{"fields": [...], "format": "CSV",
  "filter": {"createdAt"|"updatedAt": {"startAt", "endAt"}}}`` (range at most 31 days; half-open
  ``[startAt, endAt)`` here), then ``POST .../{exportId}/enqueue.json``, poll
  ``GET .../{exportId}/status.json`` (``Queued`` -> ``Processing`` -> ``Completed`` with
  ``numberOfRecords``, ``fileSize`` and ``fileChecksum``; the file is built in a thread of its
  own from the first poll, so a poll answers at once however large the export), then
  ``GET .../{exportId}/file.json``
  (CSV, header of the API field names, missing values written as ``null`` like Marketo's
  exports). A full load walks ``createdAt`` windows from the instance's start; an incremental
  load walks ``updatedAt`` windows from the last high-water mark. The file is streamed and the
  job only stores its filter and the world it was created on.
* ``GET /rest/v1/leads.json?filterType=id|email&filterValues=...`` (at most 300 values,
  ``fields``, ``batchSize``, ``nextPageToken``): lead ids are dense integers, so a client without
  bulk permissions can walk id batches of 300 (the pattern many connectors use).
* ``GET /rest/v1/activities/leadchanges.json?nextPageToken=&fields=leadStatus``: incremental data
  value changes (activity type 13), with the same paging token as activities.

Activities
----------
``GET /rest/v1/activities/pagingtoken.json?sinceDatetime=`` then ``GET /rest/v1/activities.json?
nextPageToken=&activityTypeIds=1,2,11,13,104&batchSize=`` (at most 300; ``moreResult``;
``nextPageToken``; ``leadIds``, at most 30, reads only those leads' activities). The token encodes
``(since, company cursor, lead, position)``; a page returns every visible activity with
``activityDate >= since`` **ordered by lead (then by time within a lead), not by time**: the world
is generated company by company, and Marketo itself makes no ordering promise across leads (its
pages are built from partitions). A client must therefore keep the ``since`` it asked for as its
high-water mark (not the largest ``activityDate`` of the last page) and store the final
``nextPageToken``: once the scan reaches the end (``moreResult: false``) the returned token
restarts at the world's ``now``, so reusing it later returns exactly the activities that happened
in between. Anonymous visits are attached to the lead with their original dates when the lead is
created, so a visit dated before ``since`` can appear after a load that started later (as in
Marketo).

A scan of the history (a start before the last ``RECENT_DAYS``, no ``leadIds``, no fault that
changes what is served) reads its pages from a store of every activity serialized once when the
world index is built (:class:`ActivityStore`, a temporary file), as Marketo answers from stored
activities: a first load's pace is then the loader's, not the simulator's generation of each
company in the requests. Its pages are the ones the scan of the world makes, tokens included.

Activity types (``GET /rest/v1/activities/types.json``), attributes as in Marketo:
1 Visit Webpage (primary: Webpage ID; Client IP Address, Query Parameters, Referrer URL,
User Agent, Webpage URL), 2 Fill Out Form (primary: Webform ID; Client IP Address, Form Fields,
Query Parameters, Referrer URL, User Agent, Webpage ID), 11 Click Email (primary: Mailing ID,
``primaryAttributeValue = "<program name>.<email name>"`` so the program is the part before the
first dot; Link with the UTM query, Link ID, Campaign Run ID, Choice Number, Device,
Is Mobile Device, Platform, Step ID, User Agent), 13 Change Data Value (primary: the field,
``Lead Status``; New Value, Old Value (omitted when empty, as Marketo omits empty attributes),
Reason, Source), 104 Change Status in Progression (primary: Program ID, value the program
name; Acquired By, New Status ID, New Status ``Attended``, Old Status ID, Old Status
``Registered``, Program Member ID, Reason, Success); a membership that no attended event began
has its own (``Not in Program`` -> ``Member``, ids from 10^12), dated when it became visible, so
the program's members that changed can be found from the activities.

Programs: ``GET /rest/asset/v1/programs.json?maxReturn=&offset=`` (with ``costs``; past the end
``success: true`` with the warning ``No assets found for the given search criteria.`` and no
``result``, like Marketo), ``GET /rest/asset/v1/program/{id}.json``,
``GET /rest/v1/programs/{id}/members.json`` (event programs: ``Attended``; email programs:
``Engaged``, both success statuses; ``membershipDate`` = the first touch in the program).

Faults: ``token_expiry_every`` (601/602 in a 200 body; the token is then really dead, so the
client must fetch a new one), ``body_rate_limit_every`` (606), both on the first attempt of a
request only (the access token is not part of a request's identity); ``duplicate_across_pages``
(activities: a page starts with the last activity of the page before); ``new_property``
(activities of types 1, 2 and 11 gain ``Is Bot Activity`` and ``Bot Activity Pattern``, as
Marketo added in 2021); bad records: ``null_id`` (an activity with ``id: null``),
``malformed_email`` (a lead whose email has ``@@``), ``future_date`` (an activity dated two days
after ``now``), ``visitor_text`` (two page visits whose ``Query Parameters`` carry an email
address and 10 kB with a right-to-left override and a NUL as ``utm_campaign``: ``VISITOR_TEXT``),
listed by ``bad_records(ctx)``.
"""

from __future__ import annotations

import base64
import bisect
import csv
import hashlib
import io
import json
import logging
import os
import secrets
import tempfile
import threading
import time
import uuid
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import BaseRoute, Route

from sandbox.apis._common import (
    bearer_token,
    compact_json,
    iso_s,
    json_object_of_serialized,
    parse_instant,
    short_hash,
    source_settings,
    stream_json_object,
)
from sandbox.faults import BadRecord
from sandbox.world import Person, Program, World

log = logging.getLogger(__name__)

SOURCE = "marketo"
TOKEN_TTL = 3600
MAX_BATCH = 300
MAX_FILTER_VALUES = 300
#: before any activity of any world
DAWN = datetime(1970, 1, 1, tzinfo=UTC)
#: the leads active in this many days before the world's now are kept generated in the world
#: index: a daily run's scans (since the day before), its lead lookups and its new leads'
#: history read only those, so they cost the day's leads, not a regeneration of their
#: companies on every pass (the world's cache of generated companies is smaller than a day's
#: companies at 100,000 people, and each pass walks them in the same order)
RECENT_DAYS = 3
#: activities.json's ``leadIds`` takes at most 30 ids (Marketo's limit)
MAX_ACTIVITY_LEAD_IDS = 30
MAX_EXPORT_DAYS = 31
SITE = "https://www.acme-analytics.example.com"
#: the standard fields served; the sfdc* ones are written by Marketo's Salesforce sync (empty
#: unless the world's CRM is Salesforce)
LEAD_FIELDS = (
    "id", "email", "firstName", "lastName", "createdAt", "updatedAt", "leadStatus",
    "sfdcLeadId", "sfdcContactId", "sfdcAccountId", "sfdcType",
)  # fmt: skip
DEFAULT_LEAD_FIELDS = ("id", "email", "updatedAt", "createdAt", "lastName", "firstName")
LEAD_STATUS_FIELD_ID = 74
FUTURE_OFFSET = timedelta(days=2)

ACTIVITY_TYPES = {
    1: ("Visit Webpage", "User visits a web page", ("Webpage ID", "integer"),
        (("Client IP Address", "string"), ("Query Parameters", "string"),
         ("Referrer URL", "string"), ("User Agent", "string"), ("Webpage URL", "string"))),
    2: ("Fill Out Form", "User fills out and submits form on web page", ("Webform ID", "integer"),
        (("Client IP Address", "string"), ("Form Fields", "text"), ("Query Parameters", "string"),
         ("Referrer URL", "string"), ("User Agent", "string"), ("Webpage ID", "integer"))),
    11: ("Click Email", "User clicks on a link in a Marketo Email", ("Mailing ID", "integer"),
         (("Campaign Run ID", "integer"), ("Choice Number", "integer"), ("Device", "string"),
          ("Is Mobile Device", "boolean"), ("Link", "string"), ("Link ID", "string"),
          ("Platform", "string"), ("Step ID", "integer"), ("User Agent", "string"))),
    13: ("Change Data Value", "Changed attribute value for a person", ("Attribute Name", "integer"),
         (("New Value", "string"), ("Old Value", "string"), ("Reason", "string"),
          ("Source", "string"))),
    104: ("Change Status in Progression", "Change a person's program status",
          ("Program ID", "integer"),
          (("Acquired By", "boolean"), ("New Status ID", "integer"), ("New Status", "string"),
           ("Old Status ID", "integer"), ("Old Status", "string"),
           ("Program Member ID", "integer"), ("Reason", "string"), ("Success", "boolean"))),
}  # fmt: skip
KIND_TYPE = {"visit": 1, "form": 2, "email_click": 11, "attended": 104}
FORMS = {
    "/": "Newsletter Signup", "/pricing": "Pricing Inquiry", "/product": "Product Tour Request",
    "/blog/attribution": "Content Download", "/demo": "Demo Request",
    "/webinars": "Webinar Registration",
}  # fmt: skip
REFERRERS = {
    "paid_search": "https://www.google.com/", "organic_search": "https://www.google.com/",
    "paid_social": "https://www.linkedin.com/", "organic_social": "https://t.co/",
    "display": "https://googleads.g.doubleclick.net/", "referral": "https://www.g2.com/",
    "partner": "https://partnerco.example.net/", "direct": "", "email": "", "events": "",
}  # fmt: skip
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
)
STATUS_IDS = {"Registered": 21, "Attended": 24, "Engaged": 31, "Member": 30}


# --- helpers --------------------------------------------------------------------------------


def _request_id() -> str:
    return f"{secrets.token_hex(3)[:5]}#{int(time.time() * 1000):x}"


def ok(body: dict) -> dict:
    return {"requestId": _request_id(), **body, "success": True}


def error_body(code: str, message: str) -> dict:
    return {
        "requestId": _request_id(),
        "success": False,
        "errors": [{"code": code, "message": message}],
    }


def _err(code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(code, message))


def _asset_time(dt: datetime) -> str:
    """The asset API's own shape, as in Marketo's examples: ``2015-11-18T15:25:35Z+0000``."""
    return iso_s(dt) + "+0000"


def _b32(text: str) -> str:
    return base64.b32encode(text.encode()).decode()


def _unb32(token: str) -> str:
    return base64.b32decode(token.encode()).decode()


def lead_visible(p: Person, now: datetime) -> bool:
    return p.marketo_id is not None and p.created_at < now


@dataclass(frozen=True)
class CrmSync:
    """What Marketo's Salesforce sync wrote on a lead: the Salesforce lead it is, the contact
    and account it became when converted (``sfdcType`` Lead / Contact), and when."""

    lead_id: str
    contact_id: str | None
    account_id: str | None
    converted_at: datetime | None


def crm_sync(world: World, p: Person) -> CrmSync | None:
    """The Salesforce ids of a lead, in a world whose CRM is Salesforce (else None: a HubSpot
    world's Marketo leads have empty sfdc fields)."""
    if "salesforce" not in world.systems or p.hubspot_id is None or p.created_at >= world.now:
        return None
    from sandbox.apis import _salesforce_records as sf

    deal = world.bundle(p.company_idx).deal
    if deal is not None and deal.created_at < world.now and p.idx in deal.contact_idxs:
        return CrmSync(
            sf.lead_id(p.hubspot_id),
            sf.contact_id(p.hubspot_id),
            sf.account_id(p.company_idx),
            deal.created_at,
        )
    return CrmSync(sf.lead_id(p.hubspot_id), None, None, None)


def lead_record(p: Person, now: datetime, sync: CrmSync | None = None) -> dict:
    changes = [c for c in p.marketo_status_changes if c.at < now]
    updated = lead_updated_at(p, now, sync)
    return {
        "id": p.marketo_id,
        "email": p.marketo_email,
        "firstName": p.first_name,
        "lastName": p.last_name,
        "createdAt": iso_s(p.created_at),
        "updatedAt": iso_s(updated),
        "leadStatus": changes[-1].new if changes else None,
        "sfdcLeadId": sync.lead_id if sync else None,
        "sfdcContactId": sync.contact_id if sync else None,
        "sfdcAccountId": sync.account_id if sync else None,
        "sfdcType": ("Contact" if sync.contact_id else "Lead") if sync else None,
    }


def lead_updated_at(p: Person, now: datetime, sync: CrmSync | None = None) -> datetime:
    """The lead's last change: a status change, or the sync writing its contact id."""
    times = [p.created_at, *(c.at for c in p.marketo_status_changes if c.at < now)]
    if sync is not None and sync.converted_at is not None:
        times.append(sync.converted_at)
    return max(times)


@dataclass(frozen=True)
class Act:
    at: datetime
    activity_id: int
    type_id: int
    person: Person
    source: object  # Touch, StatusChange or Membership


@dataclass(frozen=True)
class Membership:
    """A lead becoming a member of a program (Not in Program -> Member), as Marketo logs every
    program status change as a Change Status in Progression activity (type 104)."""

    program_id: int
    first: object  # the lead's first touch in the program


#: membership activities have ids of their own, above every touch's and status change's
MEMBERSHIP_ACTIVITY_ID_BASE = 10**12


def membership_activities(p: Person) -> list[Act]:
    """One activity per program the lead is a member of, unless the membership began with an
    attended event (whose own type-104 activity, to ``Attended``, is its status change). It is
    dated when the membership became visible: at the first touch in the program, or when the
    lead was created if that touch was anonymous (Marketo has no member it does not know)."""
    first: dict[int, object] = {}
    for t in p.touches:  # in (date, id) order
        if t.program_id and t.program_id not in first:
            first[t.program_id] = t
    return [
        Act(
            max(t.at, p.created_at),
            MEMBERSHIP_ACTIVITY_ID_BASE + t.activity_id,
            104,
            p,
            Membership(program_id, t),
        )
        for program_id, t in first.items()
        if t.kind != "attended"
    ]


def person_activities(world: World, p: Person, since: datetime, now: datetime) -> list[Act]:
    """The lead's visible activities with since <= activityDate < now, in (date, id) order."""
    out = [
        Act(t.at, t.activity_id, KIND_TYPE[t.kind], p, t) for t in p.touches if since <= t.at < now
    ]
    out += [
        Act(c.at, c.activity_id, 13, p, c) for c in p.marketo_status_changes if since <= c.at < now
    ]
    out += [a for a in membership_activities(p) if since <= a.at < now]
    out.sort(key=lambda a: (a.at, a.activity_id))
    return out


def _ip(activity_id: int) -> str:
    h = short_hash("ip", activity_id)
    return f"{(h >> 24) % 200 + 23}.{(h >> 16) % 256}.{(h >> 8) % 256}.{h % 254 + 1}"


def _page_id(page: str) -> int:
    return 1000 + sorted(FORMS).index(page) if page in FORMS else 1999


def activity_record(world: World, act: Act, new_property: bool) -> dict:
    p = act.person
    attrs: list[dict] = []
    pav_id: int | None = None
    pav: str | None = None
    if act.type_id == 13:
        change = act.source
        pav_id, pav = LEAD_STATUS_FIELD_ID, "Lead Status"
        attrs.append({"name": "New Value", "value": change.new})
        if change.old is not None:
            attrs.append({"name": "Old Value", "value": change.old})
        attrs.append(
            {"name": "Reason", "value": "Changed by Smart Campaign Lead Lifecycle.Set Status"}
        )
        attrs.append({"name": "Source", "value": "Marketo Flow Action"})
    elif isinstance(act.source, Membership):
        program = world.program(act.source.program_id)
        pav_id, pav = program.program_id, program.name
        attrs += [
            {"name": "Acquired By", "value": p.touches[0] is act.source.first},
            {"name": "New Status ID", "value": STATUS_IDS["Member"]},
            {"name": "New Status", "value": "Member"},
            {"name": "Old Status ID", "value": 0},
            {"name": "Old Status", "value": "Not in Program"},
            {"name": "Program Member ID", "value": p.marketo_id * 1000 + program.program_id % 1000},
            {"name": "Reason", "value": "Added to program"},
            {"name": "Success", "value": False},
        ]
    else:
        t = act.source
        query = urlencode(t.query)
        ua = USER_AGENTS[short_hash("ua", act.activity_id) % len(USER_AGENTS)]
        url = f"{SITE}{t.page}" + (f"?{query}" if query else "")
        if act.type_id == 1:
            pav_id, pav = _page_id(t.page), f"www.acme-analytics.example.com{t.page}"
            attrs += [
                {"name": "Client IP Address", "value": _ip(act.activity_id)},
                {"name": "Query Parameters", "value": query},
                {"name": "Referrer URL", "value": REFERRERS.get(t.channel, "")},
                {"name": "User Agent", "value": ua},
                {"name": "Webpage URL", "value": t.page},
            ]
        elif act.type_id == 2:
            name = FORMS.get(t.page, "Contact Us")
            pav_id, pav = 3000 + _page_id(t.page) % 1000, name
            fields = {
                "Email": p.marketo_email or "",
                "FirstName": p.first_name,
                "LastName": p.last_name,
            }
            attrs += [
                {"name": "Client IP Address", "value": _ip(act.activity_id)},
                {"name": "Form Fields", "value": json.dumps(fields)},
                {"name": "Query Parameters", "value": query},
                {"name": "Referrer URL", "value": url},
                {"name": "User Agent", "value": ua},
                {"name": "Webpage ID", "value": _page_id(t.page)},
            ]
        elif act.type_id == 11:
            program = world.program(t.program_id)
            pav_id = t.program_id * 10 + 1
            pav = f"{program.name}.Email {1 + t.program_id % 2}"
            mobile = "iPhone" in ua
            attrs += [
                {"name": "Campaign Run ID", "value": t.program_id * 100 + 7},
                {"name": "Choice Number", "value": 0},
                {"name": "Device", "value": "iPhone" if mobile else "unknown"},
                {"name": "Is Mobile Device", "value": mobile},
                {"name": "Link", "value": url},
                {"name": "Link ID", "value": f"{t.program_id}-{_page_id(t.page)}"},
                {"name": "Platform", "value": "iOS" if mobile else "Windows"},
                {"name": "Step ID", "value": 13},
                {"name": "User Agent", "value": ua},
            ]
        elif act.type_id == 104:
            program = world.program(t.program_id)
            pav_id, pav = program.program_id, program.name
            first = p.touches[0].activity_id == t.activity_id if p.touches else False
            attrs += [
                {"name": "Acquired By", "value": first},
                {"name": "New Status ID", "value": STATUS_IDS["Attended"]},
                {"name": "New Status", "value": "Attended"},
                {"name": "Old Status ID", "value": STATUS_IDS["Registered"]},
                {"name": "Old Status", "value": "Registered"},
                {
                    "name": "Program Member ID",
                    "value": p.marketo_id * 1000 + program.program_id % 1000,
                },
                {"name": "Reason", "value": "Attended event"},
                {"name": "Success", "value": True},
            ]
        if new_property and act.type_id in (1, 2, 11):
            attrs += [
                {"name": "Is Bot Activity", "value": False},
                {"name": "Bot Activity Pattern", "value": "N/A"},
            ]
    return {
        "id": act.activity_id,
        "marketoGUID": str(act.activity_id),
        "leadId": p.marketo_id,
        "activityDate": iso_s(act.at),
        "activityTypeId": act.type_id,
        "primaryAttributeValueId": pav_id,
        "primaryAttributeValue": pav,
        "attributes": attrs,
    }


def leadchange_record(act: Act, fields: set[str]) -> dict | None:
    if act.type_id != 13 or "leadStatus" not in fields:
        return None
    change = act.source
    return {
        "id": act.activity_id,
        "marketoGUID": str(act.activity_id),
        "leadId": act.person.marketo_id,
        "activityDate": iso_s(act.at),
        "activityTypeId": 13,
        "fields": [
            {
                "id": LEAD_STATUS_FIELD_ID,
                "name": "leadStatus",
                "newValue": change.new,
                "oldValue": change.old,
            }
        ],
        "attributes": [
            {"name": "Reason", "value": "Changed by Smart Campaign Lead Lifecycle.Set Status"},
            {"name": "Source", "value": "Marketo Flow Action"},
            {"name": "Lead ID", "value": act.person.marketo_id},
        ],
    }


# --- bad records ---------------------------------------------------------------------------------


def _targets(ctx) -> dict:
    """{"activities": {activity_id: kind}, "leads": {lead_id: kind}}, cached per world instant."""
    world: World = ctx.world
    key = ("marketo_targets", world.today)
    cached = ctx.state.get(key)
    if cached is not None:
        return cached
    kinds = ctx.faults.bad_records
    now = world.now
    count = world.company_count()
    out: dict = {"activities": {}, "leads": {}, "detail": {}, "visitor_text": {}}

    def first_person(start_k: int, ok) -> Person | None:
        for k in range(min(start_k, count), min(count, start_k + 400)):
            for p in world.bundle(k).people:
                if lead_visible(p, now) and ok(p):
                    return p
        return None

    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    if "null_id" in kinds and (p := first_person(1, lambda p: bool(p.touches))):
        act = person_activities(world, p, epoch, now)[0]
        out["activities"][act.activity_id] = "null_id"
        out["detail"][("activities", act.activity_id)] = (
            f"activity of lead {p.marketo_id} at {iso_s(act.at)} (marketoGUID "
            f"{act.activity_id}) has a null id"
        )
    if "future_date" in kinds and (p := first_person(4, lambda p: len(p.touches) >= 2)):
        act = person_activities(world, p, epoch, now)[-1]
        out["activities"][act.activity_id] = "future_date"
        out["detail"][("activities", act.activity_id)] = (
            f"activityDate is {FUTURE_OFFSET.days} days after the world's now"
        )
    if "visitor_text" in kinds:
        visits = lambda p: [  # noqa: E731 - a page visit with a query string
            a for a in person_activities(world, p, epoch, now) if a.type_id == 1 and a.source.query
        ]
        if p := first_person(3, lambda p: len(visits(p)) >= 2):
            for act, value in zip(visits(p), VISITOR_TEXT, strict=False):
                out["activities"][act.activity_id] = "visitor_text"
                out["visitor_text"][act.activity_id] = value
                out["detail"][("activities", act.activity_id)] = (
                    f"utm_campaign of the page visit is {VISITOR_TEXT_LABEL[value]}"
                )
    if "malformed_email" in kinds and (p := first_person(2, lambda p: bool(p.marketo_email))):
        out["leads"][p.marketo_id] = "malformed_email"
        out["detail"][("leads", p.marketo_id)] = "email has a doubled @"
    with ctx.lock:
        ctx.state[key] = out
    return out


#: what a visitor typed into utm_campaign (the ``visitor_text`` bad record): an email address,
#: and 10 kB of text behind a right-to-left override with a NUL byte inside
VISITOR_TEXT = ("jane.doe+promo@example.com", "\u202e" + "spring-" * 1463 + "\x00end")
VISITOR_TEXT_LABEL = {VISITOR_TEXT[0]: "an email address",
                      VISITOR_TEXT[1]: "10 kB with a bidi override and a NUL"}  # fmt: skip


def bad_records(ctx) -> list[BadRecord]:
    if not ctx.faults.bad_records:
        return []
    t = _targets(ctx)
    out = []
    for table in ("leads", "activities"):
        for record_id, kind in sorted(t[table].items()):
            served = None if kind == "null_id" else str(record_id)
            out.append(BadRecord("marketo", table, served, kind, t["detail"][(table, record_id)]))
    return out


def _fault_lead(ctx, rec: dict) -> dict:
    if ctx.faults.bad_records and _targets(ctx)["leads"].get(rec["id"]) == "malformed_email":
        rec["email"] = (rec["email"] or "").replace("@", "@@")
    return rec


def _fault_activity(ctx, rec: dict) -> dict:
    if not ctx.faults.bad_records:
        return rec
    kind = _targets(ctx)["activities"].get(rec["marketoGUID"] and int(rec["marketoGUID"]))
    if kind == "null_id":
        rec["id"] = None
    elif kind == "future_date":
        rec["activityDate"] = iso_s(ctx.world.now + FUTURE_OFFSET)
    elif kind == "visitor_text":
        value = _targets(ctx)["visitor_text"][int(rec["marketoGUID"])]
        for attr in rec["attributes"]:
            if attr["name"] == "Query Parameters":
                query = dict(parse_qsl(attr["value"], keep_blank_values=True))
                attr["value"] = urlencode({**query, "utm_campaign": value})
    return rec


# --- paging tokens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    since: int  # epoch seconds
    k: int  # company cursor
    idx: int  # person index of the last lead served, -1 for none
    pos: int  # position of the last activity served within that lead's list, -1 for none

    def encode(self) -> str:
        return _b32(f"a1:{self.since}:{self.k}:{self.idx}:{self.pos}")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        tag, since, k, idx, pos = _unb32(token).split(":")
        if tag != "a1":
            raise ValueError("not an activity token")
        return cls(int(since), int(k), int(idx), int(pos))

    @classmethod
    def start(cls, world: World, since: datetime) -> Cursor:
        return cls(int(since.timestamp()), world.first_company_active_since(since), -1, -1)


def scan_activities(
    world: World,
    cursor: Cursor,
    accept,
    limit: int,
    duplicate: bool,
    lead_ids=None,
    index: dict | None = None,
):
    """Yield (Act, Cursor after it) from ``cursor`` on, up to ``limit`` accepted activities.

    ``accept(act)`` filters (e.g. by type). When ``duplicate``, the activity the cursor points
    at is yielded again first (the duplicate-across-pages fault). ``lead_ids`` (the ``leadIds``
    parameter) reads only those leads, from an index as Marketo does, not by a scan of every
    lead active since ``since``. ``index`` (the world index, ``_world_index``) skips the leads
    with nothing at or after ``since`` without generating their companies, and a scan since
    the index's ``recent_since`` (a daily run's) reads only the recent leads it keeps generated,
    so a scan of the last day costs the day's leads, neither the world nor its companies.
    """
    now = world.now
    since = datetime.fromtimestamp(cursor.since, tz=UTC)
    count = world.company_count()
    served = 0
    recent_people: dict[int, Person] = index["recent_people"] if index else {}

    def person(idx: int) -> Person:
        return _kept_or_generated(world, recent_people, idx)

    if duplicate and cursor.idx >= 0 and cursor.pos >= 0:
        acts = person_activities(world, person(cursor.idx), since, now)
        if cursor.pos < len(acts):
            yield acts[cursor.pos], cursor
    if lead_ids is not None:
        total = int(world.company_offsets[-1])
        people = (person(i - 1) for i in sorted(lead_ids) if 0 < i <= total)
        leads = ((world.company_of_person(p.idx), p) for p in people if p.marketo_id in lead_ids)
    elif index is not None and since >= index["recent_since"]:
        recent = index["recent"]
        start = bisect.bisect_left(recent, (cursor.k, cursor.idx))
        leads = ((k, recent_people[idx]) for k, idx, last in recent[start:] if last >= since)
    elif index is not None:
        latest = index["latest"]
        start = bisect.bisect_left(latest, (cursor.k, cursor.idx))
        leads = ((k, person(idx)) for k, idx, last in latest[start:] if last >= since)
    else:
        leads = ((k, p) for k in range(cursor.k, count) for p in world.bundle(k).people)
    for k, p in leads:
        if k < cursor.k or p.idx < cursor.idx or not lead_visible(p, now):
            continue
        acts = person_activities(world, p, since, now)
        start = cursor.pos + 1 if p.idx == cursor.idx else 0
        for i in range(start, len(acts)):
            if not accept(acts[i]):
                continue
            if served == limit:
                return
            served += 1
            yield acts[i], Cursor(cursor.since, k, p.idx, i)


class ActivityStore:
    """Every visible activity of one world state, serialized once as the activities endpoint
    serves it (no fault applied), in the world index's lead order and within a lead in (date,
    id) order, so a page of a scan of the history (a first load) is a read of consecutive
    records instead of a generation of their companies and a serialization of each activity.

    A real Marketo answers a first load from its stored activities; a simulator that generated
    and serialized them in the request set the pace of the load, not the loader. The records
    are kept in an unnamed temporary file (removed with the store): about 640 bytes an
    activity, 7.9 GB at a million people. Per activity: its date (epoch seconds, floored), its
    type and where its record starts (``offsets``, one more: the end of the last); per lead (the
    index's ``latest`` entries): where its activities start.
    """

    def __init__(self) -> None:
        # open for the store's life, closed (and so removed) with it
        self._file = tempfile.TemporaryFile(prefix="sandbox-marketo-activities-")  # noqa: SIM115
        self._pending = bytearray()
        self.at = array("q")
        self.types = array("B")
        self.offsets = array("q", [0])
        self.lead_start = array("q", [0])

    def add_lead(self, world: World, acts: list[Act]) -> None:
        """The activities of the next lead of the index's ``latest``, in (date, id) order."""
        for act in acts:
            data = compact_json(activity_record(world, act, False)).encode()
            self._pending += data
            self.offsets.append(self.offsets[-1] + len(data))
            self.at.append(int(act.at.timestamp()))
            self.types.append(act.type_id)
        self.lead_start.append(len(self.at))
        if len(self._pending) >= 1 << 22:
            self._flush()

    def _flush(self) -> None:
        self._file.write(self._pending)
        self._pending.clear()

    def seal(self) -> ActivityStore:
        self._flush()
        self._file.flush()
        return self

    def page(self, latest: list, cursor: Cursor, types: set[int], limit: int):
        """What a scan from ``cursor`` serves: (records, the cursor after the last, how many),
        as :func:`scan_activities` over the index's ``latest`` answers without faults."""
        since, at, kinds, starts = cursor.since, self.at, self.types, self.lead_start
        picked: list[int] = []
        last = cursor
        j = bisect.bisect_left(latest, (cursor.k, cursor.idx))
        while j < len(latest) and len(picked) < limit:
            lo, hi = starts[j], starts[j + 1]
            if at[hi - 1] >= since:
                first = bisect.bisect_left(at, since, lo, hi)
                k, idx, _ = latest[j]
                i = first + cursor.pos + 1 if idx == cursor.idx else first
                taken = len(picked)
                picked += [n for n in range(i, hi) if kinds[n] in types][: limit - taken]
                if len(picked) > taken:
                    last = Cursor(since, k, idx, picked[-1] - first)
            j += 1
        return self._records(picked), last, len(picked)

    def _records(self, picked: list[int]) -> list[bytes]:
        if not picked:
            return []
        offsets = self.offsets
        base = offsets[picked[0]]
        span = os.pread(self._file.fileno(), offsets[picked[-1] + 1] - base, base)
        return [span[offsets[i] - base : offsets[i + 1] - base] for i in picked]


# --- routes --------------------------------------------------------------------------------


def _query_key(request: Request, body: bytes = b"") -> str:
    query = urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k != "access_token"]
    )
    digest = hashlib.sha256(body).hexdigest()[:16] if body else ""
    return f"{request.method} {request.url.path}?{query} {digest}"


def _ints(raw: str | None) -> list[int]:
    return [int(x) for x in (raw or "").split(",") if x.strip()]


def routes(ctx) -> list[BaseRoute]:
    creds = ctx.credentials[SOURCE]

    # tokens survive `advance` (set_world clears ctx.state): keep them outside it too
    issued: dict[str, float] = {}
    revoked: set[str] = set()

    def guard(request: Request, body: bytes = b"") -> JSONResponse | None:
        token = bearer_token(request) or request.query_params.get("access_token")
        if not token or (token not in issued and token not in revoked):
            return _err("601", "Access token invalid")
        if token in revoked or issued[token] < time.time():
            return _err("602", "Access token expired")
        key = _query_key(request, body)
        plan = ctx.faults
        if ctx.injector.body_fault(key, "token_expiry", plan.token_expiry_every):
            issued.pop(token, None)
            revoked.add(token)
            if ctx.injector.alternate("token_code"):
                return _err("601", "Access token invalid")
            return _err("602", "Access token expired")
        if ctx.injector.body_fault(key, "body_rate_limit", plan.body_rate_limit_every):
            return _err("606", "Max rate limit '100' exceeded with in '20' secs")
        return None

    async def identity(request: Request):
        params = dict(request.query_params)
        if request.method == "POST":
            form = await request.form()
            params.update({k: str(v) for k, v in form.items()})
        if params.get("grant_type") != "client_credentials":
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Missing grant type"},
                status_code=400,
            )
        if (
            params.get("client_id") != creds["client_id"]
            or params.get("client_secret") != creds["client_secret"]
        ):
            return JSONResponse(
                {"error": "unauthorized", "error_description": "Bad client credentials"},
                status_code=401,
            )
        token = f"{uuid.uuid4()}:ab"
        issued[token] = time.time() + TOKEN_TTL
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": TOKEN_TTL,
                "scope": "sandbox-api@acme-analytics.example.com",
            }
        )

    def activity_types(request: Request):
        if (err := guard(request)) is not None:
            return err
        result = [
            {
                "id": tid,
                "name": name,
                "description": desc,
                "primaryAttribute": {"name": prim[0], "dataType": prim[1]},
                "attributes": [{"name": n, "dataType": t} for n, t in attrs],
            }
            for tid, (name, desc, prim, attrs) in ACTIVITY_TYPES.items()
        ]
        return JSONResponse(ok({"result": result}))

    def paging_token(request: Request):
        if (err := guard(request)) is not None:
            return err
        raw = request.query_params.get("sinceDatetime")
        if not raw:
            return _err("701", "sinceDatetime cannot be blank")
        try:
            since = parse_instant(raw)
        except ValueError:
            return _err("1003", f"Invalid sinceDatetime '{raw}'")
        return JSONResponse(ok({"nextPageToken": Cursor.start(ctx.world, since).encode()}))

    def _activity_page(request: Request, accept, serialize, lead_ids=None, types=None):
        """A page of an activity scan. ``types``: the activities endpoint's selection, whose
        scan of the history (a first load) is read from the world index's store of serialized
        activities when no fault changes what it serves."""
        world: World = ctx.world
        try:
            cursor = Cursor.decode(request.query_params.get("nextPageToken", ""))
        except Exception:
            return _err("1003", "Invalid nextPageToken")
        batch = request.query_params.get("batchSize") or str(MAX_BATCH)
        if not batch.isdigit() or not 1 <= int(batch) <= MAX_BATCH:
            return _err("1003", f"batchSize must be between 1 and {MAX_BATCH}")
        limit = int(batch)
        state = {"last": cursor, "served": 0}
        duplicate = ctx.faults.duplicate_across_pages
        index = _world_index(ctx, world)

        def tail():
            more = state["served"] >= limit
            # at the end, the next token starts at the world's now
            last = state["last"] if more else Cursor.start(world, world.now)
            return {"nextPageToken": last.encode(), "moreResult": more, "success": True}

        plain = not (duplicate or ctx.faults.new_property or ctx.faults.bad_records)
        history = datetime.fromtimestamp(cursor.since, UTC) < index["recent_since"]
        if types is not None and lead_ids is None and plain and history:
            records, state["last"], state["served"] = index["store"].page(
                index["latest"], cursor, types, limit
            )
            head = {"requestId": _request_id()}
            return json_object_of_serialized(head, "result", records, tail())

        def items():
            scanned = scan_activities(world, cursor, accept, limit, duplicate, lead_ids, index)
            for act, after in scanned:
                state["last"] = after
                if after != cursor or not duplicate:
                    state["served"] += 1
                rec = serialize(act)
                if rec is not None:
                    yield rec

        return stream_json_object({"requestId": _request_id()}, "result", items(), tail)

    def activities(request: Request):
        if (err := guard(request)) is not None:
            return err
        try:
            types = set(_ints(request.query_params.get("activityTypeIds")))
        except ValueError:
            return _err("1003", "Invalid activityTypeIds")
        if not types:
            return _err("1003", "activityTypeIds cannot be blank")
        if len(types) > 10:
            return _err("1003", "At most 10 activityTypeIds are allowed")
        try:
            lead_ids = set(_ints(request.query_params.get("leadIds"))) or None
        except ValueError:
            return _err("1003", "Invalid leadIds")
        if lead_ids and len(lead_ids) > MAX_ACTIVITY_LEAD_IDS:
            return _err("1003", f"At most {MAX_ACTIVITY_LEAD_IDS} leadIds are allowed")
        world = ctx.world
        new_property = ctx.faults.new_property

        def accept(act: Act) -> bool:
            return act.type_id in types

        def serialize(act: Act) -> dict:
            return _fault_activity(ctx, activity_record(world, act, new_property))

        return _activity_page(request, accept, serialize, lead_ids, types)

    def lead_changes(request: Request):
        if (err := guard(request)) is not None:
            return err
        fields = set((request.query_params.get("fields") or "").split(","))
        if not fields - {""}:
            return _err("1003", "fields cannot be blank")
        return _activity_page(
            request,
            lambda act: act.type_id == 13 and "leadStatus" in fields,
            lambda act: leadchange_record(act, fields),
        )

    def leads(request: Request):
        if (err := guard(request)) is not None:
            return err
        world: World = ctx.world
        now = world.now
        filter_type = request.query_params.get("filterType", "")
        values = [v for v in (request.query_params.get("filterValues") or "").split(",") if v]
        fields = [f for f in (request.query_params.get("fields") or "").split(",") if f] or list(
            DEFAULT_LEAD_FIELDS
        )
        for f in fields:
            if f not in LEAD_FIELDS:
                return _err("1006", f"Field '{f}' not found")
        if filter_type not in ("id", "email"):
            return _err("1003", f"Invalid filterType '{filter_type}'")
        if not values:
            return _err("1003", "filterValues cannot be blank")
        if len(values) > MAX_FILTER_VALUES:
            return _err("1003", f"Too many filterValues, at most {MAX_FILTER_VALUES}")
        found: list[Person] = []
        recent_people = _world_index(ctx, world)["recent_people"]
        for v in values:
            p = _lookup(world, filter_type, v, recent_people)
            if p is not None and lead_visible(p, now) and p not in found:
                found.append(p)
        found.sort(key=lambda p: p.marketo_id)
        batch = int(request.query_params.get("batchSize") or MAX_BATCH)
        offset = 0
        if request.query_params.get("nextPageToken"):
            try:
                offset = int(_unb32(request.query_params["nextPageToken"]).split(":")[1])
            except Exception:
                return _err("1003", "Invalid nextPageToken")
        page = found[offset : offset + min(batch, MAX_BATCH)]
        result = []
        for p in page:
            rec = _fault_lead(ctx, lead_record(p, now, crm_sync(world, p)))
            result.append({"id": rec["id"], **{f: rec[f] for f in fields}})
        body = {"result": result}
        if offset + len(page) < len(found):
            body["nextPageToken"] = _b32(f"l1:{offset + len(page)}")
        return JSONResponse(ok(body))

    def programs(request: Request):
        if (err := guard(request)) is not None:
            return err
        world: World = ctx.world
        try:
            max_return = min(int(request.query_params.get("maxReturn") or 20), 200)
            offset = int(request.query_params.get("offset") or 0)
        except ValueError:
            return _err("1003", "maxReturn and offset must be integers")
        progs = list(world.visible_programs())
        lo = request.query_params.get("earliestUpdatedAt")
        hi = request.query_params.get("latestUpdatedAt")
        if lo:
            progs = [p for p in progs if p.created_at >= parse_instant(lo)]
        if hi:
            progs = [p for p in progs if p.created_at <= parse_instant(hi)]
        page = progs[offset : offset + max_return]
        if not page:
            return JSONResponse(
                ok({"warnings": ["No assets found for the given search criteria."], "errors": []})
            )
        return JSONResponse(
            ok({"errors": [], "warnings": [], "result": [program_record(p) for p in page]})
        )

    def program_by_id(request: Request):
        if (err := guard(request)) is not None:
            return err
        world: World = ctx.world
        pid = int(request.path_params["program_id"])
        visible = {p.program_id: p for p in world.visible_programs()}
        if pid not in visible:
            return JSONResponse(
                ok({"warnings": ["No assets found for the given search criteria."], "errors": []})
            )
        return JSONResponse(
            ok({"errors": [], "warnings": [], "result": [program_record(visible[pid])]})
        )

    def members(request: Request):
        if (err := guard(request)) is not None:
            return err
        world: World = ctx.world
        pid = int(request.path_params["program_id"])
        visible = {p.program_id: p for p in world.visible_programs()}
        if pid not in visible:
            return _err("1013", f"Program {pid} not found")
        batch = request.query_params.get("batchSize") or str(MAX_BATCH)
        if not batch.isdigit() or not 1 <= int(batch) <= MAX_BATCH:
            return _err("1003", f"batchSize must be between 1 and {MAX_BATCH}")
        limit = int(batch)
        filter_type = request.query_params.get("filterType")
        values = set((request.query_params.get("filterValues") or "").split(","))
        try:
            k0, idx0, seq0 = 0, -1, 0
            if request.query_params.get("nextPageToken"):
                tag, k0, idx0, seq0 = _unb32(request.query_params["nextPageToken"]).split(":")
                k0, idx0, seq0 = int(k0), int(idx0), int(seq0)
        except Exception:
            return _err("1003", "Invalid nextPageToken")
        candidates = _world_index(ctx, world)["members"].get(pid, [])
        state = {"next": None}

        def items():
            seq = seq0
            for k, idx, member in candidates:
                if (k, idx) <= (k0, idx0):
                    continue
                m = dict(member)
                if filter_type == "statusName" and m["statusName"] not in values:
                    continue
                if filter_type == "leadId" and str(m["leadId"]) not in values:
                    continue
                if seq - seq0 == limit:
                    state["next"] = _b32(f"m1:{k}:{idx - 1}:{seq}")
                    return
                m["seq"] = seq
                seq += 1
                yield m

        def tail():
            out = {"success": True, "moreResult": state["next"] is not None}
            if state["next"]:
                out["nextPageToken"] = state["next"]
            return out

        return stream_json_object({"requestId": _request_id()}, "result", items(), tail)

    async def export_create(request: Request):
        body_bytes = await request.body()
        if (err := guard(request, body_bytes)) is not None:
            return err
        try:
            body = json.loads(body_bytes or b"{}")
            fields = body.get("fields") or list(DEFAULT_LEAD_FIELDS)
            (filter_name, window), *rest = (body.get("filter") or {}).items()
            if rest or filter_name not in LEAD_EXPORT_FILTERS:
                raise ValueError("exactly one filter: createdAt or updatedAt")
            start = parse_instant(window["startAt"])
            end = parse_instant(window["endAt"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return _err("1003", f"Invalid export request: {exc}")
        for f in fields:
            if f not in LEAD_FIELDS:
                return _err("1003", f"Invalid field '{f}'")
        if end <= start or end - start > timedelta(days=MAX_EXPORT_DAYS):
            return _err(
                "1003", f"{filter_name}: the date range must be {MAX_EXPORT_DAYS} days or fewer"
            )
        if (body.get("format") or "CSV") != "CSV":
            return _err("1003", "Only CSV is supported by the sandbox")
        job_id = str(uuid.uuid4())
        job = {
            "exportId": job_id,
            "format": "CSV",
            "status": "Created",
            "createdAt": iso_s(datetime.now(UTC)),
            "_world": ctx.world,
            "_filter": (filter_name, start, end),
            "_fields": fields,
        }
        _jobs()[job_id] = job
        return JSONResponse(ok({"result": [_public(job)]}))

    def _jobs() -> dict:
        with ctx.lock:
            return jobs_store

    jobs_store: dict[str, dict] = {}

    def export_enqueue(request: Request):
        if (err := guard(request)) is not None:
            return err
        job = _jobs().get(request.path_params["export_id"])
        if job is None:
            return _err("1003", "Export job not found")
        if job["status"] == "Created":
            job["status"] = "Queued"
            job["queuedAt"] = iso_s(datetime.now(UTC))
        return JSONResponse(ok({"result": [_public(job)]}))

    def export_status(request: Request):
        if (err := guard(request)) is not None:
            return err
        job = _jobs().get(request.path_params["export_id"])
        if job is None:
            return _err("1003", "Export job not found")
        if job["status"] == "Queued":
            # the export is built beside the API, as Marketo's is: a status poll only reads the
            # job (building it inside the poll made a large export's poll time out)
            job["status"] = "Processing"
            job["startedAt"] = iso_s(datetime.now(UTC))
            name = f"marketo-export-{job['exportId']}"
            threading.Thread(target=_build_export, args=(ctx, job), name=name, daemon=True).start()
        return JSONResponse(ok({"result": [_public(job)]}))

    def export_file(request: Request):
        if (err := guard(request)) is not None:
            return err
        job = _jobs().get(request.path_params["export_id"])
        if job is None:
            return _err("1003", "Export job not found")
        if job["status"] != "Completed":
            return _err("1029", "Export job is not completed")
        return StreamingResponse(_export_chunks(ctx, job), media_type="text/csv")

    return [
        Route("/identity/oauth/token", identity, methods=["GET", "POST"]),
        Route("/rest/v1/activities/types.json", activity_types, methods=["GET"]),
        Route("/rest/v1/activities/pagingtoken.json", paging_token, methods=["GET"]),
        Route("/rest/v1/activities.json", activities, methods=["GET"]),
        Route("/rest/v1/activities/leadchanges.json", lead_changes, methods=["GET"]),
        Route("/rest/v1/leads.json", leads, methods=["GET"]),
        Route("/rest/asset/v1/programs.json", programs, methods=["GET"]),
        Route("/rest/asset/v1/program/{program_id:int}.json", program_by_id, methods=["GET"]),
        Route("/rest/v1/programs/{program_id:int}/members.json", members, methods=["GET"]),
        Route("/bulk/v1/leads/export/create.json", export_create, methods=["POST"]),
        Route("/bulk/v1/leads/export/{export_id}/enqueue.json", export_enqueue, methods=["POST"]),
        Route("/bulk/v1/leads/export/{export_id}/status.json", export_status, methods=["GET"]),
        Route("/bulk/v1/leads/export/{export_id}/file.json", export_file, methods=["GET"]),
    ]


def _public(job: dict) -> dict:
    return {k: v for k, v in job.items() if not k.startswith("_")}


def _kept_or_generated(world: World, recent_people: dict[int, Person], idx: int) -> Person:
    """The person of index `idx`: the one the world index keeps generated, else generated."""
    p = recent_people.get(idx)
    return p if p is not None else world.person(idx)


def _lookup(
    world: World, filter_type: str, value: str, recent_people: dict[int, Person]
) -> Person | None:
    """The person a lead lookup's value names (``recent_people`` first: already generated)."""
    try:
        if filter_type == "id":
            idx = int(value) - 1
        else:  # the world's addresses end their local part with ".<person index>"
            local = value.strip().lower().partition("@")[0]
            idx = int(local.rsplit(".", 1)[1])
    except (ValueError, IndexError):
        return None
    if idx < 0 or idx >= int(world.company_offsets[-1]) - 1:
        return None
    p = _kept_or_generated(world, recent_people, idx)
    if filter_type == "email" and (p.marketo_email or "") != value.strip().lower():
        return None
    return p


def _world_index(ctx, world: World) -> dict:
    """What the endpoints that select across the whole world read, built in one pass.

    ``leads``: (createdAt, updatedAt, lead record) of every visible lead, in lead order;
    ``lead_dates``: for each export filter (``createdAt``, ``updatedAt``), the leads' dates in
    ascending order and the position in ``leads`` of each, so that an export of a date window
    finds its leads by bisection instead of reading every lead (``lead_window``). ``members``:
    per program, the (company, person index, member record) of every lead with a visible touch
    in it, in lead order.
    ``latest``: (company, person index, latest visible activity) of every lead with one, in lead
    order, so an activity scan skips the leads with nothing since its start; ``recent``: the
    entries of ``latest`` at or after ``recent_since`` (``RECENT_DAYS`` before now), whose
    people ``recent_people`` (person index -> Person) keeps generated. A scan
    of a large world inside a request would outlast a client's read timeout, and reading the
    records from the world would regenerate every company once per program (the world keeps a
    bounded cache of generated companies). Built once per world state; ``warm_up`` builds it
    first. Records are served as copies: faults change what they are applied to.
    """
    key = ("marketo_index", world.today)
    index = ctx.state.get(key)
    if index is not None:
        return index
    with ctx.state.setdefault(("marketo_index_lock",), threading.Lock()):
        index = ctx.state.get(key)
        if index is None:
            now = world.now
            programs = {program.program_id: program for program in world.programs}
            leads: list[tuple[datetime, datetime, dict]] = []
            members: dict[int, list[tuple[int, int, dict]]] = {}
            latest: list[tuple[int, int, datetime]] = []
            recent_since = now - timedelta(days=RECENT_DAYS)
            recent: list[tuple[int, int, datetime]] = []
            recent_people: dict[int, Person] = {}
            store = ActivityStore()
            for k in range(world.company_count()):
                for p in world.bundle(k).people:
                    if not lead_visible(p, now):
                        continue
                    sync = crm_sync(world, p)
                    leads.append(
                        (p.created_at, lead_updated_at(p, now, sync), lead_record(p, now, sync))
                    )
                    acts = person_activities(world, p, DAWN, now)
                    if acts:
                        latest.append((k, p.idx, acts[-1].at))
                        store.add_lead(world, acts)
                        if acts[-1].at >= recent_since:
                            recent.append((k, p.idx, acts[-1].at))
                            recent_people[p.idx] = p
                    touched = {t.program_id for t in p.touches if t.program_id and t.at < now}
                    for program_id in sorted(touched):
                        member = member_record(world, programs[program_id], p)
                        members.setdefault(program_id, []).append((k, p.idx, member))
            index = {
                "leads": leads,
                "lead_dates": {
                    name: _dates_in_order(leads, column)
                    for column, name in enumerate(LEAD_EXPORT_FILTERS)
                },
                "members": members,
                "latest": latest,
                "recent_since": recent_since,
                "recent": recent,
                "recent_people": recent_people,
                "store": store.seal(),
            }
            ctx.state[key] = index
    return index


#: the date filters of a bulk lead export, in the order of the dates in the index's lead tuples
LEAD_EXPORT_FILTERS = ("createdAt", "updatedAt")


def _dates_in_order(
    leads: list[tuple[datetime, datetime, dict]], column: int
) -> tuple[list[datetime], array]:
    """The leads' dates of `column` in ascending order, and where in `leads` each one is."""
    order = array("q", sorted(range(len(leads)), key=lambda i: leads[i][column]))
    return [leads[i][column] for i in order], order


def lead_window(
    ctx, world: World, filter_name: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, dict]]:
    """The leads whose `filter_name` date is in [start, end), in lead order, as the index
    holds them: a daily export of one day's changes reads those leads, not the world's."""
    index = _world_index(ctx, world)
    dates, order = index["lead_dates"][filter_name]
    first, stop = bisect.bisect_left(dates, start), bisect.bisect_left(dates, end)
    leads = index["leads"]
    return [leads[i] for i in sorted(order[first:stop])]


def warm_up(ctx) -> None:
    _world_index(ctx, ctx.world)


def _build_export(ctx, job: dict) -> None:
    """Build a processing export's file (its size, record count and checksum), then mark the
    job Completed; an error marks it Failed, as Marketo reports a failed export."""
    try:
        size, count, digest = 0, 0, hashlib.sha256()
        for chunk in _export_chunks(ctx, job):
            size += len(chunk)
            count += chunk.count(b"\n")
            digest.update(chunk)
    except Exception as err:  # noqa: BLE001 (any failure is the job's, reported by its status)
        log.warning("marketo export %s failed: %s", job.get("exportId"), err)
        job.update(status="Failed", finishedAt=iso_s(datetime.now(UTC)))
        return
    job.update(
        status="Completed",
        finishedAt=iso_s(datetime.now(UTC)),
        numberOfRecords=count - 1,
        fileSize=size,
        fileChecksum=f"sha256:{digest.hexdigest()}",
    )


def _export_chunks(ctx, job: dict):
    world: World = job["_world"]
    filter_name, start, end = job["_filter"]
    fields = job["_fields"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    for _created, _updated, record in lead_window(ctx, world, filter_name, start, end):
        rec = _fault_lead(ctx, dict(record))
        writer.writerow(["null" if rec[f] is None else rec[f] for f in fields])
        if buf.tell() > 64_000:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


def program_record(p: Program) -> dict:
    prefix = {"Event": "EBP", "Email": "EBP", "Default": "PG"}.get(p.type, "PG")
    return {
        "id": p.program_id,
        "name": p.name,
        "description": "",
        "createdAt": _asset_time(p.created_at),
        "updatedAt": _asset_time(p.created_at),
        "url": f"https://app-sj01.marketo.com/#{prefix}{p.program_id}A1",
        "type": p.type,
        "channel": p.channel,
        "folder": {"type": "Folder", "value": 100 + len(p.channel), "folderName": f"{p.channel}s"},
        "status": "unlocked" if p.type == "Email" else "",
        "workspace": "Default",
        "headStart": False,
        "costs": [
            {"startDate": c.start_date.isoformat(), "cost": c.cost, "note": c.note} for c in p.costs
        ],
    }


def _program_window(p: Program) -> tuple[datetime, datetime]:
    """The instants a program's touches can fall in (see World.programs_for)."""
    if p.event_day is not None:
        lo = datetime(p.event_day.year, p.event_day.month, p.event_day.day, tzinfo=UTC)
        return lo, lo + timedelta(days=2)
    return p.created_at, p.created_at + timedelta(days=61)


def member_record(world: World, program: Program, p: Person) -> dict | None:
    now = world.now
    if not lead_visible(p, now):
        return None
    touches = [t for t in p.touches if t.program_id == program.program_id and t.at < now]
    if not touches:
        return None
    first = touches[0]
    status = "Attended" if program.canonical_channel == "events" else "Engaged"
    return {
        "seq": 0,
        "leadId": p.marketo_id,
        "reachedSuccess": True,
        "programId": program.program_id,
        "acquiredBy": p.touches[0].activity_id == first.activity_id,
        "membershipDate": iso_s(first.at),
        "statusName": status,
        "reachedSuccessDate": iso_s(first.at),
    }


# --- connecting the connector to the sandbox ------------------------------------------------------


def credentials() -> dict[str, str]:
    """A fresh client id and secret of a LaunchPoint custom service."""
    return {"client_id": secrets.token_hex(12), "client_secret": secrets.token_hex(20)}


def source_env(world: World, base_url: str, credentials: dict[str, str]) -> dict[str, str]:
    return source_settings(SOURCE, base_url, credentials)
