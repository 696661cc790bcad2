"""LinkedIn ads: ad accounts, campaigns and daily campaign analytics, with dlt's ``rest_api``.

The versioned Marketing API (``/rest``, ``LinkedIn-Version`` header, Rest.li 2.0 query syntax)
pages campaign search with ``pageToken``; the analytics finder answers one page per request.

    pipeline("linkedin").run(linkedin_source())
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from dlt.sources.rest_api import rest_api_resources

from ingestion.destination import SCHEMA_CONTRACT
from ingestion.http import configured_session
from ingestion.quarantine import divert_unloadable

from . import settings
from .helpers import LinkedInAuth, analytics_row, as_id_list, restli_date


@dlt.source(name="linkedin", max_table_nesting=0, schema_contract=SCHEMA_CONTRACT)
def linkedin_source(
    account_ids: list[str] = dlt.config.value,
    access_token: str = dlt.secrets.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    api_version: str = settings.API_VERSION,
    start_date: str = settings.DEFAULT_START_DATE,
    lookback_days: int = settings.DEFAULT_LOOKBACK_DAYS,
    page_size: int = settings.CAMPAIGN_PAGE_SIZE,
) -> Any:
    """Ad accounts, their campaigns and daily campaign analytics for `account_ids`.

    Args:
        account_ids: sponsored ad account ids (a list or "1,2"; URNs accepted).
        access_token: an OAuth token with r_ads and r_ads_reporting (secret).
        base_url: LinkedIn's API host; the sandbox's URL in tests.
        api_version: the ``LinkedIn-Version`` header (YYYYMM).
        start_date: the first day the first run loads.
        lookback_days: days before the last loaded day re-pulled on every run (restatements).
        page_size: campaigns per page of the campaign search (``pageSize``).
    """
    config: Any = {
        "client": {
            "base_url": f"{base_url.rstrip('/')}/",
            "auth": LinkedInAuth(token=access_token),
            "session": configured_session(),
            "headers": {
                "LinkedIn-Version": str(api_version),
                "X-Restli-Protocol-Version": "2.0.0",
            },
        },
        "resource_defaults": {"write_disposition": "merge"},
        "resources": [
            configured_accounts(as_id_list(account_ids)),
            {
                "name": "ad_accounts",
                "primary_key": "id",
                "columns": {"id": {"data_type": "text"}},
                "endpoint": {
                    "path": "rest/adAccounts/{resources.configured_accounts.id}",
                    "data_selector": "$",
                    "paginator": "single_page",
                },
            },
            {
                "name": "campaigns",
                "primary_key": "id",
                "columns": {"id": {"data_type": "text"}},
                "endpoint": {
                    "path": "rest/adAccounts/{resources.ad_accounts.id}/adCampaigns",
                    "params": {"q": "search", "pageSize": page_size},
                    "data_selector": "elements",
                    "paginator": JSONResponseCursorPaginator(
                        cursor_path="metadata.nextPageToken", cursor_param="pageToken"
                    ),
                },
            },
            {
                "name": "campaign_analytics_daily",
                "primary_key": ["account_id", "campaign_id", "date"],
                "columns": {
                    "account_id": {"data_type": "text"},
                    "campaign_id": {"data_type": "text"},
                    "date": {"data_type": "date"},
                    "impressions": {"data_type": "bigint"},
                    "clicks": {"data_type": "bigint"},
                    "cost_in_local_currency": {"data_type": "decimal"},
                    "cost_in_usd": {"data_type": "decimal"},
                    "external_website_conversions": {"data_type": "bigint"},
                    "conversion_value_in_local_currency": {"data_type": "decimal"},
                },
                "include_from_parent": ["id", "currency"],
                "endpoint": {
                    "path": settings.ANALYTICS_PATH,
                    "data_selector": "elements",
                    "paginator": "single_page",
                    "incremental": {
                        "cursor_path": "date",
                        "initial_value": str(start_date),
                        "lag": lookback_days,
                        "convert": restli_date,
                        # a quarantined row whose date is the bad value carries no cursor
                        "on_cursor_value_missing": "include",
                    },
                },
                "processing_steps": [{"map": analytics_row}],
            },
        ],
    }
    return divert_unloadable("linkedin", rest_api_resources(config))


@dlt.resource(name="configured_accounts", selected=False)
def configured_accounts(account_ids: list[str]) -> Iterator[list[dict[str, str]]]:
    """The configured account ids the other resources read; not loaded itself.

    Yielded as one page (a list), the shape rest_api's dependent resources iterate over.
    """
    yield [{"id": account_id} for account_id in account_ids]
