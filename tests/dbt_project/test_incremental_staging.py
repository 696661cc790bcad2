"""The incremental staging of Marketo's activities reads the raw rows of loads it has not seen
and, besides them, the rows of loads it has seen that the `future_date` rule kept out and that
are now due.

Time cannot be moved under the rule (it compares with the warehouse's clock), so the test moves
the row instead: a raw activity dated a month ahead is kept out of the first build (it fails
`future_date`), then its date is set to a past day after every staged activity, with no new
load, as if that month had passed. The next incremental run must stage it, as a full refresh
would; a run that only reads new loads would never see it.
"""

from __future__ import annotations

import duckdb

from tests.dbt_project.test_hand_worked import write_raw_tables
from tests.support.pipeline import dbt

#: an activity the hand-worked world does not have, copied from Bob's visit 1007
DUE_ACTIVITY_ID = 9007
#: after every activity of the hand-worked world (March 2025), before the warehouse's clock
DUE_DATE = "2026-01-15 09:00:00+00"
SELECT = ("--select", "stg_marketo__activities")


def _staged_ids(warehouse) -> set[int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select activity_id from staging.stg_marketo__activities").fetchall()
    return {r[0] for r in rows}


def test_an_activity_kept_out_as_future_dated_is_staged_once_due(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    write_raw_tables(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw_marketo.activities select * replace ("
            " ? as id, 'hand-' || ? as marketo_guid, _dlt_id || '-due' as _dlt_id,"
            " now() + interval 30 day as activity_date)"
            " from raw_marketo.activities where id = 1007",
            [DUE_ACTIVITY_ID, DUE_ACTIVITY_ID],
        )
    dbt(tmp_path, "run", *SELECT)
    first = _staged_ids(warehouse)
    assert first, "nothing was staged"
    assert DUE_ACTIVITY_ID not in first, "the future-dated activity was staged before its date"

    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update raw_marketo.activities set activity_date = cast(? as timestamptz) where id = ?",
            [DUE_DATE, DUE_ACTIVITY_ID],
        )
    dbt(tmp_path, "run", *SELECT)
    assert _staged_ids(warehouse) == first | {DUE_ACTIVITY_ID}, (
        "the activity now due was not staged by the incremental run (or others changed)"
    )
