"""Daily reference FX rates from a Frankfurter-shaped API (ECB rates, no key)."""

#: Frankfurter's host; the sandbox's ``base_urls["fx"]`` stands in for it in tests
DEFAULT_BASE_URL = "https://api.frankfurter.dev"
#: the rate source's base: a rate is units of `currency` per one of these
DEFAULT_BASE = "EUR"
#: every currency an ad account or deal may be in, except the base (comma separated)
DEFAULT_SYMBOLS = "USD,GBP"
#: rates before the first ad day are needed too (the rate of a day is the latest on or before it)
DEFAULT_START_DATE = "2023-12-01"
#: re-read the last few published days: the ECB occasionally corrects a published rate
DEFAULT_LOOKBACK_DAYS = 3
#: a time series from a day up to the latest published one
TIME_SERIES_PATH = "v1/{incremental.start_value}.."
