"""HubSpot helpers: flattening, the search paginator that works around the 10,000-result cap,
authentication errors that name the setting to fix, and association rows."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from dlt.common.typing import TDataItem
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import Request, Response

from . import settings

SETTING_API_KEY = "SOURCES__HUBSPOT__API_KEY"


class HubSpotAuthError(RuntimeError):
    """HubSpot refused the token: retrying cannot help, the setting must be fixed."""


def raise_on_auth_error(response: Response, *args: Any, **kwargs: Any) -> Response:
    """Response hook: a 401/403 fails at once, naming the setting and never the token."""
    if response.status_code in (401, 403):
        what = "rejected" if response.status_code == 401 else "lacks a scope for"
        path = response.request.path_url.split("?", 1)[0] if response.request else ""
        raise HubSpotAuthError(
            f"hubspot: HubSpot {what} the private app token (HTTP {response.status_code} on "
            f"{path}). Set {SETTING_API_KEY} (or [sources.hubspot] api_key in "
            ".dlt/secrets.toml) to a private app token with the crm.objects.contacts/"
            "companies/deals.read and crm.objects.owners.read scopes."
        )
    return response


def parse_timestamp(value: Any) -> datetime | None:
    """HubSpot timestamps: ISO-8601 in UTC (``2023-02-24T03:01:01.147Z``) or epoch millis."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_epoch_millis(value: Any) -> str:
    """The search API's datetime filter value: epoch milliseconds, as HubSpot documents it."""
    return str(int(parse_timestamp(value).timestamp() * 1000))


def flatten_crm_object(record: TDataItem) -> TDataItem:
    """One row per object: top-level fields plus every property as its own column.

    Empty strings (HubSpot's "cleared" value) become nulls, timestamps become datetimes so the
    incremental cursor compares instants, not strings. A timestamp that does not parse
    (``2024-02-30T10:00:00Z``) is passed on as sent: the quarantine step names it.
    """
    row = {k: v for k, v in record.items() if k not in ("properties", "associations")}
    for name, value in (record.get("properties") or {}).items():
        if value == "":
            value = None
        elif name in settings.TIMESTAMP_PROPERTIES:
            with contextlib.suppress(ValueError, OverflowError):
                value = parse_timestamp(value)
        row[name] = value
    return row


def property_columns(properties: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Column hints for the requested properties, so types never depend on the first values."""
    columns: dict[str, dict[str, Any]] = {
        "id": {"data_type": "text", "nullable": False},
        "created_at": {"data_type": "timestamp"},
        "updated_at": {"data_type": "timestamp"},
    }
    for name in properties:
        if name in settings.TIMESTAMP_PROPERTIES:
            data_type = "timestamp"
        elif name in settings.DECIMAL_PROPERTIES:
            data_type = "decimal"
        elif name in settings.BOOL_PROPERTIES:
            data_type = "bool"
        else:
            data_type = "text"
        columns[name] = {"data_type": data_type, "nullable": True}
    return columns


def search_body(cursor_property: str, properties: tuple[str, ...]) -> dict[str, Any]:
    """Objects modified at or after the incremental start value, oldest first."""
    return {
        "filterGroups": [
            {
                "filters": [
                    {
                        "propertyName": cursor_property,
                        "operator": "GTE",
                        "value": "{incremental.start_value}",
                    }
                ]
            }
        ],
        "sorts": [{"propertyName": cursor_property, "direction": "ASCENDING"}],
        "properties": list(properties),
        "limit": settings.SEARCH_PAGE_SIZE,
    }


class SearchCapExceeded(RuntimeError):
    pass


class HubSpotSearchPaginator(BasePaginator):
    """Pages a CRM search by ``after`` in the body and restarts before the 10,000-result cap.

    HubSpot answers at most 10,000 results per search query (``after`` past that is an error).
    The query is sorted by the modification time ascending, so when the next page would pass
    the cap, the query starts again with ``<cursor> GTE <latest modification time seen>`` and
    ``after`` cleared. Objects at that exact instant come again; the merge on ``id`` keeps one.
    """

    def __init__(
        self,
        cursor_property: str,
        page_size: int | None = None,
        max_results: int | None = None,
    ) -> None:
        super().__init__()
        self.cursor_property = cursor_property
        self.page_size = page_size or settings.SEARCH_PAGE_SIZE
        self.max_results = max_results or settings.SEARCH_MAX_RESULTS
        self._after: str | None = None
        self._restart_from: datetime | None = None
        self._latest_seen: datetime | None = None
        self._query_start: datetime | None = None
        self.restarts = 0

    def init_request(self, request: Request) -> None:
        self._after = None
        self._restart_from = None
        self._latest_seen = None
        self._query_start = None
        self._has_next_page = True

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        for item in data or []:
            seen = parse_timestamp((item.get("properties") or {}).get(self.cursor_property))
            if seen is not None and (self._latest_seen is None or seen > self._latest_seen):
                self._latest_seen = seen
        after = ((response.json().get("paging") or {}).get("next") or {}).get("after")
        if not after or not data:
            self._has_next_page = False
            return
        if int(after) + self.page_size > self.max_results:
            if self._latest_seen is None or self._latest_seen == self._query_start:
                raise SearchCapExceeded(
                    f"hubspot: more than {self.max_results} objects share the modification time "
                    f"{self._latest_seen} on {self.cursor_property}; HubSpot's search cannot "
                    "page past them. Load this object with a full refresh from the list endpoint."
                )
            self._restart_from = self._latest_seen
            self._query_start = self._latest_seen
            self._after = None
            self.restarts += 1
        else:
            self._after = str(after)

    def update_request(self, request: Request) -> None:
        body = copy.deepcopy(request.json) if request.json is not None else {}
        if self._restart_from is not None:
            for group in body.get("filterGroups", []):
                for flt in group.get("filters", []):
                    is_cursor = flt.get("propertyName") == self.cursor_property
                    if is_cursor and flt.get("operator") == "GTE":
                        flt["value"] = to_epoch_millis(self._restart_from)
            self._restart_from = None
        if self._after is None:
            body.pop("after", None)
        else:
            body["after"] = self._after
        request.json = body


class HubSpotAssociationError(RuntimeError):
    """HubSpot answered a batch read of associations with an error a retry cannot fix."""


def read_deal_associations(
    session: Any, base_url: str, to_object: str, deal_ids: list[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(deal id, v4 association)`` for every association of these deals to ``to_object``.

    ``POST /crm/v4/associations/deals/{to_object}/batch/read``, at most
    ``BATCH_READ_MAX_INPUTS`` deals per request; a deal with more associations than one result
    holds is asked again with its ``after``. A deal without associations comes back in
    ``errors`` (``NO_ASSOCIATIONS_FOUND``) and yields nothing; any other error fails the load
    naming the deal and HubSpot's message.
    """
    url = f"{base_url.rstrip('/')}/crm/v4/associations/deals/{to_object}/batch/read"
    pending: list[dict[str, str]] = [{"id": str(i)} for i in deal_ids]
    while pending:
        batch, pending = (
            pending[: settings.BATCH_READ_MAX_INPUTS],
            pending[settings.BATCH_READ_MAX_INPUTS :],
        )
        response = raise_on_auth_error(session.post(url, json={"inputs": batch}))
        if response.status_code not in (200, 207):
            raise HubSpotAssociationError(
                f"hubspot: the batch read of deal associations to {to_object} answered HTTP "
                f"{response.status_code}: {_message(response)}"
            )
        body = response.json()
        for error in body.get("errors") or []:
            if "NO_ASSOCIATIONS_FOUND" not in str(error.get("subCategory")):
                deals = ", ".join((error.get("context") or {}).get("fromObjectId") or ["?"])
                raise HubSpotAssociationError(
                    f"hubspot: deal {deals}: HubSpot could not read its associations to "
                    f"{to_object} ({error.get('category')}: {error.get('message')})"
                )
        for result in body.get("results") or []:
            deal_id = str(result["from"]["id"])
            for item in result.get("to") or []:
                yield deal_id, item
            after = ((result.get("paging") or {}).get("next") or {}).get("after")
            if after:
                pending.append({"id": deal_id, "after": str(after)})


def _message(response: Response) -> str:
    try:
        return str(response.json().get("message"))
    except ValueError:
        return response.text[:200]


def association_rows(id_column: str, deal_id: str, item: TDataItem) -> Iterator[TDataItem]:
    """One v4 association (``toObjectId`` + its types) of a deal, as one row per type."""
    for spec in item.get("associationTypes") or [{}]:
        type_id = spec.get("typeId")
        yield {
            "deal_id": deal_id,
            id_column: str(item["toObjectId"]),
            "type_id": type_id,
            "category": spec.get("category"),
            "label": spec.get("label"),
            "type": spec.get("label")
            or settings.ASSOCIATION_TYPE_NAMES.get(type_id)
            or f"type_{type_id}",
        }
