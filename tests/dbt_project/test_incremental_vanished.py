"""Rows gone from their source are gone from every incremental model after an incremental
run, as a full refresh would leave them: a touch, a record's lifecycle entries and an
archived deal's credits.

The sandbox worlds of ``test_incremental.py`` only add and change touches between their two
loads; here one vanishes. The hand-worked raw tables are built, then Bob's visit 1007 is taken
out of Marketo's raw activities (a table dropped and loaded again without it, as after
Marketo's retention window) and the touch models are built again, incrementally. The touch
must be gone from ``int_touchpoints_unioned`` (which writes a tombstone over it and deletes
the tombstone in the same run), ``int_touchpoints_channeled`` and ``fct_touchpoints``; every
other row must be as a ``--full-refresh`` of the same warehouse writes it.

A touch whose staged row changed without being new (Cy's lead comes with another email, so
her touches belong to another person) is parsed again, and only such touches are.

The stage entries: Cy's two Marketo status changes (1005 New, 1006 Marketing Qualified, her
lead 13's only ones) are taken out, and Bob's HubSpot sql date is cleared. The entries of lead
13 must be gone from ``int_lifecycle_stage_entries_unioned`` (a record with no entry left: a
tombstone) and Bob's contact must keep its two other entries (a record that lost one); the
monotone stages then imply Cy's mql at her opportunity (03-25 15:00) and Bob's sql at his
(03-21 09:00), as a full refresh writes them.

The credits: Cy's deal 9000003 is archived and Bob's deal 9000002 (one touch, 5000 USD) is
revised to 6000 USD. ``fct_attribution_credits`` must hold no credit of 9000003 and credit
Bob's touch with 6000 in every model, as a full refresh does.

An incremental model whose select reads a column that earlier versions did not store must fail,
on a table stored without it, with a message naming the one-time full refresh.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import duckdb

from tests.dbt_project.test_hand_worked import write_raw_tables
from tests.dbt_project.test_incremental import RUN_STAMPS
from tests.support.pipeline import WITHOUT_UNIT_TESTS, dbt

#: the hand-worked world's visit of Bob on 2024-12-05 (fixture activity id 1007)
GONE_ACTIVITY_ID = 1007
GONE_TOUCHPOINT = "marketo-000000000001007"
TOUCH_MODELS = (
    "intermediate.int_touchpoints_unioned",
    "intermediate.int_touchpoints_channeled",
    "marts.fct_touchpoints",
)
#: the touch models, what they read (seeds included) and their data tests
SELECT = ("--select", "+fct_touchpoints", "--indirect-selection", "cautious", *WITHOUT_UNIT_TESTS)


def _rows(warehouse, relation: str) -> dict[str, dict]:
    """The model's rows by touchpoint id, without the run stamps."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(f"select * from {relation}")
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    return {r["touchpoint_id"]: {c: v for c, v in r.items() if c not in RUN_STAMPS} for r in rows}


def _built(tmp_path, select: tuple[str, ...]):
    """The hand-worked raw tables built with `select`: the incremental build's warehouse."""
    incremental = tmp_path / "incremental"
    incremental.mkdir()
    write_raw_tables(incremental / "warehouse.duckdb")
    dbt(incremental, "build", *select)
    return incremental / "warehouse.duckdb"


def _refreshed(tmp_path, warehouse, select: tuple[str, ...]):
    """A copy of `warehouse` rebuilt with `--full-refresh`: its warehouse."""
    refreshed = tmp_path / "refreshed"
    refreshed.mkdir()
    shutil.copy2(warehouse, refreshed / "warehouse.duckdb")
    dbt(refreshed, "build", "--full-refresh", *select)
    return refreshed / "warehouse.duckdb"


def test_a_touch_gone_from_its_source_is_gone_from_every_touch_model(tmp_path):
    warehouse = _built(tmp_path, SELECT)
    before = {m: _rows(warehouse, m) for m in TOUCH_MODELS}
    for model, rows in before.items():
        assert GONE_TOUCHPOINT in rows, f"{model} never held the touch: the test proves nothing"

    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw_marketo.activities where id = ?", [GONE_ACTIVITY_ID])
    dbt(warehouse.parent, "build", *SELECT)
    refreshed = _refreshed(tmp_path, warehouse, SELECT)

    for model in TOUCH_MODELS:
        after = _rows(warehouse, model)
        assert GONE_TOUCHPOINT not in after, f"{model} still holds the touch that is gone"
        assert set(after) == set(before[model]) - {GONE_TOUCHPOINT}, (
            f"{model}: touches other than the one gone were added or lost"
        )
        assert after == _rows(refreshed, model), (
            f"{model} differs from a full refresh of the same warehouse"
        )


def _parse_stamps(warehouse) -> dict[str, object]:
    """int_touchpoints_unioned's `parsed_at` by touchpoint id."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute(
            "select touchpoint_id, parsed_at from intermediate.int_touchpoints_unioned"
        ).fetchall())  # fmt: skip


#: Cy's Marketo lead, which a later load brings with another email (a person of its own)
MOVED_LEAD = "13"


def test_touches_whose_person_changed_are_parsed_again_and_only_they(tmp_path):
    """A touch's staged row can change without the touch being new: here Cy's Marketo lead
    comes with another email, so her touches belong to another person. int_touchpoints_unioned
    finds such touches by the fingerprint of the columns a touch is computed from, so it must
    parse again exactly the lead's touches, and every touch model must equal a full refresh."""
    warehouse = _built(tmp_path, SELECT)
    before = _rows(warehouse, "intermediate.int_touchpoints_unioned")
    parsed_first = _parse_stamps(warehouse)
    lead_touches = {t for t, r in before.items() if r["source_record_id"] == MOVED_LEAD}
    assert lead_touches and len(lead_touches) < len(before), "the test would prove nothing"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update raw_marketo.leads set email = 'cy.ito@elsewhere.example.com'"
                    " where id = ?", [int(MOVED_LEAD)])  # fmt: skip

    dbt(warehouse.parent, "build", *SELECT)
    parsed_now = {t for t, stamp in _parse_stamps(warehouse).items() if stamp != parsed_first[t]}
    assert parsed_now == lead_touches, (
        f"parsed {len(parsed_now)} touches again; the lead has {len(lead_touches)}:"
        f" {len(lead_touches - parsed_now)} missed, {len(parsed_now - lead_touches)}"
        " parsed again unchanged"
    )
    after = _rows(warehouse, "intermediate.int_touchpoints_unioned")
    for touch in lead_touches:
        assert after[touch]["person_id"] != before[touch]["person_id"], f"{touch} kept its person"
    refreshed = _refreshed(tmp_path, warehouse, SELECT)
    for model in TOUCH_MODELS:
        assert _rows(warehouse, model) == _rows(refreshed, model), (
            f"{model} differs from a full refresh of the same warehouse"
        )


#: Cy's Marketo lead and its only status changes (New 03-11, Marketing Qualified 03-18)
CY_LEAD = "13"
GONE_STATUS_CHANGES = (1005, 1006)
#: Bob's HubSpot contact, whose sql date (03-14 09:00) is cleared
BOB_CONTACT = "100003"
STAGE_MODELS = (
    "intermediate.int_lifecycle_stage_entries_unioned",
    "intermediate.int_lifecycle_stages_made_monotone",
    "marts.fct_stage_entries",
)
STAGE_SELECT = ("--select", "+fct_stage_entries", "--indirect-selection", "cautious",
                *WITHOUT_UNIT_TESTS)  # fmt: skip


def _all_rows(warehouse, relation: str) -> list[dict]:
    """Every row of the model, without the run stamps, in a stable order."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(f"select * from {relation}")
        columns = [d[0] for d in cursor.description]
        rows = [
            {c: v for c, v in zip(columns, r, strict=True) if c not in RUN_STAMPS}
            for r in cursor.fetchall()
        ]
    return sorted(rows, key=lambda r: [str(v) for v in r.values()])


def _stage_entries_by_person_email(warehouse) -> dict[tuple[str, str], tuple]:
    """fct_stage_entries keyed by (person's email key, stage): (entered_at, is_implied)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select distinct people.person_key, entries.stage, entries.entered_at,"
            " entries.is_implied from marts.fct_stage_entries as entries"
            " inner join intermediate.int_person_records as people using (person_id)"
        ).fetchall()
    return {(key, stage): (entered_at, implied) for key, stage, entered_at, implied in rows}


def test_stage_entries_gone_from_their_source_are_gone_from_every_stage_model(tmp_path):
    warehouse = _built(tmp_path, STAGE_SELECT)
    entries = _all_rows(warehouse, STAGE_MODELS[0])
    records = {(r["source_system"], r["source_record_id"]) for r in entries}
    assert ("marketo", CY_LEAD) in records, "lead 13 had no entry: the test proves nothing"

    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "delete from raw_marketo.activities where id in (?, ?)", list(GONE_STATUS_CHANGES)
        )
        con.execute(
            "update raw_hubspot.contacts set hs_lifecyclestage_salesqualifiedlead_date = null"
            " where id = ?",
            [BOB_CONTACT],
        )
    dbt(warehouse.parent, "build", *STAGE_SELECT)

    after = _all_rows(warehouse, STAGE_MODELS[0])
    records_after = {(r["source_system"], r["source_record_id"]) for r in after}
    assert ("marketo", CY_LEAD) not in records_after, (
        "the entries of lead 13 are still there after its status changes were gone"
    )
    bob = {r["source_value"] for r in after if r["source_record_id"] == BOB_CONTACT}
    assert bob == {"lead", "opportunity"}, f"Bob's contact holds {bob}"
    # the hand-worked dates (the module docstring of test_hand_worked), now implied
    stages = _stage_entries_by_person_email(warehouse)
    cy_mql, bob_sql = datetime(2025, 3, 25, 15, tzinfo=UTC), datetime(2025, 3, 21, 9, tzinfo=UTC)
    assert stages[("cy.ito@acme.example.com", "mql")] == (cy_mql, True)
    assert stages[("bob.ng@acme.example.com", "sql")] == (bob_sql, True)

    refreshed = _refreshed(tmp_path, warehouse, STAGE_SELECT)
    for model in STAGE_MODELS:
        assert _all_rows(warehouse, model) == _all_rows(refreshed, model), (
            f"{model} differs from a full refresh of the same warehouse"
        )


CY_DEAL, BOB_DEAL = "9000003", "9000002"
CREDIT_SELECT = ("--select", "+fct_attribution_credits", "--indirect-selection", "cautious",
                 *WITHOUT_UNIT_TESTS)  # fmt: skip
CREDITS = "marts.fct_attribution_credits"


def test_credits_of_an_archived_deal_are_gone_and_a_revised_deal_is_credited_again(tmp_path):
    warehouse = _built(tmp_path, CREDIT_SELECT)
    deals = {r["opportunity_id"] for r in _all_rows(warehouse, CREDITS)}
    assert {CY_DEAL, BOB_DEAL} <= deals, f"credited deals {deals}: the test proves nothing"

    with duckdb.connect(str(warehouse)) as con:
        con.execute("update raw_hubspot.deals set archived = true where id = ?", [CY_DEAL])
        con.execute("update raw_hubspot.deals set amount = '6000.00' where id = ?", [BOB_DEAL])
    dbt(warehouse.parent, "build", *CREDIT_SELECT)

    after = _all_rows(warehouse, CREDITS)
    assert CY_DEAL not in {r["opportunity_id"] for r in after}, "the archived deal is credited"
    bob = [r for r in after if r["opportunity_id"] == BOB_DEAL]
    # the hand-worked deal: one eligible touch (1004), so credit 1 in each of the six models
    assert len(bob) == 6 and all(r["credit"] == 1 for r in bob), bob
    assert {r["attributed_pipeline"] for r in bob} == {6000}, "the revised amount is not credited"

    refreshed = _refreshed(tmp_path, warehouse, CREDIT_SELECT)
    assert after == _all_rows(refreshed, CREDITS), (
        f"{CREDITS} differs from a full refresh of the same warehouse"
    )


#: incremental models whose select reads a column that earlier versions did not store
UPGRADED = {
    "intermediate.int_touchpoints_unioned": "inputs_fingerprint",
    "intermediate.int_lifecycle_stages_made_monotone": "own_entered_at",
    "marts.fct_attribution_credits": "inputs_fingerprint",
    "marts.fct_stage_entries": "made_monotone_at",
}
UPGRADED_SELECT = ("--select", "+fct_attribution_credits", "+fct_stage_entries",
                   "--indirect-selection", "cautious", *WITHOUT_UNIT_TESTS)  # fmt: skip


def test_a_table_stored_by_an_earlier_version_fails_with_the_one_time_fix(tmp_path):
    warehouse = _built(tmp_path, UPGRADED_SELECT)
    with duckdb.connect(str(warehouse)) as con:
        for relation, column in UPGRADED.items():
            con.execute(f"alter table {relation} drop column {column}")

    # one model at a time: the others read the monotone stages, so they would be skipped
    for relation, column in UPGRADED.items():
        name = relation.split(".")[1]
        try:
            dbt(warehouse.parent, "build", "--select", name, *WITHOUT_UNIT_TESTS)
        except AssertionError as failure:
            output = str(failure)
        else:
            raise AssertionError(f"{name} was built on a table without {column}, which it reads")
        assert f"was stored without {column}" in output, output
        assert f"`dbt build --full-refresh --select {name}`" in output, output
