"""Sandbox stand-in for HubSpot's CRM API (v3 objects, search, pipelines, owners, properties).

Mounted at ``/hubspot`` (playing ``https://api.hubapi.com``); every call needs
``Authorization: Bearer <credentials["hubspot"]["api_key"]>`` (a private-app token), otherwise
401 with HubSpot's error body (the token is never echoed).

Endpoints
---------
* ``GET /crm/v3/objects/{contacts|companies|deals}`` with ``limit after properties associations
  archived``: ordered by id; ``after`` is the id to continue from (opaque to a client);
  ``paging.next.after/link`` is absent on the last page; ``limit`` is capped at 100. Without
  ``properties`` the object's default properties come back (like HubSpot); a requested property
  that has no value comes back as ``null`` (as in the captured responses, although the OpenAPI
  spec types property values as plain strings).
* ``GET /crm/v3/objects/{object}/{id}`` one record.
* ``POST /crm/v3/objects/{object}/search``: ``filterGroups`` (OR of ANDed filters) on
  ``lastmodifieddate``/``hs_lastmodifieddate``/``createdate`` (ms epoch strings or ISO) and
  ``hs_object_id``; operators EQ/NEQ/GT/GTE/LT/LTE/BETWEEN/HAS_PROPERTY; ``sorts`` as
  ``[{"propertyName", "direction"}]`` or ``["-prop"]``; ``limit`` (capped at 200); ``after`` is an
  offset. ``total`` counts every match, but at most 10,000 results can be read per query:
  ``paging.next`` still points past them (like HubSpot) and ``after >= 10000`` answers 400.
  Search results carry no associations (like HubSpot).
* ``GET /crm/v3/pipelines/deals`` the default pipeline, ``GET /crm/v3/owners``,
  ``GET /crm/v3/properties/{object}``, ``GET /crm/v4/objects/{object}/{id}/associations/{to}``.
* ``POST /crm/v4/associations/{from}/{to}/batch/read`` with ``{"inputs": [{"id", "after"?}]}``
  (at most 1,000 inputs, else 400): one result per object that has associations, at most
  ``BATCH_ASSOCIATIONS_PER_OBJECT`` of them, with ``paging.next.after`` when it has more (send
  the id again with that ``after``). An object without associations, or one that does not
  exist, comes back in ``errors`` (HTTP 207, ``numErrors``) instead, as HubSpot answers:
  subCategory ``crm.associations.NO_ASSOCIATIONS_FOUND`` or ``OBJECT_NOT_FOUND``.

How the world maps to HubSpot
-----------------------------
* contact ``100001 + 2*idx`` for every person with a CRM record created before ``now``;
  the duplicate contact (``person.duplicate``) is visible from its ``created_at`` until its
  ``merged_at`` (a ``lead`` with source ``DIRECT_TRAFFIC``, no associations); from ``merged_at``
  on it is gone and the primary has ``hs_merged_object_ids`` and ``lastmodifieddate >= merged_at``.
  ``lastmodifieddate`` = the latest of creation, lifecycle dates and merge before ``now``.
* company ``5000001 + k`` visible from ``company.created_at``; ``hs_lastmodifieddate`` = the
  latest of its creation and its CRM contacts' creations (associations touch the company).
* deal ``9000001 + k`` visible from ``created_at``; amount, stage and close as of ``now``
  (strictly before it, like every other visibility rule); ``hs_lastmodifieddate`` = the latest
  of creation, stage changes and the amount revision before ``now``.

Faults (``FaultPlan``)
----------------------
* ``duplicate_across_pages``: every list page after the first starts with the last record of the
  page before it.
* ``new_property``: every contact gains ``hs_new_sandbox_property`` (listed in
  ``/crm/v3/properties/contacts`` too), as if an admin had just created it.
* ``changed_type``: one deal (the first visible one) serves ``amount`` formatted for display,
  ``"12,500.00"`` instead of ``"12500"``: what a hand-edited or imported number looks like.
* bad records (one record each, picked among the earliest companies so they are stable under
  ``advance``): ``null_id`` (a contact whose ``hs_object_id`` property is null),
  ``malformed_email`` (``@`` replaced by `` at ``), ``stage_dates_out_of_order`` (the lead date is
  moved after the contact's latest lifecycle date), ``future_date`` (``createdate`` three days
  after ``now``), ``orphan_association`` (a deal also associated with a contact id that never
  existed), ``unknown_currency`` (a deal in ``XXX``), ``ancient_date`` (``createdate``
  ``0001-01-01T00:00:00Z``), ``impossible_date`` (``createdate`` ``2024-02-30T10:00:00.000Z``),
  ``implausible_amount`` (a deal's ``amount`` ``"1e29"``), ``non_finite_number`` (``amount``
  ``"NaN"``), ``close_before_creation`` (a closed deal whose ``closedate`` is two days before its
  ``createdate``; the rest of the deal, won flag and amount included, as the world has it).
  ``bad_records(ctx)`` lists them.
"""

from __future__ import annotations

import heapq
import json
import secrets
import threading
import uuid
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from sandbox.apis._common import (
    bearer_token,
    epoch_ms,
    iso_ms,
    parse_instant,
    source_settings,
    stream_json_object,
)
from sandbox.faults import BadRecord
from sandbox.world import HUBSPOT_STAGES, World

SOURCE = "hubspot"
OBJECTS = ("contacts", "companies", "deals")
ID_BASE = {"contacts": 100_001, "companies": 5_000_001, "deals": 9_000_001}
LIST_LIMIT_MAX = 100
SEARCH_LIMIT_MAX = 200
SEARCH_RESULTS_CAP = 10_000
NEW_PROPERTY = "hs_new_sandbox_property"
CHANGED_TYPE_AMOUNT = "12,500.00"
FUTURE_OFFSET = timedelta(days=3)
ANCIENT_DATE = "0001-01-01T00:00:00Z"
IMPOSSIBLE_DATE = "2024-02-30T10:00:00.000Z"
IMPLAUSIBLE_AMOUNT = "1e29"
CLOSE_BEFORE_CREATION = timedelta(days=2)  # how far before its creation a bad deal "closes"
STAGE_VALUES = (*HUBSPOT_STAGES, "other")
LATER_THAN_LEAD = (
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
)

DEAL_STAGES = (
    # id, label, probability, isClosed
    ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    ("presentationscheduled", "Presentation Scheduled", "0.6", False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    ("contractsent", "Contract Sent", "0.9", False),
    ("closedwon", "Closed Won", "1.0", True),
    ("closedlost", "Closed Lost", "0.0", True),
)

OWNERS = (
    ("71100001", "maya.fischer@acme.example.com", "Maya", "Fischer", 9100001),
    ("71100002", "omar.haddad@acme.example.com", "Omar", "Haddad", 9100002),
    ("71100003", "lena.ito@acme.example.com", "Lena", "Ito", 9100003),
)

# property name -> (label, type, fieldType, groupName)
PROPERTIES: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "contacts": {
        "email": ("Email", "string", "text", "contactinformation"),
        "firstname": ("First Name", "string", "text", "contactinformation"),
        "lastname": ("Last Name", "string", "text", "contactinformation"),
        "createdate": ("Create Date", "datetime", "date", "contactinformation"),
        "lastmodifieddate": ("Last Modified Date", "datetime", "date", "contactinformation"),
        "lifecyclestage": ("Lifecycle Stage", "enumeration", "radio", "contactinformation"),
        **{
            f"hs_lifecyclestage_{v}_date": (
                f"Became a {v} date",
                "datetime",
                "calculation_read_time",
                "contactinformation",
            )
            for v in STAGE_VALUES
        },
        "hs_analytics_source": ("Original Source", "enumeration", "select", "analyticsinformation"),
        "hs_merged_object_ids": (
            "Merged Contact IDs",
            "enumeration",
            "checkbox",
            "contactinformation",
        ),
        "associatedcompanyid": (
            "Primary Associated Company ID",
            "number",
            "number",
            "contactinformation",
        ),
        "hs_object_id": ("Record ID", "number", "number", "contactinformation"),
    },
    "companies": {
        "name": ("Company name", "string", "text", "companyinformation"),
        "domain": ("Company Domain Name", "string", "text", "companyinformation"),
        "country": ("Country/Region", "string", "text", "companyinformation"),
        "createdate": ("Create Date", "datetime", "date", "companyinformation"),
        "hs_lastmodifieddate": ("Last Modified Date", "datetime", "date", "companyinformation"),
        "hs_object_id": ("Record ID", "number", "number", "companyinformation"),
    },
    "deals": {
        "dealname": ("Deal Name", "string", "text", "dealinformation"),
        "amount": ("Amount", "number", "number", "dealinformation"),
        "deal_currency_code": ("Currency", "enumeration", "select", "dealinformation"),
        "createdate": ("Create Date", "datetime", "date", "dealinformation"),
        "closedate": ("Close Date", "datetime", "date", "dealinformation"),
        "dealstage": ("Deal Stage", "enumeration", "radio", "dealinformation"),
        "pipeline": ("Pipeline", "enumeration", "select", "dealinformation"),
        "hs_is_closed_won": ("Is Closed Won", "bool", "booleancheckbox", "dealinformation"),
        "hs_is_closed": ("Is Deal Closed?", "bool", "booleancheckbox", "dealinformation"),
        "hs_lastmodifieddate": ("Last Modified Date", "datetime", "date", "dealinformation"),
        "hs_object_id": ("Record ID", "number", "number", "dealinformation"),
    },
}
DEFAULT_PROPERTIES = {
    "contacts": (
        "createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname",
    ),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
        "hs_object_id", "pipeline",
    ),
}  # fmt: skip
MODIFIED_ALIASES = ("lastmodifieddate", "hs_lastmodifieddate")
ASSOCIATION_TYPE_IDS = {
    "contact_to_company": 1, "company_to_contact": 2, "deal_to_contact": 3, "contact_to_deal": 4,
    "deal_to_company": 5, "company_to_deal": 6,
}  # fmt: skip
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal"}
#: the v4 batch read of associations: inputs per request, associations per object and page
BATCH_READ_MAX_INPUTS = 1_000
BATCH_ASSOCIATIONS_PER_OBJECT = 500


def amount_text(amount: float) -> str:
    """HubSpot keeps the number as entered: ``25000``, ``12500.5``."""
    return f"{amount:.2f}".rstrip("0").rstrip(".")


@dataclass
class Rec:
    id: int
    created: datetime
    modified: datetime
    props: dict[str, str | None]
    assoc: dict[str, list[tuple[int, str]]] = field(default_factory=dict)


def copy_of(rec: Rec) -> Rec:
    """A record that faults may change without changing the indexed one."""
    return replace(rec, props=dict(rec.props), assoc=dict(rec.assoc))


# --- the world as HubSpot records ---------------------------------------------------------------


def _contact_recs(world: World, k: int) -> list[Rec]:
    now = world.now
    bundle = world.bundle(k)
    company = bundle.company
    deal = bundle.deal
    deal_visible = deal is not None and deal.created_at < now
    out: list[Rec] = []
    for p in bundle.people:
        if p.hubspot_id is None or p.created_at >= now:
            continue
        dates = {v: at for v, at in p.hubspot_stage_dates.items() if at < now}
        current = max(dates, key=lambda v: (dates[v], STAGE_VALUES.index(v))) if dates else None
        dup = p.duplicate
        merged = dup is not None and dup.merged_at < now
        modified = max([p.created_at, *dates.values(), *([dup.merged_at] if merged else [])])
        props: dict[str, str | None] = {
            "email": p.hubspot_email,
            "firstname": p.first_name,
            "lastname": p.last_name,
            "createdate": iso_ms(p.created_at),
            "lastmodifieddate": iso_ms(modified),
            "lifecyclestage": current,
            **{f"hs_lifecyclestage_{v}_date": iso_ms(dates.get(v)) for v in STAGE_VALUES},
            "hs_analytics_source": p.hs_analytics_source,
            "hs_merged_object_ids": str(dup.contact_id) if merged else None,
            "associatedcompanyid": str(company.company_id),
            "hs_object_id": str(p.hubspot_id),
        }
        assoc = {"companies": [(company.company_id, "contact_to_company")]}
        if deal_visible and p.idx in deal.contact_idxs:
            assoc["deals"] = [(deal.deal_id, "contact_to_deal")]
        out.append(Rec(p.hubspot_id, p.created_at, modified, props, assoc))
        if dup is not None and dup.created_at < now and not merged:
            dprops: dict[str, str | None] = {
                "email": dup.email,
                "firstname": p.first_name,
                "lastname": p.last_name,
                "createdate": iso_ms(dup.created_at),
                "lastmodifieddate": iso_ms(dup.created_at),
                "lifecyclestage": "lead",
                **{f"hs_lifecyclestage_{v}_date": None for v in STAGE_VALUES},
                "hs_analytics_source": "DIRECT_TRAFFIC",
                "hs_merged_object_ids": None,
                "associatedcompanyid": None,
                "hs_object_id": str(dup.contact_id),
            }
            dprops["hs_lifecyclestage_lead_date"] = iso_ms(dup.created_at)
            out.append(Rec(dup.contact_id, dup.created_at, dup.created_at, dprops, {}))
    return out


def _company_recs(world: World, k: int) -> list[Rec]:
    now = world.now
    bundle = world.bundle(k)
    c = bundle.company
    if c.created_at >= now:
        return []
    contacts = [p for p in bundle.people if p.hubspot_id is not None and p.created_at < now]
    modified = max([c.created_at, *(p.created_at for p in contacts)])
    props: dict[str, str | None] = {
        "name": c.name,
        "domain": c.domain,
        "country": c.country,
        "createdate": iso_ms(c.created_at),
        "hs_lastmodifieddate": iso_ms(modified),
        "hs_object_id": str(c.company_id),
    }
    assoc = {"contacts": [(p.hubspot_id, "company_to_contact") for p in contacts]}
    if bundle.deal is not None and bundle.deal.created_at < now:
        assoc["deals"] = [(bundle.deal.deal_id, "company_to_deal")]
    return [Rec(c.company_id, c.created_at, modified, props, assoc)]


def _deal_recs(world: World, k: int) -> list[Rec]:
    now = world.now
    bundle = world.bundle(k)
    d = bundle.deal
    if d is None or d.created_at >= now:
        return []
    stage = d.stage_path[0][1]
    times = [d.created_at]
    for at, value in d.stage_path:
        if at < now:
            stage = value
            times.append(at)
    amount = d.amount
    if d.revision is not None and d.revision.at < now:
        amount = d.revision.amount
        times.append(d.revision.at)
    closed = d.closed_at is not None and d.closed_at < now
    modified = max(times)
    props: dict[str, str | None] = {
        "dealname": d.name,
        "amount": amount_text(amount),
        "deal_currency_code": d.currency,
        "createdate": iso_ms(d.created_at),
        "closedate": iso_ms(d.closed_at) if closed else None,
        "dealstage": stage,
        "pipeline": "default",
        "hs_is_closed_won": "true" if closed and d.is_won else "false",
        "hs_is_closed": "true" if closed else "false",
        "hs_lastmodifieddate": iso_ms(modified),
        "hs_object_id": str(d.deal_id),
    }
    assoc = {
        "contacts": [(100_001 + 2 * idx, "deal_to_contact") for idx in d.contact_idxs],
        "companies": [(bundle.company.company_id, "deal_to_company")],
    }
    return [Rec(d.deal_id, d.created_at, modified, props, assoc)]


RECS = {"contacts": _contact_recs, "companies": _company_recs, "deals": _deal_recs}


def company_of_id(world: World, obj: str, object_id: int) -> int:
    """The company whose records hold ``object_id`` (or the next one's, for a gap)."""
    if obj == "contacts":
        idx = max(0, (object_id - ID_BASE["contacts"]) // 2)
        if idx >= int(world.company_offsets[-1]):
            return len(world.company_offsets)
        return world.company_of_person(idx)
    return max(0, object_id - ID_BASE[obj])


# --- faults ------------------------------------------------------------------------------------


def _targets(ctx) -> dict[str, dict[int, tuple[str, str]]]:
    """object -> record id -> (bad kind or fault, detail); cached per world instant."""
    world: World = ctx.world
    plan = ctx.faults
    key = ("hubspot_targets", world.today)
    cached = ctx.state.get(key)
    if cached is not None:
        return cached
    out: dict[str, dict[int, tuple[str, str]]] = {"contacts": {}, "deals": {}}
    count = world.company_count()
    taken: set[int] = set()

    def first(obj: str, start_k: int, ok) -> Rec | None:
        for k in range(min(start_k, count), min(count, start_k + 400)):
            for rec in RECS[obj](world, k):
                if rec.id not in taken and ok(rec):
                    taken.add(rec.id)
                    return rec
        return None

    kinds = plan.bad_records
    contact_picks = (
        ("null_id", 1, lambda r: True, "properties.hs_object_id is null"),
        ("malformed_email", 2, lambda r: bool(r.props["email"]), "email is not an address"),
        (
            "stage_dates_out_of_order",
            3,
            lambda r: (
                r.props["hs_lifecyclestage_lead_date"] is not None
                and any(r.props[f"hs_lifecyclestage_{v}_date"] for v in LATER_THAN_LEAD)
            ),
            "hs_lifecyclestage_lead_date is after the contact's later lifecycle dates",
        ),
        ("future_date", 5, lambda r: True, f"createdate is {FUTURE_OFFSET.days} days after now"),
        ("ancient_date", 6, lambda r: True, f"createdate is {ANCIENT_DATE}"),
        ("impossible_date", 7, lambda r: True, f"createdate is {IMPOSSIBLE_DATE}"),
    )
    for kind, start, ok, detail in contact_picks:
        if kind in kinds and (rec := first("contacts", start, ok)) is not None:
            out["contacts"][rec.id] = (kind, detail)
    deal_picks = (
        (
            "orphan_association",
            0,
            lambda r: True,
            "associated with a contact id that does not exist",
        ),
        ("unknown_currency", 0, lambda r: True, "deal_currency_code XXX has no FX rate"),
        ("implausible_amount", 0, lambda r: True, f"amount is {IMPLAUSIBLE_AMOUNT}"),
        ("non_finite_number", 0, lambda r: True, "amount is NaN"),
        (
            "close_before_creation",
            0,
            lambda r: r.props["hs_is_closed"] == "true",
            f"closedate is {CLOSE_BEFORE_CREATION.days} days before createdate",
        ),
    )
    for kind, start, ok, detail in deal_picks:
        if kind in kinds and (rec := first("deals", start, ok)) is not None:
            out["deals"][rec.id] = (kind, detail)
    if plan.changed_type:
        for k in range(count):
            recs = _deal_recs(world, k)
            if recs and recs[0].id not in out["deals"]:
                out["deals"][recs[0].id] = ("changed_type", "amount formatted as display text")
                break
    with ctx.lock:
        ctx.state[key] = out
    return out


def orphan_contact_id(world: World) -> int:
    """A contact id no person can ever have (beyond the world's last person index)."""
    return ID_BASE["contacts"] + 2 * (int(world.company_offsets[-1]) + 7)


def _apply_faults(ctx, obj: str, rec: Rec) -> Rec:
    plan = ctx.faults
    if plan.new_property and obj == "contacts":
        rec.props[NEW_PROPERTY] = "sandbox-beta"
    if plan.is_clean or obj not in ("contacts", "deals"):
        return rec
    hit = _targets(ctx)[obj].get(rec.id)
    if hit is None:
        return rec
    kind = hit[0]
    p = rec.props
    if kind == "null_id":
        p["hs_object_id"] = None
    elif kind == "malformed_email":
        p["email"] = (p["email"] or "").replace("@", " at ")
    elif kind == "stage_dates_out_of_order":
        dates = [p[f"hs_lifecyclestage_{v}_date"] for v in STAGE_VALUES]
        latest = max(parse_instant(x) for x in dates if x is not None)
        p["hs_lifecyclestage_lead_date"] = iso_ms(latest + timedelta(days=2))
    elif kind == "future_date":
        rec.created = ctx.world.now + FUTURE_OFFSET
        p["createdate"] = iso_ms(rec.created)
    elif kind == "orphan_association":
        rec.assoc["contacts"] = [
            *rec.assoc.get("contacts", []),
            (orphan_contact_id(ctx.world), "deal_to_contact"),
        ]
    elif kind == "unknown_currency":
        p["deal_currency_code"] = "XXX"
    elif kind == "ancient_date":
        p["createdate"] = ANCIENT_DATE
    elif kind == "impossible_date":
        p["createdate"] = IMPOSSIBLE_DATE
    elif kind == "implausible_amount":
        p["amount"] = IMPLAUSIBLE_AMOUNT
    elif kind == "non_finite_number":
        p["amount"] = "NaN"
    elif kind == "close_before_creation":
        p["closedate"] = iso_ms(rec.created - CLOSE_BEFORE_CREATION)
    elif kind == "changed_type":
        p["amount"] = CHANGED_TYPE_AMOUNT
    return rec


def bad_records(ctx) -> list[BadRecord]:
    if not ctx.faults.bad_records:
        return []
    out = []
    for obj, hits in _targets(ctx).items():
        for record_id, (kind, detail) in sorted(hits.items()):
            if kind == "changed_type":
                continue
            out.append(BadRecord("hubspot", obj, str(record_id), kind, detail))
    return out


# --- request handling ----------------------------------------------------------------------------


def _error(status: int, message: str, category: str, **extra) -> JSONResponse:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return JSONResponse(body, status_code=status)


def _multi(request: Request, name: str) -> list[str]:
    out: list[str] = []
    for raw in request.query_params.getlist(name):
        out += [x.strip() for x in raw.split(",") if x.strip()]
    return out


def _assoc_name(name: str) -> str | None:
    name = name.lower()
    for obj, single in SINGULAR.items():
        if name in (obj, single):
            return obj
    return None


def _serialize(
    ctx,
    obj: str,
    rec: Rec,
    properties: list[str] | None,
    associations: list[str],
) -> dict:
    known = PROPERTIES[obj]
    names = properties if properties else list(DEFAULT_PROPERTIES[obj])
    props = {n: rec.props.get(n) for n in names if n in known}
    if ctx.faults.new_property and obj == "contacts":
        props[NEW_PROPERTY] = rec.props.get(NEW_PROPERTY)
    out = {
        "id": str(rec.id),
        "properties": props,
        "createdAt": iso_ms(rec.created),
        "updatedAt": iso_ms(rec.modified),
        "archived": False,
    }
    assoc = {}
    for name in associations:
        ids = rec.assoc.get(name)
        if ids:
            assoc[name] = {"results": [{"id": str(i), "type": t} for i, t in ids]}
    if assoc:
        out["associations"] = assoc
    return out


class _Auth:
    def __init__(self, ctx):
        self.ctx = ctx

    def check(self, request: Request) -> JSONResponse | None:
        token = bearer_token(request)
        if not token:
            return _error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                "INVALID_AUTHENTICATION",
            )
        if token != self.ctx.credentials[SOURCE]["api_key"]:
            return _error(
                401,
                "Authentication credentials are invalid. Check the access token of the "
                "private app.",
                "INVALID_AUTHENTICATION",
            )
        return None


def _object_or_error(obj: str) -> JSONResponse | None:
    if obj not in OBJECTS:
        return _error(400, f"Unable to infer object type from: {obj}", "OBJECT_NOT_FOUND")
    return None


def _int_param(value: str | None, default: int) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        return None


def routes(ctx) -> list[BaseRoute]:
    auth = _Auth(ctx)

    def list_objects(request: Request):
        obj = request.path_params["object"]
        if (err := auth.check(request) or _object_or_error(obj)) is not None:
            return err
        limit = _int_param(request.query_params.get("limit"), 10)
        after_raw = request.query_params.get("after")
        after = _int_param(after_raw, 0)
        if limit is None or after is None or limit < 1:
            return _error(
                400, "Invalid input: limit and after must be integers.", "VALIDATION_ERROR"
            )
        limit = min(limit, LIST_LIMIT_MAX)
        properties = _multi(request, "properties") or None
        associations = [a for a in map(_assoc_name, _multi(request, "associations")) if a]
        archived = request.query_params.get("archived", "false").lower() == "true"
        world: World = ctx.world
        recs_of = RECS[obj]
        count = world.company_count()
        state = {"next": None}

        def records():
            if archived:
                return
            start_k = company_of_id(world, obj, after)
            if ctx.faults.duplicate_across_pages and after_raw:
                prev = _previous(world, obj, after)
                if prev is not None:
                    yield _serialize(
                        ctx, obj, _apply_faults(ctx, obj, prev), properties, associations
                    )
            served = 0
            for k in range(start_k, count):
                for rec in recs_of(world, k):
                    if rec.id < after:
                        continue
                    if served == limit:
                        state["next"] = rec.id
                        return
                    served += 1
                    yield _serialize(
                        ctx, obj, _apply_faults(ctx, obj, rec), properties, associations
                    )

        def tail():
            if state["next"] is None:
                return {}
            link = str(request.url.include_query_params(after=str(state["next"])))
            return {"paging": {"next": {"after": str(state["next"]), "link": link}}}

        return stream_json_object({}, "results", records(), tail)

    def get_object(request: Request):
        obj = request.path_params["object"]
        if (err := auth.check(request) or _object_or_error(obj)) is not None:
            return err
        rec = _find(ctx.world, obj, request.path_params["object_id"])
        if rec is None:
            return _error(404, "Object not found.", "OBJECT_NOT_FOUND")
        properties = _multi(request, "properties") or None
        associations = [a for a in map(_assoc_name, _multi(request, "associations")) if a]
        return JSONResponse(
            _serialize(ctx, obj, _apply_faults(ctx, obj, rec), properties, associations)
        )

    def search(request: Request, body: dict):
        obj = request.path_params["object"]
        try:
            query = _SearchQuery.parse(obj, body)
        except ValueError as exc:
            return _error(400, f"Invalid input JSON on line 1: {exc}", "VALIDATION_ERROR")
        if query.after >= SEARCH_RESULTS_CAP:
            return _error(
                400,
                f"Paging past the first {SEARCH_RESULTS_CAP} results is not supported by search; "
                "narrow the query.",
                "VALIDATION_ERROR",
                subCategory="SEARCH_RESULTS_LIMIT",
            )
        world: World = ctx.world
        total, keys = _search_keys(ctx, world, query)
        page = keys[query.after : min(query.after + query.limit, SEARCH_RESULTS_CAP)]
        records = search_index(ctx, world)[obj]
        results = [
            _serialize(ctx, obj, _apply_faults(ctx, obj, copy_of(records[object_id])),
                       query.properties, [])
            for _, object_id in page
        ]  # fmt: skip
        out: dict = {"total": total, "results": results}
        nxt = query.after + query.limit
        if nxt < total:
            out["paging"] = {"next": {"after": str(nxt), "link": f"?after={nxt}"}}
        return JSONResponse(out)

    async def search_endpoint(request: Request):
        obj = request.path_params["object"]
        if (err := auth.check(request) or _object_or_error(obj)) is not None:
            return err
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError:
            return _error(400, "Invalid input JSON: the body is not JSON.", "VALIDATION_ERROR")
        return await run_in_threadpool(search, request, body)

    def pipelines(request: Request):
        if (err := auth.check(request)) is not None:
            return err
        if request.path_params["object"] != "deals":
            return JSONResponse({"results": []})
        return JSONResponse({"results": [_pipeline(ctx.world)]})

    def owners(request: Request):
        if (err := auth.check(request)) is not None:
            return err
        created = iso_ms(_start_instant(ctx.world) - timedelta(days=400))
        results = [
            {
                "id": oid, "email": email, "firstName": first, "lastName": last, "userId": uid,
                "userIdIncludingInactive": uid, "type": "PERSON", "createdAt": created,
                "updatedAt": created, "archived": False, "teams": [],
            }
            for oid, email, first, last, uid in OWNERS
        ]  # fmt: skip
        return JSONResponse({"results": results})

    def properties(request: Request):
        obj = request.path_params["object"]
        if (err := auth.check(request) or _object_or_error(obj)) is not None:
            return err
        return JSONResponse({"results": _property_defs(ctx, obj)})

    def v4_associations(request: Request):
        obj = request.path_params["object"]
        if (err := auth.check(request) or _object_or_error(obj)) is not None:
            return err
        to = _assoc_name(request.path_params["to"])
        rec = _find(ctx.world, obj, request.path_params["object_id"])
        if rec is None or to is None:
            return _error(404, "Object not found.", "OBJECT_NOT_FOUND")
        rec = _apply_faults(ctx, obj, rec)
        results = [
            {
                "toObjectId": str(i),
                "associationTypes": [
                    {"category": "HUBSPOT_DEFINED", "typeId": ASSOCIATION_TYPE_IDS.get(t, 0)}
                ],
            }
            for i, t in rec.assoc.get(to, [])
        ]
        return JSONResponse({"results": results})

    async def batch_read_endpoint(request: Request):
        obj = request.path_params["object"]
        if (err := auth.check(request) or _object_or_error(obj)) is not None:
            return err
        to = _assoc_name(request.path_params["to"])
        try:
            inputs = json.loads(await request.body() or b"{}")["inputs"]
            ids = [(str(i["id"]), int(i.get("after") or 0)) for i in inputs]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            return _error(
                400, "Invalid input JSON: expected {\"inputs\": [{\"id\": ...}]}.",
                "VALIDATION_ERROR",
            )  # fmt: skip
        if to is None:
            return _error(400, f"Unknown object type {request.path_params['to']}.",
                          "VALIDATION_ERROR")  # fmt: skip
        if len(ids) > BATCH_READ_MAX_INPUTS:
            return _error(
                400,
                f"Batch input limit exceeded: {len(ids)} inputs, at most "
                f"{BATCH_READ_MAX_INPUTS} allowed.",
                "VALIDATION_ERROR",
            )
        return await run_in_threadpool(batch_read, obj, to, ids)

    def batch_read(obj: str, to: str, ids: list[tuple[str, int]]) -> JSONResponse:
        started = iso_ms(datetime.now(UTC))
        results, errors = [], []
        records = search_index(ctx, ctx.world)[obj]
        for object_id, after in ids:
            rec = records.get(int(object_id)) if object_id.isdigit() else None
            linked = [] if rec is None else _apply_faults(ctx, obj, copy_of(rec)).assoc.get(to, [])
            if not linked:
                missing = rec is None
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND" if missing else "VALIDATION_ERROR",
                        "subCategory": "OBJECT_NOT_FOUND" if missing
                        else "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "message": f"No {SINGULAR[obj]} {object_id} exists." if missing
                        else f"No {to} is associated with {SINGULAR[obj]} {object_id}.",
                        "context": {"fromObjectId": [object_id]},
                        "errors": [], "links": {},
                    }
                )  # fmt: skip
                continue
            page = linked[after : after + BATCH_ASSOCIATIONS_PER_OBJECT]
            result: dict = {
                "from": {"id": object_id},
                "to": [
                    {
                        "toObjectId": str(i),
                        "associationTypes": [
                            {
                                "category": "HUBSPOT_DEFINED",
                                "typeId": ASSOCIATION_TYPE_IDS.get(t, 0),
                            }
                        ],
                    }
                    for i, t in page
                ],  # fmt: skip
            }
            if after + BATCH_ASSOCIATIONS_PER_OBJECT < len(linked):
                result["paging"] = {"next": {"after": str(after + BATCH_ASSOCIATIONS_PER_OBJECT)}}
            results.append(result)
        body: dict = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": iso_ms(datetime.now(UTC)),
        }
        if errors:
            body.update(numErrors=len(errors), errors=errors)
        return JSONResponse(body, status_code=207 if errors else 200)

    return [
        Route("/crm/v3/objects/{object}", list_objects, methods=["GET"]),
        Route("/crm/v3/objects/{object}/search", search_endpoint, methods=["POST"]),
        Route("/crm/v3/objects/{object}/{object_id}", get_object, methods=["GET"]),
        Route("/crm/v3/pipelines/{object}", pipelines, methods=["GET"]),
        Route("/crm/v3/owners", owners, methods=["GET"]),
        Route("/crm/v3/owners/", owners, methods=["GET"]),
        Route("/crm/v3/properties/{object}", properties, methods=["GET"]),
        Route(
            "/crm/v4/objects/{object}/{object_id}/associations/{to}",
            v4_associations,
            methods=["GET"],
        ),
        Route(
            "/crm/v4/associations/{object}/{to}/batch/read",
            batch_read_endpoint,
            methods=["POST"],
        ),
    ]


def _start_instant(world: World) -> datetime:
    return world.company_start(0)


def _find(world: World, obj: str, object_id) -> Rec | None:
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        return None
    k = company_of_id(world, obj, object_id)
    if k < 0 or k >= world.company_count():
        return None
    for rec in RECS[obj](world, k):
        if rec.id == object_id:
            return rec
    return None


def _previous(world: World, obj: str, before: int) -> Rec | None:
    """The visible record with the largest id below ``before``."""
    k = min(company_of_id(world, obj, before), world.company_count() - 1)
    while k >= 0:
        recs = [r for r in RECS[obj](world, k) if r.id < before]
        if recs:
            return recs[-1]
        k -= 1
    return None


def _pipeline(world: World) -> dict:
    created = iso_ms(_start_instant(world) - timedelta(days=400))
    stages = [
        {
            "id": sid,
            "label": label,
            "displayOrder": i,
            "metadata": {"isClosed": "true" if closed else "false", "probability": prob},
            "createdAt": created,
            "updatedAt": created,
            "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        }
        for i, (sid, label, prob, closed) in enumerate(DEAL_STAGES)
    ]
    return {
        "id": "default",
        "label": "Sales Pipeline",
        "displayOrder": 0,
        "stages": stages,
        "createdAt": created,
        "updatedAt": created,
        "archived": False,
    }


def _property_defs(ctx, obj: str) -> list[dict]:
    defs = dict(PROPERTIES[obj])
    if ctx.faults.new_property and obj == "contacts":
        defs[NEW_PROPERTY] = ("New sandbox property", "string", "text", "contactinformation")
    out = []
    for i, (name, (label, typ, field_type, group)) in enumerate(defs.items()):
        options = []
        if name == "lifecyclestage":
            options = [
                {"label": v.title(), "value": v, "displayOrder": j, "hidden": False}
                for j, v in enumerate(HUBSPOT_STAGES)
            ]
        elif name == "dealstage":
            options = [
                {"label": label_, "value": sid, "displayOrder": j, "hidden": False}
                for j, (sid, label_, _, _) in enumerate(DEAL_STAGES)
            ]
        out.append(
            {
                "name": name,
                "label": label,
                "type": typ,
                "fieldType": field_type,
                "description": "",
                "groupName": group,
                "options": options,
                "displayOrder": i,
                "calculated": False,
                "externalOptions": False,
                "hasUniqueValue": name == "hs_object_id",
                "hidden": False,
                "hubspotDefined": name != NEW_PROPERTY,
                "formField": typ == "string",
                "archived": False,
                "modificationMetadata": {
                    "archivable": name == NEW_PROPERTY,
                    "readOnlyDefinition": name != NEW_PROPERTY,
                    "readOnlyValue": typ == "datetime" or name == "hs_object_id",
                },
            }
        )
    return out


# --- search ---------------------------------------------------------------------------------------

TIME_PROPS = (*MODIFIED_ALIASES, "createdate")
OPERATORS = ("EQ", "NEQ", "GT", "GTE", "LT", "LTE", "BETWEEN", "HAS_PROPERTY")


@dataclass(frozen=True)
class _SearchQuery:
    obj: str
    groups: tuple[tuple[tuple[str, str, float | None, float | None], ...], ...]
    sorts: tuple[tuple[str, bool], ...]  # (property, descending)
    properties: list[str] | None
    limit: int
    after: int

    @classmethod
    def parse(cls, obj: str, body: dict) -> _SearchQuery:
        groups = []
        for group in body.get("filterGroups") or []:
            filters = []
            for f in group.get("filters") or []:
                prop = f.get("propertyName")
                op = (f.get("operator") or "").upper()
                if op not in OPERATORS:
                    raise ValueError(f"unsupported operator {op!r}")
                if prop not in (*TIME_PROPS, "hs_object_id"):
                    raise ValueError(f"the sandbox cannot filter on {prop!r}")
                value = _filter_value(prop, f.get("value")) if op != "HAS_PROPERTY" else None
                high = _filter_value(prop, f.get("highValue")) if op == "BETWEEN" else None
                if op not in ("HAS_PROPERTY",) and value is None:
                    raise ValueError(f"filter on {prop} needs a value")
                filters.append((_canon(prop), op, value, high))
            groups.append(tuple(filters))
        sorts = []
        for s in body.get("sorts") or []:
            if isinstance(s, str):
                prop, desc = s.lstrip("-"), s.startswith("-")
            else:
                prop = s.get("propertyName")
                desc = (s.get("direction") or "ASCENDING").upper().startswith("DESC")
            if prop not in (*TIME_PROPS, "hs_object_id"):
                raise ValueError(f"the sandbox cannot sort on {prop!r}")
            sorts.append((_canon(prop), desc))
        properties = body.get("properties") or None
        try:
            limit = min(max(int(body.get("limit", 10)), 1), SEARCH_LIMIT_MAX)
            after = int(body.get("after") or 0)
        except (TypeError, ValueError) as exc:
            raise ValueError("limit and after must be integers") from exc
        return cls(obj, tuple(groups), tuple(sorts), properties, limit, after)

    def cache_key(self, world: World) -> tuple:
        return ("hubspot_search", self.obj, self.groups, self.sorts, world.today)

    def lower_bound(self) -> float | None:
        """The smallest time any match can carry (ms epoch), or None."""
        if not self.groups:
            return None
        bounds = []
        for group in self.groups:
            best = None
            for prop, op, value, _ in group:
                if prop in ("modified", "createdate") and op in ("GT", "GTE", "EQ", "BETWEEN"):
                    best = value if best is None else max(best, value)
            if best is None:
                return None
            bounds.append(best)
        return min(bounds)

    def upper_bound(self) -> float | None:
        if not self.groups:
            return None
        bounds = []
        for group in self.groups:
            best = None
            for prop, op, value, high in group:
                if prop in ("modified", "createdate") and op in ("LT", "LTE", "EQ", "BETWEEN"):
                    v = high if op == "BETWEEN" else value
                    best = v if best is None else min(best, v)
            if best is None:
                return None
            bounds.append(best)
        return max(bounds)

    def matches(self, rec: Rec) -> bool:
        if not self.groups:
            return True
        return any(all(_test(rec, f) for f in group) for group in self.groups)

    def sort_key(self, rec: Rec) -> tuple:
        key = []
        for prop, desc in self.sorts:
            v = _value(rec, prop)
            key.append(-v if desc else v)
        key.append(rec.id)
        return tuple(key)


def _canon(prop: str) -> str:
    return "modified" if prop in MODIFIED_ALIASES else prop


def _filter_value(prop: str, raw) -> float | None:
    if raw is None or raw == "":
        return None
    if prop == "hs_object_id":
        return float(int(raw))
    return float(epoch_ms(parse_instant(str(raw))))


def _value(rec: Rec, prop: str) -> float:
    if prop == "modified":
        return float(epoch_ms(rec.modified))
    if prop == "createdate":
        return float(epoch_ms(rec.created))
    return float(rec.id)


def _test(rec: Rec, f: tuple) -> bool:
    prop, op, value, high = f
    if op == "HAS_PROPERTY":
        return True
    v = _value(rec, prop)
    return {
        "EQ": lambda: v == value,
        "NEQ": lambda: v != value,
        "GT": lambda: v > value,
        "GTE": lambda: v >= value,
        "LT": lambda: v < value,
        "LTE": lambda: v <= value,
        "BETWEEN": lambda: value <= v <= high,
    }[op]()


def search_index(ctx, world: World) -> dict[str, dict[int, Rec]]:
    """Every record, per object and by id in company order, for the served world.

    Built once per world state, in one pass over the companies, so that searches and batch
    reads never regenerate the world: HubSpot answers a search from its index, and a client's
    timeout is no place for a full scan of a large world. Results sorted by modification time
    jump between companies, so reading them from the world's bounded cache of generated
    companies would regenerate almost every company of a large world once per record.
    ``warm_up`` builds it before the server is used. Serve a ``copy_of`` a record: faults
    change the record they are applied to.
    """
    key = ("hubspot_index", world.today)
    index = ctx.state.get(key)
    if index is not None:
        return index
    with ctx.state.setdefault(("hubspot_index_lock",), threading.Lock()):
        index = ctx.state.get(key)
        if index is None:
            index = {obj: {} for obj in RECS}
            for k in range(world.company_count()):
                for obj, recs_of in RECS.items():
                    index[obj].update((r.id, r) for r in recs_of(world, k))
            ctx.state[key] = index
    return index


def warm_up(ctx) -> None:
    search_index(ctx, ctx.world)


#: the filters a range of a sorted index answers
RANGE_OPS = frozenset({"GT", "GTE", "LT", "LTE", "EQ", "BETWEEN"})


def _sorted_index(ctx, world: World, obj: str, prop: str) -> tuple[list[float], list[int]]:
    """The values of `prop` of every `obj` record in ascending (value, id) order, and the ids
    in the same order: HubSpot answers a search from indexes, not by reading every record."""
    key = ("hubspot_sorted", obj, prop, world.today)
    index = ctx.state.get(key)
    if index is None:
        with ctx.state.setdefault(("hubspot_sorted_lock",), threading.Lock()):
            index = ctx.state.get(key)
            if index is None:
                records = search_index(ctx, world)[obj].values()
                pairs = sorted((_value(rec, prop), rec.id) for rec in records)
                index = ([v for v, _ in pairs], [i for _, i in pairs])
                ctx.state[key] = index
    return index


def _range_keys(ctx, world: World, query: _SearchQuery) -> tuple[int, list[tuple]] | None:
    """The answer to a search that selects a range of the one property it is sorted by,
    ascending (every connector's incremental query: ``<modified> GTE <cursor>``), from the
    index sorted by that property: two bisections and a slice instead of a scan of every
    record. None when the query is any other."""
    if len(query.groups) > 1 or len(query.sorts) != 1 or query.sorts[0][1]:
        return None
    prop = query.sorts[0][0]
    filters = [f for f in (query.groups or ((),))[0] if f[1] != "HAS_PROPERTY"]
    if any(f[0] != prop or f[1] not in RANGE_OPS for f in filters):
        return None
    values, ids = _sorted_index(ctx, world, query.obj, prop)
    lo, hi = 0, len(values)
    for _, op, value, high in filters:
        if op in ("GT", "GTE", "EQ", "BETWEEN"):
            lo = max(lo, (bisect_right if op == "GT" else bisect_left)(values, value))
        if op in ("LT", "LTE", "EQ", "BETWEEN"):
            bound = high if op == "BETWEEN" else value
            hi = min(hi, (bisect_left if op == "LT" else bisect_right)(values, bound))
    end = min(hi, lo + SEARCH_RESULTS_CAP)
    return max(0, hi - lo), [((values[i], ids[i]), ids[i]) for i in range(lo, end)]


def _search_keys(ctx, world: World, query: _SearchQuery) -> tuple[int, list[tuple]]:
    """(total matches, the first 10,000 (sort key, id) in order), cached per distinct query."""
    key = query.cache_key(world)
    cached = ctx.state.get(key)
    if cached is not None:
        return cached
    ranged = _range_keys(ctx, world, query)
    if ranged is not None:
        return ranged
    return _scan_keys(ctx, world, query, key)


def _scan_keys(ctx, world: World, query: _SearchQuery, key: tuple) -> tuple[int, list[tuple]]:
    """Any other search: every record of the object tested, the first 10,000 kept."""
    total = 0
    records = search_index(ctx, world)[query.obj].values()

    def matching():
        nonlocal total
        for rec in records:
            if query.matches(rec):
                total += 1
                yield (query.sort_key(rec), rec.id)

    keys = heapq.nsmallest(SEARCH_RESULTS_CAP, matching())
    result = (total, keys)
    with ctx.lock:
        searches = [k for k in ctx.state if isinstance(k, tuple) and k[0] == "hubspot_search"]
        for old in searches[: max(0, len(searches) - 31)]:
            ctx.state.pop(old, None)
        ctx.state[key] = result
    return result


# --- connecting the connector to the sandbox ------------------------------------------------------


def credentials() -> dict[str, str]:
    """A fresh private-app token."""
    return {"api_key": f"pat-na1-{secrets.token_hex(16)}"}


def source_env(world: World, base_url: str, credentials: dict[str, str]) -> dict[str, str]:
    return source_settings(SOURCE, base_url, credentials)
