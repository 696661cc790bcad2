"""An activity scan keeps each activity once when Marketo repeats it at the top of a later page
(the activities package is declared deduplicated, so dlt's merge no longer numbers it), with
memory for a few pages only: a repeat further apart, and an activity without a GUID, are passed
on (the source's ``unique`` test and the quarantine see them), never dropped."""

from __future__ import annotations

from ingestion.marketo import _without_repeats, activities


def act(guid: str | None, n: int) -> dict:
    return {"marketoGUID": guid, "id": n}


def test_a_repeat_at_the_top_of_the_next_pages_is_kept_once():
    pages = [
        [act("a", 1), act("b", 2)],
        [act("b", 2), act("c", 3)],  # the last of the page before, again
        [act("c", 3), act("b", 2), act("d", 4)],
    ]
    kept = list(_without_repeats(iter(pages), window=2))
    assert [[a["marketoGUID"] for a in page] for page in kept] == [["a", "b"], ["c"], ["d"]]


def test_a_repeat_inside_one_page_is_kept_once():
    pages = [[act("a", 1), act("b", 2), act("a", 1)], [act("c", 3)]]
    assert [[a["id"] for a in p] for p in _without_repeats(iter(pages), window=2)] == [[1, 2], [3]]


def test_a_page_that_is_all_repeats_is_not_yielded():
    pages = [[act("a", 1)], [act("a", 1)], [act("b", 2)]]
    assert [[a["id"] for a in p] for p in _without_repeats(iter(pages), window=2)] == [[1], [2]]


def test_only_the_last_pages_are_remembered_and_an_activity_without_a_guid_is_kept():
    pages = [[act("a", 1)], [act("b", 2)], [act("c", 3)], [act("a", 1), act(None, 5), act(None, 6)]]
    kept = [a["id"] for page in _without_repeats(iter(pages), window=2) for a in page]
    # "a" was served three pages before: beyond the window, it is passed on for dbt's test
    assert kept == [1, 2, 3, 1, 5, 6]


def test_the_activities_package_is_declared_deduplicated_for_dlts_merge():
    table = activities.compute_table_schema()
    assert table["write_disposition"] == "merge"
    assert table.get("x-stage-data-deduplicated") is True
    assert table["columns"]["marketoGUID"]["primary_key"] is True
