"""Google Ads: campaigns and daily campaign performance through the REST ``searchStream`` API.

``searchStream`` takes a GAQL query in a POST body and answers one JSON array of batches, which
dlt's declarative ``rest_api`` cannot page through; the resources here read it batch by batch
with dlt's REST client (retries, timeouts and the project's HTTP settings included).

    pipeline("google_ads").run(google_ads_source())
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient

from ingestion.destination import SCHEMA_CONTRACT
from ingestion.http import configured_session
from ingestion.quarantine import divert_unloadable

from . import settings
from .helpers import GoogleAdsAuth, as_id_list, search_stream


@dlt.source(name="google_ads", max_table_nesting=0, schema_contract=SCHEMA_CONTRACT)
def google_ads_source(
    customer_ids: list[str] = dlt.config.value,
    developer_token: str = dlt.secrets.value,
    access_token: str = dlt.secrets.value,
    login_customer_id: str | None = None,
    base_url: str = settings.DEFAULT_BASE_URL,
    api_version: str = settings.API_VERSION,
    start_date: str = settings.DEFAULT_START_DATE,
    end_date: str | None = None,
    lookback_days: int = settings.DEFAULT_LOOKBACK_DAYS,
) -> Any:
    """Every campaign of `customer_ids` and its daily impressions, clicks and cost.

    Args:
        customer_ids: Google Ads customer ids (digits, dashes allowed), a list or "1,2".
        developer_token: the API developer token (secret).
        access_token: an OAuth 2 access token for a user who can read the customers (secret).
        login_customer_id: the manager account the customers are read through, if any.
        base_url: the API host; the sandbox's URL in tests.
        api_version: the REST version in the path (``v21``).
        start_date: the first day the first run loads.
        end_date: load up to and including this day, keeping no state (a backfill).
        lookback_days: days before the last loaded day re-pulled on every run (restatements).
    """
    client = RESTClient(
        base_url=base_url,
        auth=GoogleAdsAuth(
            access_token, developer_token, str(login_customer_id or "").replace("-", "") or None
        ),
        session=configured_session(),
    )
    ids = as_id_list(customer_ids)
    window = dlt.sources.incremental(
        "date",
        initial_value=str(start_date),
        end_value=str(end_date) if end_date else None,
        range_end="closed",
        lag=lookback_days,
        # a quarantined record whose date is the bad value carries no cursor
        on_cursor_value_missing="include",
    )
    resources = (
        campaigns(client, ids, api_version),
        campaign_daily(client, ids, api_version, window),
    )
    return divert_unloadable("google_ads", resources)


@dlt.resource(
    name="campaigns",
    primary_key=("customer_id", "campaign_id"),
    write_disposition="merge",
    columns={"customer_id": {"data_type": "text"}, "campaign_id": {"data_type": "text"}},
)
def campaigns(client: RESTClient, customer_ids: list[str], api_version: str) -> Iterator[Any]:
    """One row per campaign, with its customer's currency and time zone."""
    for customer_id in customer_ids:
        yield from search_stream(client, api_version, customer_id, settings.CAMPAIGNS_QUERY)


@dlt.resource(
    name="campaign_daily",
    primary_key=("customer_id", "campaign_id", "date"),
    write_disposition="merge",
    columns={
        "customer_id": {"data_type": "text"},
        "campaign_id": {"data_type": "text"},
        "date": {"data_type": "date"},
        "impressions": {"data_type": "bigint"},
        "clicks": {"data_type": "bigint"},
        "cost_micros": {"data_type": "bigint"},
        "conversions": {"data_type": "double"},
        "conversions_value": {"data_type": "double"},
    },
)
def campaign_daily(
    client: RESTClient,
    customer_ids: list[str],
    api_version: str,
    window: dlt.sources.incremental[str] = dlt.sources.incremental("date"),  # noqa: B008
) -> Iterator[Any]:
    """One row per campaign and account-local day: impressions, clicks, cost in micros, and the
    conversions Google reports with their value.

    The window starts `lookback_days` before the last loaded day, so restated days are loaded
    again and replace the old rows (merge on customer, campaign and date).
    """
    start = window.start_value
    end = window.end_value or (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    query = settings.CAMPAIGN_DAILY_QUERY.format(start=start, end=end)
    for customer_id in customer_ids:
        yield from search_stream(client, api_version, customer_id, query)
