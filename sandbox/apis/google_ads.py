"""Sandbox stand-in for the Google Ads API (REST), mounted at ``/google_ads``.

Endpoints (``{v}`` is any ``v<N>``, e.g. ``v17``):

* ``POST /{v}/customers/{customer_id}/googleAds:searchStream`` with ``{"query": "<GAQL>"}``;
* ``GET  /{v}/customers:listAccessibleCustomers``.

Headers: ``Authorization: Bearer <access_token>``, ``developer-token: <developer_token>``,
optional ``login-customer-id`` (digits).

GAQL subset: ``SELECT <fields> FROM campaign|customer [WHERE <cond> AND ...]
[ORDER BY <field> [ASC|DESC], ...] [LIMIT n]``; conditions ``=, !=, >, >=, <, <=, IN (..),
NOT IN (..), BETWEEN 'a' AND 'b'`` and ``segments.date DURING TODAY|YESTERDAY|LAST_7_DAYS|
LAST_14_DAYS|LAST_30_DAYS|THIS_MONTH|LAST_MONTH`` (relative to the account's local today).
Fields: campaign.{id,name,status,advertising_channel_type,resource_name},
customer.{id,descriptive_name,currency_code,time_zone,resource_name}, segments.date,
metrics.{impressions,clicks,cost_micros,ctr,average_cpc,conversions,conversions_value,
all_conversions}. Selecting metrics without
``segments.date`` aggregates over the date filter (all time without one); selecting neither
lists campaigns (or the customer).

Confirmed with Google's reference docs / real captures (reference README, developers.google.com
SearchGoogleAdsStreamResponse, GitHub issue captures):
* the response is a JSON array of batches ``{"results", "fieldMask", "requestId"}`` and
  ``queryResourceConsumption`` (int64, so a string) only in the final batch; an empty result is
  one batch without ``results``;
* camelCase keys, int64 values (ids, impressions, clicks, costMicros) as strings, doubles (ctr,
  averageCpc, conversions, conversionsValue) as numbers, ``resourceName`` on every selected
  resource, dates in the customer's time zone, cost in micros of the customer currency;
* errors are ``{"error": {"code", "message", "status", "details": [{"@type":
  "type.googleapis.com/google.ads.googleads.<v>.errors.GoogleAdsFailure", "errors": [{"errorCode":
  {...}, "message"}], "requestId"}]}}``; the enum names used (queryError UNRECOGNIZED_FIELD,
  EXPECTED_FILTERS_ON_DATE_RANGE, BAD_RESOURCE_TYPE_IN_FROM_CLAUSE, authorizationError
  USER_PERMISSION_DENIED, authenticationError OAUTH_TOKEN_INVALID) are Google's.

Chosen (not confirmed): errors raised while the stream runs (bad queries) come as a one-element
array ``[{"error": ...}]`` (clients in the wild unwrap it); authentication errors come as a
plain object with HTTP 401; a bad developer token answers 401 DEVELOPER_TOKEN_INVALID; batches
hold ``BATCH_SIZE`` = 10,000 rows; rows come ordered by (date, campaign) without ORDER BY.

Faults (see ``_ads_common``): ``new_property`` adds ``metrics.allConversions`` (a number) to
the rows of the last 7 days even when not selected; ``changed_type`` serves ``costMicros`` of one
row (the first campaign's latest day) as a JSON number instead of a string; bad records
negative_spend, null_id (the row has no ``campaign.id`` / ``resourceName``), unknown_currency
(``customer.currencyCode`` ``XXX`` on one row) and future_date.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from sandbox.apis import _ads_common as ads
from sandbox.apis._common import bearer_token
from sandbox.faults import BadRecord

PLATFORM = "google_ads"
BATCH_SIZE = 10_000

#: GAQL field -> (resource, json key, type); type: int64 | string | enum | date | double
FIELDS: dict[str, tuple[str, str, str]] = {
    "campaign.id": ("campaign", "id", "int64"),
    "campaign.name": ("campaign", "name", "string"),
    "campaign.status": ("campaign", "status", "enum"),
    "campaign.advertising_channel_type": ("campaign", "advertisingChannelType", "enum"),
    "campaign.resource_name": ("campaign", "resourceName", "string"),
    "customer.id": ("customer", "id", "int64"),
    "customer.descriptive_name": ("customer", "descriptiveName", "string"),
    "customer.currency_code": ("customer", "currencyCode", "string"),
    "customer.time_zone": ("customer", "timeZone", "string"),
    "customer.resource_name": ("customer", "resourceName", "string"),
    "segments.date": ("segments", "date", "date"),
    "metrics.impressions": ("metrics", "impressions", "int64"),
    "metrics.clicks": ("metrics", "clicks", "int64"),
    "metrics.cost_micros": ("metrics", "costMicros", "int64"),
    "metrics.ctr": ("metrics", "ctr", "double"),
    "metrics.average_cpc": ("metrics", "averageCpc", "double"),
    "metrics.conversions": ("metrics", "conversions", "double"),
    "metrics.conversions_value": ("metrics", "conversionsValue", "double"),
    "metrics.all_conversions": ("metrics", "allConversions", "double"),
}
RESOURCES = ("campaign", "customer")
CHANNEL_TYPE = {"search": "SEARCH", "display": "DISPLAY", "social": "DISPLAY"}
PRESETS = (
    "TODAY",
    "YESTERDAY",
    "LAST_7_DAYS",
    "LAST_14_DAYS",
    "LAST_30_DAYS",
    "THIS_MONTH",
    "LAST_MONTH",
)


# --- errors ---------------------------------------------------------------------------------


class GoogleAdsError(Exception):
    def __init__(
        self, http: int, status: str, message: str, code_kind: str, code: str, detail: str
    ):
        super().__init__(detail)
        self.http, self.status, self.message = http, status, message
        self.code_kind, self.code, self.detail = code_kind, code, detail

    def body(self, version: str, req_id: str) -> dict:
        return {
            "error": {
                "code": self.http,
                "message": self.message,
                "status": self.status,
                "details": [
                    {
                        "@type": f"type.googleapis.com/google.ads.googleads.{version}.errors."
                        "GoogleAdsFailure",
                        "errors": [
                            {"errorCode": {self.code_kind: self.code}, "message": self.detail}
                        ],
                        "requestId": req_id,
                    }
                ],
            }
        }


def _query_error(code: str, detail: str) -> GoogleAdsError:
    return GoogleAdsError(
        400, "INVALID_ARGUMENT", "Request contains an invalid argument.", "queryError", code, detail
    )


# --- GAQL -----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'[^']*'|\"[^\"]*\")|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<op>>=|<=|!=|=|>|<|\(|\)|,)|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)


@dataclass
class Condition:
    field: str
    op: str  # = != > >= < <= IN NOT_IN BETWEEN DURING
    values: list[Any]


@dataclass
class Query:
    select: list[str]
    resource: str
    where: list[Condition] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: int | None = None


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _query_error("BAD_SYMBOL", f"Error in query: unexpected input {text[pos:]!r}.")
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "str":
            value = value[1:-1]
        out.append((kind, value))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def word(self, *expected: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].upper() in expected:
            self.i += 1
            return True
        return False

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise _query_error(
                "UNEXPECTED_END_OF_QUERY", "Error in query: unexpected end of query."
            )
        self.i += 1
        return tok

    def field(self) -> str:
        kind, value = self.take()
        if kind != "word" or "." not in value:
            raise _query_error("BAD_FIELD_NAME", f"Error in query: invalid field name {value!r}.")
        if value not in FIELDS:
            raise _query_error("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{value}'.")
        return value

    def value(self) -> Any:
        kind, value = self.take()
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind in ("str", "word"):
            return value
        raise _query_error("BAD_VALUE", f"Error in query: invalid value {value!r}.")

    def parse(self) -> Query:
        if not self.word("SELECT"):
            raise _query_error("EXPECTED_SELECT", "Error in query: SELECT is missing.")
        select = [self.field()]
        while self.peek() == ("op", ","):
            self.i += 1
            select.append(self.field())
        if not self.word("FROM"):
            raise _query_error("EXPECTED_FROM", "Error in query: FROM is missing.")
        kind, resource = self.take()
        if resource not in RESOURCES:
            raise _query_error(
                "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
                f"Error in query: invalid resource type '{resource}'.",
            )
        q = Query(select, resource)
        if self.word("WHERE"):
            q.where.append(self.condition())
            while self.word("AND"):
                q.where.append(self.condition())
        if self.word("ORDER"):
            if not self.word("BY"):
                raise _query_error("EXPECTED_BY", "Error in query: ORDER must be followed by BY.")
            while True:
                f = self.field()
                desc = self.word("DESC")
                if not desc:
                    self.word("ASC")
                q.order_by.append((f, desc))
                if self.peek() != ("op", ","):
                    break
                self.i += 1
        if self.word("LIMIT"):
            kind, value = self.take()
            if kind != "num" or not value.isdigit():
                raise _query_error("BAD_LIMIT_VALUE", f"Error in query: bad LIMIT {value!r}.")
            q.limit = int(value)
        if self.word("PARAMETERS"):
            self.i = len(self.toks)  # include_drafts etc.: accepted and ignored
        if self.peek() is not None:
            raise _query_error(
                "UNEXPECTED_INPUT", f"Error in query: unexpected {self.peek()[1]!r}."
            )
        for f in q.select:
            if f.split(".")[0] not in ("segments", "metrics", q.resource, "customer"):
                raise _query_error(
                    "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
                    f"The field '{f}' cannot be selected FROM {q.resource}.",
                )
        return q

    def condition(self) -> Condition:
        f = self.field()
        if self.word("BETWEEN"):
            lo = self.value()
            if not self.word("AND"):
                raise _query_error("EXPECTED_AND", "Error in query: BETWEEN needs AND.")
            return Condition(f, "BETWEEN", [lo, self.value()])
        if self.word("DURING"):
            kind, preset = self.take()
            if preset.upper() not in PRESETS:
                raise _query_error(
                    "INVALID_VALUE_WITH_DURING_OPERATOR",
                    f"Error in query: invalid DURING value {preset!r}.",
                )
            return Condition(f, "DURING", [preset.upper()])
        negate = self.word("NOT")
        if self.word("IN"):
            if self.take() != ("op", "("):
                raise _query_error("EXPECTED_LIST", "Error in query: IN needs a list.")
            values = [self.value()]
            while self.peek() == ("op", ","):
                self.i += 1
                values.append(self.value())
            if self.take() != ("op", ")"):
                raise _query_error("EXPECTED_LIST", "Error in query: unterminated list.")
            return Condition(f, "NOT_IN" if negate else "IN", values)
        kind, op = self.take()
        if kind != "op" or op not in ("=", "!=", ">", ">=", "<", "<="):
            raise _query_error("BAD_OPERATOR", f"Error in query: invalid operator {op!r}.")
        return Condition(f, op, [self.value()])


def parse_gaql(text: str) -> Query:
    return _Parser(text).parse()


def _preset_range(preset: str, today: date) -> tuple[date, date]:
    if preset == "TODAY":
        return today, today
    if preset == "YESTERDAY":
        return today - timedelta(days=1), today - timedelta(days=1)
    if preset.startswith("LAST_") and preset.endswith("_DAYS"):
        n = int(preset.split("_")[1])
        return today - timedelta(days=n), today - timedelta(days=1)
    first = today.replace(day=1)
    if preset == "THIS_MONTH":
        return first, today
    last_month_end = first - timedelta(days=1)
    return last_month_end.replace(day=1), last_month_end  # LAST_MONTH


def _date_window(q: Query, today: date) -> tuple[date | None, date | None]:
    since: date | None = None
    until: date | None = None

    def as_date(v: Any) -> date:
        d = ads.parse_date(str(v))
        if d is None:
            raise _query_error(
                "INVALID_DATE_FORMAT", f"Error in query: invalid date {v!r}; expected 'YYYY-MM-DD'."
            )
        return d

    def lower(d: date) -> None:
        nonlocal since
        since = d if since is None else max(since, d)

    def upper(d: date) -> None:
        nonlocal until
        until = d if until is None else min(until, d)

    for c in q.where:
        if c.field != "segments.date":
            continue
        if c.op == "BETWEEN":
            lower(as_date(c.values[0]))
            upper(as_date(c.values[1]))
        elif c.op == "DURING":
            lo, hi = _preset_range(c.values[0], today)
            lower(lo)
            upper(hi)
        elif c.op in (">=", ">"):
            lower(as_date(c.values[0]) + timedelta(days=1 if c.op == ">" else 0))
        elif c.op in ("<=", "<"):
            upper(as_date(c.values[0]) - timedelta(days=1 if c.op == "<" else 0))
        elif c.op == "=":
            lower(as_date(c.values[0]))
            upper(as_date(c.values[0]))
        elif c.op == "IN":
            days = [as_date(v) for v in c.values]
            lower(min(days))
            upper(max(days))
    if since is not None and until is not None and since > until:
        raise _query_error(
            "DATE_RANGE_TOO_NARROW", "Filters on date have a start date after end date."
        )
    if "segments.date" in q.select and (since is None or until is None):
        raise _query_error(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Filters on date range are required when segments.date is selected "
            "(a finite date range in the WHERE clause).",
        )
    return since, until


def _matches(value: Any, c: Condition) -> bool:
    if c.op == "DURING" or c.field == "segments.date" and c.op == "BETWEEN":
        return True  # applied through the window
    vals = [str(v) for v in c.values]
    v = str(value) if value is not None else None
    if c.op == "=":
        return v == vals[0]
    if c.op == "!=":
        return v != vals[0]
    if c.op == "IN":
        return v in vals
    if c.op == "NOT_IN":
        return v not in vals
    if c.op == "BETWEEN":
        return value is not None and _num(c.values[0]) <= _num(value) <= _num(c.values[1])
    if value is None:
        return False
    a, b = _num(value), _num(c.values[0])
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[c.op]


def _num(v: Any) -> Any:
    if isinstance(v, (int, float, date)):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


# --- rows -----------------------------------------------------------------------------------


def _raw_rows(ctx, q: Query, account) -> list[dict[str, Any]]:
    """Python values per GAQL field, one dict per result row (before formatting)."""
    world = ctx.world
    today = ads.local_today(world, account)
    since, until = _date_window(q, today)
    wants_metrics = any(f.startswith("metrics.") for f in q.select)
    segmented = "segments.date" in q.select
    customer = {
        "customer.id": account.account_id,
        "customer.descriptive_name": account.name,
        "customer.currency_code": account.currency,
        "customer.time_zone": account.timezone,
        "customer.resource_name": f"customers/{account.account_id}",
    }
    out: list[dict[str, Any]] = []
    if not wants_metrics and not segmented:
        if q.resource == "customer":
            return [dict(customer)]
        for c in ads.campaigns(world, PLATFORM, account.account_id):
            out.append({**customer, **_campaign_fields(account, c.campaign_id, c)})
        return out

    kinds = ctx.faults.bad_records
    rows = ads.rows(world, kinds, PLATFORM, account.account_id, since, until)
    groups: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        key = (
            r.campaign_id if q.resource == "campaign" else None,
            r.campaign.campaign_id if q.resource == "campaign" else None,
            r.day if segmented else None,
        )
        g = groups.get(key)
        if g is None:
            g = {**customer, "_impressions": 0, "_clicks": 0, "_micros": 0, "_rows": []}
            g.update({"_conversions": 0.0, "_value": 0.0})
            if q.resource == "campaign":
                g.update(_campaign_fields(account, r.campaign_id, r.campaign))
            if segmented:
                g["segments.date"] = r.day
            groups[key] = g
        g["_impressions"] += r.impressions
        g["_clicks"] += r.clicks
        g["_micros"] += round(r.cost * 1_000_000)
        g["_conversions"] += r.conversions
        g["_value"] += r.conversion_value
        g["_rows"].append(r)
        if r.currency != account.currency:
            g["customer.currency_code"] = r.currency
    for g in groups.values():
        imp, clk, micros = g.pop("_impressions"), g.pop("_clicks"), g.pop("_micros")
        g["metrics.impressions"] = imp
        g["metrics.clicks"] = clk
        g["metrics.cost_micros"] = micros
        g["metrics.ctr"] = clk / imp if imp else 0.0
        g["metrics.average_cpc"] = micros / clk if clk else 0.0
        conversions = round(g.pop("_conversions"), 2)
        g["metrics.conversions"] = conversions
        g["metrics.conversions_value"] = round(g.pop("_value"), 2)
        # all conversions count the actions not included in "conversions" as well
        g["metrics.all_conversions"] = conversions + clk // 50
        out.append(g)
    return out


def _campaign_fields(account, campaign_id: str | None, campaign) -> dict[str, Any]:
    return {
        "campaign.id": campaign_id,
        "campaign.name": campaign.name,
        "campaign.status": "ENABLED",
        "campaign.advertising_channel_type": CHANNEL_TYPE[campaign.kind],
        "campaign.resource_name": (
            f"customers/{account.account_id}/campaigns/{campaign_id}" if campaign_id else None
        ),
    }


def _format(ctx, q: Query, raw: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    resources = {f.split(".")[0] for f in q.select}
    for res in ("campaign", "customer"):
        if res in resources and raw.get(f"{res}.resource_name"):
            row.setdefault(res, {})["resourceName"] = raw[f"{res}.resource_name"]
    for f in q.select:
        res, key, typ = FIELDS[f]
        value = raw.get(f)
        if value is None:
            continue  # proto3 JSON leaves unset fields out
        if typ == "int64":
            value = str(value)
        elif typ == "date":
            value = value.isoformat()
        elif typ == "double":
            value = float(value)
        row.setdefault(res, {})[key] = value
    faults = ctx.faults
    source_rows = raw.get("_rows") or []
    recent = any(ads.has_new_property(ctx.world, r) for r in source_rows)
    if "metrics" in row and faults.new_property and recent:
        clicks = sum(r.clicks for r in source_rows)
        conversions = sum(r.conversions for r in source_rows)
        row["metrics"]["allConversions"] = round(conversions, 2) + clicks // 50
    target = any(ads.is_changed_type(ctx.world, PLATFORM, r) for r in source_rows)
    if faults.changed_type and "costMicros" in row.get("metrics", {}) and target:
        row["metrics"]["costMicros"] = int(row["metrics"]["costMicros"])
    return row


def search_stream(ctx, customer_id: str, text: str, version: str) -> list[dict]:
    world = ctx.world
    account = ads.find_account(world, PLATFORM, customer_id)
    if account is None:
        raise GoogleAdsError(
            403,
            "PERMISSION_DENIED",
            "The caller does not have permission",
            "authorizationError",
            "USER_PERMISSION_DENIED",
            "User doesn't have permission to access customer. Note: If you're accessing a client "
            "customer, the manager's customer ID must be set in the 'login-customer-id' header.",
        )
    q = parse_gaql(text)
    raws = _raw_rows(ctx, q, account)
    for c in q.where:
        if c.field == "segments.date":
            continue
        raws = [r for r in raws if _matches(r.get(c.field), c)]
    for f, desc in reversed(q.order_by):
        raws.sort(key=lambda r, f=f: (r.get(f) is None, _num(r.get(f))), reverse=desc)
    if q.limit is not None:
        raws = raws[: q.limit]
    results = [_format(ctx, q, r) for r in raws]
    field_mask = ",".join(f"{FIELDS[f][0]}.{FIELDS[f][1]}" for f in q.select)
    req_id = ads.request_id(PLATFORM, customer_id, text, world.today)
    batches = [
        {"results": results[i : i + BATCH_SIZE], "fieldMask": field_mask, "requestId": req_id}
        for i in range(0, len(results), BATCH_SIZE)
    ] or [{"fieldMask": field_mask, "requestId": req_id}]
    batches[-1]["queryResourceConsumption"] = str(40 + 2 * len(results))
    return batches


# --- HTTP -----------------------------------------------------------------------------------


def _auth_error(ctx, request: Request, version: str) -> JSONResponse | None:
    creds = ctx.credentials.get(PLATFORM, {})
    req_id = ads.request_id(PLATFORM, "auth", request.url.path)
    token = bearer_token(request)
    if token is None or token != creds.get("access_token"):
        missing = token is None
        message = (
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project."
            if missing
            else "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project."
        )
        err = GoogleAdsError(
            401,
            "UNAUTHENTICATED",
            message,
            "authenticationError",
            "OAUTH_TOKEN_HEADER_INVALID" if missing else "OAUTH_TOKEN_INVALID",
            "Oauth token in the header is not valid.",
        )
        return JSONResponse(err.body(version, req_id), status_code=401)
    if request.headers.get("developer-token") != creds.get("developer_token"):
        err = GoogleAdsError(
            401,
            "UNAUTHENTICATED",
            "The caller does not have permission",
            "authenticationError",
            "DEVELOPER_TOKEN_INVALID",
            "The developer token is not valid.",
        )
        return JSONResponse(err.body(version, req_id), status_code=401)
    login = request.headers.get("login-customer-id")
    if login is not None and not login.isdigit():
        err = GoogleAdsError(
            400,
            "INVALID_ARGUMENT",
            "Request contains an invalid argument.",
            "authenticationError",
            "LOGIN_CUSTOMER_ID_PARAMETER_INVALID",
            "The login-customer-id header must be digits only.",
        )
        return JSONResponse(err.body(version, req_id), status_code=400)
    return None


def routes(ctx) -> list[BaseRoute]:
    async def stream(request: Request) -> JSONResponse:
        version = request.path_params["version"]
        customer_id = request.path_params["customer_id"]
        denied = _auth_error(ctx, request, version)
        if denied is not None:
            return denied
        req_id = ads.request_id(PLATFORM, customer_id, "stream-error")
        try:
            body = await request.json()
            text = body["query"]
            if not isinstance(text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            err = GoogleAdsError(
                400,
                "INVALID_ARGUMENT",
                "Request contains an invalid argument.",
                "requestError",
                "INVALID_INPUT",
                "The request body must be a JSON object with a 'query'.",
            )
            return JSONResponse([err.body(version, req_id)], status_code=400)
        if not customer_id.isdigit():
            err = GoogleAdsError(
                400,
                "INVALID_ARGUMENT",
                "Request contains an invalid argument.",
                "authenticationError",
                "CLIENT_CUSTOMER_ID_INVALID",
                "Client customer ID is not a number.",
            )
            return JSONResponse([err.body(version, req_id)], status_code=400)
        try:
            with ctx.lock:
                batches = search_stream(ctx, customer_id, text, version)
        except GoogleAdsError as err:
            return JSONResponse([err.body(version, req_id)], status_code=err.http)
        return JSONResponse(batches)

    async def list_accessible(request: Request) -> JSONResponse:
        version = request.path_params["version"]
        denied = _auth_error(ctx, request, version)
        if denied is not None:
            return denied
        names = [f"customers/{a.account_id}" for a in ads.accounts(ctx.world, PLATFORM)]
        return JSONResponse({"resourceNames": names})

    return [
        Route("/{version:str}/customers:listAccessibleCustomers", list_accessible, methods=["GET"]),
        Route(
            "/{version:str}/customers/{customer_id:str}/googleAds:searchStream",
            stream,
            methods=["POST"],
        ),
    ]


def bad_records(ctx) -> list[BadRecord]:
    return ads.bad_records(ctx.world, ctx.faults.bad_records, PLATFORM)


# --- connecting the connector to the sandbox ------------------------------------------------------


def credentials() -> dict[str, str]:
    """A fresh developer token and OAuth access token."""
    return {
        "developer_token": secrets.token_urlsafe(16),
        "access_token": f"ya29.{secrets.token_urlsafe(24)}",
    }


def source_env(world, base_url: str, credentials: dict[str, str]) -> dict[str, str]:
    return ads.source_env(PLATFORM, "customer_ids", world, base_url, credentials)
