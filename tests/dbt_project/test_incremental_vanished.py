"""A touch that is gone from its source is gone from every incremental touch model after an
incremental run, as a full refresh would leave it.

The sandbox worlds of ``test_incremental.py`` only add and change touches between their two
loads; here one vanishes. The hand-worked raw tables are built, then Bob's visit 1007 is taken
out of Marketo's raw activities (a table dropped and loaded again without it, as after
Marketo's retention window) and the touch models are built again, incrementally. The touch
must be gone from ``int_touchpoints_unioned`` (which writes a tombstone over it and deletes
the tombstone in the same run), ``int_touchpoints_channeled`` and ``fct_touchpoints``; every
other row must be as a ``--full-refresh`` of the same warehouse writes it.
"""

from __future__ import annotations

import shutil

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


def test_a_touch_gone_from_its_source_is_gone_from_every_touch_model(tmp_path):
    incremental = tmp_path / "incremental"
    incremental.mkdir()
    write_raw_tables(incremental / "warehouse.duckdb")
    dbt(incremental, "build", *SELECT)
    before = {m: _rows(incremental / "warehouse.duckdb", m) for m in TOUCH_MODELS}
    for model, rows in before.items():
        assert GONE_TOUCHPOINT in rows, f"{model} never held the touch: the test proves nothing"

    with duckdb.connect(str(incremental / "warehouse.duckdb")) as con:
        con.execute("delete from raw_marketo.activities where id = ?", [GONE_ACTIVITY_ID])
    dbt(incremental, "build", *SELECT)

    refreshed = tmp_path / "refreshed"
    refreshed.mkdir()
    shutil.copy2(incremental / "warehouse.duckdb", refreshed / "warehouse.duckdb")
    dbt(refreshed, "build", "--full-refresh", *SELECT)

    for model in TOUCH_MODELS:
        after = _rows(incremental / "warehouse.duckdb", model)
        assert GONE_TOUCHPOINT not in after, f"{model} still holds the touch that is gone"
        assert set(after) == set(before[model]) - {GONE_TOUCHPOINT}, (
            f"{model}: touches other than the one gone were added or lost"
        )
        assert after == _rows(refreshed / "warehouse.duckdb", model), (
            f"{model} differs from a full refresh of the same warehouse"
        )
