"""LinkedIn helpers: token auth that fails fast, Rest.li dates, flat analytics rows."""

from __future__ import annotations

import contextlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from dlt.common.configuration import configspec
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from requests import PreparedRequest, Response

from ingestion.http import config_list

from . import settings


class LinkedInCredentialsError(RuntimeError):
    """LinkedIn refused the token: retrying cannot help, the setting must be fixed."""


@configspec
class LinkedInAuth(BearerTokenAuth):
    """The access token as a bearer header; a 401/403 fails the run at once, unretried.

    The message names the setting to fix and LinkedIn's error code, never the token.
    """

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request = super().__call__(request)
        request.register_hook("response", _fail_on_rejected_token)
        return request


def _fail_on_rejected_token(response: Response, *args: Any, **kwargs: Any) -> Response:
    if response.status_code not in (401, 403):
        return response
    try:
        code = str((response.json() or {}).get("code", ""))
    except (ValueError, AttributeError):
        code = ""
    code = code if re.fullmatch(r"[A-Z_]+", code) else ""
    detail = f"; {code}" if code else ""
    if response.status_code == 401:
        raise LinkedInCredentialsError(
            f"linkedin: the access token was rejected ({response.status_code}{detail}); "
            f"set {settings.SETTING_ACCESS_TOKEN}"
        )
    raise LinkedInCredentialsError(
        f"linkedin: the access token may not read an ad account ({response.status_code}{detail});"
        f" check {settings.SETTING_ACCOUNT_IDS} and that {settings.SETTING_ACCESS_TOKEN} has"
        " the r_ads and r_ads_reporting scopes on those accounts"
    )


def as_id_list(value: Any) -> list[str]:
    """Account ids from config (a list or "1,2"); ``urn:li:sponsoredAccount:`` prefixes dropped."""
    value = config_list(value)
    return [v.rsplit(":", 1)[-1] for v in value]


def restli_date(value: Any) -> str:
    """``2025-01-31`` -> ``(year:2025,month:1,day:31)``, Rest.li 2.0's date record."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"(year:{day.year},month:{day.month},day:{day.day})"


def analytics_row(element: dict[str, Any]) -> dict[str, Any]:
    """One analytics element as a flat row: account, campaign, date, metrics, currency.

    ``pivotValues`` becomes the campaign URN and id, ``dateRange.start`` the date (a DAILY row
    covers one day); the account's id and currency come from the ad account read before. Costs
    become decimals; every other field is kept as LinkedIn sent it (a new metric becomes a new
    column, a value of another type reaches the schema contract).
    """
    row = dict(element)
    row["account_id"] = str(row.pop("_ad_accounts_id", ""))
    row["currency"] = row.pop("_ad_accounts_currency", None)
    pivots = row.pop("pivotValues", None) or []
    urn = pivots[0] if pivots else None
    row["campaign_urn"] = urn
    row["campaign_id"] = urn.rsplit(":", 1)[-1] if urn else None
    start = (row.pop("dateRange", None) or {}).get("start") or {}
    if start:
        row["date"] = f"{start['year']:04d}-{start['month']:02d}-{start['day']:02d}"
    for name in settings.DECIMAL_FIELDS:
        value = row.get(name)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            with contextlib.suppress(InvalidOperation):
                row[name] = Decimal(str(value))
    return row
