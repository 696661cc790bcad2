"""Microsoft Advertising Reporting API v13 (REST) endpoints, report columns and defaults."""

#: the reporting service's host; the sandbox's ``base_urls["microsoft_ads"]`` stands in for it
DEFAULT_BASE_URL = "https://reporting.api.bingads.microsoft.com"
SUBMIT_PATH = "Reporting/v13/GenerateReport/Submit"
POLL_PATH = "Reporting/v13/GenerateReport/Poll"

DEFAULT_START_DATE = "2024-01-01"
#: every run re-pulls this many days before the last loaded day: Microsoft revises recent
#: days (invalid clicks, late conversions); the report header flags "Potential Incomplete Data"
DEFAULT_LOOKBACK_DAYS = 7
#: a report is polled with a growing interval, up to this long in total
DEFAULT_REPORT_TIMEOUT_SECONDS = 600
FIRST_POLL_SECONDS = 0.25
MAX_POLL_SECONDS = 15.0

REPORT_TYPE = "CampaignPerformanceReportRequest"
REPORT_COLUMNS = (
    "TimePeriod",
    "AccountId",
    "AccountName",
    "CampaignId",
    "CampaignName",
    "CampaignType",
    "CampaignStatus",
    "CurrencyCode",
    "Impressions",
    "Clicks",
    "Spend",
    "Conversions",
    "Revenue",
)
#: the report's columns as loaded; TimePeriod of a daily report is the account-local date
COLUMN_NAMES = {"TimePeriod": "date"}
INTEGER_COLUMNS = ("Impressions", "Clicks")
#: Conversions: Microsoft's own count by its conversion goals (a decimal: it can be fractional
#: where goals count value or cross-device); Revenue: their value in the account currency
DECIMAL_COLUMNS = ("Spend", "Conversions", "Revenue")
#: rows handed to dlt at a time while the CSV is read
BATCH_SIZE = 5_000

SETTING_ACCESS_TOKEN = "SOURCES__MICROSOFT_ADS__ACCESS_TOKEN"
SETTING_DEVELOPER_TOKEN = "SOURCES__MICROSOFT_ADS__DEVELOPER_TOKEN"
SETTING_ACCOUNT_IDS = "SOURCES__MICROSOFT_ADS__ACCOUNT_IDS"
SETTING_CUSTOMER_ID = "SOURCES__MICROSOFT_ADS__CUSTOMER_ID"
SETTING_REPORT_TIMEOUT = "SOURCES__MICROSOFT_ADS__REPORT_TIMEOUT_SECONDS"
