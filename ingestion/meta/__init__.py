"""Meta (Facebook/Instagram) ads: campaigns and daily campaign insights, with dlt's ``rest_api``.

The Marketing API pages with cursors and a ready-made ``paging.next`` URL, which the declarative
config follows; the access token travels in the ``Authorization`` header, never in a URL.

    pipeline("meta").run(meta_source())
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.sources.rest_api import rest_api_resources

from ingestion.destination import SCHEMA_CONTRACT
from ingestion.http import configured_session
from ingestion.quarantine import divert_unloadable

from . import settings
from .helpers import MetaAuth, NextUrlWithoutToken, as_id_list, typed_insight


@dlt.source(name="meta", max_table_nesting=1, schema_contract=SCHEMA_CONTRACT)
def meta_source(
    account_ids: list[str] = dlt.config.value,
    access_token: str = dlt.secrets.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    api_version: str = settings.API_VERSION,
    start_date: str = settings.DEFAULT_START_DATE,
    lookback_days: int = settings.DEFAULT_LOOKBACK_DAYS,
    page_size: int = settings.PAGE_SIZE,
) -> Any:
    """Campaigns and daily campaign-level insights of every ad account in `account_ids`.

    Args:
        account_ids: ad account ids, with or without ``act_`` (a list, or "1,2").
        access_token: a system-user or user token with ``ads_read`` (secret).
        base_url: the Graph API host; the sandbox's URL in tests.
        api_version: the Graph API version in the path (``v23.0``).
        start_date: the first day the first run loads (account-local dates).
        lookback_days: days before the last loaded day re-pulled on every run (restatements).
        page_size: rows per page (``limit``).
    """
    # until "tomorrow" in UTC: no account's local today is later, Meta reports up to now
    until = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    config: Any = {
        "client": {
            "base_url": f"{base_url.rstrip('/')}/{api_version}/",
            "auth": MetaAuth(token=access_token),
            "session": configured_session(),
            "paginator": NextUrlWithoutToken(),
        },
        "resource_defaults": {
            "write_disposition": "merge",
            "endpoint": {"data_selector": "data"},
        },
        "resources": [
            ad_accounts(as_id_list(account_ids)),
            {
                "name": "campaigns",
                "primary_key": "id",
                "columns": {"id": {"data_type": "text"}, "account_id": {"data_type": "text"}},
                "endpoint": {
                    "path": "{resources.ad_accounts.account_id}/campaigns",
                    "params": {
                        "fields": ",".join(settings.CAMPAIGN_FIELDS),
                        "limit": page_size,
                    },
                },
            },
            {
                "name": "campaign_insights_daily",
                "primary_key": ["account_id", "campaign_id", "date_start"],
                "columns": {
                    "account_id": {"data_type": "text"},
                    "campaign_id": {"data_type": "text"},
                    "date_start": {"data_type": "date"},
                    "date_stop": {"data_type": "date"},
                    "impressions": {"data_type": "bigint"},
                    "clicks": {"data_type": "bigint"},
                    "spend": {"data_type": "decimal"},
                },
                "endpoint": {
                    "path": "{resources.ad_accounts.account_id}/insights",
                    "params": {
                        "level": "campaign",
                        "time_increment": 1,
                        "fields": ",".join(settings.INSIGHT_FIELDS),
                        "limit": page_size,
                        "time_range": '{{"since":"{incremental.start_value}","until":"'
                        + until
                        + '"}}',
                    },
                    "incremental": {
                        "cursor_path": "date_start",
                        "initial_value": str(start_date),
                        "lag": lookback_days,
                        # a quarantined row whose date is the bad value carries no cursor
                        "on_cursor_value_missing": "include",
                    },
                },
                "processing_steps": [{"map": typed_insight}],
            },
        ],
    }
    return divert_unloadable("meta", rest_api_resources(config))


@dlt.resource(name="ad_accounts", selected=False)
def ad_accounts(account_ids: list[str]) -> Iterator[list[dict[str, str]]]:
    """The configured accounts (``act_<id>``) the other resources read; not loaded itself.

    Yielded as one page (a list), the shape rest_api's dependent resources iterate over.
    """
    yield [{"account_id": account_id} for account_id in account_ids]
