"""HubSpot endpoints, properties and defaults (CRM v3, associations v4, owners v3)."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://api.hubapi.com"

#: first modification time asked for on a load with no state: everything
DEFAULT_START = "1970-01-01T00:00:00Z"

#: HubSpot's search endpoint pages at most 200 results and answers at most 10,000 per query
SEARCH_PAGE_SIZE = 200
SEARCH_MAX_RESULTS = 10_000
#: list endpoints (owners, associations) page at most 100 / 500
LIST_PAGE_SIZE = 100
#: the v4 batch read of associations takes at most 1,000 objects per request
BATCH_READ_MAX_INPUTS = 1_000

#: HubSpot's default contact lifecycle stages, in HubSpot's order
LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
LIFECYCLE_DATE_PROPERTIES = tuple(f"hs_lifecyclestage_{s}_date" for s in LIFECYCLE_STAGES)

CONTACT_PROPERTIES = (
    "email",
    "firstname",
    "lastname",
    "createdate",
    "lastmodifieddate",
    "lifecyclestage",
    *LIFECYCLE_DATE_PROPERTIES,
    "hs_analytics_source",
    "hs_analytics_source_data_1",
    "hs_analytics_source_data_2",
    "hs_merged_object_ids",
    "associatedcompanyid",
    "hubspot_owner_id",
)
COMPANY_PROPERTIES = (
    "name",
    "domain",
    "country",
    "industry",
    "createdate",
    "hs_lastmodifieddate",
    "lifecyclestage",
    "hs_merged_object_ids",
    "hubspot_owner_id",
)
DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "deal_currency_code",
    "createdate",
    "closedate",
    "dealstage",
    "pipeline",
    "hs_is_closed_won",
    "hs_is_closed",
    "hs_lastmodifieddate",
    "hs_merged_object_ids",
    "hubspot_owner_id",
)

#: object -> (search cursor property, properties to ask for). Contacts keep the legacy name.
CRM_OBJECTS = {
    "contacts": ("lastmodifieddate", CONTACT_PROPERTIES),
    "companies": ("hs_lastmodifieddate", COMPANY_PROPERTIES),
    "deals": ("hs_lastmodifieddate", DEAL_PROPERTIES),
}

#: HubSpot sends every property value as a string; these are typed on load so that a value
#: of the wrong type fails the load (schema contract) instead of landing silently.
TIMESTAMP_PROPERTIES = frozenset(
    {
        "createdate",
        "lastmodifieddate",
        "hs_lastmodifieddate",
        "closedate",
        *LIFECYCLE_DATE_PROPERTIES,
    }
)
DECIMAL_PROPERTIES = frozenset({"amount"})
BOOL_PROPERTIES = frozenset({"hs_is_closed_won", "hs_is_closed"})

#: associations loaded for every changed deal: table -> (to object type, id column)
DEAL_ASSOCIATIONS = {
    "deal_contacts": ("contacts", "contact_id"),
    "deal_companies": ("companies", "company_id"),
}
#: HubSpot-defined association type ids (v4) and their v3 names
ASSOCIATION_TYPE_NAMES = {
    3: "deal_to_contact",
    5: "deal_to_company",
    341: "deal_to_company_unlabeled",
}
