"""FX helpers: a Frankfurter time series as rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def rate_rows(series: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``{"base": "EUR", "rates": {"2025-01-02": {"USD": 1.03}}}`` -> a row per day and currency."""
    base = series.get("base")
    for day, rates in (series.get("rates") or {}).items():
        for currency, rate in rates.items():
            yield {"date": day, "currency": currency, "rate": rate, "base": base}
