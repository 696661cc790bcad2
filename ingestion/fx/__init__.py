"""Daily FX reference rates (ECB, through a Frankfurter-shaped API), with dlt's ``rest_api``.

One request reads the time series from the last loaded day on; a processing step turns
``{"rates": {day: {currency: rate}}}`` into one row per day and currency.

    pipeline("fx").run(fx_source())
"""

from __future__ import annotations

from typing import Any

import dlt
from dlt.sources.rest_api import rest_api_resources

from ingestion.destination import SCHEMA_CONTRACT
from ingestion.http import configured_session
from ingestion.quarantine import divert_unloadable

from . import settings
from .helpers import rate_rows


@dlt.source(name="fx", max_table_nesting=0, schema_contract=SCHEMA_CONTRACT)
def fx_source(
    base_url: str = settings.DEFAULT_BASE_URL,
    base: str = settings.DEFAULT_BASE,
    symbols: str = settings.DEFAULT_SYMBOLS,
    start_date: str = settings.DEFAULT_START_DATE,
    lookback_days: int = settings.DEFAULT_LOOKBACK_DAYS,
) -> Any:
    """Daily rates of `symbols` against `base`, from `start_date` on.

    Args:
        base_url: the API host; the sandbox's URL in tests.
        base: the currency the rates are quoted against (one `base` buys `rate` units).
        symbols: currencies to load, comma separated ("USD,GBP").
        start_date: the first day the first run loads.
        lookback_days: published days re-read on every run (corrections).
    """
    currencies = symbols.split(",") if isinstance(symbols, str) else list(symbols)
    config: Any = {
        "client": {"base_url": f"{base_url.rstrip('/')}/", "session": configured_session()},
        "resources": [
            {
                "name": "rates",
                "primary_key": ["date", "currency"],
                "write_disposition": "merge",
                "columns": {
                    "date": {"data_type": "date"},
                    "currency": {"data_type": "text"},
                    "rate": {"data_type": "double"},
                    "base": {"data_type": "text"},
                },
                "endpoint": {
                    "path": settings.TIME_SERIES_PATH,
                    "params": {"base": base, "symbols": ",".join(c.strip() for c in currencies)},
                    "data_selector": "$",
                    "paginator": "single_page",
                    # nothing published since the last run (a weekend, a holiday)
                    "response_actions": [{"status_code": 404, "action": "ignore"}],
                    "incremental": {
                        "cursor_path": "date",
                        "initial_value": str(start_date),
                        "lag": lookback_days,
                        # a quarantined row whose date is the bad value carries no cursor
                        "on_cursor_value_missing": "include",
                    },
                },
                "processing_steps": [{"yield_map": rate_rows}],
            }
        ],
    }
    return divert_unloadable("fx", rest_api_resources(config))
