"""The Salesforce client: OAuth 2.0, Salesforce's error bodies, REST query paging, Bulk API 2.0.

Salesforce answers an error with an HTTP status and a JSON list of ``{"errorCode", "message"}``
(the token endpoint with one ``{"error", "error_description"}`` object). A dead session
(``INVALID_SESSION_ID``, 401) gets one new token and one retry; a concurrent-request limit and a
query timeout back off and retry, a bounded number of times; 429, 5xx and timeouts are retried
by the session (``.dlt/config.toml``, ``[runtime]``); anything else fails with Salesforce's code
and message. Credentials travel only in the token request's form body and the ``Authorization``
header, and no message carries one.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from ingestion.http import configured_session, parse_instant

from . import settings

log = logging.getLogger(__name__)

SETTINGS_TO_FIX = (
    "SOURCES__SALESFORCE__CLIENT_ID with SOURCES__SALESFORCE__CLIENT_SECRET (client-credentials "
    "flow) or with SOURCES__SALESFORCE__USERNAME and SOURCES__SALESFORCE__PRIVATE_KEY (JWT-bearer "
    "flow), and SOURCES__SALESFORCE__LOGIN_URL (or the same names under [sources.salesforce] in "
    ".dlt/secrets.toml)"
)


class SalesforceError(RuntimeError):
    """Salesforce refused a request for a reason a retry cannot fix."""


class SalesforceAuthError(SalesforceError):
    """The credentials are wrong or lack a permission: the settings must be fixed."""


# --- values --------------------------------------------------------------------------------------


def parse_datetime(value: Any) -> datetime | None:
    """Salesforce instants: ``2020-10-22T21:03:23.000+0000`` (REST), ``...000Z`` (Bulk 2.0)."""
    return parse_instant(value)


def soql_datetime(value: Any) -> str:
    """A SOQL datetime literal, to the second (``2025-01-02T03:04:05Z``): a cursor compared
    with ``>=`` then reads the boundary second again, and dlt drops the rows it already has."""
    instant = parse_datetime(value)
    if instant is None:
        raise ValueError("no instant to compare with")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def typed_value(value: Any, field_type: str) -> Any:
    """A field's value as its describe type says (Bulk 2.0 CSV sends every value as text; the
    REST API sends dates and instants as text). A value that does not read as its type is kept
    as it came, for the load's checks to name."""
    if value is None or value == "":
        return None
    if field_type in settings.TEXT_TYPES:
        # a history row's OldValue / NewValue holds whatever the field held (a stage name, an
        # amount, a date): one text column, the row's DataType says how to read it
        return value if isinstance(value, str) else json_text(value)
    try:
        if field_type in settings.DATETIME_TYPES:
            return parse_datetime(value)
        if field_type in settings.DATE_TYPES:
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if field_type in settings.DECIMAL_TYPES:
            return value if isinstance(value, bool) else Decimal(str(value))
        if field_type in settings.INTEGER_TYPES and isinstance(value, str):
            return int(value)
        if field_type in settings.BOOLEAN_TYPES and isinstance(value, str):
            return {"true": True, "false": False}.get(value.lower(), value)
    except (ValueError, InvalidOperation):
        return value
    return value


def column_hints(types: dict[str, str]) -> list[dict[str, Any]]:
    """dlt column hints of an object's fields, from their describe types."""
    return [
        {"name": name, "data_type": settings.DLT_TYPES.get(field_type, "text"), "nullable": True}
        for name, field_type in types.items()
    ]


def json_text(value: Any) -> str:
    """A non-text value as text: JSON's spelling (``true``, ``25000.0``)."""
    import json

    return json.dumps(value)


def row_of(record: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    """One record as a row: ``attributes`` dropped, values typed by the describe."""
    return {
        name: typed_value(value, types.get(name, "string"))
        for name, value in record.items()
        if name != "attributes"
    }


# --- the client ----------------------------------------------------------------------------------


class SalesforceClient:
    """One org, reached through its login host (``https://login.salesforce.com``, a My Domain
    host, or the sandbox); every call after the token goes to the ``instance_url`` the token
    answer names."""

    def __init__(
        self,
        login_url: str,
        api_version: str,
        client_id: str,
        client_secret: str | None = None,
        username: str | None = None,
        private_key: str | None = None,
    ) -> None:
        self.login_url = login_url.rstrip("/")
        self.api_version = api_version.lstrip("v")
        self._client_id = client_id
        self._client_secret = client_secret
        self._username = username
        self._private_key = private_key
        self._token: str | None = None
        self._instance_url: str | None = None
        self._lock = threading.Lock()
        self._session = configured_session()
        self._describes: dict[str, dict[str, Any] | None] = {}

    def __repr__(self) -> str:  # never show the credentials
        return f"SalesforceClient({self.login_url!r}, v{self.api_version})"

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self.api_version}"

    # -- token ----------------------------------------------------------------------------------

    def _token_form(self) -> dict[str, str]:
        if self._private_key and self._username:
            import jwt

            claims = {
                "iss": self._client_id,
                "sub": self._username,
                "aud": self.login_url,
                "exp": int(time.time()) + settings.JWT_LIFETIME_SECONDS,
            }
            try:
                assertion = jwt.encode(claims, self._private_key, algorithm="RS256")
            except (ValueError, TypeError, jwt.PyJWTError) as exc:
                raise SalesforceAuthError(
                    "salesforce: SOURCES__SALESFORCE__PRIVATE_KEY is not an RSA private key in "
                    f"PEM form ({type(exc).__name__})"
                ) from None
            return {"grant_type": settings.JWT_BEARER_GRANT, "assertion": assertion}
        if self._client_secret:
            return {
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            }
        raise SalesforceAuthError(
            f"salesforce: no credentials to ask for a token with. Set {SETTINGS_TO_FIX}."
        )

    def _fetch_token(self) -> None:
        form = self._token_form()
        try:
            response = self._session.post(self.login_url + settings.TOKEN_PATH, data=form)
        except requests.RequestException as exc:
            raise SalesforceError(
                f"salesforce: the token endpoint {self.login_url} could not be reached "
                f"({type(exc).__name__})"
            ) from None
        body = _json(response)
        if not response.ok or not isinstance(body, dict) or not body.get("access_token"):
            reason = "no access token"
            if isinstance(body, dict):
                reason = body.get("error_description") or body.get("error") or reason
            raise SalesforceAuthError(
                f"salesforce: Salesforce refused the credentials (HTTP {response.status_code}: "
                f"{self._clean(reason)}). Set {SETTINGS_TO_FIX} to the connected app's values."
            )
        self._token = body["access_token"]
        self._instance_url = str(body.get("instance_url") or self.login_url).rstrip("/")

    def _current(self) -> tuple[str, str]:
        with self._lock:
            if self._token is None:
                self._fetch_token()
            return self._token, self._instance_url  # type: ignore[return-value]

    # -- requests -------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """One call on the instance, with Salesforce's errors read and the retryable ones
        retried; ``path`` starts with ``/services/``."""
        refreshed = False
        delay = settings.RETRY_FIRST_SECONDS
        for attempt in range(1, settings.MAX_ATTEMPTS + 1):
            token, instance = self._current()
            try:
                response = self._session.request(
                    method,
                    instance + path,
                    params=params,
                    json=json_body,
                    headers={"Authorization": f"Bearer {token}", **(headers or {})},
                )
            except requests.RequestException as exc:
                raise SalesforceError(
                    f"salesforce: {method} {path.split('?')[0]} failed after retries "
                    f"({type(exc).__name__})"
                ) from None
            if response.ok:
                return response
            code, message = _error_of(response)
            if response.status_code == 401 and not refreshed:
                # an expired or revoked session: one new token, then the same call again
                log.warning("salesforce: %s, fetching a new token", code or "HTTP 401")
                with self._lock:
                    if self._token == token:
                        self._token = None
                refreshed = True
                continue
            if response.status_code == 401:
                raise SalesforceAuthError(
                    f"salesforce: a new session was refused too ({code}: {self._clean(message)})."
                    f" Check {SETTINGS_TO_FIX}."
                )
            retryable = code in settings.RETRYABLE_ERROR_CODES or (
                code == "REQUEST_LIMIT_EXCEEDED" and "concurrent" in message.lower()
            )
            if retryable and attempt < settings.MAX_ATTEMPTS:
                log.warning(
                    "salesforce: %s on %s, retrying in %.1f s", code, path.split("?")[0], delay
                )
                time.sleep(delay)
                delay = min(delay * 2, settings.RETRY_MAX_SECONDS)
                continue
            what = f"{code}: {self._clean(message)}" if code else f"HTTP {response.status_code}"
            if code == "REQUEST_LIMIT_EXCEEDED":
                what += " (the org's API request limit; the load resumes from its state later)"
            raise SalesforceError(f"salesforce: {method} {path.split('?')[0]} refused ({what})")
        raise SalesforceError(f"salesforce: {path.split('?')[0]} still failing after retries")

    def _clean(self, message: Any) -> str:
        """A message from Salesforce, with nothing of ours in it."""
        text = str(message)[:300]
        for secret in (self._client_secret, self._token, self._private_key):
            if secret:
                text = text.replace(secret, "***")
        return text

    # -- metadata -------------------------------------------------------------------------------

    def describe(self, sobject: str) -> dict[str, Any] | None:
        """The object's describe, or None when the org has no such object (DatedConversionRate
        without multiple currencies)."""
        if sobject not in self._describes:
            try:
                response = self.request("GET", f"{self.data_path}/sobjects/{sobject}/describe")
                self._describes[sobject] = response.json()
            except SalesforceError as exc:
                if "NOT_FOUND" not in str(exc) and "INVALID_TYPE" not in str(exc):
                    raise
                log.info("salesforce: the org has no %s object: nothing to load", sobject)
                self._describes[sobject] = None
        return self._describes[sobject]

    def fields(self, sobject: str) -> dict[str, str] | None:
        """Field name -> describe type, in describe order, compound fields left out."""
        described = self.describe(sobject)
        if described is None:
            return None
        return {
            f["name"]: f["type"]
            for f in described["fields"]
            if f["type"] not in settings.COMPOUND_TYPES
        }

    # -- REST query -----------------------------------------------------------------------------

    def query(self, soql: str, include_deleted: bool = True) -> Iterator[list[dict[str, Any]]]:
        """Pages of records of ``queryAll`` (deleted and merged-away records too) or ``query``,
        following ``nextRecordsUrl`` until ``done``."""
        resource = "queryAll" if include_deleted else "query"
        headers = {"Sforce-Query-Options": f"batchSize={settings.QUERY_BATCH_SIZE}"}
        response = self.request(
            "GET", f"{self.data_path}/{resource}", params={"q": soql}, headers=headers
        )
        while True:
            body = response.json()
            records = body.get("records") or []
            if records:
                yield records
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not next_url:
                return
            response = self.request("GET", next_url, headers=headers)

    # -- Bulk API 2.0 ---------------------------------------------------------------------------

    def bulk_query(self, soql: str, include_deleted: bool = True) -> Iterator[list[dict[str, str]]]:
        """Pages of CSV rows (every value text) of a Bulk API 2.0 query job."""
        jobs = f"{self.data_path}/jobs/query"
        body = {"operation": "queryAll" if include_deleted else "query", "query": soql}
        job = self.request("POST", jobs, json_body=body).json()
        job_id = job["id"]
        self._wait_for_job(f"{jobs}/{job_id}")
        locator: str | None = None
        while True:
            params: dict[str, Any] = {"maxRecords": settings.BULK_PAGE_ROWS}
            if locator:
                params["locator"] = locator
            response = self.request(
                "GET", f"{jobs}/{job_id}/results", params=params, headers={"Accept": "text/csv"}
            )
            rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
            if rows:
                yield rows
            locator = response.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                return

    def _wait_for_job(self, path: str) -> None:
        delay = settings.BULK_POLL_FIRST_SECONDS
        deadline = time.monotonic() + settings.BULK_TIMEOUT_SECONDS
        while True:
            status = self.request("GET", path).json()
            state = status.get("state")
            if state == "JobComplete":
                return
            if state in ("Failed", "Aborted"):
                reason = self._clean(status.get("errorMessage") or state)
                raise SalesforceError(f"salesforce: bulk query job {state.lower()} ({reason})")
            if time.monotonic() > deadline:
                raise SalesforceError(
                    f"salesforce: bulk query job not complete after "
                    f"{settings.BULK_TIMEOUT_SECONDS} s (state {state})"
                )
            time.sleep(delay)
            delay = min(delay * 2, settings.BULK_POLL_MAX_SECONDS)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_of(response: requests.Response) -> tuple[str, str]:
    """(errorCode, message) of a Salesforce error body (a list of errors, or one object)."""
    body = _json(response)
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("errorCode") or ""), str(body[0].get("message") or "")
    if isinstance(body, dict):
        code = body.get("errorCode") or body.get("error") or ""
        return str(code), str(body.get("message") or body.get("error_description") or "")
    return "", ""
