"""HubSpot CRM: contacts, companies and deals (incremental by the search API), the deals'
associations to contacts and companies, deal pipelines with their stages, and owners.

Runs with plain dlt::

    from ingestion.hubspot import hubspot_source
    from ingestion.destination import pipeline

    pipeline("hubspot").run(hubspot_source())

A full refresh (every object again, state reset, tables replaced) is one argument:
``pipeline("hubspot").run(hubspot_source(), refresh="drop_sources")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.common.typing import TDataItems
from dlt.sources import DltResource
from dlt.sources.rest_api import rest_api_resources

from ingestion.destination import SCHEMA_CONTRACT
from ingestion.http import configured_session
from ingestion.quarantine import divert_unloadable, is_quarantine_row

from . import settings
from .helpers import (
    HubSpotSearchPaginator,
    association_rows,
    flatten_crm_object,
    parse_timestamp,
    property_columns,
    raise_on_auth_error,
    read_deal_associations,
    search_body,
    to_epoch_millis,
)


@dlt.source(name="hubspot", schema_contract=SCHEMA_CONTRACT, max_table_nesting=1)
def hubspot_source(
    api_key: str = dlt.secrets.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    start_date: str = settings.DEFAULT_START,
) -> list[DltResource]:
    """HubSpot CRM through its v3 REST API, authenticated with a private app token.

    Args:
        api_key: private app token (``SOURCES__HUBSPOT__API_KEY``); sent as a Bearer header.
        base_url: API host, ``https://api.hubapi.com`` unless pointed at the sandbox.
        start_date: earliest modification time loaded when there is no state yet.
    """
    resources = rest_api_resources(_rest_api_config(api_key, base_url, start_date))
    deals = next(r for r in resources if r.name == "deals")
    session = configured_session()
    session.headers["Authorization"] = f"Bearer {api_key}"
    associations = [
        deals | deal_associations(session, base_url, table, to_object, id_column)
        for table, (to_object, id_column) in settings.DEAL_ASSOCIATIONS.items()
    ]
    return divert_unloadable("hubspot", [*resources, *associations])


def _rest_api_config(api_key: str, base_url: str, start_date: str) -> dict[str, Any]:
    return {
        "client": {
            "base_url": base_url,
            "auth": {"type": "bearer", "token": api_key},
            "session": configured_session(),
        },
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
            "endpoint": {"response_actions": [raise_on_auth_error]},
        },
        "resources": [
            *(
                _search_resource(name, cursor, properties, start_date)
                for name, (cursor, properties) in settings.CRM_OBJECTS.items()
            ),
            {
                "name": "deal_pipelines",
                "endpoint": {
                    "path": "/crm/v3/pipelines/deals",
                    "data_selector": "results",
                    "paginator": "single_page",
                },
                "columns": {"stages": {"data_type": "json"}},
            },
            {
                "name": "deal_pipeline_stages",
                "endpoint": {
                    "path": "/crm/v3/pipelines/deals",
                    "data_selector": "results",
                    "paginator": "single_page",
                },
                "primary_key": ["pipeline_id", "id"],
                "processing_steps": [{"yield_map": _pipeline_stages}],
            },
            {
                "name": "owners",
                "endpoint": {
                    "path": "/crm/v3/owners",
                    "params": {"limit": settings.LIST_PAGE_SIZE},
                    "data_selector": "results",
                    "paginator": {
                        "type": "cursor",
                        "cursor_path": "paging.next.after",
                        "cursor_param": "after",
                    },
                },
            },
        ],
    }


def _search_resource(
    name: str, cursor: str, properties: tuple[str, ...], start_date: str
) -> dict[str, Any]:
    """A CRM object loaded incrementally: search on the modification time, oldest first."""
    return {
        "name": name,
        "columns": property_columns(properties),
        "endpoint": {
            "path": f"/crm/v3/objects/{name}/search",
            "method": "POST",
            "json": search_body(cursor, properties),
            "data_selector": "results",
            "paginator": HubSpotSearchPaginator(cursor),
            # the flattening map runs before the incremental step: the cursor is a datetime
            "incremental": {
                "cursor_path": cursor,
                "initial_value": parse_timestamp(start_date),
                "convert": to_epoch_millis,
                # a quarantined object whose cursor is the bad value carries none
                "on_cursor_value_missing": "include",
            },
        },
        "processing_steps": [{"map": flatten_crm_object}],
    }


def deal_associations(
    session: Any, base_url: str, table: str, to_object: str, id_column: str
) -> DltResource:
    """Associations of every deal of this load (search results carry none), one row per type,
    read by the v4 batch endpoint for each page of deals.

    A changed deal's rows replace all of its earlier rows (delete-insert on ``deal_id``), so an
    association removed in HubSpot disappears here too.
    """

    @dlt.transformer(
        name=table,
        primary_key=["deal_id", id_column, "type_id"],
        merge_key="deal_id",
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        columns={
            "deal_id": {"data_type": "text", "nullable": False},
            id_column: {"data_type": "text", "nullable": False},
            "type_id": {"data_type": "bigint", "nullable": False},
            "category": {"data_type": "text"},
            "label": {"data_type": "text"},
            "type": {"data_type": "text"},
        },
    )
    def rows(deals: TDataItems) -> Iterator[TDataItems]:
        # a deal that went to the quarantine has no associations to load
        items = deals if isinstance(deals, list) else [deals]
        ids = [d["id"] for d in items if not is_quarantine_row(d)]
        if not ids:
            return
        page = [
            row
            for deal_id, item in read_deal_associations(session, base_url, to_object, ids)
            for row in association_rows(id_column, deal_id, item)
        ]
        if page:
            yield page

    return rows


def _pipeline_stages(pipeline: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for stage in pipeline.get("stages") or []:
        yield {"pipeline_id": pipeline["id"], **stage}
