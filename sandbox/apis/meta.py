"""Sandbox stand-in for the Meta Marketing API (Graph API), mounted at ``/meta``.

Endpoints (``{v}`` is any ``v<N>.0``):

* ``GET /{v}/act_<id>/insights?level=campaign|account&time_increment=1&time_range={"since":
  "YYYY-MM-DD","until":"YYYY-MM-DD"}&fields=...&limit=25&after=<cursor>`` (``date_preset``
  today | yesterday | last_7d | last_14d | last_30d | this_month | last_month | maximum instead
  of ``time_range``; without ``time_increment=1`` one row per campaign sums the range);
* ``GET /{v}/act_<id>/campaigns?fields=id,name,objective,status&limit=&after=``.

Auth: ``access_token`` query parameter, or ``Authorization: Bearer|OAuth <token>``.

Confirmed with Meta's docs and the reference README (developers.facebook.com "Paginated
Results", real captures): ``{"data": [...], "paging": {"cursors": {"before", "after"}, "next":
"<absolute url>"}}`` with ``next`` absent on the last page; every number is a string
(``"spend": "12.34"``, ``"impressions": "1000"``); ``date_start``/``date_stop`` are account-local
dates and always present; ``account_currency`` names the currency; ``actions`` is a list of
``{"action_type", "value", "1d_click", "7d_click", "28d_click"}`` (left out when there were none);
errors are ``{"error": {"message", "type": "OAuthException", "code": 190, "fbtrace_id"}}``.

Chosen: cursors are the row position in base64 with ``=`` written ``ZD`` (how Meta's look, e.g.
``MAZDZD``); ``next`` repeats the request's query, ``access_token`` included when it came that way
(as Meta does); auth errors answer HTTP 400 (code 104 missing token, 190 invalid token); an
unknown account answers ``GraphMethodException`` code 100 subcode 33; an unknown field answers
code 100; rows are ordered by (date, campaign); ``spend`` has two decimals; ``actions`` holds
``link_click`` = clicks and, on days with conversions, the pixel's leads
(``offsite_conversion.fb_pixel_lead``) and Meta's ``lead`` roll-up of all lead types, which
includes the pixel's (so the two must never be added); ``action_values`` holds their value in
the account currency; ``value`` is the account's default attribution window (7-day click), and
``1d_click`` / ``28d_click`` differ from it.

Faults (see ``_ads_common``): ``duplicate_across_pages`` repeats the last row of a page as the
first row of the next (insights and campaigns); ``new_property`` adds ``inline_link_clicks`` to
the rows of the last 7 days; ``changed_type`` serves ``spend`` of one row (the first campaign's
latest day) as a JSON number; bad records negative_spend (``spend`` ``"-12.34"``), null_id (a row
without ``campaign_id``), unknown_currency (``account_currency`` ``"XXX"`` on one row),
future_date, implausible_amount, and, as Meta serves every number and date as text,
non_finite_number (``spend`` ``"nan"``) and impossible_date (``date_start`` ``"2024-02-30"``).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from sandbox.apis import _ads_common as ads
from sandbox.faults import BadRecord

#: every number and date is served as text, so NaN and 2024-02-30 can be (_ads_common)
SERVES_TEXT_VALUES = True
PLATFORM = "meta"
#: the pixel's lead conversions, and Meta's roll-up of every lead type (pixel ones included)
LEAD_PIXEL, LEAD_ALL = "offsite_conversion.fb_pixel_lead", "lead"
DEFAULT_LIMIT = 25
MAX_LIMIT = 5000
INSIGHT_FIELDS = (
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "spend",
    "impressions",
    "clicks",
    "ctr",
    "cpc",
    "actions",
    "action_values",
    "date_start",
    "date_stop",
    "objective",
)
CAMPAIGN_FIELDS = (
    "id",
    "name",
    "objective",
    "status",
    "effective_status",
    "account_id",
    "start_time",
)
OBJECTIVE = {"leadgen": "OUTCOME_LEADS", "retargeting": "OUTCOME_TRAFFIC"}


class MetaError(Exception):
    def __init__(
        self,
        message: str,
        code: int,
        type_: str = "OAuthException",
        subcode: int | None = None,
        http: int = 400,
    ):
        super().__init__(message)
        self.message, self.code, self.type, self.subcode, self.http = (
            message,
            code,
            type_,
            subcode,
            http,
        )

    def response(self, trace: str) -> JSONResponse:
        body: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            body["error_subcode"] = self.subcode
        body["fbtrace_id"] = trace
        return JSONResponse({"error": body}, status_code=self.http)


def encode_cursor(index: int) -> str:
    return base64.b64encode(str(index).encode()).decode().replace("=", "ZD")


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor.replace("ZD", "=")).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise MetaError("(#100) The after parameter is not a valid cursor", 100) from exc


def _token(request: Request) -> str | None:
    token = request.query_params.get("access_token")
    if token:
        return token
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return None


def _check_auth(ctx, request: Request) -> None:
    token = _token(request)
    if token is None:
        raise MetaError("An access token is required to request this resource.", 104)
    if token != ctx.credentials.get(PLATFORM, {}).get("access_token"):
        raise MetaError("Invalid OAuth access token - Cannot parse access token", 190)


def _account(ctx, node: str):
    account = ads.find_account(ctx.world, PLATFORM, node)
    if account is None:
        raise MetaError(
            f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded "
            "due to missing permissions, or does not support this operation. Please read the "
            "Graph API documentation at https://developers.facebook.com/docs/graph-api",
            100,
            "GraphMethodException",
            33,
        )
    return account


def _fields(request: Request, allowed: tuple[str, ...], default: list[str], doc: str) -> list[str]:
    raw = request.query_params.get("fields")
    if not raw:
        return default
    fields = [f.strip() for f in raw.split(",") if f.strip()]
    for f in fields:
        if f not in allowed:
            raise MetaError(
                f"(#100) {f} is not valid for fields param. please check "
                f"https://developers.facebook.com/docs/marketing-api/reference/{doc}/ for all "
                "valid values",
                100,
            )
    return fields


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", str(DEFAULT_LIMIT))
    try:
        limit = int(raw)
    except ValueError as exc:
        raise MetaError("(#100) Param limit must be a non-negative integer", 100) from exc
    return max(1, min(limit, MAX_LIMIT))


def _window(request: Request, today: date) -> tuple[date, date]:
    raw = request.query_params.get("time_range")
    if raw:
        try:
            spec = json.loads(raw)
            since, until = date.fromisoformat(spec["since"]), date.fromisoformat(spec["until"])
        except (ValueError, KeyError, TypeError) as exc:
            raise MetaError(
                "(#100) Must be a date representation in the format YYYY-MM-DD or "
                "Unix timestamp for time_range",
                100,
            ) from exc
        if since > until:
            raise MetaError("(#100) time_range: since must be before until", 100)
        return since, until
    preset = request.query_params.get("date_preset", "last_30d")
    yesterday = today - timedelta(days=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return yesterday, yesterday
    if preset in ("last_7d", "last_14d", "last_30d", "last_90d"):
        return today - timedelta(days=int(preset[5:-1])), yesterday
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "maximum":
        return date(2000, 1, 1), today
    raise MetaError(f"(#100) date_preset must be one of the supported presets, not {preset}", 100)


def _insight_rows(ctx, request: Request, account) -> list[dict[str, Any]]:
    world = ctx.world
    level = request.query_params.get("level", "account")
    if level not in ("campaign", "account"):
        raise MetaError("(#100) level must be one of: ad, adset, campaign, account", 100)
    daily = request.query_params.get("time_increment", "all_days") == "1"
    since, until = _window(request, ads.local_today(world, account))
    fields = _fields(request, INSIGHT_FIELDS, ["spend", "impressions", "clicks"], "ads-insights")
    rows = ads.rows(world, ctx.faults.bad_records, PLATFORM, account.account_id, since, until)
    groups: dict[tuple, list[ads.Row]] = {}
    for r in rows:
        key = (
            r.day_text if daily else None,
            (r.campaign.campaign_id, r.campaign_id) if level == "campaign" else None,
        )
        groups.setdefault(key, []).append(r)
    out = []
    for (day, _), members in groups.items():
        start, stop = (members[0].day_text,) * 2 if day else (since.isoformat(), until.isoformat())
        out.append(_insight(ctx, account, members, fields, level, start, stop))
    return out


def _insight(
    ctx, account, members: list[ads.Row], fields: list[str], level: str, start: str, stop: str
) -> dict[str, Any]:
    first = members[0]
    impressions = sum(r.impressions for r in members)
    clicks = sum(r.clicks for r in members)
    cost = round(sum(r.cost for r in members), 2)
    values: dict[str, Any] = {
        "account_id": account.account_id.removeprefix("act_"),
        "account_name": account.name,
        "account_currency": next(
            (r.currency for r in members if r.currency != account.currency), account.currency
        ),
        "spend": f"{cost:.2f}",
        "impressions": str(impressions),
        "clicks": str(clicks),
        "ctr": repr(clicks / impressions * 100) if impressions else "0",
        "cpc": repr(cost / clicks) if clicks else None,
    }
    if level == "campaign":
        values["campaign_id"] = first.campaign_id
        values["campaign_name"] = first.campaign.name
        values["objective"] = OBJECTIVE.get(first.campaign.name.split("_")[2], "OUTCOME_TRAFFIC")
    if clicks:
        v = str(clicks)
        values["actions"] = [
            {"action_type": "link_click", "value": v, "1d_click": v, "7d_click": v, "28d_click": v}
        ]
    conversions = round(sum(r.conversions for r in members))
    if conversions:
        value = f"{sum(r.conversion_value for r in members):.2f}"
        n, early, late = str(conversions), str(conversions * 3 // 4), str(conversions * 6 // 5)
        windows = {"value": n, "1d_click": early, "7d_click": n, "28d_click": late}
        values.setdefault("actions", []).extend(
            {"action_type": t, **windows} for t in (LEAD_PIXEL, LEAD_ALL)
        )
        values["action_values"] = [
            {"action_type": t, "value": value, "7d_click": value} for t in (LEAD_PIXEL, LEAD_ALL)
        ]
    row: dict[str, Any] = {}
    for f in fields:
        if f in ("date_start", "date_stop"):
            continue
        if values.get(f) is not None:
            row[f] = values[f]
    faults, world = ctx.faults, ctx.world
    if faults.new_property and any(ads.has_new_property(world, r) for r in members):
        row["inline_link_clicks"] = str(clicks)
    if (
        faults.changed_type
        and "spend" in row
        and any(ads.is_changed_type(world, PLATFORM, r) for r in members)
    ):
        row["spend"] = cost
    row["date_start"] = start
    row["date_stop"] = stop
    return row


def _campaign_rows(ctx, request: Request, account) -> list[dict[str, Any]]:
    fields = _fields(request, CAMPAIGN_FIELDS, ["id"], "ad-campaign-group")
    out = []
    for c in ads.campaigns(ctx.world, PLATFORM, account.account_id):
        values = {
            "id": c.campaign_id,
            "name": c.name,
            "objective": OBJECTIVE.get(c.name.split("_")[2], "OUTCOME_TRAFFIC"),
            "status": "ACTIVE",
            "effective_status": "ACTIVE",
            "account_id": account.account_id.removeprefix("act_"),
            "start_time": account.local_midnight(c.start).strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        row = {f: values[f] for f in fields}
        row.setdefault("id", c.campaign_id)
        out.append(row)
    return out


def _page(ctx, request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    limit = _limit(request)
    after = request.query_params.get("after")
    start = decode_cursor(after) + 1 if after else 0
    first = start
    if ctx.faults.duplicate_across_pages and start > 0:
        first = start - 1  # the last row of the previous page comes again
    page = items[first : first + limit]
    body: dict[str, Any] = {"data": page}
    if not page:
        return body
    last = first + len(page) - 1
    body["paging"] = {"cursors": {"before": encode_cursor(first), "after": encode_cursor(last)}}
    if last < len(items) - 1:
        params = dict(request.query_params)
        params["after"] = encode_cursor(last)
        params.setdefault("limit", str(limit))
        body["paging"]["next"] = str(request.url.replace_query_params(**params))
    return body


def routes(ctx) -> list[BaseRoute]:
    def handler(build):
        async def endpoint(request: Request) -> JSONResponse:
            trace = ads.request_id(PLATFORM, request.url.path, request.url.query, length=11)
            try:
                _check_auth(ctx, request)
                node = request.path_params["node"]
                with ctx.lock:
                    account = _account(ctx, node)
                    items = build(ctx, request, account)
                    body = _page(ctx, request, items)
            except MetaError as err:
                return err.response(trace)
            return JSONResponse(body)

        return endpoint

    return [
        Route("/{version:str}/{node:str}/insights", handler(_insight_rows), methods=["GET"]),
        Route("/{version:str}/{node:str}/campaigns", handler(_campaign_rows), methods=["GET"]),
    ]


def bad_records(ctx) -> list[BadRecord]:
    return ads.bad_records(ctx.world, ctx.faults.bad_records, PLATFORM)


# --- connecting the connector to the sandbox ------------------------------------------------------


def credentials() -> dict[str, str]:
    """A fresh system-user access token."""
    return {"access_token": f"EAAB{secrets.token_urlsafe(30)}"}


def source_env(world, base_url: str, credentials: dict[str, str]) -> dict[str, str]:
    return ads.source_env(PLATFORM, "account_ids", world, base_url, credentials)
