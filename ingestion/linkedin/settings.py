"""LinkedIn Marketing API (versioned ``/rest``) endpoints, fields and defaults."""

#: LinkedIn's host; the sandbox's ``base_urls["linkedin"]`` stands in for it in tests
DEFAULT_BASE_URL = "https://api.linkedin.com"
#: ``LinkedIn-Version`` header (YYYYMM); LinkedIn sunsets a version after about a year
API_VERSION = "202510"

DEFAULT_START_DATE = "2024-01-01"
#: every run re-pulls this many days before the last loaded day: LinkedIn revises the last
#: days' delivery and cost (invalid clicks, late conversions)
DEFAULT_LOOKBACK_DAYS = 7
CAMPAIGN_PAGE_SIZE = 100

ANALYTICS_FIELDS = (
    "dateRange",
    "pivotValues",
    "impressions",
    "clicks",
    "costInLocalCurrency",
    "costInUsd",
    # conversions by LinkedIn's own attribution (its conversion rules and windows), and value
    "externalWebsiteConversions",
    "conversionValueInLocalCurrency",
)
#: the analytics finder is not paginated: one request per account and window. Rest.li 2.0
#: wants ( ) , : literal and the URN inside List() percent-encoded, so the query is written
#: here rather than built by requests (which would encode the structure too)
ANALYTICS_PATH = (
    "rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY"
    "&dateRange=(start:{incremental.start_value})"
    "&accounts=List(urn%3Ali%3AsponsoredAccount%3A{resources.ad_accounts.id})"
    "&fields=" + ",".join(ANALYTICS_FIELDS)
)

#: LinkedIn writes costs as decimal strings ("45.67"); counts are JSON numbers
DECIMAL_FIELDS = ("costInLocalCurrency", "costInUsd", "conversionValueInLocalCurrency")

SETTING_ACCESS_TOKEN = "SOURCES__LINKEDIN__ACCESS_TOKEN"
SETTING_ACCOUNT_IDS = "SOURCES__LINKEDIN__ACCOUNT_IDS"
