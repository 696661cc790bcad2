"""The Salesforce source against the sandbox: loaded tables equal the world (leads, their
conversions and merges, contacts, opportunities), incrementally, under Salesforce's faults,
through Bulk API 2.0 as through REST, by either OAuth flow, and a bad credential fails at once
naming the setting without showing the secret.

The expectations are computed here from the world's people and deals (``sandbox/world.py``),
by the rules of the Salesforce rendering (docs/salesforce.md), not by the sandbox's code."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.destination import pipeline
from ingestion.salesforce import salesforce_source
from ingestion.salesforce.helpers import SalesforceClient
from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.world import World

WORLD = World(
    seed=3, scale=300, start=date(2025, 1, 1), end=date(2025, 3, 1), crm="salesforce"
).advance(-20)
FAULTS = FaultPlan(
    rate_limit_every=3,
    server_error_every=4,
    token_expiry_every=3,
    body_rate_limit_every=4,
    query_timeout_every=5,
    duplicate_across_pages=True,
    new_property=True,  # a custom field appears: a new column, nothing else changes
    changed_type=True,  # an Amount sent as text: read as the number its describe says
)


@pytest.fixture
def warehouse(warehouse, monkeypatch):
    monkeypatch.setattr("ingestion.salesforce.settings.RETRY_FIRST_SECONDS", 0.05)
    monkeypatch.setattr("ingestion.salesforce.settings.BULK_POLL_FIRST_SECONDS", 0.01)
    return warehouse


def connect(server: SandboxServer, monkeypatch, flow: str = "client_credentials", **override):
    creds = {**server.credentials["salesforce"], **override}
    monkeypatch.setenv("SOURCES__SALESFORCE__LOGIN_URL", server.base_urls["salesforce"])
    monkeypatch.setenv("SOURCES__SALESFORCE__CLIENT_ID", creds["client_id"])
    if flow == "client_credentials":
        monkeypatch.setenv("SOURCES__SALESFORCE__CLIENT_SECRET", creds["client_secret"])
    else:
        monkeypatch.setenv("SOURCES__SALESFORCE__USERNAME", creds["username"])
        monkeypatch.setenv("SOURCES__SALESFORCE__PRIVATE_KEY", creds["private_key"])


def load(**kwargs):
    return pipeline("salesforce").run(salesforce_source(**kwargs))


def rows(path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# --- the world as Salesforce should show it ----------------------------------------------------


def expected_leads(world: World) -> dict[str, tuple]:
    """email -> (converted, deleted by a merge into another lead), as of now."""
    now = world.now
    out: dict[str, tuple] = {}
    for bundle in world.bundles():
        deal = bundle.deal
        for p in bundle.people:
            if p.hubspot_id is None or p.created_at >= now:
                continue
            converted_at = (
                deal.created_at
                if deal is not None and deal.created_at < now and p.idx in deal.contact_idxs
                else None
            )
            out[p.hubspot_email] = (converted_at is not None, False)
            dup = p.duplicate
            if dup is None or dup.created_at >= now:
                continue
            if dup.merged_at >= now:
                out[dup.email] = (False, False)
            elif converted_at is not None and converted_at < dup.merged_at:
                out[dup.email] = (True, False)  # converted into the primary's contact
            else:
                out[dup.email] = (False, True)  # merged into the primary lead
    return out


def expected_contacts(world: World) -> set[str]:
    """The emails of the contacts: every lead converted by a deal's creation."""
    now = world.now
    return {
        p.hubspot_email
        for bundle in world.bundles()
        if bundle.deal is not None and bundle.deal.created_at < now
        for p in bundle.people
        if p.hubspot_id is not None and p.idx in bundle.deal.contact_idxs
    }


def expected_opportunities(world: World) -> dict[str, tuple]:
    """name -> (amount, currency, closed, won, close date or None) as of now."""
    now = world.now
    out = {}
    for deal in world.deals():
        if deal.created_at >= now:
            continue
        closed = deal.is_closed_as_of(now)
        out[deal.name] = (
            round(deal.amount_as_of(now), 2),
            deal.currency,
            closed,
            closed and deal.is_won,
            deal.closed_at.date() if closed else None,
        )
    return out


def loaded_leads(path) -> dict[str, tuple]:
    found = rows(
        path,
        "select email, coalesce(is_converted, false), coalesce(is_deleted, false) "
        "from raw_salesforce.leads",
    )
    return {email: (converted, deleted) for email, converted, deleted in found}


def loaded_opportunities(path) -> dict[str, tuple]:
    found = rows(
        path,
        "select name, round(amount, 2), currency_iso_code, is_closed, is_won, close_date "
        "from raw_salesforce.opportunities",
    )
    return {
        name: (float(amount), currency, closed, won, close if closed else None)
        for name, amount, currency, closed, won, close in found
    }


def assert_no_duplicates(path) -> None:
    for table in (
        "leads",
        "contacts",
        "opportunities",
        "opportunity_contact_roles",
        "lead_history",
    ):
        dupes = rows(
            path,
            f"select id, count(*) from raw_salesforce.{table} group by id having count(*) > 1",
        )
        assert dupes == [], f"{table}: {dupes[:3]}"


def assert_tables_equal_world(path, world: World) -> None:
    assert loaded_leads(path) == expected_leads(world)
    contacts = {e for (e,) in rows(path, "select email from raw_salesforce.contacts")}
    assert contacts == expected_contacts(world)
    assert loaded_opportunities(path) == expected_opportunities(world)
    assert_no_duplicates(path)
    # every converted lead points at its contact, and the contact has the lead's email
    pointers = rows(
        path,
        """select count(*), count(c.id), count(*) filter (where lower(c.email) = lower(l.email))
           from raw_salesforce.leads l
           left join raw_salesforce.contacts c on c.id = l.converted_contact_id
           where l.is_converted""",
    )
    converted, found, same = pointers[0]
    assert converted == found, "a converted lead points at a contact that was not loaded"
    # a duplicate lead converted into the primary's contact keeps its own (personal) email
    assert same <= converted
    assert same == len(expected_contacts(world))


# --- tests ---------------------------------------------------------------------------------------


def test_full_then_incremental_load_equals_the_world(warehouse, monkeypatch):
    with SandboxServer(WORLD) as server:
        connect(server, monkeypatch)
        load()
        assert_tables_equal_world(warehouse, WORLD)
        first = rows(warehouse, "select count(*) from raw_salesforce.leads")[0][0]
        later = WORLD.advance(20)
        server.ctx.set_world(later)
        info = load()
        assert_tables_equal_world(warehouse, later)
    # the second load wrote only what changed: fewer leads than the table holds
    written = rows(
        warehouse,
        "select count(*) from raw_salesforce.leads where _dlt_load_id = ?",
        [info.loads_ids[-1]],
    )[0][0]
    total = rows(warehouse, "select count(*) from raw_salesforce.leads")[0][0]
    assert 0 < written < total
    assert total > first


def test_faults_give_the_same_tables(warehouse, monkeypatch):
    with SandboxServer(WORLD, faults=FAULTS) as server:
        connect(server, monkeypatch)
        load()
        injected = {fault for fault, _ in server.ctx.injector.injected}
    assert_tables_equal_world(warehouse, WORLD)
    assert {"rate_limit", "server_error"} <= injected
    beta = rows(warehouse, "select count(sandbox_beta__c) from raw_salesforce.leads")[0][0]
    assert beta > 0, "the new custom field was not loaded"


def test_bulk_api_gives_the_rows_of_the_rest_api(warehouse, tmp_path, monkeypatch):
    bulk = "Lead,Contact,Opportunity,CampaignMember,OpportunityFieldHistory"
    with SandboxServer(WORLD) as server:
        connect(server, monkeypatch)
        load()
        rest = _snapshot(warehouse)
        monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "bulk.duckdb"))
        monkeypatch.setenv("DLT_PIPELINES_DIR", str(tmp_path / "dlt-bulk"))
        # as a person sets it: the environment (comma-separated)
        monkeypatch.setenv("SOURCES__SALESFORCE__BULK_OBJECTS", bulk)
        asked = []
        real = SalesforceClient.bulk_query

        def spy(self, soql, *args, **kwargs):
            asked.append(soql.split(" FROM ")[1].split()[0])
            return real(self, soql, *args, **kwargs)

        monkeypatch.setattr(SalesforceClient, "bulk_query", spy)
        load()
    assert sorted(asked) == sorted(bulk.split(",")), "the setting did not choose Bulk API 2.0"
    assert _snapshot(tmp_path / "bulk.duckdb") == rest


def _snapshot(path) -> dict[str, list]:
    out = {}
    for table in ("leads", "contacts", "opportunities", "campaign_members"):
        columns = [
            c
            for (c,) in rows(
                path,
                "select column_name from duckdb_columns() where schema_name = 'raw_salesforce' "
                f"and table_name = '{table}' and not starts_with(column_name, '_dlt') "
                "order by column_name",
            )
        ]
        select = ", ".join(f'cast("{c}" as varchar)' for c in columns)
        found = rows(path, f"select {select} from raw_salesforce.{table}")
        out[table] = (columns, sorted(found, key=repr))
    return out


def test_jwt_bearer_flow_loads(warehouse, monkeypatch):
    with SandboxServer(WORLD) as server:
        connect(server, monkeypatch, flow="jwt")
        load()
    assert loaded_leads(warehouse) == expected_leads(WORLD)


def test_wrong_secret_fails_at_once_naming_the_setting(warehouse, monkeypatch, caplog):
    wrong = "not-the-secret-" + "x" * 20
    with SandboxServer(WORLD) as server:
        connect(server, monkeypatch, client_secret=wrong)
        with pytest.raises(PipelineStepFailed) as failed:
            load()
        calls = len(server.ctx.injector.injected)
    message = str(failed.value)
    assert "SOURCES__SALESFORCE__CLIENT_SECRET" in message
    assert wrong not in message and wrong not in caplog.text
    assert calls == 0


def test_wrong_private_key_fails_naming_the_setting(warehouse, monkeypatch):
    with SandboxServer(WORLD) as server:
        connect(server, monkeypatch, flow="jwt", private_key="-----BEGIN PRIVATE KEY-----\nAAA")
        with pytest.raises(PipelineStepFailed) as failed:
            load()
    assert "SOURCES__SALESFORCE__PRIVATE_KEY" in str(failed.value)
    assert "AAA" not in str(failed.value)


def test_a_soql_error_names_salesforce_code(warehouse, monkeypatch):
    """Salesforce's own refusal (here INVALID_FIELD, a field the org does not have as the
    cursor) is shown with its code, and not retried."""
    with SandboxServer(WORLD) as server:
        connect(server, monkeypatch)
        monkeypatch.setattr(
            "ingestion.salesforce.settings.OBJECTS", {"leads": ("Lead", "NoSuchField__c")}
        )
        with pytest.raises(PipelineStepFailed) as failed:
            load()
    assert "INVALID_FIELD" in str(failed.value)


def test_marketo_leads_carry_their_salesforce_ids(warehouse, monkeypatch):
    """Marketo's Salesforce sync: a Marketo lead of a person in the CRM names the Salesforce
    lead it is (sfdcLeadId) and, once converted, its contact and account (sfdcType Contact),
    also after a later load brings a conversion (the sync's write is a change of the lead)."""
    from sandbox.loading import load_sources

    with SandboxServer(WORLD) as server:
        load_sources(server, warehouse.parent, ["salesforce", "marketo"])
        server.ctx.set_world(WORLD.advance(20))
        load_sources(server, warehouse.parent, ["salesforce", "marketo"])
        world = server.world
    synced = rows(
        warehouse,
        """select m.sfdc_type, count(*),
                  count(*) filter (where lower(l.email) = lower(m.email)),
                  count(*) filter (where m.sfdc_type = 'Contact'
                                   and c.id = m.sfdc_contact_id and l.converted_contact_id = c.id)
           from raw_marketo.leads m
           left join raw_salesforce.leads l on l.id = m.sfdc_lead_id
           left join raw_salesforce.contacts c on c.id = m.sfdc_contact_id
           group by m.sfdc_type""",
    )
    by_type = {t: (n, same_email, contact) for t, n, same_email, contact in synced}
    in_both = [
        p
        for p in world.people()
        if p.marketo_id is not None and p.hubspot_id is not None and p.created_at < world.now
    ]
    contacts = expected_contacts(world)
    converted = sum(1 for p in in_both if p.hubspot_email in contacts)
    assert by_type["Contact"] == (converted, converted, converted)
    assert by_type["Lead"][:2] == (len(in_both) - converted, len(in_both) - converted)
    assert converted > 0
    marketo_only = sum(
        1 for p in world.people() if p.marketo_id is not None and p.hubspot_id is None
        and p.created_at < world.now
    )  # fmt: skip
    assert by_type[None][0] == marketo_only
