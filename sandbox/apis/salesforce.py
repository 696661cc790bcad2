"""Sandbox stand-in for Salesforce: OAuth 2.0 token endpoint, REST describe and SOQL query,
Bulk API 2.0 query jobs (the contract: ``/tmp/sf/spec.md``).

Mounted at ``/salesforce``, which plays both ``https://login.salesforce.com`` and the org's
instance host (the token answer's ``instance_url`` is the prefix's absolute URL).

Authentication: ``POST /services/oauth2/token`` (form) with ``grant_type=client_credentials``
and the connected app's ``client_id`` / ``client_secret``, or
``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and an RS256 ``assertion`` (``iss``
the client id, ``sub`` the username, ``aud`` the login URL, ``exp``) signed with the private key
of ``credentials()`` (the sandbox verifies it with the public key). Failures answer 400 with
``{"error", "error_description"}`` (``invalid_client_id``, ``invalid_client``,
``invalid_grant``). Every other call takes ``Authorization: Bearer <access_token>``, else 401
``[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]``; every answer
under ``/services/data`` carries ``Sforce-Limit-Info: api-usage=N/5000000``.

Endpoints (``vNN.N`` any version from 31.0 to 64.0)
---------------------------------------------------
* ``GET /services/data``: the versions; ``GET /services/data/vNN.N/sobjects``: describe global;
  ``GET /services/data/vNN.N/sobjects/{Object}/describe``: every field (404 ``NOT_FOUND`` for an
  object the org does not have).
* ``GET /services/data/vNN.N/query?q=<SOQL>`` and ``.../queryAll?q=``: the SOQL subset of
  :mod:`sandbox.apis._soql`; pages of ``Sforce-Query-Options: batchSize=N`` records (200..2000,
  default 2000) with ``nextRecordsUrl`` = ``/services/data/vNN.N/query/<locator>-<served>``
  (absent on the last page, ``done`` true). ``query`` leaves out ``IsDeleted = true`` rows,
  ``queryAll`` keeps them. A query's result is fixed when it is asked (a cursor holds its rows),
  so its pages stay consistent while the world advances.
* Bulk API 2.0: ``POST /services/data/vNN.N/jobs/query`` ``{"operation": "query"|"queryAll",
  "query", "columnDelimiter"?, "lineEnding"?}`` -> job info (``UploadComplete``); ``GET
  .../jobs/query/{id}`` -> ``InProgress``, then ``JobComplete`` on the next poll; ``GET
  .../jobs/query/{id}/results?maxRecords=&locator=`` -> CSV (every value quoted, null empty,
  instants ``...000Z``), headers ``Sforce-NumberOfRecords`` and ``Sforce-Locator`` (base64 of the
  offset, ``null`` on the last page); results asked with another API version than the job's
  answer 409. The job's rows are selected when it is created; a poll only reads the job.

Answers are served from an index of every record per object, sorted by ``SystemModstamp``
(``CreatedDate`` for the history objects without one), built once per world state
(:func:`warm_up`): a query bounded on that field (the connectors' incremental
``WHERE SystemModstamp >= X ORDER BY SystemModstamp ASC, Id ASC``) costs the records it returns.

Faults (``FaultPlan``): ``token_expiry_every`` (401 ``INVALID_SESSION_ID`` on the first attempt of
every n-th request; the token stays dead), ``body_rate_limit_every`` (403
``REQUEST_LIMIT_EXCEEDED``, concurrent requests), ``query_timeout_every`` (400 ``QUERY_TIMEOUT``
on the first attempt of every n-th query request), ``duplicate_across_pages`` (a query page, or a
bulk results page, starts with the last record of the page before), ``new_property`` (Lead gains
the custom field ``Sandbox_Beta__c``, in its describe and its records), ``changed_type`` (the
first opportunity's ``Amount`` as a JSON string). Bad records, listed by :func:`bad_records`:
``malformed_email`` (a Lead ``Email`` with `` at `` for ``@``), ``future_date`` (a Lead
``CreatedDate`` three days after now), ``implausible_amount`` (an Opportunity ``Amount`` 1e29),
``unknown_currency`` (an Opportunity ``CurrencyIsoCode`` ``XXX``; multi-currency orgs only),
``close_before_creation`` (a closed Opportunity whose ``CloseDate`` is 10 days before its
creation date).
"""

from __future__ import annotations

import base64
import csv
import gc
import hashlib
import hmac
import io
import json
import secrets
import threading
import time
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from sandbox.apis import _salesforce_records as rec
from sandbox.apis._common import bearer_token, source_settings, stream_json_object
from sandbox.apis._salesforce_records import NEW_PROPERTY_VALUE, SObject
from sandbox.apis._soql import SoqlError, error_at, parse, sf_datetime
from sandbox.faults import BadRecord
from sandbox.world import World

SOURCE = "salesforce"
API_VERSIONS = tuple(f"{v}.0" for v in range(31, 65))
DAILY_API_LIMIT = 5_000_000
DEFAULT_BATCH = 2_000
MIN_BATCH, MAX_BATCH = 200, 2_000
DEFAULT_BULK_PAGE = 50_000
TOKEN_TTL = timedelta(hours=2)
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: open query cursors kept (Salesforce keeps a user's most recent ones and drops the oldest)
MAX_CURSORS = 200
MAX_JOBS = 200
FUTURE_OFFSET = timedelta(days=3)
IMPLAUSIBLE_AMOUNT = 1e29
CLOSE_BEFORE_CREATION = timedelta(days=10)

SESSION_INVALID = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
CONCURRENT_LIMIT = [
    {
        "message": "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
        "errorCode": "REQUEST_LIMIT_EXCEEDED",
    }
]
QUERY_TIMEOUT = [
    {"message": "Your query request was running for too long.", "errorCode": "QUERY_TIMEOUT"}
]
NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]


# --- the org's objects, as the served world and faults make them ----------------------------------


def schema(ctx, world: World | None = None) -> dict[str, SObject]:
    """The served org's objects (field order = describe order), Lead with ``Sandbox_Beta__c``
    under the ``new_property`` fault."""
    world = world or ctx.world
    objs = rec.objects(world.single_currency)
    if ctx.faults.new_property:
        objs = {**objs, "Lead": rec.with_new_property(objs["Lead"])}
    return objs


def find_object(objs: dict[str, SObject], name: str) -> SObject | None:
    lowered = name.lower()
    for obj in objs.values():
        if obj.name.lower() == lowered:
            return obj
    return None


# --- the index ------------------------------------------------------------------------------------


@dataclass
class ObjectIndex:
    """Every row of one object in (cursor, Id) order, and the cursor values in the same order."""

    obj: SObject
    rows: list[tuple]
    keys: list[str]


def index(ctx, world: World | None = None) -> dict[str, ObjectIndex]:
    """Every record of the world, per object, sorted by its cursor field: built in one pass
    over the companies, once per world state (``warm_up`` builds it before a client starts)."""
    world = world or ctx.world
    key = ("salesforce_index", world.today, world.single_currency)
    found = ctx.state.get(key)
    if found is not None:
        return found
    with ctx.state.setdefault(("salesforce_index_lock",), threading.Lock()):
        found = ctx.state.get(key)
        if found is None:
            found = build_index(world)
            ctx.state[key] = found
    return found


def build_index(world: World) -> dict[str, ObjectIndex]:
    # millions of long-lived tuples: the cyclic collector would rescan them again and again
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_index(world)
    finally:
        if enabled:
            gc.enable()


def _build_index(world: World) -> dict[str, ObjectIndex]:
    objs = rec.objects(world.single_currency)
    rows: dict[str, list[tuple]] = {name: [] for name in objs}
    for name, part in rec.world_rows(world, objs).items():
        rows[name] += part
    for k in range(world.company_count()):
        for name, part in rec.company_rows(world, k, objs).items():
            if part:
                rows[name] += part
    out = {}
    for name, obj in objs.items():
        pos = obj.positions[obj.cursor]
        part = rows[name]
        part.sort(key=itemgetter(pos, 0))
        out[name] = ObjectIndex(obj, part, [r[pos] for r in part])
    return out


def warm_up(ctx) -> None:
    index(ctx, ctx.world)


# --- SOQL against the index ---------------------------------------------------------------------


@dataclass
class Plan:
    """A checked statement: what to select, the cursor range, the other tests, the order."""

    obj: SObject
    fields: list[tuple[str, int, str]]  # (name as described, position, type)
    lower: list[tuple[str, bool]]  # cursor bounds: (key, inclusive)
    upper: list[tuple[str, bool]]
    tests: list[Callable[[tuple], bool]]
    order: list[tuple[int, str, bool]] | None  # None: index order; [] never
    reverse: bool
    limit: int | None


_LITERAL_TYPES = {
    "datetime": ("datetime", "dateTime", False), "date": ("date", "date", False),
    "currency": ("number", "double", False), "double": ("number", "double", False),
    "percent": ("number", "double", False), "int": ("number", "int", False),
    "boolean": ("boolean", "boolean", False), "id": ("string", "id", True),
    "reference": ("string", "id", True),
}  # fmt: skip


def _value_at(row: tuple, pos: int):
    """A row's value; past the row's end, the field the ``new_property`` fault adds."""
    return row[pos] if pos < len(row) else NEW_PROPERTY_VALUE


def _normalizer(field_type: str) -> Callable:
    if field_type in ("id", "reference"):
        return lambda v: v[:15]  # an 18-character id equals its 15-character form
    if field_type in rec.TEXT_TYPES:
        return lambda v: str(v).lower()  # SOQL compares text case-insensitively
    return lambda v: v


def _stored(literal):
    """A literal in the form rows store the field's values."""
    if literal.kind == "datetime":
        return sf_datetime(literal.value)
    if literal.kind == "date":
        return literal.value.isoformat()
    return literal.value


_COMPARE = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}  # fmt: skip


def _test(pos: int, field_type: str, op: str, literal) -> Callable[[tuple], bool]:
    if literal.kind == "null":
        if op == "=":
            return lambda row: _value_at(row, pos) is None
        return lambda row: _value_at(row, pos) is not None
    norm = _normalizer(field_type)
    target = norm(_stored(literal))
    compare = _COMPARE[op]
    absent = op == "!="  # SOQL: a null differs from every value

    def test(row: tuple) -> bool:
        value = _value_at(row, pos)
        if value is None:
            return absent
        return compare(norm(value), target)

    return test


def compile_query(objs: dict[str, SObject], text: str) -> Plan:
    """Parse and check a statement against the org's objects; :class:`SoqlError` otherwise."""
    query = parse(text)
    obj = find_object(objs, query.sobject)
    if obj is None:
        raise SoqlError(
            "INVALID_TYPE",
            error_at(
                text, query.sobject_pos,
                f"sObject type '{query.sobject}' is not supported. If you are attempting to use "
                "a custom object, be sure to append the '__c' after the entity name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
            ),
        )  # fmt: skip

    def field_of(name: str, pos: int):
        found = obj.by_lower.get(name.lower())
        if found is None:
            raise SoqlError(
                "INVALID_FIELD",
                error_at(
                    text, pos,
                    f"No such column '{name}' on entity '{obj.name}'. If you are attempting to "
                    "use a custom field, be sure to append the '__c' after the custom field "
                    "name. Please reference your WSDL or the describe call for the appropriate "
                    "names.",
                ),
            )  # fmt: skip
        return found

    fields = []
    for name, pos in query.fields:
        f = field_of(name, pos)
        fields.append((f.name, obj.positions[f.name], f.type))
    cursor = obj.cursor
    lower: list[tuple[str, bool]] = []
    upper: list[tuple[str, bool]] = []
    tests = []
    for cond in query.where:
        f = field_of(cond.field, cond.pos)
        lit = cond.literal
        want, type_word, quoted = _LITERAL_TYPES.get(f.type, ("string", "string", True))
        if lit.kind != "null" and lit.kind != want:
            how = "should" if quoted else "should not"
            raise SoqlError(
                "INVALID_FIELD",
                error_at(
                    text, lit.pos,
                    f"value of filter criterion for field '{f.name}' must be of type {type_word}"
                    f" and {how} be enclosed in quotes",
                ),
            )  # fmt: skip
        if f.name == cursor and lit.kind != "null":
            key = _stored(lit)
            if cond.op in (">", ">=", "="):
                lower.append((key, cond.op != ">"))
            if cond.op in ("<", "<=", "="):
                upper.append((key, cond.op != "<"))
            if cond.op != "!=":
                continue
        tests.append(_test(obj.positions[f.name], f.type, cond.op, lit))
    order = [(obj.positions[field_of(n, p).name], field_of(n, p).type, d)
             for n, d, p in query.order_by]  # fmt: skip
    cursor_pos, id_pos = obj.positions[cursor], 0
    shape = [(pos, desc) for pos, _, desc in order]
    plan_order: list[tuple[int, str, bool]] | None = order
    reverse = False
    if not shape:
        plan_order = None  # the index order (Salesforce promises none)
    else:
        for desc in (False, True):
            if shape in ([(cursor_pos, desc)], [(cursor_pos, desc), (id_pos, desc)]):
                plan_order, reverse = None, desc
    return Plan(obj, fields, lower, upper, tests, plan_order, reverse, query.limit)


def execute(plan: Plan, idx: ObjectIndex, include_deleted: bool) -> list[tuple]:
    """The rows a plan selects, in its order: a range of the index, then the other tests."""
    keys = idx.keys
    lo, hi = 0, len(keys)
    for key, inclusive in plan.lower:
        lo = max(lo, (bisect_left if inclusive else bisect_right)(keys, key))
    for key, inclusive in plan.upper:
        hi = min(hi, (bisect_right if inclusive else bisect_left)(keys, key))
    deleted = plan.obj.positions["IsDeleted"]
    tests = plan.tests
    out = []
    rows = idx.rows
    for i in range(lo, hi):
        row = rows[i]
        if not include_deleted and row[deleted]:
            continue
        if tests and not all(t(row) for t in tests):
            continue
        out.append(row)
    if plan.order is None:
        if plan.reverse:
            out.reverse()
    else:
        for pos, field_type, desc in reversed(plan.order):
            norm = _normalizer(field_type)

            def sort_key(row, pos=pos, norm=norm):
                value = _value_at(row, pos)
                return (False, "") if value is None else (True, norm(value))

            # nulls first ascending, last descending (SOQL's defaults)
            out.sort(key=sort_key, reverse=desc)
    if plan.limit is not None:
        del out[plan.limit :]
    return out


# --- faults ---------------------------------------------------------------------------------------


def _targets(ctx) -> dict[str, dict[str, tuple[str, str]]]:
    """table -> record Id -> (bad kind or fault, detail), picked among the earliest companies
    so that they stay the same under ``advance``; cached per world instant."""
    world: World = ctx.world
    plan = ctx.faults
    key = ("salesforce_targets", world.today)
    cached = ctx.state.get(key)
    if cached is not None:
        return cached
    objs = rec.objects(world.single_currency)
    count = world.company_count()
    taken: set[str] = set()
    out: dict[str, dict[str, tuple[str, str]]] = {"leads": {}, "opportunities": {}}

    def first(obj: str, start_k: int, ok) -> str | None:
        positions = objs[obj].positions
        for k in range(min(start_k, count), min(count, start_k + 400)):
            for row in rec.company_rows(world, k, objs)[obj]:
                values = {name: row[i] for name, i in positions.items()}
                if values["Id"] not in taken and not values["IsDeleted"] and ok(values):
                    taken.add(values["Id"])
                    return values["Id"]
        return None

    kinds = plan.bad_records
    picks = (
        ("leads", "Lead", "malformed_email", 2, lambda v: bool(v["Email"]),
         "Email is not an address ('@' written ' at ')"),
        ("leads", "Lead", "future_date", 5, lambda v: True,
         f"CreatedDate is {FUTURE_OFFSET.days} days after now"),
        ("opportunities", "Opportunity", "implausible_amount", 0, lambda v: True,
         f"Amount is {IMPLAUSIBLE_AMOUNT:g}"),
        ("opportunities", "Opportunity", "unknown_currency", 0,
         lambda v: not world.single_currency, "CurrencyIsoCode XXX has no conversion rate"),
        ("opportunities", "Opportunity", "close_before_creation", 0, lambda v: v["IsClosed"],
         f"CloseDate is {CLOSE_BEFORE_CREATION.days} days before the CreatedDate's date"),
    )  # fmt: skip
    for table, obj, kind, start, ok, detail in picks:
        if kind in kinds and (found := first(obj, start, ok)) is not None:
            out[table][found] = (kind, detail)
    if plan.changed_type and (found := first("Opportunity", 0, lambda v: True)) is not None:
        out["opportunities"][found] = ("changed_type", "Amount as a JSON string")
    with ctx.lock:
        ctx.state[key] = out
    return out


def _fault_hits(ctx, obj_name: str) -> dict[str, tuple[str, str]]:
    if ctx.faults.is_clean or obj_name not in ("Lead", "Opportunity"):
        return {}
    return _targets(ctx)["leads" if obj_name == "Lead" else "opportunities"]


def _apply_fault(ctx, record: dict, kind: str, created: str | None) -> None:
    """Change a served record (a copy) as the bad record or fault ``kind`` says; fields that
    were not selected stay absent. ``created``: the row's CreatedDate."""
    if kind == "malformed_email" and record.get("Email"):
        record["Email"] = record["Email"].replace("@", " at ")
    elif kind == "future_date" and "CreatedDate" in record:
        record["CreatedDate"] = sf_datetime(ctx.world.now + FUTURE_OFFSET)
    elif kind == "implausible_amount" and "Amount" in record:
        record["Amount"] = IMPLAUSIBLE_AMOUNT
    elif kind == "unknown_currency" and "CurrencyIsoCode" in record:
        record["CurrencyIsoCode"] = "XXX"
    elif kind == "close_before_creation" and "CloseDate" in record and created:
        record["CloseDate"] = (
            datetime.fromisoformat(created[:10]).date() - CLOSE_BEFORE_CREATION
        ).isoformat()
    elif kind == "changed_type" and record.get("Amount") is not None:
        record["Amount"] = f"{record['Amount']}"


def bad_records(ctx) -> list[BadRecord]:
    if not ctx.faults.bad_records:
        return []
    out = []
    for table, hits in _targets(ctx).items():
        for record_id, (kind, detail) in sorted(hits.items()):
            if kind != "changed_type":
                out.append(BadRecord(SOURCE, table, record_id, kind, detail))
    return out


# --- serving records -----------------------------------------------------------------------------


class Renderer:
    """Rows as the API's records: REST JSON objects or Bulk 2.0 CSV values."""

    def __init__(self, ctx, plan: Plan, version: str):
        self.ctx = ctx
        self.plan = plan
        self.name = plan.obj.name
        self.url = f"/services/data/v{version}/sobjects/{self.name}/"
        self.hits = _fault_hits(ctx, self.name)
        self.created_pos = plan.obj.positions.get("CreatedDate")

    def values(self, row: tuple) -> dict:
        out = {name: _value_at(row, pos) for name, pos, _ in self.plan.fields}
        hit = self.hits.get(row[0])
        if hit is not None:
            created = None if self.created_pos is None else row[self.created_pos]
            _apply_fault(self.ctx, out, hit[0], created)
        return out

    def record(self, row: tuple) -> dict:
        return {"attributes": {"type": self.name, "url": self.url + row[0]}, **self.values(row)}

    def csv_row(self, row: tuple) -> list[str]:
        values = self.values(row)
        out = []
        for name, _, field_type in self.plan.fields:
            value = values[name]
            if value is None:
                out.append("")
            elif value is True or value is False:
                out.append("true" if value else "false")
            elif field_type == "datetime" and isinstance(value, str):
                out.append(value.replace("+0000", "Z"))
            else:
                out.append(str(value))
        return out


@dataclass
class Cursor:
    """An open query: its rows (fixed when asked), what to select and how to write it."""

    rows: list[tuple]
    renderer: Renderer
    batch: int


def _batch_size(request: Request, default: int = DEFAULT_BATCH) -> int:
    header = request.headers.get("sforce-query-options", "")
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "batchsize" and value.strip().isdigit():
            return min(MAX_BATCH, max(MIN_BATCH, int(value)))
    return default


def _request_key(request: Request, body: bytes = b"") -> str:
    digest = hashlib.sha256(body).hexdigest()[:16] if body else ""
    return f"{request.method} {request.url.path}?{request.url.query} {digest}"


def _errors(status: int, body: list[dict]) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _soql_error(exc: SoqlError) -> JSONResponse:
    return _errors(400, [{"message": exc.message, "errorCode": exc.code}])


def _instance_url(request: Request) -> str:
    """The absolute URL of the prefix the API is mounted under (the org's instance)."""
    # a Mount puts its path in the scope's root_path (base_url is the application's root)
    url = request.url
    return f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}".rstrip("/")


def _locator_number(n: int) -> str:
    return rec.sfid("01g", n)


# --- OAuth -------------------------------------------------------------------------------------


_PUBLIC_KEYS: dict[str, object] = {}


def _public_key(private_pem: str):
    key = _PUBLIC_KEYS.get(private_pem)
    if key is None:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key = load_pem_private_key(private_pem.encode(), password=None).public_key()
        _PUBLIC_KEYS[private_pem] = key
    return key


class JwtRefused(ValueError):
    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error, self.description = error, description


def verify_assertion(assertion: str, public_key, audiences: list[str]) -> dict:
    """The claims of an RS256 JWT signed by the key's owner, for one of ``audiences``, not
    expired; :class:`JwtRefused` (Salesforce's error and description) otherwise."""
    try:
        import jwt
    except ImportError:  # pragma: no cover - PyJWT is a project dependency
        return _verify_with_cryptography(assertion, public_key, audiences)
    try:
        return jwt.decode(
            assertion, public_key, algorithms=["RS256"], audience=audiences,
            options={"require": ["exp", "iss", "sub", "aud"]},
        )  # fmt: skip
    except jwt.ExpiredSignatureError:
        raise JwtRefused("invalid_grant", "expired authorization code") from None
    except jwt.InvalidAudienceError:
        raise JwtRefused("invalid_grant", "audience is invalid") from None
    except jwt.PyJWTError:
        raise JwtRefused("invalid_grant", "invalid assertion") from None


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _verify_with_cryptography(assertion: str, public_key, audiences: list[str]) -> dict:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        head, body, signature = assertion.split(".")
        header = json.loads(_b64url(head))
        claims = json.loads(_b64url(body))
        if header.get("alg") != "RS256":
            raise ValueError("not RS256")
        public_key.verify(
            _b64url(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (ValueError, InvalidSignature, TypeError):
        raise JwtRefused("invalid_grant", "invalid assertion") from None
    if any(name not in claims for name in ("exp", "iss", "sub", "aud")):
        raise JwtRefused("invalid_grant", "invalid assertion")
    if float(claims["exp"]) < time.time():
        raise JwtRefused("invalid_grant", "expired authorization code")
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if not set(aud) & set(audiences):
        raise JwtRefused("invalid_grant", "audience is invalid")
    return claims


# --- routes -------------------------------------------------------------------------------------


def routes(ctx) -> list[BaseRoute]:
    creds = ctx.credentials[SOURCE]
    # tokens, cursors and jobs survive `advance` (set_world clears ctx.state): kept here
    issued: dict[str, float] = {}
    revoked: set[str] = set()
    cursors: OrderedDict[str, Cursor] = OrderedDict()
    jobs: OrderedDict[str, dict] = OrderedDict()
    counters = {"api": 0, "cursor": 0, "job": 0}
    lock = threading.Lock()
    integration_user = rec.user_id(rec.INTEGRATION_USER_NUMBER)

    def usage_headers() -> dict[str, str]:
        with lock:
            counters["api"] += 1
            used = counters["api"]
        return {"Sforce-Limit-Info": f"api-usage={used}/{DAILY_API_LIMIT}"}

    def with_usage(response: Response, headers: dict[str, str]) -> Response:
        response.headers.update(headers)
        return response

    def guard(request: Request, body: bytes = b"", query: bool = False) -> JSONResponse | None:
        """The token, the version, then the faults a request can meet."""
        token = bearer_token(request)
        if not token or token in revoked or issued.get(token, 0) < time.time():
            return _errors(401, SESSION_INVALID)
        if request.path_params.get("version") not in API_VERSIONS:
            return _errors(404, NOT_FOUND)
        key = _request_key(request, body)
        plan = ctx.faults
        if ctx.injector.body_fault(key, "token_expiry", plan.token_expiry_every):
            issued.pop(token, None)
            revoked.add(token)
            return _errors(401, SESSION_INVALID)
        if ctx.injector.body_fault(key, "body_rate_limit", plan.body_rate_limit_every):
            return _errors(403, CONCURRENT_LIMIT)
        if query and ctx.injector.body_fault(key, "query_timeout", plan.query_timeout_every):
            return _errors(400, QUERY_TIMEOUT)
        return None

    # -- OAuth ------------------------------------------------------------------------------

    async def token_endpoint(request: Request):
        # form-encoded (python-multipart is not a dependency: the body is read as a query string)
        body = (await request.body()).decode("utf-8", errors="replace")
        form = {**dict(request.query_params), **dict(parse_qsl(body, keep_blank_values=True))}
        grant = form.get("grant_type")
        login = _instance_url(request)

        def refuse(error: str, description: str) -> JSONResponse:
            return JSONResponse({"error": error, "error_description": description}, 400)

        if grant == "client_credentials":
            if form.get("client_id") != creds["client_id"]:
                return refuse("invalid_client_id", "client identifier invalid")
            if not hmac.compare_digest(form.get("client_secret", ""), creds["client_secret"]):
                return refuse("invalid_client", "invalid client credentials")
        elif grant == JWT_GRANT:
            audiences = [login, login + "/", "https://login.salesforce.com",
                         "https://test.salesforce.com"]  # fmt: skip
            try:
                claims = verify_assertion(
                    form.get("assertion", ""), _public_key(creds["private_key"]), audiences
                )
            except JwtRefused as exc:
                return refuse(exc.error, exc.description)
            if claims.get("iss") != creds["client_id"]:
                return refuse("invalid_client_id", "client identifier invalid")
            if claims.get("sub") != creds["username"]:
                return refuse("invalid_grant", "user hasn't approved this consumer")
        else:
            return refuse("unsupported_grant_type", "grant type not supported")
        token = f"{rec.ORG_ID[:15]}!{secrets.token_urlsafe(72)}"
        issued[token] = time.time() + TOKEN_TTL.total_seconds()
        issued_at = str(int(time.time() * 1000))
        user = f"{login}/id/{rec.ORG_ID}/{integration_user}"
        signature = base64.b64encode(
            hmac.new(creds["client_secret"].encode(), f"{user}{issued_at}".encode(),
                     hashlib.sha256).digest()
        ).decode()  # fmt: skip
        return JSONResponse(
            {
                "access_token": token,
                "instance_url": login,
                "id": user,
                "token_type": "Bearer",
                "issued_at": issued_at,
                "signature": signature,
                "scope": "api",
            }
        )

    # -- metadata ----------------------------------------------------------------------------

    def versions(request: Request):
        return JSONResponse(
            [{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v} for v in API_VERSIONS]
        )

    def describe_global(request: Request):
        headers = usage_headers()
        if (err := guard(request)) is not None:
            return with_usage(err, headers)
        version = request.path_params["version"]
        body = {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [_global_entry(obj, version) for obj in schema(ctx).values()],
        }
        return JSONResponse(body, headers=headers)

    def describe(request: Request):
        headers = usage_headers()
        if (err := guard(request)) is not None:
            return with_usage(err, headers)
        obj = find_object(schema(ctx), request.path_params["sobject"])
        if obj is None:
            return with_usage(_errors(404, NOT_FOUND), headers)
        body = describe_object(obj, request.path_params["version"], _instance_url(request))
        return JSONResponse(body, headers=headers)

    # -- REST query ---------------------------------------------------------------------------

    def page(cursor_id: str, cursor: Cursor, offset: int, version: str, headers) -> Response:
        rows = cursor.rows
        batch = cursor.batch
        first = []
        if offset > 0 and ctx.faults.duplicate_across_pages:
            first = [rows[offset - 1]]
            batch -= 1
        end = min(len(rows), offset + batch)
        head: dict = {"totalSize": len(rows), "done": end >= len(rows)}
        if end < len(rows):
            head["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor_id}-{end}"
        renderer = cursor.renderer

        def records() -> Iterator[dict]:
            for row in first:
                yield renderer.record(row)
            for i in range(offset, end):
                yield renderer.record(rows[i])

        return with_usage(stream_json_object(head, "records", records()), headers)

    def run_query(request: Request, include_deleted: bool):
        headers = usage_headers()
        if (err := guard(request, query=True)) is not None:
            return with_usage(err, headers)
        version = request.path_params["version"]
        text = request.query_params.get("q")
        if text is None:
            return with_usage(
                _errors(400, [{"message": "A query string must be provided.",
                               "errorCode": "MALFORMED_QUERY"}]), headers,
            )  # fmt: skip
        world = ctx.world
        try:
            plan = compile_query(schema(ctx, world), text)
        except SoqlError as exc:
            return with_usage(_soql_error(exc), headers)
        rows = execute(plan, index(ctx, world)[plan.obj.name], include_deleted)
        cursor = Cursor(rows, Renderer(ctx, plan, version), _batch_size(request))
        with lock:
            counters["cursor"] += 1
            cursor_id = _locator_number(counters["cursor"])
            cursors[cursor_id] = cursor
            while len(cursors) > MAX_CURSORS:
                cursors.popitem(last=False)
        return page(cursor_id, cursor, 0, version, headers)

    def query(request: Request):
        return run_query(request, include_deleted=False)

    def query_all(request: Request):
        return run_query(request, include_deleted=True)

    def query_more(request: Request):
        headers = usage_headers()
        if (err := guard(request, query=True)) is not None:
            return with_usage(err, headers)
        cursor_id, _, served = request.path_params["locator"].rpartition("-")
        with lock:
            cursor = cursors.get(cursor_id)
        if cursor is None or not served.isdigit() or int(served) > len(cursor.rows):
            return with_usage(
                _errors(400, [{"message": "invalid query locator",
                               "errorCode": "INVALID_QUERY_LOCATOR"}]), headers,
            )  # fmt: skip
        cursor.batch = _batch_size(request, cursor.batch)
        return page(cursor_id, cursor, int(served), request.path_params["version"], headers)

    # -- Bulk API 2.0 ----------------------------------------------------------------------------

    async def job_create(request: Request):
        headers = usage_headers()
        body_bytes = await request.body()
        if (err := guard(request, body_bytes)) is not None:
            return with_usage(err, headers)
        try:
            body = json.loads(body_bytes or b"{}")
            operation = body.get("operation")
            text = body.get("query")
            delimiter = body.get("columnDelimiter") or "COMMA"
            line_ending = body.get("lineEnding") or "LF"
            content = body.get("contentType") or "CSV"
        except (ValueError, AttributeError):
            return with_usage(
                _errors(400, [{"errorCode": "JSON_PARSER_ERROR",
                               "message": "The request body is not valid JSON."}]), headers,
            )  # fmt: skip
        if operation not in ("query", "queryAll") or not isinstance(text, str):
            return with_usage(
                _errors(400, [{"errorCode": "INVALIDJOB",
                               "message": "operation must be query or queryAll, with a query"}]),
                headers,
            )  # fmt: skip
        if delimiter not in DELIMITERS or line_ending not in ("LF", "CRLF") or content != "CSV":
            return with_usage(
                _errors(400, [{"errorCode": "INVALIDJOB",
                               "message": "unsupported contentType, columnDelimiter or "
                                          "lineEnding"}]), headers,
            )  # fmt: skip
        version = request.path_params["version"]
        return await run_in_threadpool(
            create_job, version, operation, text, delimiter, line_ending, headers
        )

    def create_job(version, operation, text, delimiter, line_ending, headers):
        world = ctx.world
        try:
            plan = compile_query(schema(ctx, world), text)
        except SoqlError as exc:
            return with_usage(_soql_error(exc), headers)
        started = time.monotonic()
        rows = execute(plan, index(ctx, world)[plan.obj.name], operation == "queryAll")
        now = sf_datetime(datetime.now(UTC))
        with lock:
            counters["job"] += 1
            job_id = rec.sfid("750", counters["job"])
        job = {
            "id": job_id,
            "operation": operation,
            "object": plan.obj.name,
            "createdById": integration_user,
            "createdDate": now,
            "systemModstamp": now,
            "state": "UploadComplete",
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version),
            "lineEnding": line_ending,
            "columnDelimiter": delimiter,
            "_rows": rows,
            "_renderer": Renderer(ctx, plan, version),
            "_version": version,
            "_ms": int((time.monotonic() - started) * 1000),
        }
        with lock:
            jobs[job_id] = job
            while len(jobs) > MAX_JOBS:
                jobs.popitem(last=False)
        return JSONResponse(_job_info(job, status=False), headers=headers)

    def job_status(request: Request):
        headers = usage_headers()
        if (err := guard(request)) is not None:
            return with_usage(err, headers)
        with lock:
            job = jobs.get(request.path_params["job_id"])
            if job is not None:
                if job["state"] == "UploadComplete":
                    job["state"] = "InProgress"
                elif job["state"] == "InProgress":
                    job["state"] = "JobComplete"
                    job["systemModstamp"] = sf_datetime(datetime.now(UTC))
        if job is None:
            return with_usage(_errors(404, NOT_FOUND), headers)
        return JSONResponse(_job_info(job, status=True), headers=headers)

    def job_results(request: Request):
        headers = usage_headers()
        if (err := guard(request)) is not None:
            return with_usage(err, headers)
        with lock:
            job = jobs.get(request.path_params["job_id"])
        if job is None:
            return with_usage(_errors(404, NOT_FOUND), headers)
        version = request.path_params["version"]
        if version != job["_version"]:
            return with_usage(
                _errors(409, [{"errorCode": "INVALIDJOBSTATE",
                               "message": f"The job was created with API version "
                                          f"{job['_version']}; ask for its results with the "
                                          f"same version, not {version}."}]), headers,
            )  # fmt: skip
        if job["state"] != "JobComplete":
            return with_usage(
                _errors(400, [{"errorCode": "INVALIDJOBSTATE",
                               "message": f"Job is in state {job['state']}; results are "
                                          "available once it is JobComplete."}]), headers,
            )  # fmt: skip
        try:
            offset = _decode_locator(request.query_params.get("locator"))
            max_records = int(request.query_params.get("maxRecords") or DEFAULT_BULK_PAGE)
            if max_records < 1 or offset < 0:
                raise ValueError
        except ValueError:
            return with_usage(
                _errors(400, [{"errorCode": "INVALIDLOCATOR",
                               "message": "Invalid locator or maxRecords"}]), headers,
            )  # fmt: skip
        rows = job["_rows"]
        first = []
        if offset > 0 and ctx.faults.duplicate_across_pages and offset <= len(rows):
            first = [rows[offset - 1]]
            max_records = max(1, max_records - 1)
        end = min(len(rows), offset + max_records)
        locator = _encode_locator(end) if end < len(rows) else "null"
        renderer: Renderer = job["_renderer"]
        body = _csv_chunks(
            renderer, [*first, *(rows[i] for i in range(offset, end))], job["columnDelimiter"],
            "\r\n" if job["lineEnding"] == "CRLF" else "\n",
        )  # fmt: skip
        headers.update(
            {"Sforce-NumberOfRecords": str(len(first) + max(0, end - offset)),
             "Sforce-Locator": locator}
        )  # fmt: skip
        return StreamingResponse(body, media_type="text/csv", headers=headers)

    prefix = "/services/data/v{version}"
    return [
        Route("/services/oauth2/token", token_endpoint, methods=["POST"]),
        Route("/services/data", versions, methods=["GET"]),
        Route("/services/data/", versions, methods=["GET"]),
        Route(f"{prefix}/sobjects", describe_global, methods=["GET"]),
        Route(f"{prefix}/sobjects/", describe_global, methods=["GET"]),
        Route(f"{prefix}/sobjects/{{sobject}}/describe", describe, methods=["GET"]),
        Route(f"{prefix}/sobjects/{{sobject}}/describe/", describe, methods=["GET"]),
        Route(f"{prefix}/query", query, methods=["GET"]),
        Route(f"{prefix}/query/", query, methods=["GET"]),
        Route(f"{prefix}/queryAll", query_all, methods=["GET"]),
        Route(f"{prefix}/queryAll/", query_all, methods=["GET"]),
        Route(f"{prefix}/query/{{locator}}", query_more, methods=["GET"]),
        Route(f"{prefix}/queryAll/{{locator}}", query_more, methods=["GET"]),
        Route(f"{prefix}/jobs/query", job_create, methods=["POST"]),
        Route(f"{prefix}/jobs/query/{{job_id}}", job_status, methods=["GET"]),
        Route(f"{prefix}/jobs/query/{{job_id}}/results", job_results, methods=["GET"]),
    ]


DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^",
              "BACKQUOTE": "`"}  # fmt: skip


def _encode_locator(offset: int) -> str:
    """Salesforce's locators are base64 of the offset without padding (``MTAwMDA`` = 10000)."""
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _decode_locator(locator: str | None) -> int:
    if not locator or locator == "null":
        return 0
    try:
        return int(base64.b64decode(locator + "=" * (-len(locator) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"invalid locator {locator!r}") from None


def _csv_chunks(renderer: Renderer, rows: list[tuple], delimiter: str, line_end: str):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=DELIMITERS[delimiter], quoting=csv.QUOTE_ALL,
                        lineterminator=line_end)  # fmt: skip
    writer.writerow([name for name, _, _ in renderer.plan.fields])
    for row in rows:
        writer.writerow(renderer.csv_row(row))
        if buf.tell() > 64_000:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


def _job_info(job: dict, status: bool) -> dict:
    keys = ("id", "operation", "object", "createdById", "createdDate", "systemModstamp", "state",
            "concurrencyMode", "contentType", "apiVersion")  # fmt: skip
    out = {k: job[k] for k in keys}
    if status:
        out["jobType"] = "V2Query"
    out["lineEnding"] = job["lineEnding"]
    out["columnDelimiter"] = job["columnDelimiter"]
    if status:
        done = job["state"] == "JobComplete"
        out["numberRecordsProcessed"] = len(job["_rows"]) if done else 0
        out["retries"] = 0
        out["totalProcessingTime"] = job["_ms"] if done else 0
    return out


# --- describe ------------------------------------------------------------------------------------


def _global_entry(obj: SObject, version: str) -> dict:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    writable = not obj.history and obj.name not in ("CurrencyType", "DatedConversionRate")
    return {
        "name": obj.name,
        "label": obj.label,
        "custom": False,
        "keyPrefix": obj.prefix,
        "labelPlural": obj.label_plural,
        "layoutable": writable,
        "activateable": False,
        "updateable": writable,
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
        "searchable": writable,
        "createable": writable,
        "customSetting": False,
        "deletable": writable,
        "deprecatedAndHidden": False,
        "feedEnabled": writable,
        "mergeable": obj.name in ("Account", "Contact", "Lead"),
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "undeletable": writable,
        "triggerable": writable,
    }


def describe_field(f: rec.Field, obj: SObject) -> dict:
    system = f.name in rec.SYSTEM_FIELDS or obj.history
    text = f.type in rec.TEXT_TYPES and f.type != "anyType"
    return {
        "aggregatable": f.type not in ("textarea", "anyType"),
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": f.length * 3 if text or f.type in rec.ID_TYPES else 0,
        "calculated": False,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": not system,
        "custom": f.custom,
        "defaultValue": False if f.type == "boolean" and not system else None,
        "defaultValueFormula": None,
        "defaultedOnCreate": system or f.type == "boolean",
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": 9 if f.type == "int" else 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": False,
        "extraTypeInfo": None,
        "filterable": f.type not in ("textarea", "anyType"),
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": f.type
        not in ("textarea", "anyType", "datetime", "currency", "double", "percent"),  # fmt: skip
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": f.name in ("Id", "Email", "Username"),
        "inlineHelpText": None,
        "label": f.label,
        "length": f.length,
        "mask": None,
        "maskType": None,
        "name": f.name,
        "nameField": f.name == "Name",
        "namePointing": len(f.reference_to) > 1,
        "nillable": f.nillable,
        "permissionable": f.nillable and not system,
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
            for v in f.picklist
        ],
        "polymorphicForeignKey": len(f.reference_to) > 1,
        "precision": f.precision,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": list(f.reference_to),
        "relationshipName": f.relationship,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": False,
        "scale": f.scale,
        "searchPrefilterable": False,
        "soapType": rec.SOAP_TYPES[f.type],
        "sortable": f.type not in ("textarea", "anyType"),
        "type": f.type,
        "unique": False,
        "updateable": not system,
        "writeRequiresMasterRead": False,
    }


def describe_object(obj: SObject, version: str, instance_url: str) -> dict:
    entry = _global_entry(obj, version)
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    plural = obj.label_plural.lower()
    return {
        "actionOverrides": [],
        "activateable": False,
        "associateEntityType": "History" if obj.history else None,
        "associateParentEntity": obj.name.removesuffix("History").removesuffix("Field")
        if obj.history
        else None,
        "childRelationships": [],
        "compactLayoutable": entry["layoutable"],
        "createable": entry["createable"],
        "custom": False,
        "customSetting": False,
        "deepCloneable": False,
        "defaultImplementation": None,
        "deletable": entry["deletable"],
        "deprecatedAndHidden": False,
        "extendedBy": None,
        "extendsInterfaces": None,
        "feedEnabled": entry["feedEnabled"],
        "fields": [describe_field(f, obj) for f in obj.fields],
        "hasSubtypes": False,
        "implementedBy": None,
        "implementsInterfaces": None,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": entry["layoutable"],
        "listviewable": None,
        "lookupLayoutable": None,
        "mergeable": entry["mergeable"],
        "mruEnabled": entry["layoutable"],
        "name": obj.name,
        "namedLayoutInfos": [],
        "networkScopeFieldName": None,
        "queryable": True,
        "recordTypeInfos": [
            {
                "active": True,
                "available": True,
                "defaultRecordTypeMapping": True,
                "developerName": "Master",
                "master": True,
                "name": "Master",
                "recordTypeId": "012000000000000AAA",
                "urls": {"layout": f"{base}/describe/layouts/012000000000000AAA"},
            }
        ],
        "replicateable": True,
        "retrieveable": True,
        "searchLayoutable": entry["searchable"],
        "searchable": entry["searchable"],
        "sobjectDescribeOption": "FULL",
        "supportedScopes": [{"label": f"All {plural}", "name": "everything"}],
        "triggerable": entry["triggerable"],
        "undeletable": entry["undeletable"],
        "updateable": entry["updateable"],
        "urls": {
            "compactLayouts": f"{base}/describe/compactLayouts",
            "rowTemplate": f"{base}/{{ID}}",
            "approvalLayouts": f"{base}/describe/approvalLayouts",
            "uiDetailTemplate": f"{instance_url}/{{ID}}",
            "uiEditTemplate": f"{instance_url}/{{ID}}/e",
            "describe": f"{base}/describe",
            "uiNewRecord": f"{instance_url}/{obj.prefix}/e",
            "quickActions": f"{base}/quickActions",
            "layouts": f"{base}/describe/layouts",
            "sobject": base,
        },
    }


# --- connecting the connector to the sandbox ------------------------------------------------------


def credentials() -> dict[str, str]:
    """A fresh connected app: consumer key and secret, an integration user, and an RSA private
    key (PEM) whose public key the sandbox verifies JWT-bearer assertions with."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    _PUBLIC_KEYS[pem] = key.public_key()
    return {
        "client_id": "3MVG9" + secrets.token_urlsafe(60).replace("-", "A").replace("_", "b"),
        "client_secret": secrets.token_hex(32).upper(),
        "username": f"integration.{secrets.token_hex(4)}@acme-analytics.example.com",
        "private_key": pem,
    }


def source_env(world: World, base_url: str, credentials: dict[str, str]) -> dict[str, str]:
    return source_settings(SOURCE, base_url, credentials, login_url=base_url)
