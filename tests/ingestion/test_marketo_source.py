"""The Marketo source against the sandbox: loaded tables equal the world, incrementally, under
transport and body-level faults, and a bad credential fails clearly without leaking it."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.destination import pipeline
from ingestion.marketo import marketo_source
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
TOUCH_TYPES = {"visit": 1, "form": 2, "email_click": 11, "attended": 104}


@pytest.fixture
def warehouse(warehouse, monkeypatch):
    # the world starts in 2025: fewer empty bulk extract windows to walk
    monkeypatch.setenv("SOURCES__MARKETO__START_DATE", "2024-12-01T00:00:00Z")
    monkeypatch.setattr("ingestion.marketo.settings.FIRST_BACKOFF_SECONDS", 0.05)
    return warehouse


def connect(server: SandboxServer, monkeypatch, secret: str | None = None) -> None:
    creds = server.credentials["marketo"]
    monkeypatch.setenv("SOURCES__MARKETO__BASE_URL", server.base_urls["marketo"])
    monkeypatch.setenv("SOURCES__MARKETO__CLIENT_ID", creds["client_id"])
    monkeypatch.setenv("SOURCES__MARKETO__CLIENT_SECRET", secret or creds["client_secret"])


def rows(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


# --- the world as Marketo should show it -------------------------------------------------------


def visible_leads(world: World):
    return [p for p in world.people() if p.marketo_id is not None]


def memberships_begun(p) -> list[tuple[int, object, int]]:
    """(program id, date, activity id) of the lead's program memberships that no attended event
    began: Marketo logs each as a Change Status in Progression (type 104) to ``Member``, dated
    when the membership became visible (the first touch in the program, or the lead's creation
    if that touch was anonymous); the sandbox numbers them from 10^12 + the touch's id."""
    first = {}
    for t in sorted(p.touches, key=lambda t: (t.at, t.activity_id)):
        if t.program_id and t.program_id not in first:
            first[t.program_id] = t
    return [
        (program_id, max(t.at, p.created_at), 10**12 + t.activity_id)
        for program_id, t in first.items()
        if t.kind != "attended"
    ]


def membership_dates(world: World) -> list[tuple[int, int, object]]:
    """(program id, lead id, membershipDate: the first touch in the program) of every member."""
    first = {}
    for p in visible_leads(world):
        for t in p.touches:
            if t.program_id and t.at < world.now:
                key = (t.program_id, p.marketo_id)
                first[key] = min(first.get(key, t.at), t.at)
    return [(program_id, lead, at) for (program_id, lead), at in first.items()]


def all_activities(world: World) -> list[tuple[str, int, int, object, str | None, int | None]]:
    """(marketoGUID, lead id, type id, date, new lead status, program) of every visible one."""
    now = world.now
    out = []
    for p in visible_leads(world):
        for t in p.touches:
            out.append((str(t.activity_id), p.marketo_id, TOUCH_TYPES[t.kind], t.at, None,
                        t.program_id if t.kind == "attended" else None))  # fmt: skip
        for c in p.marketo_status_changes:
            out.append((str(c.activity_id), p.marketo_id, 13, c.at, c.new, None))
        for program_id, at, activity_id in memberships_begun(p):
            out.append((str(activity_id), p.marketo_id, 104, at, None, program_id))
    return [a for a in out if a[3] < now]


def expected_activities(world: World) -> dict[str, tuple]:
    """marketoGUID -> (lead id, type id, new lead status for type 13)."""
    return {a[0]: (a[1], a[2], a[4]) for a in all_activities(world)}


def expected_leads(world: World) -> dict[int, tuple]:
    now = world.now
    out = {}
    for p in visible_leads(world):
        changes = [c for c in p.marketo_status_changes if c.at < now]
        out[p.marketo_id] = (p.marketo_email, changes[-1].new if changes else None)
    return out


def expected_programs(world: World) -> tuple[set, set]:
    programs = {p.program_id for p in world.visible_programs()}
    costs = {
        (p.program_id, c.start_date, round(c.cost, 2))
        for p in world.visible_programs()
        for c in p.costs
    }
    return programs, costs


def expected_members(world: World) -> set[tuple[int, int]]:
    now = world.now
    visible = {p.program_id for p in world.visible_programs()}
    return {
        (t.program_id, p.marketo_id)
        for p in visible_leads(world)
        for t in p.touches
        if t.program_id in visible and t.at < now
    }


# --- what was loaded ----------------------------------------------------------------------------


def loaded_activities(path) -> dict[str, tuple]:
    sql = (
        "select marketo_guid, lead_id, activity_type_id, "
        "case when activity_type_id = 13 then attributes->>'New Value' end "
        "from raw_marketo.activities"
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows(path, sql)}


def assert_tables_equal_world(path, world: World) -> None:
    assert loaded_activities(path) == expected_activities(world)
    leads = rows(path, "select id, email, lead_status from raw_marketo.leads")
    assert {r[0]: (r[1], r[2]) for r in leads} == expected_leads(world)
    programs, costs = expected_programs(world)
    assert {r[0] for r in rows(path, "select id from raw_marketo.programs")} == programs
    loaded_costs = rows(path, "select program_id, start_date, cost from raw_marketo.program_costs")
    assert {(p, d, round(float(c), 2)) for p, d, c in loaded_costs} == costs
    members = rows(path, "select program_id, lead_id from raw_marketo.program_members")
    assert set(members) == expected_members(world)
    for table, key in (
        ("activities", "marketo_guid"),
        ("leads", "id"),
        ("programs", "id"),
        ("program_costs", "program_id, seq"),
        ("program_members", "program_id, lead_id"),
    ):
        dupes = rows(
            path, f"select {key} from raw_marketo.{table} group by all having count(*) > 1"
        )
        assert dupes == [], f"{table} has duplicate keys: {dupes[:3]}"


# --- tests --------------------------------------------------------------------------------------


def test_full_then_incremental_load_equals_the_world(warehouse, monkeypatch):
    with SandboxServer(WORLD) as server:
        connect(server, monkeypatch)
        pipeline("marketo").run(marketo_source())
        assert_tables_equal_world(warehouse, server.world)
        first_now = server.world.now
        first_members = membership_dates(server.world)

        server.advance(10)
        pipeline("marketo").run(marketo_source())
        loaded = pipeline("marketo").last_trace.last_normalize_info.row_counts
        assert_tables_equal_world(warehouse, server.world)
        # activities: only what happened since the first run, and the earlier (anonymous)
        # activities of the leads that became known since then; nothing else is read again
        world = server.world
        happened = sum(1 for a in all_activities(world) if a[3] >= first_now)
        attached = sum(
            1
            for p in visible_leads(world)
            if p.created_at >= first_now
            for t in p.touches
            if t.at < first_now
        )
        assert attached > 0, "the world has no lead whose earlier visits were attached late"
        assert loaded["activities"] == happened + attached
        # program members: the memberships whose status changed (type 104) since the first
        # run, and at most those since the newest membership that run saw (where it resumes)
        status_changes = [a for a in all_activities(world) if a[2] == 104]
        changed = {(a[5], a[1]) for a in status_changes if a[3] >= first_now}
        assert changed, "no membership changed in the ten days: the check would prove nothing"
        resumed_at = max(at for _, _, at in first_members)
        may_read = {(a[5], a[1]) for a in status_changes if a[3] >= resumed_at}
        second = set(
            rows(
                warehouse,
                "select program_id, lead_id from raw_marketo.program_members "
                "where _dlt_load_id = (select max(_dlt_load_id) from raw_marketo.program_members)",
            )
        )
        assert changed <= second <= may_read
        assert len(second) < len(expected_members(world))
        # only changed and new leads came the second time
        assert 0 < loaded["leads"] < rows(warehouse, "select count(*) from raw_marketo.leads")[0][0]
        # lead status changes are activities of type 13 with the new status as an attribute
        statuses = rows(
            warehouse,
            "select distinct attributes->>'New Value' from raw_marketo.activities "
            "where activity_type_id = 13 order by 1",
        )
        assert statuses == [("Marketing Qualified",), ("New",), ("Sales Qualified",)]


def test_transport_and_body_faults_give_the_same_tables(warehouse, monkeypatch):
    with SandboxServer(WORLD, faults=FAULTS) as server:
        connect(server, monkeypatch)
        pipeline("marketo").run(marketo_source())
        assert_tables_equal_world(warehouse, server.world)
        injected = {fault for fault, _ in server.ctx.injector.injected}
        assert {"rate_limit", "server_error", "token_expiry", "body_rate_limit"} <= injected


def test_wrong_secret_fails_at_once_naming_the_settings(warehouse, monkeypatch):
    wrong = "0123456789abcdef0123456789abcdef01234567"
    with SandboxServer(WORLD) as server:
        connect(server, monkeypatch, secret=wrong)
        with pytest.raises(PipelineStepFailed) as failure:
            pipeline("marketo").run(marketo_source())
        message = str(failure.value)
        assert "SOURCES__MARKETO__CLIENT_SECRET" in message
        assert wrong not in message
        assert server.credentials["marketo"]["client_id"] not in message


def test_missing_secret_names_the_setting(warehouse, monkeypatch):
    monkeypatch.delenv("SOURCES__MARKETO__CLIENT_SECRET", raising=False)
    monkeypatch.setenv("SOURCES__MARKETO__CLIENT_ID", "someone")
    monkeypatch.setenv("SOURCES__MARKETO__BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(ConfigFieldMissingException) as missing:
        marketo_source()
    assert "SOURCES__MARKETO__CLIENT_SECRET" in str(missing.value)
