"""Google Ads API (REST) endpoints, queries and defaults."""

#: Google's host; the sandbox's ``base_urls["google_ads"]`` stands in for it in tests
DEFAULT_BASE_URL = "https://googleads.googleapis.com"
#: REST version in the path; Google sunsets a version about a year after its release
API_VERSION = "v21"

#: the first run loads from this day on (account-local dates)
DEFAULT_START_DATE = "2024-01-01"
#: every run re-pulls this many days before the last loaded day: Google revises clicks and
#: cost for invalid activity over the following days, and the sandbox restates the last 3
DEFAULT_LOOKBACK_DAYS = 7

SEARCH_STREAM_PATH = "{version}/customers/{customer_id}/googleAds:searchStream"

CAMPAIGNS_QUERY = (
    "SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone,"
    " campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type"
    " FROM campaign"
)

CAMPAIGN_DAILY_QUERY = (
    "SELECT customer.id, customer.currency_code, customer.time_zone, campaign.id,"
    " segments.date, metrics.impressions, metrics.clicks, metrics.cost_micros,"
    " metrics.conversions, metrics.conversions_value"
    " FROM campaign WHERE segments.date BETWEEN '{start}' AND '{end}'"
)

#: proto3 JSON sends int64 as strings; these metrics are counts or micros, loaded as integers
INT64_METRICS = ("impressions", "clicks", "costMicros")
#: doubles: the conversions Google attributes to the campaign's day by the account's conversion
#: actions and attribution model (fractional under data-driven attribution), and their value
#: in the account currency
DOUBLE_METRICS = ("conversions", "conversionsValue")

#: GAQL "resource.field" -> column, where the plain "<resource>_<field>" would read badly
COLUMN_NAMES = {
    ("customer", "currencyCode"): "currency_code",
    ("customer", "timeZone"): "time_zone",
    ("customer", "descriptiveName"): "customer_name",
}

SETTING_ACCESS_TOKEN = "SOURCES__GOOGLE_ADS__ACCESS_TOKEN"
SETTING_DEVELOPER_TOKEN = "SOURCES__GOOGLE_ADS__DEVELOPER_TOKEN"
SETTING_CUSTOMER_IDS = "SOURCES__GOOGLE_ADS__CUSTOMER_IDS"
SETTING_LOGIN_CUSTOMER_ID = "SOURCES__GOOGLE_ADS__LOGIN_CUSTOMER_ID"
