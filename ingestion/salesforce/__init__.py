"""Salesforce CRM: leads, contacts, accounts, opportunities and their contact roles, campaigns and
their members, lead and opportunity history, users, and the org's currencies and dated rates.

Runs with plain dlt::

    from ingestion.salesforce import salesforce_source
    from ingestion.destination import pipeline

    pipeline("salesforce").run(salesforce_source())

Every object is read incrementally on its change stamp (``SystemModstamp``; ``CreatedDate`` for
the field-history objects, which are written once) and merged on ``Id``, through ``queryAll``:
records deleted or merged away since the last load come back with ``IsDeleted = true`` (and
``MasterRecordId`` naming the survivor of a merge), so the warehouse sees a deletion as a change
of the row instead of keeping a record Salesforce no longer has. Every field of the object's
describe is selected, custom fields (``__c``) included; compound fields (addresses) are left out,
their parts are fields of their own.

The objects of ``bulk_objects`` are read through Bulk API 2.0 query jobs (one job per object and
load: CSV pages, typed back by the describe), the others through the REST ``queryAll`` pages of
at most 2,000 records. The REST API costs one API call per 2,000 records; Bulk API 2.0 a handful
of calls per object, for objects of millions of rows.

The instance URL comes from the token answer, and the fields from a describe call, so neither is
known before the load runs: the resources are generators over a client that authenticates on its
first request (the definitions load, which builds this source, makes no call).

A full refresh (every object again, state reset, tables replaced) is one argument:
``pipeline("salesforce").run(salesforce_source(), refresh="drop_sources")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.common.typing import TSecretStrValue
from dlt.sources import DltResource

from ingestion.destination import SCHEMA_CONTRACT
from ingestion.http import config_list
from ingestion.quarantine import divert_unloadable

from . import settings
from .helpers import SalesforceClient, column_hints, parse_datetime, row_of, soql_datetime

__all__ = ["salesforce_source"]


@dlt.source(name="salesforce", schema_contract=SCHEMA_CONTRACT, max_table_nesting=0)
def salesforce_source(
    client_id: TSecretStrValue = dlt.secrets.value,
    client_secret: TSecretStrValue | None = None,
    username: str | None = None,
    private_key: TSecretStrValue | None = None,
    login_url: str = settings.DEFAULT_LOGIN_URL,
    api_version: str = settings.DEFAULT_API_VERSION,
    bulk_objects: str = "",
    start_date: str = settings.DEFAULT_START,
) -> list[DltResource]:
    """Salesforce through its REST API (and Bulk API 2.0 for ``bulk_objects``), authenticated as
    a connected app.

    Args:
        client_id: the connected app's consumer key (``SOURCES__SALESFORCE__CLIENT_ID``).
        client_secret: its consumer secret, for the client-credentials flow.
        username: the integration user, for the JWT-bearer flow (with ``private_key``).
        private_key: the PEM private key whose certificate the connected app holds (JWT-bearer).
        login_url: ``https://login.salesforce.com``, ``https://test.salesforce.com`` for a
            sandbox org, or the org's My Domain host.
        api_version: the REST API version every call names, e.g. ``62.0``.
        bulk_objects: sObject names read through Bulk API 2.0, comma-separated
            (``Lead,CampaignMember``) or a JSON list.
        start_date: earliest change stamp loaded when there is no state yet.
    """
    client = SalesforceClient(
        login_url, str(api_version), client_id, client_secret, username, private_key
    )
    bulk = {name.lower() for name in config_list(bulk_objects or [])}
    resources = [
        _object_resource(client, table, sobject, cursor, start_date, sobject.lower() in bulk)
        for table, (sobject, cursor) in settings.OBJECTS.items()
    ]
    return divert_unloadable("salesforce", resources)


def _object_resource(
    client: SalesforceClient, table: str, sobject: str, cursor: str, start: str, bulk: bool
) -> DltResource:
    @dlt.resource(
        name=table,
        primary_key="Id",
        write_disposition="merge",
        columns={"Id": {"data_type": "text", "nullable": False}},
    )
    def rows(
        # a quarantined record (ingestion/quarantine.py) carries no cursor: passed through
        changed=dlt.sources.incremental(  # noqa: B008 - dlt's documented form
            cursor,
            initial_value=parse_datetime(start),  # noqa: B008
            on_cursor_value_missing="include",
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        types = client.fields(sobject)
        if types is None:
            return
        soql = f"SELECT {', '.join(types)} FROM {sobject}"
        since = changed.last_value
        if since is not None and since > parse_datetime(settings.DEFAULT_START):
            # ``>=``: the boundary second is read again and dlt drops the rows it has seen
            soql += f" WHERE {cursor} >= {soql_datetime(since)}"
        soql += f" ORDER BY {cursor} ASC, Id ASC"
        pages = client.bulk_query(soql) if bulk else client.query(soql)
        hints = dlt.mark.make_hints(columns=column_hints(types))
        for page in pages:
            # every field of the describe, typed: a field empty on every row still gets its
            # column, and a value of another type fails the load instead of a new column
            yield dlt.mark.with_hints([row_of(record, types) for record in page], hints)

    rows.__doc__ = f"Salesforce {sobject} records, by {cursor}, merged on Id (queryAll)."
    return rows
