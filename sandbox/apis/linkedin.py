"""Sandbox stand-in for the LinkedIn Marketing API (versioned ``/rest``), mounted at ``/linkedin``.

Endpoints:

* ``GET /rest/adAnalytics?q=analytics&pivot=CAMPAIGN|ACCOUNT&timeGranularity=DAILY|ALL
  &dateRange=(start:(year:2025,month:1,day:1),end:(year:2025,month:1,day:31))
  &accounts=List(urn%3Ali%3AsponsoredAccount%3A508000001)&fields=dateRange,pivotValues,
  impressions,clicks,costInLocalCurrency,costInUsd`` (``campaigns=List(...)`` also filters);
* ``GET /rest/adAccounts/{id}/adCampaigns?q=search&pageSize=100&pageToken=<token>``;
* ``GET /rest/adAccounts/{id}``.

Headers: ``Authorization: Bearer <token>``, ``LinkedIn-Version: YYYYMM`` (required),
``X-Restli-Protocol-Version: 2.0.0`` (required).

Confirmed with LinkedIn's docs and the reference README: the analytics finder answers
``{"elements": [{"pivotValues": ["urn:li:sponsoredCampaign:<id>"], "dateRange": {"start":
{"year","month","day"}, "end": {...}}, "impressions": 1000, "clicks": 12, "costInLocalCurrency":
"45.67", "costInUsd": "45.67"}], "paging": {"start": 0, "count": 10, "links": []}}`` and is not
paginated; counts are JSON numbers and costs strings; without ``fields`` only the default metrics
come back; adCampaigns search pages with ``pageSize``/``pageToken`` and
``metadata.nextPageToken`` (absent on the last page); errors look like
``{"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": ...}``;
Rest.li 2.0 structure characters ``( ) , :`` must be literal in the query while the URNs inside
``List(...)`` are percent-encoded (a percent-encoded structure answers 400 PARAM_INVALID, as a
real capture shows).

Chosen: a missing ``LinkedIn-Version`` answers 400 VERSION_MISSING, a malformed one 426
NONEXISTENT_VERSION; costs are written like Java's ``Double.toString`` of the two-decimal local
cost (``"30.0"``, ``"45.67"``), ``costInUsd`` converts with the world's ECB rates of the day (the
last business day before on weekends) and equals the local cost for USD accounts; rows are
ordered by (date, campaign); timeGranularity MONTHLY is not served; ``externalWebsiteConversions``
(a count, a JSON number) and ``conversionValueInLocalCurrency`` (a string like the costs) are the
campaign's conversions by LinkedIn's own attribution.

Faults (see ``_ads_common``): ``changed_type`` serves ``clicks`` of one row (the first campaign's
latest day) as a string; ``new_property`` adds ``landingPageClicks`` to the rows of the last 7
days; bad records negative_spend, null_id (``pivotValues`` is empty) and future_date
(unknown_currency is not served: analytics rows do not carry a currency).
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from sandbox.apis import _ads_common as ads
from sandbox.apis._common import bearer_token
from sandbox.faults import BadRecord

PLATFORM = "linkedin"
ROWS_CARRY_CURRENCY = False  # analytics rows hold costInLocalCurrency, not the currency itself
ANALYTICS_FIELDS = (
    "dateRange",
    "pivotValues",
    "impressions",
    "clicks",
    "costInLocalCurrency",
    "costInUsd",
    "landingPageClicks",
    "externalWebsiteConversions",
    "conversionValueInLocalCurrency",
)
DEFAULT_FIELDS = ["dateRange", "pivotValues", "impressions", "clicks"]
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
OBJECTIVE = {
    "abm": "BRAND_AWARENESS",
    "webinar_promo": "WEBSITE_VISIT",
    "leadgen": "LEAD_GENERATION",
}


class LinkedInError(Exception):
    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(body.get("message"))
        self.status, self.body = status, body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status)


def _bad_param(path: str, description: str) -> LinkedInError:
    return LinkedInError(
        400,
        {
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": "Invalid param. Please see errorDetails for more information.",
            "errorDetails": {
                "inputErrors": [
                    {
                        "description": description,
                        "input": {"inputPath": {"fieldPath": path}},
                        "code": "PARAM_INVALID",
                    }
                ]
            },
            "status": 400,
        },
    )


def _check_headers(ctx, request: Request) -> None:
    token = bearer_token(request)
    if not token:
        raise LinkedInError(
            401,
            {
                "status": 401,
                "serviceErrorCode": 65604,
                "code": "EMPTY_ACCESS_TOKEN",
                "message": "Empty oauth2_access_token",
            },
        )
    if token != ctx.credentials.get(PLATFORM, {}).get("access_token"):
        raise LinkedInError(
            401,
            {
                "status": 401,
                "serviceErrorCode": 65600,
                "code": "INVALID_ACCESS_TOKEN",
                "message": "Invalid access token",
            },
        )
    version = request.headers.get("linkedin-version")
    if not version:
        raise LinkedInError(
            400,
            {
                "status": 400,
                "code": "VERSION_MISSING",
                "message": "A version must be present. Please specify a "
                "version by adding the LinkedIn-Version header.",
            },
        )
    m = re.fullmatch(r"(\d{4})(\d{2})(\.\d{2})?", version)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise LinkedInError(
            426,
            {
                "status": 426,
                "code": "NONEXISTENT_VERSION",
                "message": f"Requested version {version} is not active",
            },
        )
    if request.headers.get("x-restli-protocol-version") != "2.0.0":
        raise LinkedInError(
            400,
            {
                "status": 400,
                "code": "ILLEGAL_ARGUMENT",
                "message": "This endpoint needs the header X-Restli-Protocol-Version: 2.0.0",
            },
        )


# --- Rest.li 2.0 query syntax --------------------------------------------------------------


def _raw_params(request: Request) -> dict[str, str]:
    """Query parameters with their values as sent (not percent-decoded)."""
    out = {}
    for part in request.url.query.split("&"):
        if part:
            k, _, v = part.partition("=")
            out[unquote(k)] = v
    return out


class _RestLi:
    """Parses ``(k:v,k:(…))`` and ``List(a,b)`` from a raw (still percent-encoded) value."""

    def __init__(self, text: str, path: str):
        self.s, self.i, self.path = text, 0, path

    def fail(self) -> LinkedInError:
        return _bad_param(self.path, "Invalid value for param; wrong type or other syntax error")

    def parse(self) -> Any:
        value = self.value()
        if self.i != len(self.s):
            raise self.fail()
        return value

    def value(self) -> Any:
        if self.s.startswith("List(", self.i):
            self.i += 5
            items = []
            while not self.s.startswith(")", self.i):
                if self.i >= len(self.s):
                    raise self.fail()
                items.append(self.value())
                if self.s.startswith(",", self.i):
                    self.i += 1
            self.i += 1
            return items
        if self.s.startswith("(", self.i):
            self.i += 1
            obj = {}
            while not self.s.startswith(")", self.i):
                if self.i >= len(self.s):
                    raise self.fail()
                j = self.s.find(":", self.i)
                if j < 0:
                    raise self.fail()
                key = self.s[self.i : j]
                self.i = j + 1
                obj[key] = self.value()
                if self.s.startswith(",", self.i):
                    self.i += 1
                elif not self.s.startswith(")", self.i):
                    raise self.fail()
            self.i += 1
            return obj
        m = re.compile(r"[^(),:]*").match(self.s, self.i)
        self.i = m.end()
        if self.i < len(self.s) and self.s[self.i] == ":":
            raise self.fail()  # an unencoded colon in a scalar (e.g. a URN not percent-encoded)
        return unquote(m.group(0))


def _restli(raw: dict[str, str], name: str) -> Any:
    text = raw.get(name)
    if text is None:
        return None
    if "%28" in text.upper() or "%29" in text.upper() or "%2C" in text.upper():
        raise _bad_param(name, "Invalid value for param; wrong type or other syntax error")
    try:
        return _RestLi(text, name).parse()
    except IndexError as exc:
        raise _bad_param(name, "Invalid value for param; wrong type or other syntax error") from exc


def _restli_date(obj: Any, path: str) -> date:
    try:
        return date(int(obj["year"]), int(obj["month"]), int(obj["day"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad_param(path, "Invalid date") from exc


def _urn_ids(values: Any, kind: str, path: str) -> set[str]:
    if not isinstance(values, list):
        raise _bad_param(path, "Expected a List(...) of URNs")
    out = set()
    prefix = f"urn:li:{kind}:"
    for v in values:
        if not isinstance(v, str) or not v.startswith(prefix):
            raise _bad_param(path, f"Invalid URN {v!r}; expected {prefix}<id>")
        out.add(v[len(prefix) :])
    return out


# --- analytics -------------------------------------------------------------------------------


def _money(value: float) -> str:
    return repr(float(value))


def _day(d: date) -> dict[str, int]:
    return {"year": d.year, "month": d.month, "day": d.day}


def analytics(ctx, request: Request) -> dict[str, Any]:
    world = ctx.world
    raw = _raw_params(request)
    params = request.query_params
    if params.get("q") != "analytics":
        raise _bad_param("q", "Only the analytics finder is served (q=analytics)")
    pivot = params.get("pivot")
    if pivot not in ("CAMPAIGN", "ACCOUNT"):
        raise _bad_param("pivot", "pivot must be CAMPAIGN or ACCOUNT")
    granularity = params.get("timeGranularity")
    if granularity not in ("DAILY", "ALL"):
        raise _bad_param("timeGranularity", "timeGranularity must be DAILY or ALL")
    date_range = _restli(raw, "dateRange")
    if not isinstance(date_range, dict) or "start" not in date_range:
        raise _bad_param("dateRange", "dateRange with a start is required")
    since = _restli_date(date_range["start"], "dateRange.start")
    until = _restli_date(date_range["end"], "dateRange.end") if "end" in date_range else None
    account_ids = campaign_ids = None
    if "accounts" in raw:
        account_ids = _urn_ids(_restli(raw, "accounts"), "sponsoredAccount", "accounts")
    if "campaigns" in raw:
        campaign_ids = _urn_ids(_restli(raw, "campaigns"), "sponsoredCampaign", "campaigns")
    if account_ids is None and campaign_ids is None:
        raise _bad_param("accounts", "One of accounts, campaigns, ... is required")
    fields = DEFAULT_FIELDS
    if params.get("fields"):
        fields = [f for f in params["fields"].split(",") if f]
        for f in fields:
            if f not in ANALYTICS_FIELDS:
                raise _bad_param("fields", f"Unknown field {f}")
    known = {a.account_id for a in ads.accounts(world, PLATFORM)}
    for a in account_ids or ():
        if a not in known:
            raise LinkedInError(
                403,
                {
                    "status": 403,
                    "serviceErrorCode": 100,
                    "code": "ACCESS_DENIED",
                    "message": "Not enough permissions to access: "
                    "partnerApiAdAnalytics.FINDER-analytics",
                },
            )

    rows = []
    for account in ads.accounts(world, PLATFORM):
        if account_ids is not None and account.account_id not in account_ids:
            continue
        rows += ads.rows(
            world, ctx.faults.bad_records, PLATFORM, account.account_id, since, until, campaign_ids
        )
    rows.sort(key=lambda r: r.day)
    groups: dict[tuple, list[ads.Row]] = {}
    for r in rows:
        key = (
            r.day if granularity == "DAILY" else None,
            (r.campaign.campaign_id, r.campaign_id)
            if pivot == "CAMPAIGN"
            else r.account.account_id,
        )
        groups.setdefault(key, []).append(r)
    fx = None
    if "costInUsd" in fields and any(r.currency != "USD" for r in rows):
        fx = ads.usd_per_unit(world)
    elements = []
    for (day, _), members in groups.items():
        first = members[0]
        if pivot == "CAMPAIGN":
            pivots = [f"urn:li:sponsoredCampaign:{first.campaign_id}"] if first.campaign_id else []
        else:
            pivots = [f"urn:li:sponsoredAccount:{first.account.account_id}"]
        start = day or since
        end = day or until or ads.local_today(world, first.account) - timedelta(days=1)
        cost = round(sum(r.cost for r in members), 2)
        usd = sum(ads.to_usd(fx, r.cost, r.currency, r.day) if fx else r.cost for r in members)
        clicks = sum(r.clicks for r in members)
        values = {
            "pivotValues": pivots,
            "dateRange": {"start": _day(start), "end": _day(end)},
            "impressions": sum(r.impressions for r in members),
            "clicks": clicks,
            "costInLocalCurrency": _money(cost),
            "costInUsd": _money(cost if not fx else usd),
            "externalWebsiteConversions": round(sum(r.conversions for r in members)),
            "conversionValueInLocalCurrency": _money(
                round(sum(r.conversion_value for r in members), 2)
            ),
        }
        el = {f: values[f] for f in fields if f in values}
        if ctx.faults.new_property and any(ads.has_new_property(world, r) for r in members):
            el["landingPageClicks"] = clicks
        changed = any(ads.is_changed_type(world, PLATFORM, r) for r in members)
        if ctx.faults.changed_type and "clicks" in el and changed:
            el["clicks"] = str(el["clicks"])
        elements.append(el)
    return {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements}


# --- campaigns and accounts ------------------------------------------------------------------


def _account(ctx, account_id: str):
    account = ads.find_account(ctx.world, PLATFORM, account_id)
    if account is None:
        raise LinkedInError(
            403,
            {
                "status": 403,
                "serviceErrorCode": 100,
                "code": "ACCESS_DENIED",
                "message": f"Not enough permissions to access: adAccounts.GET.{account_id}",
            },
        )
    return account


def campaigns(ctx, request: Request, account_id: str) -> dict[str, Any]:
    params = request.query_params
    if params.get("q") != "search":
        raise _bad_param("q", "Only the search finder is served (q=search)")
    account = _account(ctx, account_id)
    try:
        size = int(params.get("pageSize", DEFAULT_PAGE_SIZE))
        token = params.get("pageToken")
        offset = (
            int(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()) if token else 0
        )
    except ValueError as exc:
        raise _bad_param("pageToken", "Invalid pageSize or pageToken") from exc
    size = max(1, min(size, MAX_PAGE_SIZE))
    items = []
    for c in ads.campaigns(ctx.world, PLATFORM, account.account_id):
        items.append(
            {
                "id": int(c.campaign_id),
                "name": c.name,
                "status": "ACTIVE",
                "account": f"urn:li:sponsoredAccount:{account.account_id}",
                "type": "SPONSORED_UPDATES",
                "objectiveType": OBJECTIVE.get(
                    c.name.split("_", 2)[2].rsplit("_", 1)[0], "WEBSITE_VISIT"
                ),
                "runSchedule": {"start": int(account.local_midnight(c.start).timestamp() * 1000)},
                "test": False,
            }
        )
    page = items[offset : offset + size]
    metadata: dict[str, Any] = {}
    if offset + size < len(items):
        metadata["nextPageToken"] = (
            base64.urlsafe_b64encode(str(offset + size).encode()).decode().rstrip("=")
        )
    return {"elements": page, "metadata": metadata}


def account_detail(ctx, account_id: str) -> dict[str, Any]:
    account = _account(ctx, account_id)
    return {
        "id": int(account.account_id),
        "name": account.name,
        "currency": account.currency,
        "status": "ACTIVE",
        "type": "BUSINESS",
        "test": False,
    }


def routes(ctx) -> list[BaseRoute]:
    def handler(build):
        async def endpoint(request: Request) -> JSONResponse:
            try:
                _check_headers(ctx, request)
                with ctx.lock:
                    body = build(request)
            except LinkedInError as err:
                return err.response()
            return JSONResponse(body)

        return endpoint

    return [
        Route("/rest/adAnalytics", handler(lambda r: analytics(ctx, r)), methods=["GET"]),
        Route(
            "/rest/adAccounts/{account_id:str}/adCampaigns",
            handler(lambda r: campaigns(ctx, r, r.path_params["account_id"])),
            methods=["GET"],
        ),
        Route(
            "/rest/adAccounts/{account_id:str}",
            handler(lambda r: account_detail(ctx, r.path_params["account_id"])),
            methods=["GET"],
        ),
    ]


def bad_records(ctx) -> list[BadRecord]:
    return ads.bad_records(ctx.world, ctx.faults.bad_records, PLATFORM)


# --- connecting the connector to the sandbox ------------------------------------------------------


def credentials() -> dict[str, str]:
    """A fresh OAuth access token."""
    return {"access_token": f"AQV{secrets.token_urlsafe(30)}"}


def source_env(world, base_url: str, credentials: dict[str, str]) -> dict[str, str]:
    return ads.source_env(PLATFORM, "account_ids", world, base_url, credentials)
