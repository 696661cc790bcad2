"""The Marketo REST client: OAuth token, body-level error codes, retries, paging, bulk extract.

Marketo answers most errors with HTTP 200 and ``{"success": false, "errors": [...]}``, so every
body is read: 601/602 (token invalid/expired) refresh the token and retry, 606 and the other
transient codes back off and retry (bounded), anything else fails with Marketo's code. The
access token goes in an ``Authorization: Bearer`` header, never in a URL, and no error message
carries a credential.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from ingestion.http import configured_session, parse_instant

from . import settings

log = logging.getLogger(__name__)

SETTINGS_TO_FIX = (
    "SOURCES__MARKETO__CLIENT_ID and SOURCES__MARKETO__CLIENT_SECRET "
    "(or [sources.marketo] client_id / client_secret in .dlt/secrets.toml)"
)


class MarketoError(RuntimeError):
    """Marketo refused a request for a reason a retry cannot fix."""


class MarketoAuthError(MarketoError):
    """The credentials are wrong or lack a permission: the settings must be fixed."""


def parse_timestamp(value: Any) -> datetime | None:
    """Marketo instants: ``2023-01-16T23:32:19Z``, ``...+0000``, the asset API's ``...Z+0000``."""
    return parse_instant(value)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MarketoClient:
    """One Marketo instance: ``base_url`` like ``https://123-ABC-456.mktorest.com``."""

    def __init__(self, base_url: str, client_id: str, client_secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._token: str | None = None
        self._token_expires_at = 0.0
        # dlt's session retries 429, 5xx and timeouts with back-off (see .dlt/config.toml);
        # statuses are checked here so that no HTTPError (whose text holds the URL) escapes
        self._session = configured_session()

    def __repr__(self) -> str:  # never show the credentials
        return f"MarketoClient({self.base_url!r})"

    # -- token --------------------------------------------------------------------------------

    def _fetch_token(self) -> None:
        """Client-credentials grant. The identity endpoint takes the credentials as query
        parameters (Marketo's documented call), so no exception text from this request is ever
        passed on: it would hold the URL."""
        params = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        try:
            response = self._session.get(self.base_url + settings.TOKEN_PATH, params=params)
        except requests.RequestException as exc:
            raise MarketoError(
                f"marketo: the identity endpoint could not be reached ({type(exc).__name__})"
            ) from None
        body = _json(response)
        if response.status_code in (400, 401, 403) or (
            response.ok and not body.get("access_token")
        ):
            reason = body.get("error_description") or body.get("error") or "no access token"
            raise MarketoAuthError(
                f"marketo: Marketo refused the API credentials (HTTP {response.status_code}: "
                f"{_clean(reason, self)}). Set {SETTINGS_TO_FIX} to the LaunchPoint API "
                "service's client id and secret."
            )
        if not response.ok:
            raise MarketoError(
                f"marketo: the identity endpoint answered HTTP {response.status_code}"
            )
        self._token = body["access_token"]
        expires_in = float(body.get("expires_in") or 3600)
        self._token_expires_at = time.monotonic() + max(
            0.0, expires_in - settings.TOKEN_EXPIRY_MARGIN_SECONDS
        )

    def _current_token(self) -> tuple[str, bool]:
        """(token, whether it was just fetched)."""
        if self._token is None or time.monotonic() >= self._token_expires_at:
            self._fetch_token()
            return self._token, True  # type: ignore[return-value]
        return self._token, False

    # -- calls --------------------------------------------------------------------------------

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        method: str = "GET",
    ) -> dict[str, Any]:
        """One call whose body reports success; retries token and rate-limit errors (bounded)."""
        delay = settings.FIRST_BACKOFF_SECONDS
        last_error = ""
        for _ in range(settings.MAX_ATTEMPTS):
            token, fresh = self._current_token()
            response = self._session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}"},
            )
            if not response.ok:
                self._raise_for_status(response.status_code, path)
            body = _json(response)
            if body.get("success", False):
                return body
            delay, last_error = self._handle_body_error(body, path, fresh, delay)
        raise MarketoError(
            f"marketo: {path} still failing after {settings.MAX_ATTEMPTS} attempts: {last_error}"
        )

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One POST (bulk extract jobs), with the same body checks and retries as ``get``."""
        return self.get(path, json=body if body is not None else {}, method="POST")

    def stream(self, path: str) -> requests.Response:
        """A streamed file download (bulk extract); the caller reads and closes it.

        An error comes back as a JSON body instead of the file, with the same codes as ``get``.
        """
        delay = settings.FIRST_BACKOFF_SECONDS
        last_error = ""
        for _ in range(settings.MAX_ATTEMPTS):
            token, fresh = self._current_token()
            response = self._session.get(
                self.base_url + path, headers={"Authorization": f"Bearer {token}"}, stream=True
            )
            if not response.ok:
                response.close()
                self._raise_for_status(response.status_code, path)
            if not response.headers.get("content-type", "").startswith("application/json"):
                return response
            body = _json(response)
            response.close()
            delay, last_error = self._handle_body_error(body, path, fresh, delay)
        raise MarketoError(
            f"marketo: {path} still failing after {settings.MAX_ATTEMPTS} attempts: {last_error}"
        )

    @staticmethod
    def _raise_for_status(status: int, path: str) -> None:
        if status in (401, 403):
            raise MarketoAuthError(
                f"marketo: HTTP {status} on {path}; the API user lacks a permission or the "
                f"credentials are wrong. Check {SETTINGS_TO_FIX}."
            )
        raise MarketoError(f"marketo: HTTP {status} on {path}")

    def _handle_body_error(
        self, body: dict[str, Any], path: str, fresh: bool, delay: float
    ) -> tuple[float, str]:
        """Decides on a ``success: false`` body: refresh the token, back off, or fail.

        Returns (the next back-off delay, the error as text); raises when a retry cannot help.
        """
        errors = body.get("errors") or [{"code": "?", "message": "success is false"}]
        codes = {str(e.get("code")) for e in errors}
        text = "; ".join(f"{e.get('code')} {_clean(e.get('message'), self)}" for e in errors)
        if codes & settings.TOKEN_ERROR_CODES:
            if fresh:
                raise MarketoAuthError(
                    f"marketo: a freshly issued access token was refused on {path} ({text}). "
                    f"Check {SETTINGS_TO_FIX}."
                )
            self._token = None  # fetch a new one and retry at once
            return delay, text
        if codes <= settings.RETRYABLE_ERROR_CODES:
            log.warning("marketo: %s on %s, retrying in %.1f s", text, path, delay)
            time.sleep(delay)
            return min(delay * 2, settings.MAX_BACKOFF_SECONDS), text
        raise MarketoError(f"marketo: {path} failed: {text}")

    def paged(
        self, path: str, params: dict[str, Any], last: dict[str, Any] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``result`` following ``nextPageToken`` while ``moreResult`` is true; the
        final answer's ``nextPageToken`` is put in ``last`` (an activity scan resumes from it)."""
        params = dict(params)
        while True:
            body = self.get(path, params)
            page = body.get("result") or []
            if page:
                yield page
            token = body.get("nextPageToken")
            if not body.get("moreResult") or not token:
                if last is not None:
                    last["nextPageToken"] = token
                return
            params["nextPageToken"] = token

    def offset_paged(self, path: str, page_size: int) -> Iterator[list[dict[str, Any]]]:
        """Pages of the asset API (``offset``/``maxReturn``) until a page comes back short."""
        offset = 0
        while True:
            body = self.get(path, {"maxReturn": page_size, "offset": offset})
            page = body.get("result") or []
            if page:
                yield page
            if len(page) < page_size:
                return
            offset += page_size


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _clean(message: Any, client: MarketoClient) -> str:
    """An API message with any credential the client holds blanked out."""
    text = str(message)
    for secret in (client._client_id, client._client_secret, client._token):
        if secret:
            text = text.replace(secret, "***")
    return text


def export_leads(
    client: MarketoClient, since: datetime, until: datetime, fields: tuple[str, ...]
) -> Iterator[list[dict[str, Any]]]:
    """Leads updated in [since, until), by bulk lead extract jobs of at most 31 days each.

    Marketo's recommended interface for warehousing: create a job with an ``updatedAt``
    window, enqueue it, poll its status, then stream its CSV file. Jobs run one at a time
    (Marketo processes at most two at once per instance).
    """
    window = timedelta(days=settings.EXPORT_WINDOW_DAYS)
    start = since
    while start < until:
        end = min(start + window, until)
        job = client.post(
            settings.EXPORT_CREATE_PATH,
            {
                "fields": list(fields),
                "format": "CSV",
                "filter": {"updatedAt": {"startAt": iso(start), "endAt": iso(end)}},
            },
        )["result"][0]
        export_id = job["exportId"]
        client.post(settings.EXPORT_ENQUEUE_PATH.format(export_id=export_id))
        _wait_for_export(client, export_id)
        yield from _read_export(client, export_id)
        start = end


def _wait_for_export(client: MarketoClient, export_id: str) -> None:
    delay = settings.EXPORT_POLL_FIRST_SECONDS
    deadline = time.monotonic() + settings.EXPORT_TIMEOUT_SECONDS
    path = settings.EXPORT_STATUS_PATH.format(export_id=export_id)
    while True:
        try:
            status = client.get(path)["result"][0]["status"]
        except MarketoAuthError:
            raise
        except (MarketoError, requests.RequestException) as exc:
            # a status poll that timed out or failed says nothing of the job, which runs on in
            # Marketo: poll again, until the same deadline as a job that is still running
            if time.monotonic() > deadline:
                raise MarketoError(
                    f"marketo: bulk lead extract {export_id}: its status could not be read "
                    f"({type(exc).__name__}) until the deadline; gave up"
                ) from None
            log.warning(
                "marketo: reading the status of bulk lead extract %s failed (%s); again in %.1f s",
                export_id, type(exc).__name__, delay,
            )  # fmt: skip
            time.sleep(delay)
            delay = min(delay * 2, settings.EXPORT_POLL_MAX_SECONDS)
            continue
        if status == "Completed":
            return
        if status in ("Failed", "Cancelled"):
            raise MarketoError(f"marketo: bulk lead extract {export_id} ended {status}")
        if time.monotonic() > deadline:
            raise MarketoError(f"marketo: bulk lead extract {export_id} still {status}; gave up")
        time.sleep(delay)
        delay = min(delay * 2, settings.EXPORT_POLL_MAX_SECONDS)


def _read_export(client: MarketoClient, export_id: str) -> Iterator[list[dict[str, Any]]]:
    """The job's CSV, streamed, in pages; Marketo writes a missing value as ``null``."""
    response = client.stream(settings.EXPORT_FILE_PATH.format(export_id=export_id))
    try:
        response.raw.decode_content = True
        text = io.TextIOWrapper(response.raw, encoding="utf-8", newline="")
        page: list[dict[str, Any]] = []
        for record in csv.DictReader(text):
            row: dict[str, Any] = {k: (None if v in ("null", "") else v) for k, v in record.items()}
            for key in ("createdAt", "updatedAt"):
                if key in row:
                    row[key] = parse_timestamp(row[key])
            if row.get("id") is not None:
                row["id"] = int(row["id"])
            page.append(row)
            if len(page) >= settings.LEAD_ROWS_PER_PAGE:
                yield page
                page = []
        if page:
            yield page
    finally:
        response.close()


def flatten_attributes(attributes: list[dict[str, Any]] | None) -> dict[str, Any]:
    """``[{"name": "Query Parameters", "value": "..."}]`` -> ``{"Query Parameters": "..."}``."""
    return {a.get("name"): a.get("value") for a in attributes or [] if a.get("name") is not None}
