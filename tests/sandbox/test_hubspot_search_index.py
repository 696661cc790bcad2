"""The HubSpot search answers a range of the property it is sorted by from a sorted index, and
that answer is the one a scan of every record gives (the scan is the reference: it tests each
record against each filter as the query states them)."""

from __future__ import annotations

import pytest

from sandbox.apis.hubspot import _range_keys, _scan_keys, _SearchQuery, search_index


def query(obj: str, prop: str, *filters: tuple, sort: str | None = None, desc: bool = False):
    body = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": p, "operator": op, "value": v, "highValue": h}
                    for p, op, v, h in filters
                ]
            }
        ]
        if filters
        else [],
        "sorts": [
            {"propertyName": sort or prop, "direction": "DESCENDING" if desc else "ASCENDING"}
        ],
        "limit": 100,
    }
    return _SearchQuery.parse(obj, body)


def ms(records, prop: str, q: float) -> str:
    """A value inside the range of `prop`'s values (quantile q), as HubSpot takes it (ms)."""
    values = sorted(
        int(r.modified.timestamp() * 1000)
        if "modified" in prop
        else int(r.created.timestamp() * 1000)
        for r in records
    )
    return str(values[int(q * (len(values) - 1))])


@pytest.mark.parametrize(
    "obj,prop",
    [
        ("contacts", "lastmodifieddate"),
        ("deals", "hs_lastmodifieddate"),
        ("companies", "createdate"),
    ],
)
def test_a_range_from_the_sorted_index_equals_the_scan(sandbox, obj, prop):
    ctx, world = sandbox.ctx, sandbox.world
    records = list(search_index(ctx, world)[obj].values())
    a, b, c = (ms(records, prop, q) for q in (0.2, 0.5, 0.8))
    queries = [
        query(obj, prop),
        query(obj, prop, (prop, "GTE", a, None)),
        query(obj, prop, (prop, "GT", b, None)),
        query(obj, prop, (prop, "LT", c, None)),
        query(obj, prop, (prop, "LTE", b, None)),
        query(obj, prop, (prop, "GTE", a, None), (prop, "LT", c, None)),
        query(obj, prop, (prop, "BETWEEN", a, c)),
        query(obj, prop, (prop, "EQ", b, None)),
        query(obj, prop, (prop, "GTE", c, None), (prop, "LT", a, None)),  # empty
    ]
    for q in queries:
        ranged = _range_keys(ctx, world, q)
        assert ranged is not None
        assert ranged == _scan_keys(ctx, world, q, ("test", id(q)))
    assert _range_keys(ctx, world, queries[5])[0] > 0


def test_other_searches_are_scanned(sandbox):
    ctx, world = sandbox.ctx, sandbox.world
    # sorted by another property, descending, or filtered on another property: no range
    by_other = query(
        "contacts", "createdate", ("createdate", "GTE", "0", None), sort="hs_object_id"
    )
    assert _range_keys(ctx, world, by_other) is None
    assert _range_keys(ctx, world, query("contacts", "createdate", desc=True)) is None
    other = query("contacts", "createdate", ("lastmodifieddate", "GTE", "0", None))
    assert _range_keys(ctx, world, other) is None
