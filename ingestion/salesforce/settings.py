"""Salesforce endpoints, objects and defaults (REST API, Bulk API 2.0, OAuth 2.0)."""

from __future__ import annotations

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
#: the REST API version every call names (``/services/data/v62.0/...``); a setting
DEFAULT_API_VERSION = "62.0"
#: first modification time asked for on a load with no state: everything
DEFAULT_START = "1970-01-01T00:00:00Z"

TOKEN_PATH = "/services/oauth2/token"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: lifetime of a JWT-bearer assertion (Salesforce accepts at most 3 minutes)
JWT_LIFETIME_SECONDS = 170

#: records per REST query page: Salesforce's maximum (``Sforce-Query-Options: batchSize``)
QUERY_BATCH_SIZE = 2_000
#: rows per Bulk API 2.0 results page (``maxRecords``)
BULK_PAGE_ROWS = 50_000
BULK_POLL_FIRST_SECONDS = 0.2
BULK_POLL_MAX_SECONDS = 30.0
BULK_TIMEOUT_SECONDS = 3 * 3600

#: attempts for an answer a retry can fix (a concurrent-request limit, a query timeout, a dead
#: session once); transport errors (429, 5xx, timeouts) are retried by the session itself
MAX_ATTEMPTS = 5
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0

#: table -> (sObject, cursor field). The cursor is ``SystemModstamp`` (Salesforce's own change
#: stamp, moved by system changes too) where the object has one; the field-history objects are
#: written once and carry only ``CreatedDate``.
OBJECTS = {
    "users": ("User", "SystemModstamp"),
    "accounts": ("Account", "SystemModstamp"),
    "leads": ("Lead", "SystemModstamp"),
    "contacts": ("Contact", "SystemModstamp"),
    "opportunities": ("Opportunity", "SystemModstamp"),
    "opportunity_contact_roles": ("OpportunityContactRole", "SystemModstamp"),
    "campaigns": ("Campaign", "SystemModstamp"),
    "campaign_members": ("CampaignMember", "SystemModstamp"),
    "lead_history": ("LeadHistory", "CreatedDate"),
    "opportunity_field_history": ("OpportunityFieldHistory", "CreatedDate"),
    "opportunity_history": ("OpportunityHistory", "SystemModstamp"),
    # only in an org with multiple currencies (absent objects load nothing)
    "currency_types": ("CurrencyType", "SystemModstamp"),
    "dated_conversion_rates": ("DatedConversionRate", "SystemModstamp"),
}

#: describe field types that the REST API sends as JSON objects: left out of the SELECT, as
#: Bulk API 2.0 refuses them ("compound data not supported") and their parts are fields too
COMPOUND_TYPES = frozenset({"address", "location"})
DATETIME_TYPES = frozenset({"datetime"})
DATE_TYPES = frozenset({"date"})
DECIMAL_TYPES = frozenset({"currency", "double", "percent"})
INTEGER_TYPES = frozenset({"int", "long"})
BOOLEAN_TYPES = frozenset({"boolean"})
#: fields whose values vary in type from row to row, loaded as text
TEXT_TYPES = frozenset({"anyType"})

#: describe type -> dlt data type (every other type: text)
DLT_TYPES = {
    "boolean": "bool",
    "currency": "decimal",
    "double": "decimal",
    "percent": "decimal",
    "int": "bigint",
    "long": "bigint",
    "date": "date",
    "datetime": "timestamp",
}

#: errors a retry can fix, by Salesforce's errorCode
RETRYABLE_ERROR_CODES = frozenset({"QUERY_TIMEOUT", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"})
