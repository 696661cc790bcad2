"""Google Ads helpers: authentication that fails fast, the searchStream reader, row flattening."""

from __future__ import annotations

import codecs
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from dlt.sources.helpers.rest_client import RESTClient
from requests import PreparedRequest, Response
from requests.auth import AuthBase

from ingestion.http import config_list

from . import settings


class GoogleAdsCredentialsError(RuntimeError):
    """Google refused the credentials: retrying cannot help, a setting must be fixed."""


class GoogleAdsApiError(RuntimeError):
    """Google answered with an error that is not about credentials (a bad query, a bad id)."""


def error_codes(response: Response) -> list[str]:
    """Google's error enum names (``authenticationError: OAUTH_TOKEN_INVALID``), never free text."""
    try:
        body = response.json()
    except ValueError:
        return []
    bodies = body if isinstance(body, list) else [body]
    codes = []
    for item in bodies:
        error = item.get("error", {}) if isinstance(item, dict) else {}
        for detail in error.get("details", []) or []:
            for err in detail.get("errors", []) or []:
                for kind, code in (err.get("errorCode") or {}).items():
                    if re.fullmatch(r"[A-Za-z_]+", f"{kind}{code}"):
                        codes.append(f"{kind}: {code}")
        if not codes and re.fullmatch(r"[A-Z_]+", str(error.get("status", ""))):
            codes.append(str(error["status"]))
    return codes


def credentials_message(status: int, codes: list[str]) -> str:
    """Which setting to fix, from the status and Google's error codes; never a secret value."""
    text = " ".join(codes)
    if "DEVELOPER_TOKEN" in text:
        return (
            f"google_ads: the developer token was rejected ({status}; {text}); "
            f"set {settings.SETTING_DEVELOPER_TOKEN}"
        )
    if status == 401:
        why = f"; {text}" if text else ""
        return (
            f"google_ads: the access token was rejected ({status}{why}); "
            f"set {settings.SETTING_ACCESS_TOKEN}"
        )
    why = f"; {text}" if text else ""
    return (
        f"google_ads: the credentials may not read this customer ({status}{why}); check "
        f"{settings.SETTING_CUSTOMER_IDS}, {settings.SETTING_LOGIN_CUSTOMER_ID} (the manager "
        f"account, if any) and that {settings.SETTING_ACCESS_TOKEN} belongs to a user with access"
    )


class GoogleAdsAuth(AuthBase):
    """OAuth access token and developer token in headers; a 401/403 fails the run at once.

    The failure is raised from a response hook, before dlt's retry logic sees the response, so
    nothing is retried, and the message names the setting to fix, never its value.
    """

    def __init__(self, access_token: str, developer_token: str, login_customer_id: str | None):
        self.access_token = access_token
        self.developer_token = developer_token
        self.login_customer_id = login_customer_id

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.access_token}"
        request.headers["developer-token"] = self.developer_token
        if self.login_customer_id:
            request.headers["login-customer-id"] = self.login_customer_id
        request.register_hook("response", _fail_on_rejected_credentials)
        return request


def _fail_on_rejected_credentials(response: Response, *args: Any, **kwargs: Any) -> Response:
    if response.status_code in (401, 403):
        raise GoogleAdsCredentialsError(
            credentials_message(response.status_code, error_codes(response))
        )
    return response


def as_id_list(value: Any) -> list[str]:
    """Ids from config: a list, a JSON list or a comma-separated string; dashes removed."""
    value = config_list(value)
    return [v.replace("-", "") for v in value]


def iter_json_array(chunks: Iterable[bytes]) -> Iterator[Any]:
    """The elements of a top-level JSON array, decoded one at a time as the bytes arrive.

    A searchStream answer is one array of batches of up to 10,000 rows; reading it this way
    keeps one batch in memory, not the whole answer. A decode is retried only once the buffer
    has doubled, so a large element costs O(size) rather than one attempt per chunk.
    """
    decoder = json.JSONDecoder()
    text_of = codecs.getincrementaldecoder("utf-8")()
    buffer = ""
    opened = False
    retry_at = 0
    for chunk in itertools.chain(chunks, [None]):
        final = chunk is None
        buffer += text_of.decode(b"" if final else chunk, final=final)
        if len(buffer) < retry_at and not final:
            continue
        pos = 0
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(buffer):
                break
            if not opened:
                if buffer[pos] != "[":
                    raise GoogleAdsApiError("google_ads: searchStream did not answer a JSON array")
                opened = True
                pos += 1
                continue
            if buffer[pos] == "]":
                return
            try:
                element, pos = decoder.raw_decode(buffer, pos)
            except json.JSONDecodeError:
                break
            yield element
        buffer = buffer[pos:]
        retry_at = 2 * len(buffer)
    if buffer.strip() or not opened:
        raise GoogleAdsApiError("google_ads: the searchStream answer ended in the middle")


def search_stream(
    client: RESTClient, api_version: str, customer_id: str, query: str
) -> Iterator[list[dict[str, Any]]]:
    """Yield the result rows of one GAQL query, one batch at a time."""
    path = settings.SEARCH_STREAM_PATH.format(version=api_version, customer_id=customer_id)
    response = client.post(path, json={"query": query}, stream=True)
    with response:
        if response.status_code >= 400:
            codes = "; ".join(error_codes(response)) or response.reason
            raise GoogleAdsApiError(
                f"google_ads: searchStream for customer {customer_id} failed "
                f"({response.status_code}; {codes})"
            )
        for batch in iter_json_array(response.iter_content(chunk_size=1 << 16)):
            if "error" in batch:
                codes = "; ".join(error_codes(_BodyOnly([batch])))
                raise GoogleAdsApiError(
                    f"google_ads: searchStream for customer {customer_id} failed ({codes})"
                )
            results = batch.get("results") or []
            if results:
                yield [flatten_row(result) for result in results]


class _BodyOnly:
    """Lets ``error_codes`` read an error found inside the stream."""

    def __init__(self, body: Any):
        self._body = body

    def json(self) -> Any:
        return self._body


def flatten_row(result: dict[str, Any]) -> dict[str, Any]:
    """``{"campaign": {"id": "1"}, "metrics": {"costMicros": "5"}}`` -> campaign_id, cost_micros.

    Metrics and segments keep their own names, other resources are prefixed with theirs. Every
    field Google sends is kept (a newly selected or newly added field becomes a new column);
    ``resourceName`` is dropped as it repeats the ids. int64 metrics become integers (0 when
    left out, as proto3 JSON does with zeros; the queries here select all of them; the double
    metrics 0.0 likewise), but a
    value that is not an integer is passed on as sent, so the schema contract reports it.
    """
    row: dict[str, Any] = {}
    for resource, fields in result.items():
        if not isinstance(fields, dict):
            row[_snake(resource)] = fields
            continue
        for key, value in fields.items():
            if key == "resourceName":
                continue
            if resource in ("metrics", "segments"):
                column = _snake(key)
            else:
                column = settings.COLUMN_NAMES.get((resource, key), f"{resource}_{_snake(key)}")
            if resource == "metrics" and key in settings.INT64_METRICS:
                value = _as_int(value)
            row[column] = value
    if "metrics" in result:
        # proto3 JSON leaves zero values out: a selected count or cost that is absent is 0
        for key in settings.INT64_METRICS:
            row.setdefault(_snake(key), 0)
        for key in settings.DOUBLE_METRICS:
            row.setdefault(_snake(key), 0.0)
    return row


def _as_int(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
