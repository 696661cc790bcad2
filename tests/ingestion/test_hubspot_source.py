"""The HubSpot source against the sandbox: loaded tables equal the world, incrementally, under
transport faults, past the search cap, and a bad credential fails clearly without leaking it."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.destination import pipeline
from ingestion.hubspot import helpers, hubspot_source, settings
from sandbox.apis import hubspot as hubspot_api
from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.world import World

WORLD = World(seed=3, scale=300, start=date(2025, 1, 1), end=date(2025, 3, 1))
FAULTS = FaultPlan(
    rate_limit_every=3,
    server_error_every=4,
    token_expiry_every=3,
    body_rate_limit_every=4,
    duplicate_across_pages=True,
)


def connect(server: SandboxServer, monkeypatch, api_key: str | None = None) -> None:
    monkeypatch.setenv("SOURCES__HUBSPOT__BASE_URL", server.base_urls["hubspot"])
    monkeypatch.setenv(
        "SOURCES__HUBSPOT__API_KEY", api_key or server.credentials["hubspot"]["api_key"]
    )


def rows(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


# --- the world as HubSpot should show it -------------------------------------------------------


def iso(dt) -> str | None:
    return None if dt is None else dt.strftime("%Y-%m-%d %H:%M:%S")


def expected_contacts(world: World) -> dict[str, tuple]:
    """id -> (email, analytics source, merged ids, {lifecycle value: date}) visible now."""
    now = world.now
    out = {}
    for p in world.people():
        if p.hubspot_id is None:
            continue
        dup = p.duplicate
        merged = dup is not None and dup.merged_at < now
        dates = {v: iso(at) for v, at in p.hubspot_stage_dates.items() if at < now}
        out[str(p.hubspot_id)] = (
            p.hubspot_email,
            p.hs_analytics_source,
            str(dup.contact_id) if merged else None,
            dates,
        )
        if dup is not None and dup.created_at < now and not merged:
            out[str(dup.contact_id)] = (
                dup.email,
                "DIRECT_TRAFFIC",
                None,
                {"lead": iso(dup.created_at)},
            )
    return out


def expected_deals(world: World) -> dict[str, tuple]:
    """id -> (amount, currency, stage, is closed won) as of now (changes strictly before now)."""
    now = world.now
    out = {}
    for d in world.deals():
        amount = d.revision.amount if d.revision and d.revision.at < now else d.amount
        stage = d.stage_path[0][1]
        for at, value in d.stage_path:
            if at < now:
                stage = value
        won = d.is_won and d.closed_at is not None and d.closed_at < now
        out[str(d.deal_id)] = (round(amount, 2), d.currency, stage, won)
    return out


def expected_associations(world: World) -> tuple[set, set]:
    contacts, companies = set(), set()
    for d in world.deals():
        company = world.bundle(d.company_idx).company
        companies.add((str(d.deal_id), str(company.company_id)))
        for idx in d.contact_idxs:
            contacts.add((str(d.deal_id), str(100_001 + 2 * idx)))
    return contacts, companies


def expected_companies(world: World) -> set[str]:
    now = world.now
    return {str(b.company.company_id) for b in world.bundles() if b.company.created_at < now}


# --- what was loaded ----------------------------------------------------------------------------


def loaded_contacts(path) -> dict[str, tuple]:
    cols = ", ".join(f"hs_lifecyclestage_{v}_date" for v in settings.LIFECYCLE_STAGES)
    out = {}
    sql = (
        f"select id, email, hs_analytics_source, hs_merged_object_ids, {cols} "
        "from raw_hubspot.contacts"
    )
    for row in rows(path, sql):
        dates = {
            v: iso(at)
            for v, at in zip(settings.LIFECYCLE_STAGES, row[4:], strict=True)
            if at is not None
        }
        out[row[0]] = (row[1], row[2], row[3], dates)
    return out


def loaded_deals(path) -> dict[str, tuple]:
    sql = (
        "select id, amount, deal_currency_code, dealstage, hs_is_closed_won from raw_hubspot.deals"
    )
    return {r[0]: (round(float(r[1]), 2), r[2], r[3], r[4]) for r in rows(path, sql)}


def assert_no_duplicates(path) -> None:
    for table, key in (
        ("contacts", "id"),
        ("companies", "id"),
        ("deals", "id"),
        ("owners", "id"),
        ("deal_contacts", "deal_id, contact_id, type_id"),
        ("deal_companies", "deal_id, company_id, type_id"),
    ):
        dupes = rows(
            path,
            f"select {key}, count(*) from raw_hubspot.{table} group by all having count(*) > 1",
        )
        assert dupes == [], f"{table} has duplicate keys: {dupes[:3]}"


def assert_tables_equal_world(path, world: World, earlier_contacts: dict | None = None) -> None:
    contacts = loaded_contacts(path)
    expected = expected_contacts(world)
    for contact_id, values in (earlier_contacts or {}).items():
        expected.setdefault(contact_id, values)  # merged away since: stays in raw (dbt collapses)
    assert contacts == expected
    assert loaded_deals(path) == expected_deals(world)
    assert {r[0] for r in rows(path, "select id from raw_hubspot.companies")} == expected_companies(
        world
    )
    deal_contacts, deal_companies = expected_associations(world)
    assert (
        set(rows(path, "select deal_id, contact_id from raw_hubspot.deal_contacts"))
        == deal_contacts
    )
    assert (
        set(rows(path, "select deal_id, company_id from raw_hubspot.deal_companies"))
        == deal_companies
    )
    assert_no_duplicates(path)


# --- tests --------------------------------------------------------------------------------------


def test_full_then_incremental_load_equals_the_world(warehouse, monkeypatch):
    with SandboxServer(WORLD) as server:
        connect(server, monkeypatch)
        pipeline("hubspot").run(hubspot_source())
        assert_tables_equal_world(warehouse, server.world)
        assert rows(warehouse, "select count(*) from raw_hubspot.owners") == [(3,)]
        assert rows(warehouse, "select count(*) from raw_hubspot.deal_pipeline_stages") == [(7,)]
        first = loaded_contacts(warehouse)

        server.advance(10)
        pipeline("hubspot").run(hubspot_source())
        loaded = pipeline("hubspot").last_trace.last_normalize_info.row_counts
        assert_tables_equal_world(warehouse, server.world, earlier_contacts=first)
        # only changes came: fewer contacts than the table holds, and every one changed or new
        total = rows(warehouse, "select count(*) from raw_hubspot.contacts")[0][0]
        assert 0 < loaded["contacts"] < total
        changed = sum(1 for k, v in loaded_contacts(warehouse).items() if first.get(k) != v)
        assert loaded["contacts"] >= changed


def test_transport_faults_and_the_search_cap_give_the_same_tables(warehouse, monkeypatch):
    # pages of 50 and a cap of 100 results per query force the restart-from-last-modification
    # path (HubSpot: 200 and 10,000) on contacts and companies
    monkeypatch.setattr(settings, "SEARCH_PAGE_SIZE", 50)
    monkeypatch.setattr(settings, "SEARCH_MAX_RESULTS", 100)
    restarts = []
    update_state = helpers.HubSpotSearchPaginator.update_state

    def counting_update_state(self, response, data=None):
        update_state(self, response, data)
        restarts.append(self.restarts)

    monkeypatch.setattr(helpers.HubSpotSearchPaginator, "update_state", counting_update_state)
    # deals' associations: 7 deals per batch read and one association per result, so both the
    # batches and the per-deal ``after`` paging are used (HubSpot: 1,000 and 500)
    monkeypatch.setattr(settings, "BATCH_READ_MAX_INPUTS", 7)
    monkeypatch.setattr(hubspot_api, "BATCH_ASSOCIATIONS_PER_OBJECT", 1)
    with SandboxServer(WORLD, faults=FAULTS) as server:
        connect(server, monkeypatch)
        pipeline("hubspot").run(hubspot_source())
        assert_tables_equal_world(warehouse, server.world)
        assert max(restarts) >= 1
        assert any(f == "rate_limit" for f, _ in server.ctx.injector.injected)
        assert any(f == "server_error" for f, _ in server.ctx.injector.injected)


def test_wrong_token_fails_at_once_naming_the_setting(warehouse, monkeypatch):
    wrong = "pat-na1-00000000-dead-beef-0000-000000000000"
    with SandboxServer(WORLD) as server:
        connect(server, monkeypatch, api_key=wrong)
        with pytest.raises(PipelineStepFailed) as failure:
            pipeline("hubspot").run(hubspot_source())
        message = str(failure.value)
        assert "SOURCES__HUBSPOT__API_KEY" in message and "401" in message
        assert wrong not in message
        assert server.credentials["hubspot"]["api_key"] not in message


def test_missing_token_names_the_setting(warehouse, monkeypatch):
    monkeypatch.delenv("SOURCES__HUBSPOT__API_KEY", raising=False)
    with pytest.raises(ConfigFieldMissingException) as missing:
        hubspot_source()
    assert "SOURCES__HUBSPOT__API_KEY" in str(missing.value)
