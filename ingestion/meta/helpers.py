"""Meta helpers: token auth that fails fast, the next-URL paginator, typed insight rows."""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dlt.common.configuration import configspec
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests import PreparedRequest, Request, Response

from ingestion.http import config_list

from . import settings


class MetaCredentialsError(RuntimeError):
    """Meta refused the token: retrying cannot help, the setting must be fixed."""


@configspec
class MetaAuth(BearerTokenAuth):
    """The access token as a bearer header (never in the URL); a refused token fails at once.

    The failure is raised from a response hook, before dlt's retry logic sees the response, so
    nothing is retried, and the message names the setting to fix, never its value.
    """

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request = super().__call__(request)
        request.register_hook("response", _fail_on_rejected_token)
        return request


def _fail_on_rejected_token(response: Response, *args: Any, **kwargs: Any) -> Response:
    if response.status_code < 400 or response.status_code >= 500:
        return response
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code")
    if response.status_code in (401, 403) or code in settings.TOKEN_ERROR_CODES:
        kind = error.get("type") if re.fullmatch(r"\w+", str(error.get("type", ""))) else ""
        detail = f"; {kind} code {code}" if code is not None else ""
        raise MetaCredentialsError(
            f"meta: the access token was rejected ({response.status_code}{detail}); set "
            f"{settings.SETTING_ACCESS_TOKEN} to a token with ads_read on every account in "
            f"{settings.SETTING_ACCOUNT_IDS}"
        )
    return response


class NextUrlWithoutToken(JSONLinkPaginator):
    """Follows ``paging.next``, dropping any ``access_token`` Meta copied into it.

    Meta repeats the request's query in ``next``, the token included when it was sent that way;
    the token travels in the header, so the URL (which dlt logs) never has to carry it.
    """

    def __init__(self) -> None:
        super().__init__(next_url_path="paging.next")

    def update_request(self, request: Request) -> None:
        super().update_request(request)
        request.url = strip_token(request.url)


def strip_token(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in query if k.lower() != "access_token"]
    if len(kept) == len(query):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def account_node(account_id: Any) -> str:
    """``act_<id>``, whether the setting has the prefix or not."""
    text = str(account_id).strip()
    return text if text.startswith("act_") else f"act_{text}"


def as_id_list(value: Any) -> list[str]:
    value = config_list(value)
    return [account_node(v) for v in value]


def typed_insight(row: dict[str, Any]) -> dict[str, Any]:
    """Counts as integers, spend and the action numbers as decimals, as Meta means them; other
    fields unchanged.

    A value that does not parse is passed on as sent, so the schema contract reports it.
    """
    for name in settings.INTEGER_FIELDS:
        value = row.get(name)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            row[name] = int(value)
    for name in settings.DECIMAL_FIELDS:
        value = row.get(name)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            with contextlib.suppress(InvalidOperation):
                row[name] = Decimal(str(value))
    for name in ("actions", "action_values"):
        for action in row.get(name) or []:
            for key in settings.ACTION_NUMBER_FIELDS:
                value = action.get(key)
                if isinstance(value, str):
                    with contextlib.suppress(InvalidOperation):
                        action[key] = Decimal(value)
    return row
