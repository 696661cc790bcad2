"""Microsoft Advertising: daily campaign performance through the asynchronous Reporting API.

A report is submitted, polled until it is ready (with a bounded wait) and downloaded as a zipped
CSV; that flow has no place in dlt's declarative ``rest_api``, so the resource runs it with dlt's
REST client (retries, timeouts and the project's HTTP settings included).

    pipeline("microsoft_ads").run(microsoft_ads_source())
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient

from ingestion.destination import SCHEMA_CONTRACT
from ingestion.http import configured_session
from ingestion.quarantine import divert_unloadable

from . import settings
from .helpers import (
    MicrosoftAdsAuth,
    as_id_list,
    download,
    report_request,
    report_rows,
    run_report,
)


@dlt.source(name="microsoft_ads", max_table_nesting=0, schema_contract=SCHEMA_CONTRACT)
def microsoft_ads_source(
    account_ids: list[str] = dlt.config.value,
    developer_token: str = dlt.secrets.value,
    access_token: str = dlt.secrets.value,
    customer_id: str | None = None,
    base_url: str = settings.DEFAULT_BASE_URL,
    start_date: str = settings.DEFAULT_START_DATE,
    end_date: str | None = None,
    lookback_days: int = settings.DEFAULT_LOOKBACK_DAYS,
    report_timeout_seconds: float = settings.DEFAULT_REPORT_TIMEOUT_SECONDS,
) -> Any:
    """Daily campaign performance of every account in `account_ids`.

    Args:
        account_ids: Microsoft Advertising account ids (a list or "1,2").
        developer_token: the API developer token (secret).
        access_token: an OAuth access token of a user who can read the accounts (secret).
        customer_id: the customer (manager) the accounts belong to, sent as ``CustomerId``.
        base_url: the reporting service's host; the sandbox's URL in tests.
        start_date: the first day the first run loads.
        end_date: load up to and including this day, keeping no state (a backfill).
        lookback_days: days before the last loaded day re-pulled on every run (restatements).
        report_timeout_seconds: how long to wait for a report before failing the run.
    """
    session = configured_session()
    client = RESTClient(
        base_url=base_url,
        auth=MicrosoftAdsAuth(access_token, developer_token, customer_id),
        session=session,
    )
    window = dlt.sources.incremental(
        "date",
        initial_value=str(start_date),
        end_value=str(end_date) if end_date else None,
        range_end="closed",
        lag=lookback_days,
        # a quarantined record whose date is the bad value carries no cursor
        on_cursor_value_missing="include",
    )
    report = campaign_performance_daily(
        client, session, as_id_list(account_ids), report_timeout_seconds, window
    )
    return divert_unloadable("microsoft_ads", [report])


@dlt.resource(
    name="campaign_performance_daily",
    primary_key=("account_id", "campaign_id", "date"),
    write_disposition="merge",
    columns={
        "date": {"data_type": "date"},
        "account_id": {"data_type": "text"},
        "campaign_id": {"data_type": "text"},
        "impressions": {"data_type": "bigint"},
        "clicks": {"data_type": "bigint"},
        "spend": {"data_type": "decimal"},
        "conversions": {"data_type": "decimal"},
        "revenue": {"data_type": "decimal"},
    },
)
def campaign_performance_daily(
    client: RESTClient,
    session: Any,
    account_ids: list[str],
    report_timeout_seconds: float,
    window: dlt.sources.incremental[str] = dlt.sources.incremental("date"),  # noqa: B008
) -> Iterator[Any]:
    """One row per campaign and account-local day: impressions, clicks, spend, currency, and the
    conversions Microsoft reports with their revenue.

    The window starts `lookback_days` before the last loaded day, so restated days are loaded
    again and replace the old rows (merge on account, campaign and date).
    """
    start = window.start_value
    end = window.end_value or datetime.now(UTC).date().isoformat()
    url = run_report(client, report_request(account_ids, start, end), report_timeout_seconds)
    if url is None:
        return
    with download(session, url) as archive:
        yield from report_rows(archive)
