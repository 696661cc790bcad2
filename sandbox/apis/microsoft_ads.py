"""Sandbox stand-in for Microsoft Advertising Reporting v13 (REST), mounted at ``/microsoft_ads``.

The asynchronous flow of the real service:

1. ``POST /Reporting/v13/GenerateReport/Submit`` with ``{"ReportRequest": {"Type":
   "CampaignPerformanceReportRequest", "Format": "Csv", "Aggregation": "Daily"|"Hourly"|
   "Summary", "Columns": [...], "Scope": {"AccountIds": [...]}, "Time": {"CustomDateRangeStart":
   {"Day", "Month", "Year"}, "CustomDateRangeEnd": {...}} | {"PredefinedTime": "Yesterday"|
   "LastSevenDays"|"Last14Days"|"Last30Days"|"ThisMonth"|"LastMonth"|"Today"},
   "ExcludeReportHeader", "ExcludeReportFooter", "ExcludeColumnHeaders", "ReportName"}}``
   -> ``{"ReportRequestId": "..."}``;
2. ``POST /Reporting/v13/GenerateReport/Poll`` with ``{"ReportRequestId": "..."}`` ->
   ``{"ReportRequestStatus": {"Status": "Pending", "ReportDownloadUrl": null}}`` for the first
   ``PENDING_POLLS`` polls of a request, then ``{"Status": "Success", "ReportDownloadUrl":
   "<url>"}`` (the URL is null when the report has no rows);
3. ``GET <ReportDownloadUrl>`` (pre-signed, no headers needed): a zip holding one CSV.

Headers: ``Authorization: Bearer <access_token>`` (the SOAP header name ``AuthenticationToken``
is accepted too), ``DeveloperToken``, ``CustomerId``, ``CustomerAccountId``.

Confirmed with Microsoft's docs (learn.microsoft.com reporting-service pages, the MicrosoftDocs
repository) and clients of the REST API: the REST paths and bodies above, the header names, the
``Type`` discriminator (``__type`` is accepted too), the ``ReportRequestStatus`` shape and the
statuses Pending / Success / Error, a null download URL on Success when there is no data, the zip
of one CSV, the CSV header block ("Report Name", "Report Time", "Time Zone", "Last Completed
Available Day", "Last Completed Available Hour", "Report Aggregation", "Report Filter",
"Potential Incomplete Data", "Rows") and the copyright footer, every value quoted, ``TimePeriod``
``2023-11-11`` (daily) / ``2023-11-11|01`` (hourly), ``Ctr`` like ``"100.00%"``, CampaignType
``Search`` / ``Audience``; errors ``{"TrackingId", "Type": "ApiFaultDetail", "BatchErrors": [],
"OperationErrors": [{"Code", "ErrorCode", "Message", "Details"}]}`` and authentication failures
``{"Errors": [{"Code": 105, "ErrorCode": "InvalidCredentials", ...}], "Type":
"AdApiFaultDetail"}`` with HTTP 401.

Chosen: the CSV starts with a UTF-8 BOM and uses CRLF line ends, with an empty line after the
header block and before the footer; a request is Pending for exactly one poll; ids are
``3000000000<n>``; the report is computed at submit time; the validation error codes / names
(``InvalidReportRequest`` 2001 and friends) are illustrative; ``ReportTimeZone`` is accepted and
ignored (dates are the account's, as in the world); hourly rows split each day deterministically
so that the hours sum to the day; rows are ordered by (TimePeriod, campaign).

``Conversions`` (a count) and ``Revenue`` (their value in the account currency, two decimals) are
Microsoft's own conversion tracking (UET goals).

Faults (see ``_ads_common``): ``new_property`` appends an ``AllConversions`` column;
``changed_type`` writes ``Impressions`` of one row (the first campaign's latest day) as
``"43.0"``; bad records negative_spend (``Spend`` ``"-1.23"``), null_id (an empty
``CampaignId``), unknown_currency (``CurrencyCode`` ``"XXX"``) and future_date.
"""

from __future__ import annotations

import csv
import io
import random
import secrets
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.apis import _ads_common as ads
from sandbox.apis._common import bearer_token
from sandbox.faults import BadRecord

PLATFORM = "microsoft_ads"
PENDING_POLLS = 1
REPORT_TYPES = ("CampaignPerformanceReportRequest",)
COLUMNS = (
    "TimePeriod",
    "AccountId",
    "AccountName",
    "CampaignId",
    "CampaignName",
    "CampaignType",
    "CampaignStatus",
    "CurrencyCode",
    "Impressions",
    "Clicks",
    "Spend",
    "Ctr",
    "AverageCpc",
    "Conversions",
    "Revenue",
)
CAMPAIGN_TYPE = {"search": "Search", "display": "Audience", "social": "Audience"}
TIME_ZONE_LABEL = {
    "Europe/Paris": "(GMT+01:00) Brussels, Copenhagen, Madrid, Paris",
    "America/New_York": "(GMT-05:00) Eastern Time (US & Canada)",
    "America/Chicago": "(GMT-06:00) Central Time (US & Canada)",
    "America/Los_Angeles": "(GMT-08:00) Pacific Time (US & Canada); Tijuana",
    "Europe/London": "(GMT) Greenwich Mean Time : Dublin, Edinburgh, Lisbon, London",
    "Europe/Berlin": "(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
}


class MsError(Exception):
    def __init__(self, http: int, code: int, error_code: str, message: str):
        super().__init__(message)
        self.http, self.code, self.error_code, self.message = http, code, error_code, message

    def response(self) -> JSONResponse:
        tracking = secrets.token_hex(16)
        tracking = (
            f"{tracking[:8]}-{tracking[8:12]}-{tracking[12:16]}-{tracking[16:20]}-{tracking[20:]}"
        )
        error = {
            "Code": self.code,
            "Details": None,
            "ErrorCode": self.error_code,
            "Message": self.message,
        }
        if self.http == 401:
            body = {"Errors": [error], "TrackingId": tracking, "Type": "AdApiFaultDetail"}
        else:
            body = {
                "BatchErrors": [],
                "OperationErrors": [error],
                "TrackingId": tracking,
                "Type": "ApiFaultDetail",
            }
        return JSONResponse(body, status_code=self.http)


def _invalid(error_code: str, message: str, code: int = 2001) -> MsError:
    return MsError(400, code, error_code, message)


def _check_auth(ctx, request: Request) -> None:
    creds = ctx.credentials.get(PLATFORM, {})
    token = bearer_token(request) or request.headers.get("authenticationtoken")
    developer = request.headers.get("developertoken")
    if token != creds.get("access_token") or developer != creds.get("developer_token"):
        raise MsError(
            401,
            105,
            "InvalidCredentials",
            "Authentication failed. Either supplied credentials are invalid or the "
            "account is inactive.",
        )


# --- the report ------------------------------------------------------------------------------


@dataclass
class Spec:
    columns: list[str]
    aggregation: str
    account_ids: list[str]
    start: date
    end: date
    name: str
    exclude_header: bool
    exclude_footer: bool
    exclude_column_headers: bool


def _ms_date(obj: Any, path: str) -> date:
    try:
        return date(int(obj["Year"]), int(obj["Month"]), int(obj["Day"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise _invalid("InvalidCustomDateRange", f"{path} is not a valid date.", 2008) from exc


def _predefined(name: str, today: date) -> tuple[date, date]:
    yesterday = today - timedelta(days=1)
    days = {"Yesterday": 1, "LastSevenDays": 7, "Last14Days": 14, "Last30Days": 30}
    if name == "Today":
        return today, today
    if name in days:
        return today - timedelta(days=days[name]), yesterday
    if name == "ThisMonth":
        return today.replace(day=1), today
    if name == "LastMonth":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    raise _invalid("InvalidPredefinedTime", f"PredefinedTime {name!r} is not supported.", 2009)


def parse_request(ctx, body: Any) -> Spec:
    if not isinstance(body, dict) or not isinstance(body.get("ReportRequest"), dict):
        raise _invalid("NullRequest", "The request message is null.", 100)
    rr = body["ReportRequest"]
    kind = rr.get("Type") or rr.get("__type")
    if kind not in REPORT_TYPES:
        raise _invalid(
            "InvalidReportRequest", f"The report request type {kind!r} is not supported."
        )
    if (rr.get("Format") or "Csv") != "Csv":
        raise _invalid("InvalidReportFormat", "Only the Csv format is served.", 2002)
    aggregation = rr.get("Aggregation") or "Summary"
    if aggregation not in ("Daily", "Hourly", "Summary"):
        raise _invalid("InvalidAggregation", f"Aggregation {aggregation!r} is not supported.", 2003)
    columns = rr.get("Columns")
    if not isinstance(columns, list) or not columns:
        raise _invalid("NullColumns", "The Columns element is required.", 2004)
    for c in columns:
        if c not in COLUMNS:
            raise _invalid("InvalidColumn", f"The column {c!r} is not valid for this report.", 2005)
    if aggregation == "Summary" and "TimePeriod" in columns:
        raise _invalid(
            "InvalidTimePeriodColumnForSummaryReport",
            "TimePeriod cannot be requested with Summary aggregation.",
            2006,
        )
    scope = rr.get("Scope") or {}
    account_ids = [str(a) for a in scope.get("AccountIds") or []]
    known = {a.account_id: a for a in ads.accounts(ctx.world, PLATFORM)}
    if not account_ids or any(a not in known for a in account_ids):
        raise _invalid("InvalidAccountIds", "The Scope contains unknown account ids.", 2007)
    time_ = rr.get("Time") or {}
    today = ads.local_today(ctx.world, known[account_ids[0]])
    if time_.get("PredefinedTime"):
        start, end = _predefined(time_["PredefinedTime"], today)
    else:
        start = _ms_date(time_.get("CustomDateRangeStart"), "CustomDateRangeStart")
        end = _ms_date(time_.get("CustomDateRangeEnd"), "CustomDateRangeEnd")
    if start > end:
        raise _invalid("InvalidCustomDateRange", "The start date is after the end date.", 2008)
    return Spec(
        columns=list(columns),
        aggregation=aggregation,
        account_ids=account_ids,
        start=start,
        end=end,
        name=rr.get("ReportName") or "Campaign Performance Report",
        exclude_header=bool(rr.get("ExcludeReportHeader")),
        exclude_footer=bool(rr.get("ExcludeReportFooter")),
        exclude_column_headers=bool(rr.get("ExcludeColumnHeaders")),
    )


def _split(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to weights that sum to total (largest remainder)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _hours(row: ads.Row) -> list[tuple[int, int, int, float, int, float]]:
    """(hour, impressions, clicks, cost, conversions, revenue) for the hours with delivery."""
    rng = random.Random(f"msads-hours:{row.campaign.campaign_id}:{row.day.isoformat()}")
    weights = [0.3 + (1.0 if 8 <= h <= 20 else 0.0) + rng.random() for h in range(24)]
    imps = _split(row.impressions, weights)
    clicks = _split(row.clicks, weights)
    cents = round(abs(row.cost) * 100)
    sign = -1 if row.cost < 0 else 1
    costs = _split(cents, weights)
    conversions = _split(round(row.conversions), weights)
    revenue = _split(round(row.conversion_value * 100), weights)
    return [
        (h, imps[h], clicks[h], sign * costs[h] / 100, conversions[h], revenue[h] / 100)
        for h in range(24)
        if imps[h] or clicks[h] or costs[h] or conversions[h] or revenue[h]
    ]


def build_rows(ctx, spec: Spec) -> tuple[list[list[str]], list[str], bool]:
    world = ctx.world
    header = list(spec.columns)
    new_column = ctx.faults.new_property
    if new_column:
        header.append("AllConversions")
    lines: list[tuple[tuple, list[str]]] = []
    incomplete = False
    order = {c.campaign_id: i for i, c in enumerate(world.ad_campaigns)}
    for account_id in spec.account_ids:
        account = ads.find_account(world, PLATFORM, account_id)
        rows = ads.rows(world, ctx.faults.bad_records, PLATFORM, account_id, spec.start, spec.end)
        if spec.aggregation == "Summary":
            groups: dict[tuple, list[ads.Row]] = {}
            for r in rows:
                groups.setdefault((r.campaign.campaign_id, r.campaign_id), []).append(r)
            parts = [
                (
                    None,
                    None,
                    ms,
                    sum(r.impressions for r in ms),
                    sum(r.clicks for r in ms),
                    round(sum(r.cost for r in ms), 2),
                    round(sum(r.conversions for r in ms)),
                    round(sum(r.conversion_value for r in ms), 2),
                )
                for ms in groups.values()
            ]
        elif spec.aggregation == "Hourly":
            parts = [(r.day, h[0], [r], *h[1:]) for r in rows for h in _hours(r)]
        else:
            parts = [
                (
                    r.day,
                    None,
                    [r],
                    r.impressions,
                    r.clicks,
                    r.cost,
                    r.conversions,
                    r.conversion_value,
                )
                for r in rows
            ]
        for day, hour, members, imps, clicks, cost, conversions, revenue in parts:
            first = members[0]
            incomplete = incomplete or any(not r.is_final for r in members)
            period = "" if day is None else day.isoformat()
            if hour is not None:
                period += f"|{hour:02d}"
            values = {
                "TimePeriod": period,
                "AccountId": account.account_id,
                "AccountName": account.name,
                "CampaignId": first.campaign_id or "",
                "CampaignName": first.campaign.name,
                "CampaignType": CAMPAIGN_TYPE[first.campaign.kind],
                "CampaignStatus": "Active",
                "CurrencyCode": first.currency,
                "Impressions": str(imps),
                "Clicks": str(clicks),
                "Spend": f"{cost:.2f}",
                "Ctr": f"{clicks / imps * 100:.2f}%" if imps else "0.00%",
                "AverageCpc": f"{cost / clicks:.2f}" if clicks else "0.00",
                "Conversions": str(round(conversions)),
                "Revenue": f"{revenue:.2f}",
            }
            if ctx.faults.changed_type and any(
                ads.is_changed_type(world, PLATFORM, r) for r in members
            ):
                values["Impressions"] = f"{imps:.1f}"
            line = [values[c] for c in spec.columns]
            if new_column:
                line.append(str(round(conversions) + clicks // 50))
            key = (
                day or date.min,
                hour or 0,
                order[first.campaign.campaign_id],
                first.campaign_id is None,
            )
            lines.append((key, line))
    lines.sort(key=lambda kv: kv[0])
    return [line for _, line in lines], header, incomplete


def _us_date(d: date) -> str:
    return f"{d.month}/{d.day}/{d.year}"


def render_csv(ctx, spec: Spec) -> tuple[bytes, int]:
    world = ctx.world
    rows, header, incomplete = build_rows(ctx, spec)
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    account = ads.find_account(world, PLATFORM, spec.account_ids[0])
    if not spec.exclude_header:
        now = world.now
        stamp = f"{_us_date(now.date())} {now:%I:%M:%S %p} (GMT)".replace(" 0", " ", 1)
        tz = TIME_ZONE_LABEL.get(account.timezone, account.timezone)
        for text in (
            f"Report Name: {spec.name}",
            f"Report Time: {_us_date(spec.start)},{_us_date(spec.end)}",
            f"Time Zone: {tz}",
            f"Last Completed Available Day: {stamp}",
            f"Last Completed Available Hour: {stamp}",
            f"Report Aggregation: {spec.aggregation}",
            "Report Filter: ",
            f"Potential Incomplete Data: {'true' if incomplete else 'false'}",
            f"Rows: {len(rows)}",
        ):
            writer.writerow([text])
        buf.write("\r\n")
    if not spec.exclude_column_headers:
        writer.writerow(header)
    writer.writerows(rows)
    if not spec.exclude_footer:
        buf.write("\r\n")
        writer.writerow([f"\u00a9{world.today.year} Microsoft Corporation. All rights reserved. "])
    return buf.getvalue().encode("utf-8"), len(rows)


# --- HTTP ------------------------------------------------------------------------------------


def _jobs(ctx) -> dict[str, Any]:
    return ctx.state.setdefault(PLATFORM, {"jobs": {}, "next": 0})


def routes(ctx) -> list[BaseRoute]:
    async def read_json(request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            return None

    async def submit(request: Request) -> JSONResponse:
        try:
            _check_auth(ctx, request)
            body = await read_json(request)
            with ctx.lock:
                spec = parse_request(ctx, body)
                data, count = render_csv(ctx, spec)
                state = _jobs(ctx)
                state["next"] += 1
                report_id = str(30_000_000_000 + state["next"])
                archive = io.BytesIO()
                with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
                    z.writestr(f"{report_id}.csv", data)
                state["jobs"][report_id] = {
                    "polls": 0,
                    "zip": archive.getvalue(),
                    "rows": count,
                    "sig": secrets.token_urlsafe(16),
                }
        except MsError as err:
            return err.response()
        return JSONResponse({"ReportRequestId": report_id})

    async def poll(request: Request) -> JSONResponse:
        try:
            _check_auth(ctx, request)
            body = await read_json(request)
            report_id = str((body or {}).get("ReportRequestId") or "")
            with ctx.lock:
                job = _jobs(ctx)["jobs"].get(report_id)
                if job is None:
                    raise _invalid("InvalidReportId", "The ReportRequestId is not valid.", 2010)
                job["polls"] += 1
                pending = job["polls"] <= PENDING_POLLS
        except MsError as err:
            return err.response()
        if pending:
            return JSONResponse(
                {"ReportRequestStatus": {"ReportDownloadUrl": None, "Status": "Pending"}}
            )
        url = None
        if job["rows"]:
            url = f"{request.url_for('ms_download', report_id=report_id)}?sig={job['sig']}"
        return JSONResponse(
            {"ReportRequestStatus": {"ReportDownloadUrl": url, "Status": "Success"}}
        )

    async def download(request: Request) -> Response:
        report_id = request.path_params["report_id"]
        job = _jobs(ctx)["jobs"].get(report_id)
        if job is None or request.query_params.get("sig") != job["sig"]:
            xml = (
                '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
                "<Message>Server failed to authenticate the request.</Message></Error>"
            )
            return Response(xml, status_code=403, media_type="application/xml")
        return Response(job["zip"], media_type="application/x-zip-compressed")

    return [
        Route("/Reporting/v13/GenerateReport/Submit", submit, methods=["POST"]),
        Route("/Reporting/v13/GenerateReport/Poll", poll, methods=["POST"]),
        Route("/download/{report_id:str}.zip", download, methods=["GET"], name="ms_download"),
    ]


def bad_records(ctx) -> list[BadRecord]:
    return ads.bad_records(ctx.world, ctx.faults.bad_records, PLATFORM)


# --- connecting the connector to the sandbox ------------------------------------------------------


def credentials() -> dict[str, str]:
    """A fresh developer token and OAuth access token."""
    return {
        "developer_token": secrets.token_hex(10),
        "access_token": f"EwB{secrets.token_urlsafe(24)}",
    }


def source_env(world, base_url: str, credentials: dict[str, str]) -> dict[str, str]:
    return ads.source_env(PLATFORM, "account_ids", world, base_url, credentials)
