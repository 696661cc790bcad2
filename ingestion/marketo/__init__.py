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

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.common.typing import TDataItems
from dlt.sources import DltResource

from ingestion.destination import SCHEMA_CONTRACT
from ingestion.quarantine import divert_unloadable

from . import settings
from .helpers import MarketoClient, export_leads, flatten_attributes, iso, parse_timestamp

#: the high-water mark is the largest activityDate loaded (pages are not in time order); each
#: run starts the lookback before it (see settings.ACTIVITY_LOOKBACK_DAYS)
#: a quarantined record whose cursor field is the bad value carries none (ingestion/quarantine.py)
LEAD_CURSOR = dlt.sources.incremental("updatedAt", on_cursor_value_missing="include")
ACTIVITY_CURSOR = dlt.sources.incremental(
    "activityDate", lag=settings.ACTIVITY_LOOKBACK_DAYS * 86_400, on_cursor_value_missing="include"
)


@dlt.source(name="marketo", schema_contract=SCHEMA_CONTRACT)
def marketo_source(
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    base_url: str = dlt.config.value,
    start_date: str = settings.DEFAULT_START_DATE,
) -> list[DltResource]:
    """Marketo through a LaunchPoint API service's client credentials.

    Args:
        client_id: ``SOURCES__MARKETO__CLIENT_ID``.
        client_secret: ``SOURCES__MARKETO__CLIENT_SECRET``.
        base_url: the instance's REST host (``https://<munchkin-id>.mktorest.com``),
            ``SOURCES__MARKETO__BASE_URL``.
        start_date: earliest activity loaded when there is no state yet.
    """
    client = MarketoClient(base_url, client_id, client_secret)
    programs_resource = programs(client)
    resources = [
        activities(client, start_date),
        leads(client, start_date),
        programs_resource,
        programs_resource | program_costs,
        programs_resource | program_members(client),
    ]
    return divert_unloadable("marketo", resources)


@dlt.resource(
    primary_key="marketoGUID",
    write_disposition="merge",
    parallelized=True,
    columns={
        "activityDate": {"data_type": "timestamp", "nullable": False},
        "attributes": {"data_type": "json"},
    },
)
def activities(
    client: MarketoClient,
    start_date: str = settings.DEFAULT_START_DATE,
    activity_date: dlt.sources.incremental[Any] = ACTIVITY_CURSOR,
) -> Iterator[TDataItems]:
    """Activities of the loaded types since the latest activityDate loaded, minus a lookback.

    ``attributes`` becomes one JSON object ``{"<attribute name>": value}`` so that dbt reads an
    attribute as ``attributes->>'Query Parameters'``. Pages are not assumed to be in time order:
    the cursor is the largest ``activityDate`` seen.
    """
    since = activity_date.start_value or parse_timestamp(start_date)
    token = client.get(
        settings.ACTIVITY_PAGING_TOKEN_PATH, {"sinceDatetime": iso(parse_timestamp(since))}
    )["nextPageToken"]
    params = {
        "nextPageToken": token,
        "activityTypeIds": ",".join(map(str, settings.ACTIVITY_TYPE_IDS)),
        "batchSize": settings.ACTIVITY_BATCH_SIZE,
    }
    for page in client.paged(settings.ACTIVITIES_PATH, params):
        yield [_activity_row(a) for a in page]


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
        **{f: {"data_type": "text"} for f in ("email", "firstName", "lastName", "leadStatus")},
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
def program_members(page: TDataItems, client: MarketoClient) -> Iterator[TDataItems]:
    """Members of every program with their progression status."""
    filter_type, filter_values = settings.PROGRAM_MEMBER_FILTER
    for program in page if isinstance(page, list) else [page]:
        path = settings.PROGRAM_MEMBERS_PATH.format(program_id=program["id"])
        params = {
            "filterType": filter_type,
            "filterValues": filter_values,
            "fields": ",".join(settings.PROGRAM_MEMBER_FIELDS),
            "batchSize": settings.PROGRAM_MEMBER_BATCH_SIZE,
        }
        for members in client.paged(path, params):
            yield [_member_row(m, program["id"]) for m in members]


def _member_row(member: dict[str, Any], program_id: int) -> dict[str, Any]:
    row = dict(member)
    row.setdefault("programId", program_id)
    for key in ("membershipDate", "reachedSuccessDate", "createdAt", "updatedAt"):
        if key in row:
            row[key] = parse_timestamp(row[key])
    return row
