"""Data tests scoped to the rows written since they last passed (macros/scoped_tests.sql).

The hand-worked raw tables are built (the touch models and their tests). Every scoped test
then holds a watermark, the start of the run in which it passed. A duplicate touch written as
a later run writes rows (stamped after the watermark) must fail the uniqueness test, and fail
it again on the next run: a failed test does not move its watermark, so the rows of a run
whose tests failed are read until they pass. A row stamped before the watermark (checked when
it was written) is not read again: that is the slice, and why only models that stamp what
they write, and only tests that a run cannot make false for rows it did not write, are scoped.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.dbt_project.test_incremental_vanished import SELECT, _built
from tests.support.pipeline import dbt

UNIQUE_TEST = "unique_combination_int_touchpoints_unioned_touchpoint_id"
#: the scoped tests' models and the stamp each writes
SCOPED = {
    "int_touchpoints_unioned": "parsed_at",
    "int_touchpoints_channeled": "channeled_at",
}


def _watermarks(warehouse) -> dict[str, object]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(
            con.execute("select test_id, checked_through from audit.test_watermarks").fetchall()
        )


def _rewrite_touch_twice(warehouse) -> None:
    """What a run that wrote one touch twice leaves: delete+insert deleted the stored row of
    the key and inserted the two rows of its batch, stamped with its start (a second later)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create temp table batch as select * replace (parsed_at + interval 1 second"
            " as parsed_at) from intermediate.int_touchpoints_unioned"
            " order by touchpoint_id limit 1"
        )
        con.execute(
            "delete from intermediate.int_touchpoints_unioned"
            " where touchpoint_id in (select touchpoint_id from batch)"
        )
        for _ in range(2):
            con.execute("insert into intermediate.int_touchpoints_unioned select * from batch")


def _copy_touch_stamped_earlier(warehouse) -> None:
    """A second row of one stored touch, stamped before the watermark (no run writes this: a
    run's rows carry its start, which is after every watermark)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into intermediate.int_touchpoints_unioned"
            " select * replace (parsed_at - interval 1 second as parsed_at)"
            " from intermediate.int_touchpoints_unioned order by touchpoint_id limit 1"
        )


def _test_unioned(warehouse) -> str:
    """`dbt test` of int_touchpoints_unioned: its output; AssertionError when a test fails."""
    return dbt(warehouse.parent, "test", "--select", "int_touchpoints_unioned")


@pytest.fixture
def built(tmp_path):
    return _built(tmp_path, SELECT)


def test_every_scoped_test_holds_the_watermark_of_the_run_it_passed_in(built):
    watermarks = _watermarks(built)
    with duckdb.connect(str(built), read_only=True) as con:
        for model, stamp in SCOPED.items():
            (newest,) = con.execute(f"select max({stamp}) from intermediate.{model}").fetchone()
            scoped = {t: w for t, w in watermarks.items() if f"_{model}_" in t}
            assert scoped, f"no scoped test of {model} recorded a pass"
            assert set(scoped.values()) == {newest}, (model, scoped, newest)


def test_a_failed_scoped_test_fails_again_until_its_rows_pass(built):
    (watermark,) = [w for t, w in _watermarks(built).items() if UNIQUE_TEST in t]
    _rewrite_touch_twice(built)
    for attempt in ("the run that wrote the rows", "the next run"):
        with pytest.raises(AssertionError, match=UNIQUE_TEST):
            _test_unioned(built)
        (after,) = [w for t, w in _watermarks(built).items() if UNIQUE_TEST in t]
        assert after == watermark, f"{attempt}: a failed test moved its watermark"


def test_a_row_stamped_before_the_watermark_is_not_read_again(built):
    _copy_touch_stamped_earlier(built)
    _test_unioned(built)
