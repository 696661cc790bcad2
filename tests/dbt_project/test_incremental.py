"""Incremental marts: an incremental dbt build after late updates gives the same tables as a
full refresh, and really was incremental.

A sandbox world is loaded as of an earlier day and built; the world is then loaded again as of
its end (new activity plus the late updates of those weeks: CRM duplicates merged, deals
closed and revised, ad days restated, lifecycle stages reached) and built incrementally. A
copy of that warehouse is rebuilt with ``dbt build --full-refresh``: every certified table and
every incremental mart must be identical in both, and a certified table must equal the ground
truth of the final world. On PostgreSQL (a throwaway server, as in
``test_postgres_portability.py``) the same two loads and builds give the same tables as DuckDB,
so the incremental SQL is portable too. The DuckDB builds run with each CRM: through
Salesforce the duplicates are merged leads (or leads converted into the survivor's contact),
the deals close and revise as opportunities, and the later load brings those changes through
`queryAll` and the incremental models as HubSpot's do.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date

import duckdb
import pytest

from sandbox.truth import TABLES, compute_truth
from sandbox.world import World
from tests.support.pipeline import (
    WITHOUT_UNIT_TESTS,
    assert_rows_equal,
    dbt,
    environment,
    load_world,
    read_table,
)
from tests.support.postgres import postgres_for_test
from tests.support.postgres import read_table as read_postgres_table
from warehouse.sources import dbt_vars

#: loaded as of EARLIER, then as of the world's as_of: in between, a CRM duplicate created in
#: June (a person of its own at the first load) is merged into its survivor, deals created
#: before the first load close, one (created 06-29) has its amount revised on 07-24, ad days are
#: restated and people move through the lifecycle
WORLD = {"seed": 3, "scale": 300, "as_of": date(2025, 7, 25)}
EARLIER = date(2025, 7, 1)
#: the same organisation through each CRM
CRMS = ("hubspot", "salesforce")
#: the data tests run on the incremental build; the other builds only set up the comparison
SKIP_DATA_TESTS = ("--exclude", "test_type:data", *WITHOUT_UNIT_TESTS)

#: the incremental models and the columns that identify one row
INCREMENTAL_MODELS = {
    "staging.stg_marketo__activities": ("marketo_guid",),
    "intermediate.int_lifecycle_stage_entries_unioned": (
        "source_system",
        "source_record_id",
        "source_value",
        "entered_at",
    ),
    "intermediate.int_lifecycle_stages_made_monotone": ("person_id", "stage"),
    "intermediate.int_touchpoints_unioned": ("touchpoint_id",),
    "intermediate.int_touchpoints_channeled": ("touchpoint_id",),
    "marts.fct_touchpoints": ("touchpoint_id",),
    "marts.fct_stage_entries": ("person_id", "stage"),
    "marts.fct_spend_daily": ("spend_date", "platform", "account_id", "campaign_key"),
    "marts.fct_attribution_credits": ("opportunity_id", "attribution_model", "touchpoint_id"),
}


#: bookkeeping columns: when a row was written (differs between any two builds by design)
RUN_STAMPS = ("parsed_at", "channeled_at", "made_monotone_at")

#: bookkeeping columns that differ between two databases given the same rows
PER_DATABASE = ("dlt_load_id", "inputs_fingerprint")

#: certified tables whose rows for months already loaded must change when deals close later
CLOSING_TABLES = ("certified.opportunity_velocity_monthly", "certified.lead_to_booking_monthly")


def _table_state(workdir, relation: str) -> tuple[int, int, set, list[str]]:
    """(DuckDB table oid, row count, rows, columns) of a table: a recreated table gets a new
    oid."""
    schema, table = relation.split(".")
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        (oid,) = con.execute(
            "select table_oid from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchone()
        cursor = con.execute(f"select * from {schema}.{table}")
        rows = cursor.fetchall()
        columns = [d[0] for d in cursor.description]
    return oid, len(rows), set(rows), columns


@pytest.fixture(scope="module", params=CRMS)
def builds(request, tmp_path_factory):
    """(world, incremental workdir, full-refresh workdir, states before and after the run)."""
    world = World(**WORLD, crm=request.param)
    variables = dbt_vars(list(world.system_names))  # the world's CRM on, the other off
    incremental = tmp_path_factory.mktemp(f"incremental-{request.param}")
    load_world(replace(world, as_of=EARLIER), incremental)
    dbt(incremental, "build", *SKIP_DATA_TESTS, vars=variables)
    before = {m: _table_state(incremental, m) for m in (*INCREMENTAL_MODELS, *CLOSING_TABLES)}
    load_world(world, incremental)
    dbt(incremental, "build", *WITHOUT_UNIT_TESTS, vars=variables)
    after = {m: _table_state(incremental, m) for m in (*INCREMENTAL_MODELS, *CLOSING_TABLES)}
    run_results = json.loads((incremental / "dbt_target" / "run_results.json").read_text())
    refreshed = tmp_path_factory.mktemp(f"full_refresh-{request.param}")
    shutil.copy2(incremental / "warehouse.duckdb", refreshed / "warehouse.duckdb")
    dbt(refreshed, "build", "--full-refresh", *SKIP_DATA_TESTS, vars=variables)
    return world, incremental, refreshed, before, after, run_results


@pytest.fixture(scope="module")
def truth(builds):
    return compute_truth(builds[0])


@pytest.mark.parametrize("model", sorted(INCREMENTAL_MODELS))
def test_the_second_build_was_incremental_and_took_the_late_updates(builds, model):
    _, incremental, _, before, after, run_results = builds
    (oid_before, count_before, rows_before, _) = before[model]
    (oid_after, _, rows_after, _) = after[model]
    layer, name = model.split(".")
    assert count_before > 0, f"{name} was empty before the incremental run"
    assert oid_after == oid_before, f"{name} was recreated instead of updated in place"
    assert rows_after - rows_before, f"{name}: the later load brought no new or changed row"
    assert rows_before & rows_after, f"{name}: no stored row survived the run"
    compiled = (
        incremental / "dbt_target" / "run" / "marketing_warehouse" / "models" / layer
    ).rglob(f"{name}.sql")
    assert any("delete from" in p.read_text() for p in compiled), f"{name}: no delete+insert"
    (result,) = (r for r in run_results["results"] if r["unique_id"].endswith(f".{name}"))
    assert result["status"] == "success"


def test_late_updates_reached_the_incremental_marts(builds):
    """The advance merged contacts and revised deals: persons and credits changed, not only
    new rows appended (a run that only appended would still differ from the full refresh)."""
    _, _, _, before, after, _ = builds

    def replaced_or_removed(model: str) -> set:
        return before[model][2] - after[model][2]

    stage_people = {r[0] for r in replaced_or_removed("marts.fct_stage_entries")}
    credit_opps = {r[0] for r in replaced_or_removed("marts.fct_attribution_credits")}
    spend_days = {r[:4] for r in replaced_or_removed("marts.fct_spend_daily")}
    assert stage_people, "no stored stage entry was replaced or removed by the later load"
    assert credit_opps, "no stored credit was replaced or removed by the later load"
    assert spend_days, "no stored spend day was restated by the later load"


def _own_entries_by_person(state) -> dict[str, set]:
    """From int_lifecycle_stage_entries_unioned's rows: each person's own entries, the
    earliest entry per stage order (docs/certified_tables.md, Lifecycle stages)."""
    _, _, rows, columns = state
    earliest: dict[tuple, object] = {}
    for values in rows:
        row = dict(zip(columns, values, strict=True))
        key = (row["person_id"], row["stage_order"])
        earliest[key] = min(earliest.get(key, row["entered_at"]), row["entered_at"])
    by_person: dict[str, set] = {}
    for (person, order), entered_at in earliest.items():
        by_person.setdefault(person, set()).add((order, entered_at))
    return by_person


def test_a_one_day_run_rewrote_only_the_persons_whose_entries_changed(builds):
    """The slice a run rewrites: int_lifecycle_stages_made_monotone wrote (stamped with the run,
    `made_monotone_at`) exactly the persons whose own entries the later load changed or added,
    found here from the stage entries before and after, and no other person. (fct_stage_entries
    carries that stamp on: it holds the rows of the persons so stamped.)"""
    _, _, _, before, after, _ = builds
    entries = "intermediate.int_lifecycle_stage_entries_unioned"
    old, new = _own_entries_by_person(before[entries]), _own_entries_by_person(after[entries])
    changed = {person for person in new if old.get(person) != new[person]}
    assert changed, "the later load changed no person's stage entries: the test proves nothing"
    monotone = "intermediate.int_lifecycle_stages_made_monotone"
    stamped_before = [dict(zip(before[monotone][3], r, strict=True)) for r in before[monotone][2]]
    stamped_after = [dict(zip(after[monotone][3], r, strict=True)) for r in after[monotone][2]]
    last_run = max(r["made_monotone_at"] for r in stamped_before)
    rewritten = {r["person_id"] for r in stamped_after if r["made_monotone_at"] > last_run}
    assert rewritten == changed, (
        f"rewrote {len(rewritten - changed)} persons whose entries did not change"
        f" and missed {len(changed - rewritten)} whose entries did"
    )
    persons = {r["person_id"] for r in stamped_after}
    assert len(rewritten) < len(persons), "every person was rewritten"


def test_deals_closed_and_revised_after_the_first_load_moved_velocity(builds):
    """Between the two loads deals created before the first closed and amounts were revised
    (the world's own record of them, apart from dbt), and the velocity and booking rows of
    months the first build had already written changed: the incremental build took the
    closes, not only the new months."""
    world, _, _, before, after, _ = builds
    old = [d for d in world.deals() if d.created_at.date() < EARLIER]
    closed_later = [d for d in old if d.closed_at and EARLIER <= d.closed_at.date() < world.today]
    revised_later = [d for d in old if d.revision and EARLIER <= d.revision.at.date() < world.today]
    assert closed_later, "no deal created before the first load closed after it"
    assert revised_later, "no deal amount was revised between the loads"
    for table in CLOSING_TABLES:
        first_month = EARLIER.replace(day=1)
        earlier_rows = {r for r in before[table][2] if r[0] < first_month}
        later_rows = {r for r in after[table][2] if r[0] < first_month}
        assert earlier_rows and earlier_rows != later_rows, (
            f"{table}: the rows of months before {first_month} did not change"
        )


@pytest.mark.parametrize(
    "relation",
    [f"certified.{t}" for t in sorted(TABLES)] + sorted(INCREMENTAL_MODELS),
)
def test_incremental_equals_full_refresh(builds, relation):
    _, incremental, refreshed, _, _, _ = builds
    schema, table = relation.split(".")
    grain = TABLES[table][0] if schema == "certified" else INCREMENTAL_MODELS[relation]
    got, want = read_table(incremental, relation), read_table(refreshed, relation)
    got, want = ([_without_stamps(r) for r in rows] for rows in (got, want))
    assert want, f"{relation} is empty: the comparison would prove nothing"
    assert len(got) == len(want), f"{relation}: {len(got)} rows, full refresh {len(want)}"
    assert_rows_equal(got, want, grain, table=relation, tolerance=1e-9)


def _without_stamps(row: dict, *more: str) -> dict:
    return {c: v for c, v in row.items() if c not in RUN_STAMPS + more}


def test_the_daily_build_parsed_and_channeled_only_the_changed_touches(builds):
    """The touches the second build parsed (stamped with its start) are exactly those that are
    new or differ from the first build's (compared without the stamp), a slice of the whole;
    and the channel step took exactly the touches parsed in that build."""
    _, _, _, before, after, _ = builds

    def touches(state) -> dict:
        _, _, rows, columns = state
        return {r[columns.index("touchpoint_id")]: dict(zip(columns, r, strict=True)) for r in rows}

    parsed_before = touches(before["intermediate.int_touchpoints_unioned"])
    parsed_after = touches(after["intermediate.int_touchpoints_unioned"])
    run_start = max(r["parsed_at"] for r in parsed_after.values())
    stamped = {t for t, r in parsed_after.items() if r["parsed_at"] == run_start}
    changed = {
        t for t, r in parsed_after.items()
        if t not in parsed_before or _without_stamps(parsed_before[t]) != _without_stamps(r)
    }  # fmt: skip
    assert changed, "the later load changed no touch: the test would prove nothing"
    assert stamped == changed, (
        f"parsed {len(stamped)} touches, {len(changed)} are new or changed; "
        f"{len(stamped - changed)} parsed again unchanged, {len(changed - stamped)} missed"
    )
    assert len(stamped) < len(parsed_after) / 2, "most touches were parsed again"
    channeled = touches(after["intermediate.int_touchpoints_channeled"])
    channeled_now = {t for t, r in channeled.items() if r["channeled_at"] == run_start}
    assert channeled_now == stamped, (
        f"channeled {len(channeled_now)} touches, {len(stamped)} were parsed in this build"
    )


@pytest.mark.parametrize("table", ["funnel_daily", "pipeline_attribution_monthly", "spend_daily"])
def test_incremental_build_equals_the_ground_truth(builds, truth, table):
    _, incremental, _, _, _, _ = builds
    expected = truth.table(table)
    assert expected
    assert_rows_equal(
        read_table(incremental, f"certified.{table}"), expected, TABLES[table][0], table=table
    )


@pytest.fixture(scope="module")
def postgres_builds(tmp_path_factory):
    """The same two loads and builds on a fresh PostgreSQL database (skipped without a server
    outside CI, as the portability test)."""
    with postgres_for_test("the incremental portability test") as settings:
        workdir = tmp_path_factory.mktemp("incremental-postgres")
        world = World(**WORLD)
        for state in (replace(world, as_of=EARLIER), world):
            with environment({**settings.env(), "WAREHOUSE_TARGET": "postgres"}):
                load_world(state, workdir)
            result = dbt(
                workdir, "build", *WITHOUT_UNIT_TESTS, target="postgres", extra_env=settings.env()
            )
        yield settings, result.stdout


@pytest.mark.parametrize("builds", ["hubspot"], indirect=True)
def test_incremental_build_on_postgres_equals_duckdb(builds, postgres_builds):
    _, incremental, _, _, _, _ = builds
    settings, output = postgres_builds
    for model in INCREMENTAL_MODELS:
        assert f"OK created sql incremental model {model}" in output
    relations = [f"certified.{t}" for t in sorted(TABLES)] + sorted(INCREMENTAL_MODELS)
    for relation in relations:
        schema, table = relation.split(".")
        grain = TABLES[table][0] if schema == "certified" else INCREMENTAL_MODELS[relation]
        # and the dlt load ids (two different loads) and the fingerprints of what a row was
        # computed from (an md5 of values as each database writes them as text)
        assert_rows_equal(
            [_without_stamps(r, *PER_DATABASE) for r in read_postgres_table(settings, relation)],
            [_without_stamps(r, *PER_DATABASE) for r in read_table(incremental, relation)],
            grain,
            table=f"{relation} (postgres)",
        )
