"""Marketo REST endpoints and defaults."""

from __future__ import annotations

#: earliest activity loaded when there is no state yet (Marketo keeps most activity types
#: for 90 days only; older ones simply are not there)
DEFAULT_START_DATE = "2024-01-01T00:00:00Z"

TOKEN_PATH = "/identity/oauth/token"
ACTIVITY_PAGING_TOKEN_PATH = "/rest/v1/activities/pagingtoken.json"
ACTIVITIES_PATH = "/rest/v1/activities.json"
PROGRAMS_PATH = "/rest/asset/v1/programs.json"
PROGRAM_MEMBERS_PATH = "/rest/v1/programs/{program_id}/members.json"
EXPORT_CREATE_PATH = "/bulk/v1/leads/export/create.json"
EXPORT_ENQUEUE_PATH = "/bulk/v1/leads/export/{export_id}/enqueue.json"
EXPORT_STATUS_PATH = "/bulk/v1/leads/export/{export_id}/status.json"
EXPORT_FILE_PATH = "/bulk/v1/leads/export/{export_id}/file.json"
#: a bulk extract's date filter spans at most 31 days
EXPORT_WINDOW_DAYS = 31
#: job status polling: the first wait, doubling up to the last, giving up after the total
EXPORT_POLL_FIRST_SECONDS = 0.2
EXPORT_POLL_MAX_SECONDS = 60.0
EXPORT_TIMEOUT_SECONDS = 3 * 3600
LEAD_ROWS_PER_PAGE = 1_000

#: a lead that becomes known in a run has its activities of this many days before its
#: creation read: when an anonymous visitor becomes a lead, Marketo attaches the earlier web
#: visits to the new lead with their original (past) dates, before the point the previous scan
#: ended (``SOURCES__MARKETO__ANONYMOUS_HISTORY_DAYS``)
ANONYMOUS_HISTORY_DAYS = 40
#: leads.json takes at most 300 ids per call; activities.json at most 30 leadIds
LEADS_PATH = "/rest/v1/leads.json"
LEAD_LOOKUP_BATCH_SIZE = 300
ACTIVITY_LEAD_IDS_MAX = 30

#: activity types loaded (Marketo standard ids): Visit Webpage, Fill Out Form, Click Email,
#: Change Data Value (lead status), Change Status in Progression (program membership)
ACTIVITY_TYPE_IDS = (1, 2, 11, 13, 104)
#: activities.json accepts at most 10 activity type ids and answers at most 300 per page
ACTIVITY_BATCH_SIZE = 300
#: a scan drops an activity it served in its last this many pages (Marketo can start a page
#: with the last activity of the page before); the package is then declared deduplicated
ACTIVITY_REPEAT_PAGES = 4

#: Change Status in Progression: every program status change, a new membership included
PROGRAM_STATUS_ACTIVITY_TYPE_ID = 104
PROGRAM_PAGE_SIZE = 200  # programs.json maxReturn (Marketo's maximum)
PROGRAM_MEMBER_BATCH_SIZE = 300
#: Get Program Members needs a filter; this one matches every member of a program
PROGRAM_MEMBER_FILTER = ("reachedSuccess", "true,false")
PROGRAM_MEMBER_FIELDS = (
    "leadId",
    "programId",
    "statusName",
    "statusReason",
    "reachedSuccess",
    "reachedSuccessDate",
    "membershipDate",
    "acquiredBy",
    "isExhausted",
    "nurtureCadence",
    "trackName",
    "createdAt",
    "updatedAt",
)

LEAD_FIELDS = (
    "id", "email", "firstName", "lastName", "leadStatus", "createdAt", "updatedAt",
    # written by Marketo's Salesforce sync (empty without it): the Salesforce lead or contact
    # the lead is, for identity beside the email (sfdcId is a formula, empty over the API)
    "sfdcLeadId", "sfdcContactId", "sfdcAccountId", "sfdcType",
)  # fmt: skip

#: error codes inside HTTP 200 bodies
TOKEN_ERROR_CODES = frozenset({"601", "602"})  # access token invalid / expired
RETRYABLE_ERROR_CODES = frozenset(
    {
        "604",  # request timed out
        "606",  # max rate limit (100 calls / 20 s) exceeded
        "608",  # API temporarily unavailable
        "615",  # concurrent access limit reached
        "713",  # transient error
    }
)
#: bounded retries of body-level errors; back-off doubles from the first delay
MAX_ATTEMPTS = 6
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 20.0
#: a token is refreshed this many seconds before Marketo says it expires
TOKEN_EXPIRY_MARGIN_SECONDS = 60
