"""Deterministic faults the sandbox can inject, switched on per run.

Transport faults (429, 5xx, slow answers) hit the *first attempt* of every n-th distinct request,
where a request is identified by its method, path and query (and body). The same request
retried then succeeds. Requests are counted in the order they arrive, so a plan with
``rate_limit_every=3`` faults at least once in any run of three or more requests (whatever
dates or ids the requests carry), a sequential client sees the same faults on every run, and
parallel clients see the same number of faults. A correct client always ends with the same
data as a run without faults.

Data faults (a record repeated across pages, a new property, a changed type) and the catalogue
of bad records are applied by each API module; ``FaultPlan`` only says which are on, and a fault
of an API the world does not have (its source is not among ``World.systems``) never happens.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from dataclasses import dataclass, field, fields

from starlette.responses import JSONResponse

#: every kind of bad record the sandbox can inject (see ``BadRecord``)
BAD_RECORD_KINDS = (
    "negative_spend",  # an ad platform day with a negative cost
    "null_id",  # a record whose id is null
    "unknown_currency",  # an ad account / deal in a currency with no FX rate
    "missing_fx_day",  # a business day with spend and no published rate
    "malformed_email",  # a contact / lead email that is not an address
    "stage_dates_out_of_order",  # a later lifecycle stage dated before an earlier one
    "orphan_association",  # a deal associated with a contact that does not exist
    "future_date",  # a record dated after the world's today
    "implausible_amount",  # a deal of 1e29 (HubSpot); a day of spend of 5e12 (ad platforms)
    "non_finite_number",  # an amount of NaN (a HubSpot deal; a Meta day's spend)
    "ancient_date",  # a contact created on 0001-01-01 (HubSpot)
    "impossible_date",  # a date not on the calendar, 2024-02-30 (a HubSpot contact; a Meta day)
    "visitor_text",  # utm_campaign of a page visit: an email address; 10 kB with control chars
    "close_before_creation",  # a closed deal whose close date is before its creation
)


@dataclass(frozen=True)
class BadRecord:
    """One injected bad record, as the API serves it: what a quarantine must name."""

    source: str  # the registered source whose API serves it (warehouse/sources.yml)
    table: str  # the resource / table it arrives in: contacts, activities, campaign_days, ...
    record_id: str | None  # the record's id as served (None for a null-id record)
    kind: str  # one of BAD_RECORD_KINDS
    detail: str  # what is wrong, for a person


@dataclass(frozen=True)
class FaultPlan:
    """Which faults are on. Every field defaults to off; ``every`` fields are 1-in-n."""

    rate_limit_every: int = 0  # 429 with Retry-After
    retry_after_seconds: int = 1
    server_error_every: int = 0  # alternately 500 and 503
    slow_every: int = 0  # answer after `slow_seconds` (past a client's timeout)
    slow_seconds: float = 0.0
    token_expiry_every: int = 0  # the access token dies (an API says how: Marketo 601/602)
    body_rate_limit_every: int = 0  # a rate limit told in the body (Marketo: 606 in an HTTP 200)
    query_timeout_every: int = 0  # a query answered QUERY_TIMEOUT (Salesforce: HTTP 400)
    duplicate_across_pages: bool = False  # the last record of a page is repeated on the next
    new_property: bool = False  # records gain a property they did not have before
    changed_type: bool = False  # a numeric property arrives as text
    bad_records: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = set(self.bad_records) - set(BAD_RECORD_KINDS)
        if unknown:
            raise ValueError(f"unknown bad record kinds: {sorted(unknown)}")

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        """``"rate_limit_every=5,server_error_every=7,bad_records=negative_spend+null_id"``."""
        if not spec:
            return cls()
        kinds = {f.name: f.type for f in fields(cls)}
        values: dict = {}
        for part in spec.split(","):
            name, _, raw = part.strip().partition("=")
            if name not in kinds:
                raise ValueError(f"unknown fault {name!r}; known: {sorted(kinds)}")
            if name == "bad_records":
                values[name] = frozenset(x for x in raw.split("+") if x)
            elif kinds[name] in ("bool", bool):
                values[name] = raw.lower() in ("", "1", "true", "yes")
            elif kinds[name] in ("float", float):
                values[name] = float(raw)
            else:
                values[name] = int(raw)
        return cls(**values)

    @property
    def is_clean(self) -> bool:
        return self == FaultPlan()


class FaultInjector:
    """Decides, per request, which transport fault (if any) to answer with."""

    def __init__(self, plan: FaultPlan):
        self.plan = plan
        self._seen: set[str] = set()
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.injected: list[tuple[str, str]] = []  # (fault, request key), for tests

    def first_attempt(self, key: str) -> bool:
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

    def _nth(self, name: str, every: int) -> bool:
        """Count one more distinct request for ``name``; true on every ``every``-th."""
        with self._lock:
            count = self._counts.get(name, 0) + 1
            self._counts[name] = count
        return count % every == 0

    def alternate(self, name: str) -> bool:
        """True, false, true, ... on successive calls for ``name`` (500 then 503, 601 then 602)."""
        return not self._nth(name, 2)

    def pick(self, key: str) -> str | None:
        """The transport fault for this request, decided on its first attempt only."""
        plan = self.plan
        if not (plan.rate_limit_every or plan.server_error_every or plan.slow_every):
            return None
        if not self.first_attempt(key):
            return None
        fault = None
        for name, every in (
            ("rate_limit", plan.rate_limit_every),
            ("server_error", plan.server_error_every),
            ("slow", plan.slow_every),
        ):
            # every counter advances on every distinct request, so the kinds stay independent
            if every and self._nth(name, every) and fault is None:
                fault = name
        if fault == "server_error" and not self.alternate("server_error_status"):
            fault = "server_error_503"
        if fault:
            self.injected.append((fault.removesuffix("_503"), key))
        return fault

    def body_fault(self, key: str, name: str, every: int) -> bool:
        """A fault inside a 200 body (Marketo), on the first attempt of every n-th request."""
        if not every or not self.first_attempt(f"{name}|{key}"):
            return False
        if not self._nth(name, every):
            return False
        self.injected.append((name, key))
        return True


class FaultMiddleware:
    """ASGI middleware answering the transport faults of the plan."""

    def __init__(self, app, injector: FaultInjector):
        self.app = app
        self.injector = injector

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        body = b""
        more = True
        messages = []
        while more:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            more = message.get("more_body", False)
        key = request_key(scope, body)
        fault = self.injector.pick(key)
        if fault == "rate_limit":
            retry = str(self.injector.plan.retry_after_seconds)
            response = JSONResponse(
                {"status": "error", "message": "You have reached your secondly limit.",
                 "category": "RATE_LIMITS"},
                status_code=429, headers={"Retry-After": retry},
            )  # fmt: skip
            await response(scope, receive, send)
            return
        if fault in ("server_error", "server_error_503"):
            status = 500 if fault == "server_error" else 503
            response = JSONResponse({"error": "sandbox injected server error"}, status_code=status)
            await response(scope, receive, send)
            return
        if fault == "slow":
            await asyncio.sleep(self.injector.plan.slow_seconds)

        async def replay():
            # the buffered body first, then the real channel: a streaming response listens
            # for the client's disconnect and must not be told it happened straight away
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)


def request_key(scope, body: bytes = b"") -> str:
    query = scope.get("query_string", b"").decode()
    digest = hashlib.sha256(body).hexdigest()[:16] if body else ""
    return f"{scope['method']} {scope['path']}?{query} {digest}"
