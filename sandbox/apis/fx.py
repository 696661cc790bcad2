"""Sandbox stand-in for daily ECB reference rates in the shape of the Frankfurter API (v1).

Mounted at ``/fx`` (plays ``https://api.frankfurter.dev``); no authentication.

* ``GET /v1/{start}..{end}`` and ``GET /v1/{start}..`` (up to today): a time series
  ``{"amount": 1.0, "base": "EUR", "start_date", "end_date", "rates": {"2025-01-02": {"GBP":
  0.8312, "USD": 1.0321}, ...}}``;
* ``GET /v1/{date}`` and ``GET /v1/latest``: ``{"amount": 1.0, "base": "EUR", "date", "rates":
  {"GBP": ..., "USD": ...}}``;
* ``GET /v1/currencies``;
* query parameters ``base`` (EUR, USD, GBP), ``symbols`` (comma separated), ``amount``.

Confirmed with Frankfurter's documentation (frankfurter.dev/v1) and its open-source code
(hakanensari/frankfurter, lib/quote, lib/currency.rb, lib/roundable.rb): business days only, as the
ECB publishes them; a single date answers the nearest published day on or before it (``date`` is
that day); a time series starts at the nearest published day on or before ``start`` and
``start_date``/``end_date`` are the first and last days returned; another base divides by that
currency's rate and adds ``EUR``; values are rounded by magnitude (4 decimals above 1, 5 below);
nothing published answers 404 ``{"message": "not found"}``, a malformed request 422
``{"message": ...}``.

The rates are the world's ``fx_rates()`` (units per EUR, published on business days before the
world's today). Bad record ``missing_fx_day``: the rates of one business day with ad spend (the
first business day at least ten days after the world's start) are not published.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from sandbox.apis._common import source_settings
from sandbox.faults import BadRecord
from sandbox.world import FX_BASE, FX_HISTORY_DAYS, World

SOURCE = "fx"
NAMES = {"EUR": "Euro", "GBP": "British Pound", "USD": "United States Dollar"}
MISSING_DAY_OFFSET = 10


class FxError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _round(value: float) -> float:
    """Frankfurter's Roundable: precision by magnitude."""
    if value > 5000:
        return float(round(value))
    if value > 80:
        return float(f"{value:.2f}")
    if value > 20:
        return float(f"{value:.3f}")
    if value > 1:
        return float(f"{value:.4f}")
    if value > 0.0001:
        return float(f"{value:.5f}")
    return float(f"{value:.6f}")


def missing_day(world: World) -> date | None:
    """The business day whose rates the missing_fx_day bad record leaves out."""
    threshold = world.start + timedelta(days=MISSING_DAY_OFFSET)
    for fx in world.fx_rates():
        if fx.day >= threshold:
            return fx.day
    return None


def published(world: World, kinds: frozenset[str]) -> dict[date, dict[str, float]]:
    """Day -> {currency: units per EUR}, as the (simulated) ECB published them."""
    out: dict[date, dict[str, float]] = {}
    for fx in world.fx_rates():
        out.setdefault(fx.day, {})[fx.currency] = fx.rate
    if "missing_fx_day" in kinds:
        out.pop(missing_day(world), None)
    return out


def _params(request: Request) -> tuple[float, str, list[str] | None]:
    q = request.query_params
    try:
        amount = float(q.get("amount", "1"))
    except ValueError as exc:
        raise FxError(422, "invalid amount") from exc
    base = (q.get("base") or q.get("from") or FX_BASE).upper()
    raw = q.get("symbols") or q.get("to")
    symbols = [s.strip().upper() for s in raw.split(",") if s.strip()] if raw else None
    for code in [base, *(symbols or [])]:
        if code not in NAMES:
            raise FxError(404, "not found")
    return amount, base, symbols


def _quote(rates: dict[str, float], amount: float, base: str, symbols: list[str] | None):
    """One day's rates for the request (EUR rates as published), or None if nothing is left."""
    wanted = set(symbols) | {base} if symbols else None
    day = {c: _round(amount * r) for c, r in sorted(rates.items()) if not wanted or c in wanted}
    if base != FX_BASE:
        if base not in rates:
            return None
        day = {c: r for c, r in sorted(rates.items()) if not wanted or c in wanted}
        if symbols is None or FX_BASE in symbols:
            day[FX_BASE] = 1.0
        divisor = day.pop(base)
        day = {c: _round(amount * r / divisor) for c, r in sorted(day.items())}
    return day or None


def _nearest(days: list[date], d: date) -> date | None:
    earlier = [x for x in days if x <= d]
    return earlier[-1] if earlier else None


def end_of_day(world: World, kinds: frozenset[str], request: Request, d: date) -> dict[str, Any]:
    amount, base, symbols = _params(request)
    table = published(world, kinds)
    if d >= world.today + timedelta(days=1):
        raise FxError(404, "not found")
    day = _nearest(sorted(table), d)
    quote = _quote(table[day], amount, base, symbols) if day else None
    if quote is None:
        raise FxError(404, "not found")
    return {"amount": amount, "base": base, "date": day.isoformat(), "rates": quote}


def interval(
    world: World, kinds: frozenset[str], request: Request, start: date, end: date
) -> dict[str, Any]:
    amount, base, symbols = _params(request)
    if start > world.today:
        raise FxError(404, "not found")
    table = published(world, kinds)
    days = sorted(table)
    first = _nearest(days, start) or start
    result: dict[str, dict[str, float]] = {}
    for d in days:
        if first <= d <= end:
            quote = _quote(table[d], amount, base, symbols)
            if quote:
                result[d.isoformat()] = quote
    if not result:
        raise FxError(404, "not found")
    keys = list(result)
    return {
        "amount": amount,
        "base": base,
        "start_date": keys[0],
        "end_date": keys[-1],
        "rates": result,
    }


_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise FxError(422, f"invalid date {text}") from exc


def routes(ctx) -> list[BaseRoute]:
    async def latest(request: Request) -> JSONResponse:
        try:
            body = end_of_day(ctx.world, ctx.faults.bad_records, request, ctx.world.today)
        except FxError as err:
            return JSONResponse({"message": err.message}, status_code=err.status)
        return JSONResponse(body)

    async def currencies(request: Request) -> JSONResponse:
        return JSONResponse(dict(sorted(NAMES.items())))

    async def dated(request: Request) -> JSONResponse:
        spec = request.path_params["spec"]
        world, kinds = ctx.world, ctx.faults.bad_records
        try:
            m = _RANGE.fullmatch(spec)
            if m:
                start = _date(m.group(1))
                end = _date(m.group(2)) if m.group(2) else world.today
                body = interval(world, kinds, request, start, end)
            elif _DATE.fullmatch(spec):
                body = end_of_day(world, kinds, request, _date(spec))
            else:
                raise FxError(404, "not found")
        except FxError as err:
            return JSONResponse({"message": err.message}, status_code=err.status)
        return JSONResponse(body)

    return [
        Route("/v1/latest", latest, methods=["GET"]),
        Route("/v1/currencies", currencies, methods=["GET"]),
        Route("/v1/{spec:str}", dated, methods=["GET"]),
    ]


def bad_records(ctx) -> list[BadRecord]:
    if "missing_fx_day" not in ctx.faults.bad_records:
        return []
    day = missing_day(ctx.world)
    if day is None:
        return []
    return [
        BadRecord(
            SOURCE,
            "rates",
            day.isoformat(),
            "missing_fx_day",
            f"the ECB rates of business day {day} (a day with ad spend) are not published",
        )
    ]


# --- connecting the connector to the sandbox ------------------------------------------------------


def credentials() -> dict[str, str]:
    """Frankfurter needs none."""
    return {}


def source_env(world: World, base_url: str, credentials: dict[str, str]) -> dict[str, str]:
    # rates from before the first spend day, so that every day has a rate on or before it
    start = world.start - timedelta(days=FX_HISTORY_DAYS)
    return source_settings(SOURCE, base_url, credentials, start_date=start.isoformat())
