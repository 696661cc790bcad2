"""Meta Marketing API (Graph API) endpoints, fields and defaults."""

#: Graph API host; the sandbox's ``base_urls["meta"]`` stands in for it in tests
DEFAULT_BASE_URL = "https://graph.facebook.com"
API_VERSION = "v23.0"

DEFAULT_START_DATE = "2024-01-01"
#: every run re-pulls this many days before the last loaded day: Meta finalises spend and
#: delivery within a few days (conversions with their attribution windows, up to 28 days)
DEFAULT_LOOKBACK_DAYS = 7
#: rows per page (Meta caps it; smaller pages are slower, larger ones may time out)
PAGE_SIZE = 500

INSIGHT_FIELDS = (
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "date_start",
    "date_stop",
    "impressions",
    "clicks",
    "spend",
    # Meta's own counts per action type and their values (lists of {"action_type", "value",
    # "1d_click", "7d_click", "28d_click"}): loaded as nested tables, chosen in dbt
    # (var meta_conversion_action_types) since each advertiser counts other types
    "actions",
    "action_values",
)
CAMPAIGN_FIELDS = (
    "id",
    "name",
    "objective",
    "status",
    "effective_status",
    "account_id",
    "start_time",
)

#: Graph API sends every number as a string: counts become integers, money a decimal
INTEGER_FIELDS = ("impressions", "clicks")
DECIMAL_FIELDS = ("spend",)
#: the numbers of an `actions` / `action_values` entry (the attribution windows Meta sends)
ACTION_NUMBER_FIELDS = ("value", "1d_click", "7d_click", "28d_click", "1d_view")

#: Graph API error codes that mean the token is missing, invalid, expired or lacks permission
#: (it answers them with HTTP 400, not 401)
TOKEN_ERROR_CODES = (102, 104, 190, 200, 10)

SETTING_ACCESS_TOKEN = "SOURCES__META__ACCESS_TOKEN"
SETTING_ACCOUNT_IDS = "SOURCES__META__ACCOUNT_IDS"
