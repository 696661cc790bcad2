"""Marketo Engage: activities (touchpoints and lead status changes), leads, programs with their
period costs, and program members, through Marketo's REST API.

Runs with plain dlt::

    from ingestion.marketo import marketo_source
    from ingestion.destination import pipeline

    pipeline("marketo").run(marketo_source())

A full refresh (activities from ``start_date`` again, state reset, tables replaced) is one
argument: ``pipeline("marketo").run(marketo_source(), refresh="drop_sources")``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.common.typing import TDataItems
from dlt.sources import DltResource

from ingestion.destination import SCHEMA_CONTRACT
from ingestion.quarantine import divert_unloadable

from . import settings
from .helpers import MarketoClient, export_leads, flatten_attributes, iso, parse_timestamp

#: a quarantined record whose cursor field is the bad value carries none (ingestion/quarantine.py)
LEAD_CURSOR = dlt.sources.incremental("updatedAt", on_cursor_value_missing="include")


@dlt.source(name="marketo", schema_contract=SCHEMA_CONTRACT)
def marketo_source(
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    base_url: str = dlt.config.value,
    start_date: str = settings.DEFAULT_START_DATE,
    anonymous_history_days: int = settings.ANONYMOUS_HISTORY_DAYS,
) -> list[DltResource]:
    """Marketo through a LaunchPoint API service's client credentials.

    Args:
        client_id: ``SOURCES__MARKETO__CLIENT_ID``.
        client_secret: ``SOURCES__MARKETO__CLIENT_SECRET``.
        base_url: the instance's REST host (``https://<munchkin-id>.mktorest.com``),
            ``SOURCES__MARKETO__BASE_URL``.
        start_date: earliest activity loaded when there is no state yet.
        anonymous_history_days: how far before its creation a new lead's earlier (anonymous)
            activities are read, ``SOURCES__MARKETO__ANONYMOUS_HISTORY_DAYS``.
    """
    client = MarketoClient(base_url, client_id, client_secret)
    programs_resource = programs(client)
    resources = [
        activities(client, start_date, anonymous_history_days),
        leads(client, start_date),
        programs_resource,
        programs_resource | program_costs,
        programs_resource | program_members(client, start_date, {}),
    ]
    return divert_unloadable("marketo", resources)


@dlt.resource(
    primary_key="marketoGUID",
    # the resource drops the repeats of a scan itself (_without_repeats), so dlt's merge
    # inserts the package as it is instead of numbering every row of it by key: at 1M people
    # a first load is one package of 12.4M activities, whose numbering ran out of DuckDB's
    # memory limit (benchmarks/LOAD_RESULTS.md, benchmarks/merge_bench.py); the delete of the
    # stored rows with the package's keys still makes a re-read replace, not duplicate
    write_disposition={"disposition": "merge", "strategy": "delete-insert", "deduplicated": True},
    parallelized=True,
    columns={
        "activityDate": {"data_type": "timestamp", "nullable": False},
        "attributes": {"data_type": "json"},
    },
)
def activities(
    client: MarketoClient,
    start_date: str = settings.DEFAULT_START_DATE,
    anonymous_history_days: int = settings.ANONYMOUS_HISTORY_DAYS,
) -> Iterator[TDataItems]:
    """Activities of the loaded types that happened since the last run, and the earlier
    activities of the leads that became known since then.

    The first run reads from ``start_date``. Each run keeps the scan's final ``nextPageToken``
    in the resource state (committed with the load, so a failed run starts again from the
    previous one) and the next run resumes from it: Marketo's paging tokens are positions in
    time, and the final one stands where the scan ended, so nothing is read twice and nothing
    is skipped. Pages are not in time order, so no cursor is taken from the rows (an activity
    dated in the future would otherwise move it past activities not yet read).

    When an anonymous visitor becomes a lead, Marketo attaches the earlier visits to the new
    lead with their past dates, before the point the scan resumes from. The leads that the
    run's activities show were created in its window (``leads.json?filterType=id``, asking for
    ``createdAt``) therefore have their activities of the ``anonymous_history_days`` before their
    creation read again (``activities.json?leadIds=``, 30 leads a call): the re-read is the new
    leads' history, not a fixed window of everyone's.

    An activity a scan serves twice (Marketo can repeat the last activity of a page at the top
    of the next) is kept once: each scan drops the GUIDs it served earlier in the same page or
    in its last ``settings.ACTIVITY_REPEAT_PAGES`` pages, the package is declared deduplicated,
    and a repeat further apart fails the source's ``unique`` test in dbt instead of being let in.

    ``attributes`` becomes one JSON object ``{"<attribute name>": value}`` so that dbt reads an
    attribute as ``attributes->>'Query Parameters'``.
    """
    state = dlt.current.resource_state()
    token = state.get("next_page_token")
    resumed = token is not None
    if not resumed:
        token = _paging_token(client, parse_timestamp(start_date))
    params = _activity_params(token, settings.ACTIVITY_TYPE_IDS)
    last: dict[str, Any] = {}
    window_leads: set[int] = set()
    window_start: datetime | None = None
    for page in _without_repeats(client.paged(settings.ACTIVITIES_PATH, params, last)):
        rows = [_activity_row(a) for a in page]
        for row in rows:
            if isinstance(row.get("leadId"), int):
                window_leads.add(row["leadId"])
            at = row["activityDate"]
            if at is not None and (window_start is None or at < window_start):
                window_start = at
        yield rows
    if resumed and window_start is not None:
        yield from _new_lead_history(
            client, window_leads, window_start, timedelta(days=anonymous_history_days)
        )
    if last.get("nextPageToken"):
        state["next_page_token"] = last["nextPageToken"]


def _new_lead_history(
    client: MarketoClient, lead_ids: set[int], window_start: datetime, history: timedelta
) -> Iterator[TDataItems]:
    """Activities dated before ``window_start`` of the leads created at or after it."""
    created: dict[int, datetime] = {}
    for batch in _batches(sorted(lead_ids), settings.LEAD_LOOKUP_BATCH_SIZE):
        params = {
            "filterType": "id",
            "filterValues": ",".join(map(str, batch)),
            "fields": "id,createdAt",
            "batchSize": settings.LEAD_LOOKUP_BATCH_SIZE,
        }
        for page in client.paged(settings.LEADS_PATH, params):
            for lead in page:
                at = parse_timestamp(lead.get("createdAt"))
                if at is not None and at >= window_start:
                    created[lead["id"]] = at
    for batch in _batches(sorted(created), settings.ACTIVITY_LEAD_IDS_MAX):
        since = min(created[lead] for lead in batch) - history
        params = _activity_params(_paging_token(client, since), settings.ACTIVITY_TYPE_IDS)
        params["leadIds"] = ",".join(map(str, batch))
        for page in _without_repeats(client.paged(settings.ACTIVITIES_PATH, params)):
            # what the window read already is not read twice (an undated row is kept: it is
            # quarantined, not lost)
            rows = [r for r in map(_activity_row, page) if not _dated_from(r, window_start)]
            if rows:
                yield rows


def _without_repeats(
    pages: Iterator[list[dict[str, Any]]], window: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The pages of one activity scan without the activities whose ``marketoGUID`` the scan
    already served, in this page or its last `window` pages (``settings.ACTIVITY_REPEAT_PAGES``):
    Marketo can start a page with the last activity of the page before. The memory is `window`
    pages of GUIDs, not the scan's; an activity without a GUID is kept (it is quarantined, not
    lost)."""
    recent: deque[set[str]] = deque(maxlen=window or settings.ACTIVITY_REPEAT_PAGES)
    for page in pages:
        served = set().union(*recent)
        this_page: set[str] = set()
        kept = []
        for activity in page:
            guid = activity.get("marketoGUID")
            if guid is not None:
                if guid in served or guid in this_page:
                    continue
                this_page.add(guid)
            kept.append(activity)
        recent.append(this_page)
        if kept:
            yield kept


def _batches(values: list[int], size: int) -> Iterator[list[int]]:
    """`values` in consecutive lists of at most `size` (an API's limit of ids a call)."""
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _paging_token(client: MarketoClient, since: datetime) -> str:
    """Marketo's paging token for activities at or after `since`."""
    body = client.get(settings.ACTIVITY_PAGING_TOKEN_PATH, {"sinceDatetime": iso(since)})
    return body["nextPageToken"]


def _activity_params(token: str, type_ids) -> dict[str, Any]:
    return {
        "nextPageToken": token,
        "activityTypeIds": ",".join(map(str, type_ids)),
        "batchSize": settings.ACTIVITY_BATCH_SIZE,
    }


def _dated_from(row: dict[str, Any], start: datetime) -> bool:
    return row["activityDate"] is not None and row["activityDate"] >= start


def _activity_row(activity: dict[str, Any]) -> dict[str, Any]:
    row = dict(activity)
    row["activityDate"] = parse_timestamp(activity.get("activityDate"))
    row["attributes"] = flatten_attributes(activity.get("attributes"))
    return row


@dlt.resource(
    primary_key="id",
    write_disposition="merge",
    parallelized=True,
    columns={
        "id": {"data_type": "bigint", "nullable": False},
        **{
            f: {"data_type": "text"}
            for f in (
                "email",
                "firstName",
                "lastName",
                "leadStatus",
                "sfdcLeadId",
                "sfdcContactId",
                "sfdcAccountId",
                "sfdcType",
            )
        },  # fmt: skip
        "createdAt": {"data_type": "timestamp"},
        "updatedAt": {"data_type": "timestamp", "nullable": False},
    },
)
def leads(
    client: MarketoClient,
    start_date: str = settings.DEFAULT_START_DATE,
    updated_at: dlt.sources.incremental[Any] = LEAD_CURSOR,
) -> Iterator[TDataItems]:
    """Leads created or changed since the latest ``updatedAt`` loaded, by bulk lead extract."""
    since = parse_timestamp(updated_at.start_value or start_date)
    yield from export_leads(client, since, datetime.now(UTC), settings.LEAD_FIELDS)


@dlt.resource(
    primary_key="id",
    write_disposition="merge",
    columns={"costs": {"data_type": "json"}, "tags": {"data_type": "json"}},
)
def programs(client: MarketoClient) -> Iterator[TDataItems]:
    """Every program (the asset API pages by offset); ``costs`` is also its own table."""
    for page in client.offset_paged(settings.PROGRAMS_PATH, settings.PROGRAM_PAGE_SIZE):
        yield [_program_row(p) for p in page]


def _program_row(program: dict[str, Any]) -> dict[str, Any]:
    row = dict(program)
    for key in ("createdAt", "updatedAt"):
        row[key] = parse_timestamp(program.get(key))
    return row


@dlt.transformer(
    primary_key=("program_id", "seq"),
    merge_key="program_id",
    write_disposition={"disposition": "merge", "strategy": "delete-insert"},
    columns={
        "program_id": {"data_type": "bigint", "nullable": False},
        "seq": {"data_type": "bigint", "nullable": False},
        "start_date": {"data_type": "date"},
        "cost": {"data_type": "decimal"},
        "note": {"data_type": "text"},
    },
)
def program_costs(page: TDataItems) -> Iterator[TDataItems]:
    """Period costs, one row each; a program's rows are replaced whenever it is loaded."""
    rows = []
    for program in page if isinstance(page, list) else [page]:
        for seq, cost in enumerate(program.get("costs") or []):
            rows.append(
                {
                    "program_id": program["id"],
                    "seq": seq,
                    "start_date": cost.get("startDate"),
                    "cost": cost.get("cost"),
                    "note": cost.get("note"),
                }
            )
    if rows:
        yield rows


@dlt.transformer(primary_key=("programId", "leadId"), write_disposition="merge")
def program_members(
    page: TDataItems,
    client: MarketoClient,
    start_date: str = settings.DEFAULT_START_DATE,
    run: dict[str, Any] | None = None,
) -> Iterator[TDataItems]:
    """Members of every program with their progression status: all of them on the first run
    and for a program not read before; after that only the memberships that changed.

    Get Program Members has no change filter, but Marketo logs every program status change,
    a new membership included, as a Change Status in Progression activity (type 104) naming
    the program. Each run reads the type-104 activities since the last run (its own paging
    token, as the activities resource keeps its own) and asks each program that has some for
    those leads only (``filterType=leadId``, 300 a call). ``run`` holds this run's changes,
    read once for all pages of programs.
    """
    state = dlt.current.resource_state()
    run = run if run is not None else {}
    if "changed" not in run:
        run["changed"] = _changed_memberships(client, state)
    read = set(state.setdefault("programs_read", []))
    newest = state.get("newest_membership")
    newest = parse_timestamp(newest) if newest else None
    for program in page if isinstance(page, list) else [page]:
        pid = program["id"]
        path = settings.PROGRAM_MEMBERS_PATH.format(program_id=pid)
        if pid not in read:
            filters = [settings.PROGRAM_MEMBER_FILTER]
        else:
            leads = sorted(run["changed"].get(pid, ()))
            filters = [
                ("leadId", ",".join(map(str, batch)))
                for batch in _batches(leads, settings.PROGRAM_MEMBER_BATCH_SIZE)
            ]
        for filter_type, filter_values in filters:
            params = {
                "filterType": filter_type,
                "filterValues": filter_values,
                "fields": ",".join(settings.PROGRAM_MEMBER_FIELDS),
                "batchSize": settings.PROGRAM_MEMBER_BATCH_SIZE,
            }
            for members in client.paged(path, params):
                rows = [_member_row(m, pid) for m in members]
                dates = [r["membershipDate"] for r in rows if r.get("membershipDate")]
                if dates and (newest is None or max(dates) > newest):
                    newest = max(dates)
                yield rows
        if pid not in read:
            read.add(pid)
            state["programs_read"] = sorted(read)
    if "membership_token" not in state:
        # the first run read every member: the next one starts at the newest membership seen
        state["membership_token"] = _paging_token(client, newest or parse_timestamp(start_date))
    if newest:
        state["newest_membership"] = iso(newest)


def _changed_memberships(client: MarketoClient, state: dict[str, Any]) -> dict[int, set[int]]:
    """Program id -> the leads whose membership changed since the last run (type-104
    activities from the stored token); the token then moves to where this scan ended."""
    token = state.get("membership_token")
    if token is None:
        return {}
    changed: dict[int, set[int]] = {}
    last: dict[str, Any] = {}
    params = _activity_params(token, [settings.PROGRAM_STATUS_ACTIVITY_TYPE_ID])
    for page in client.paged(settings.ACTIVITIES_PATH, params, last):
        for activity in page:
            program_id, lead_id = activity.get("primaryAttributeValueId"), activity.get("leadId")
            if isinstance(program_id, int) and isinstance(lead_id, int):
                changed.setdefault(program_id, set()).add(lead_id)
    if last.get("nextPageToken"):
        state["membership_token"] = last["nextPageToken"]
    return changed


def _member_row(member: dict[str, Any], program_id: int) -> dict[str, Any]:
    row = dict(member)
    # `seq` is the member's place in this answer, not a property of the membership: a run
    # that reads the same member in another batch would rewrite the row with another number
    row.pop("seq", None)
    row.setdefault("programId", program_id)
    for key in ("membershipDate", "reachedSuccessDate", "createdAt", "updatedAt"):
        if key in row:
            row[key] = parse_timestamp(row[key])
    return row
