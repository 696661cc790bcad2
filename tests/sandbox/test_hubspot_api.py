"""The sandbox HubSpot API against the world model (computed independently here) and the vendor's
OpenAPI specs."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openapi_schema_validator import OAS30Validator

from sandbox.world import World

SPECS = (
    Path(__file__).resolve().parents[1] / "fixtures/vendor_reference/api-samples/hubspot-openapi"
)
STAGES = (
    "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
    "customer", "evangelist",
)  # fmt: skip


def ms(dt: datetime | None) -> str | None:
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- the world, as HubSpot must show it (independent of the API module) -----------------------


def expected_contacts(world: World) -> dict[str, dict]:
    now = world.now
    out = {}
    for b in world.bundles():
        deal_ok = b.deal is not None and b.deal.created_at < now
        for p in b.people:
            if p.hubspot_id is None or p.created_at >= now:
                continue
            dates = {v: at for v, at in p.hubspot_stage_dates.items() if at < now}
            order = {v: i for i, v in enumerate(STAGES)}
            current = max(dates, key=lambda v: (dates[v], order[v]))
            merged = p.duplicate is not None and p.duplicate.merged_at < now
            times = [p.created_at, *dates.values()]
            if merged:
                times.append(p.duplicate.merged_at)
            props = {
                "email": p.hubspot_email,
                "firstname": p.first_name,
                "lastname": p.last_name,
                "createdate": ms(p.created_at),
                "lastmodifieddate": ms(max(times)),
                "lifecyclestage": current,
                "hs_analytics_source": p.hs_analytics_source,
                "hs_merged_object_ids": str(p.duplicate.contact_id) if merged else None,
                "associatedcompanyid": str(b.company.company_id),
                "hs_object_id": str(p.hubspot_id),
            }
            for v in STAGES:
                props[f"hs_lifecyclestage_{v}_date"] = ms(dates.get(v))
            deals = [str(b.deal.deal_id)] if deal_ok and p.idx in b.deal.contact_idxs else []
            out[str(p.hubspot_id)] = {"props": props, "deals": deals}
            d = p.duplicate
            if d is not None and d.created_at < now <= d.merged_at:
                dprops = {
                    "email": d.email,
                    "firstname": p.first_name,
                    "lastname": p.last_name,
                    "createdate": ms(d.created_at),
                    "lastmodifieddate": ms(d.created_at),
                    "lifecyclestage": "lead",
                    "hs_analytics_source": "DIRECT_TRAFFIC",
                    "hs_merged_object_ids": None,
                    "associatedcompanyid": None,
                    "hs_object_id": str(d.contact_id),
                }
                for v in STAGES:
                    dprops[f"hs_lifecyclestage_{v}_date"] = (
                        ms(d.created_at) if v == "lead" else None
                    )
                out[str(d.contact_id)] = {"props": dprops, "deals": []}
    return out


def expected_deals(world: World) -> dict[str, dict]:
    now = world.now
    out = {}
    for b in world.bundles():
        d = b.deal
        if d is None or d.created_at >= now:
            continue
        past = [(at, s) for at, s in d.stage_path if at < now]
        revised = d.revision is not None and d.revision.at < now
        amount = d.revision.amount if revised else d.amount
        closed = d.closed_at is not None and d.closed_at < now
        times = [d.created_at, *(at for at, _ in past)] + ([d.revision.at] if revised else [])
        props = {
            "dealname": d.name,
            "amount": amount,
            "deal_currency_code": d.currency,
            "createdate": ms(d.created_at),
            "closedate": ms(d.closed_at) if closed else None,
            "dealstage": past[-1][1],
            "pipeline": "default",
            "hs_is_closed_won": str(closed and d.is_won).lower(),
            "hs_is_closed": str(closed).lower(),
            "hs_lastmodifieddate": ms(max(times)),
        }
        contacts = sorted(str(100_001 + 2 * i) for i in d.contact_idxs)
        out[str(d.deal_id)] = {"props": props, "contacts": contacts}
    return out


def expected_companies(world: World) -> dict[str, dict]:
    now = world.now
    out = {}
    for b in world.bundles():
        c = b.company
        if c.created_at >= now:
            continue
        crm = [p for p in b.people if p.hubspot_id is not None and p.created_at < now]
        props = {
            "name": c.name,
            "domain": c.domain,
            "country": c.country,
            "createdate": ms(c.created_at),
            "hs_lastmodifieddate": ms(max([c.created_at, *(p.created_at for p in crm)])),
        }
        out[str(c.company_id)] = {
            "props": props,
            "contacts": sorted(str(p.hubspot_id) for p in crm),
        }
    return out


# --- helpers ----------------------------------------------------------------------


def list_all(http, server, headers, obj, properties, associations="", limit=100):
    url = f"{server.base_urls['hubspot']}/crm/v3/objects/{obj}"
    params = {"limit": limit, "properties": ",".join(properties)}
    if associations:
        params["associations"] = associations
    pages = []
    while True:
        r = http.get(url, params=params, headers=headers, timeout=60)
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page)
        nxt = page.get("paging", {}).get("next")
        if not nxt:
            return pages
        assert nxt["link"].startswith("http") and f"after={nxt['after']}" in nxt["link"]
        params["after"] = nxt["after"]


def search_all(http, server, headers, obj, body):
    url = f"{server.base_urls['hubspot']}/crm/v3/objects/{obj}/search"
    body = dict(body)
    results, totals = [], set()
    while True:
        r = http.post(url, json=body, headers=headers, timeout=120)
        assert r.status_code == 200, r.text
        page = r.json()
        results += page["results"]
        totals.add(page["total"])
        nxt = page.get("paging", {}).get("next")
        if not nxt:
            assert len(totals) == 1
            return results, totals.pop()
        body["after"] = nxt["after"]


def validator(spec_file: str, schema_name: str) -> OAS30Validator:
    spec = json.loads((SPECS / spec_file).read_text())
    components = copy.deepcopy(spec["components"])
    # HubSpot answers null for a requested property without a value (see the captured
    # mock_contacts_with_history.json); the spec types property values as plain strings.
    for name in ("SimplePublicObject", "SimplePublicObjectWithAssociations"):
        if name in components["schemas"]:
            props = components["schemas"][name]["properties"]["properties"]
            props["additionalProperties"] = {"type": "string", "nullable": True}
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    return OAS30Validator(schema)


CONTACT_PROPS = [
    "email", "firstname", "lastname", "createdate", "lastmodifieddate", "lifecyclestage",
    *(f"hs_lifecyclestage_{v}_date" for v in STAGES), "hs_analytics_source",
    "hs_merged_object_ids", "associatedcompanyid", "hs_object_id",
]  # fmt: skip
DEAL_PROPS = [
    "dealname", "amount", "deal_currency_code", "createdate", "closedate", "dealstage",
    "pipeline", "hs_is_closed_won", "hs_is_closed", "hs_lastmodifieddate", "hs_object_id",
]  # fmt: skip
COMPANY_PROPS = ["name", "domain", "country", "createdate", "hs_lastmodifieddate", "hs_object_id"]


# --- tests ----------------------------------------------------------------------


def test_contacts_list_is_the_world(sandbox, http, hubspot_auth):
    pages = list_all(
        http, sandbox, hubspot_auth(sandbox), "contacts", CONTACT_PROPS, "deals,companies"
    )
    check = validator(
        "hubspot_contacts_v3.openapi.json",
        "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging",
    )
    for page in pages:
        check.validate(page)
        assert len(page["results"]) <= 100
    assert "paging" not in pages[-1]
    records = [r for page in pages for r in page["results"]]
    ids = [int(r["id"]) for r in records]
    assert ids == sorted(set(ids)), "ordered by id, each once"
    expected = expected_contacts(sandbox.world)
    assert len(expected) > 300
    assert {r["id"] for r in records} == set(expected)
    for r in records:
        want = expected[r["id"]]
        assert r["properties"] == want["props"], r["id"]
        assert r["createdAt"] == want["props"]["createdate"]
        assert r["updatedAt"] == want["props"]["lastmodifieddate"]
        assocs = r.get("associations", {})
        got_deals = [a["id"] for a in assocs.get("deals", {}).get("results", [])]
        assert got_deals == want["deals"]
        assert all(
            a["type"] == "contact_to_deal" for a in assocs.get("deals", {}).get("results", [])
        )
        companies = assocs.get("companies", {}).get("results", [])
        assert [a["id"] for a in companies] == (
            [want["props"]["associatedcompanyid"]] if want["props"]["associatedcompanyid"] else []
        )
    # every value is a string or null; timestamps in UTC with milliseconds
    for r in records:
        for value in r["properties"].values():
            assert value is None or isinstance(value, str)
        assert r["properties"]["createdate"].endswith(".000Z")


def test_deals_and_companies_lists_are_the_world(sandbox, http, hubspot_auth):
    headers = hubspot_auth(sandbox)
    deal_pages = list_all(http, sandbox, headers, "deals", DEAL_PROPS, "contacts,companies", 37)
    check = validator(
        "hubspot_deals_v3.openapi.json",
        "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging",
    )
    for page in deal_pages:
        check.validate(page)
    deals = [r for page in deal_pages for r in page["results"]]
    expected = expected_deals(sandbox.world)
    assert len(expected) > 10
    assert [r["id"] for r in deals] == sorted(expected, key=int)
    for r in deals:
        want = expected[r["id"]]
        props = dict(r["properties"])
        assert float(props.pop("amount")) == pytest.approx(want["props"]["amount"], abs=0.001)
        assert props.pop("hs_object_id") == r["id"]
        assert props == {k: v for k, v in want["props"].items() if k != "amount"}
        contacts = r["associations"]["contacts"]["results"]
        assert sorted(a["id"] for a in contacts) == want["contacts"]
        assert {a["type"] for a in contacts} == {"deal_to_contact"}
        assert r["associations"]["companies"]["results"][0]["type"] == "deal_to_company"

    company_pages = list_all(http, sandbox, headers, "companies", COMPANY_PROPS, "contacts")
    check = validator(
        "hubspot_companies_v3.openapi.json",
        "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging",
    )
    for page in company_pages:
        check.validate(page)
    companies = [r for page in company_pages for r in page["results"]]
    expected = expected_companies(sandbox.world)
    assert [r["id"] for r in companies] == sorted(expected, key=int)
    for r in companies:
        props = dict(r["properties"])
        assert props.pop("hs_object_id") == r["id"]
        assert props == expected[r["id"]]["props"]
        got = [a["id"] for a in r.get("associations", {}).get("contacts", {}).get("results", [])]
        assert got == expected[r["id"]]["contacts"]


def test_default_properties_and_single_record(sandbox, http, hubspot_auth):
    base = sandbox.base_urls["hubspot"]
    r = http.get(
        f"{base}/crm/v3/objects/contacts", params={"limit": 2}, headers=hubspot_auth(sandbox)
    )
    first = r.json()["results"][0]
    assert set(first["properties"]) == {
        "createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname",
    }  # fmt: skip
    one = http.get(f"{base}/crm/v3/objects/contacts/{first['id']}", headers=hubspot_auth(sandbox))
    assert one.status_code == 200 and one.json()["properties"] == first["properties"]
    assert (
        http.get(f"{base}/crm/v3/objects/contacts/1", headers=hubspot_auth(sandbox)).status_code
        == 404
    )
    # limit is capped at 100
    r = http.get(
        f"{base}/crm/v3/objects/contacts", params={"limit": 500}, headers=hubspot_auth(sandbox)
    )
    assert len(r.json()["results"]) == 100


@pytest.mark.parametrize(
    "obj,prop",
    [
        ("contacts", "lastmodifieddate"),
        ("deals", "hs_lastmodifieddate"),
        ("companies", "hs_lastmodifieddate"),
    ],
)
def test_search_returns_exactly_the_window(sandbox, http, hubspot_auth, obj, prop):
    world = sandbox.world
    expected = {
        "contacts": expected_contacts,
        "deals": expected_deals,
        "companies": expected_companies,
    }[obj](world)
    lo = datetime(2025, 3, 1, tzinfo=UTC)
    hi = datetime(2025, 4, 15, tzinfo=UTC)
    want = {
        i for i, e in expected.items()
        if lo <= datetime.fromisoformat(e["props"][prop].replace("Z", "+00:00")) < hi
    }  # fmt: skip
    assert want
    body = {
        "filterGroups": [
            {"filters": [
                {"propertyName": prop, "operator": "GTE", "value": str(int(lo.timestamp() * 1000))},
                {"propertyName": prop, "operator": "LT", "value": f"{hi:%Y-%m-%dT%H:%M:%SZ}"},
            ]}
        ],
        "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
        "properties": [prop, "createdate"],
        "limit": 50,
        "after": "0",
    }  # fmt: skip
    results, total = search_all(http, sandbox, hubspot_auth(sandbox), obj, body)
    assert total == len(want)
    assert [r["id"] for r in results if r["id"]] and {r["id"] for r in results} == want
    stamps = [r["properties"][prop] for r in results]
    assert stamps == sorted(stamps)
    assert all("associations" not in r for r in results)
    spec = {
        "contacts": "hubspot_contacts_v3",
        "deals": "hubspot_deals_v3",
        "companies": "hubspot_companies_v3",
    }[obj]
    r = http.post(
        f"{sandbox.base_urls['hubspot']}/crm/v3/objects/{obj}/search",
        json=body,
        headers=hubspot_auth(sandbox),
    )
    validator(f"{spec}.openapi.json", "CollectionResponseWithTotalSimplePublicObject").validate(
        r.json()
    )


def test_search_cannot_page_past_ten_thousand(sandbox, http, hubspot_auth):
    url = f"{sandbox.base_urls['hubspot']}/crm/v3/objects/contacts/search"
    ok = http.post(url, json={"limit": 200, "after": "9800"}, headers=hubspot_auth(sandbox))
    assert ok.status_code == 200
    r = http.post(url, json={"limit": 10, "after": "10000"}, headers=hubspot_auth(sandbox))
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR"
    validator("hubspot_contacts_v3.openapi.json", "Error").validate(body)


def test_search_after_advance_finds_the_late_changes(start_sandbox, http, hubspot_auth):
    server = start_sandbox(World(seed=11, scale=2000))
    headers = hubspot_auth(server)
    old_now = server.world.now
    server.advance(45)
    world = server.world
    since = str(int(old_now.timestamp() * 1000))
    checks = {
        "contacts": ("lastmodifieddate", expected_contacts(world)),
        "deals": ("hs_lastmodifieddate", expected_deals(world)),
    }
    found = {}
    for obj, (prop, expected) in checks.items():
        body = {
            "filterGroups": [
                {"filters": [{"propertyName": prop, "operator": "GTE", "value": since}]}
            ],
            "properties": [prop, "createdate", "hs_merged_object_ids", "amount", "dealstage"],
            "limit": 200,
        }
        results, total = search_all(http, server, headers, obj, body)
        want = {
            i for i, e in expected.items()
            if datetime.fromisoformat(e["props"][prop].replace("Z", "+00:00")) >= old_now
        }  # fmt: skip
        assert total == len(want) and {r["id"] for r in results} == want
        found[obj] = results
    # late updates to old records: deals created before the old now that changed after it
    late_deals = [r for r in found["deals"] if r["properties"]["createdate"] < ms(old_now)]
    assert late_deals, "a deal created earlier closed or was revised after the old now"
    old_world = world.advance(-45)
    revised = [
        d for d in world.deals()
        if d.revision is not None and old_now <= d.revision.at < world.now
        and d.created_at < old_now
    ]  # fmt: skip
    for d in revised:
        hit = next(r for r in found["deals"] if r["id"] == str(d.deal_id))
        assert float(hit["properties"]["amount"]) == pytest.approx(d.revision.amount)
    merges = [
        p for p in world.people()
        if p.duplicate is not None and old_now <= p.duplicate.merged_at < world.now
    ]  # fmt: skip
    assert merges, "some duplicates were merged in the window"
    for p in merges:
        hit = next(r for r in found["contacts"] if r["id"] == str(p.hubspot_id))
        assert hit["properties"]["hs_merged_object_ids"] == str(p.duplicate.contact_id)
        assert hit["properties"]["lastmodifieddate"] >= ms(p.duplicate.merged_at)
        # the duplicate was visible before and is gone now
        assert str(p.duplicate.contact_id) not in expected_contacts(world)
        if p.duplicate.created_at < old_now:
            assert str(p.duplicate.contact_id) in expected_contacts(old_world)
    r = http.get(
        f"{server.base_urls['hubspot']}/crm/v3/objects/contacts/{merges[0].duplicate.contact_id}",
        headers=headers,
    )
    assert r.status_code == 404


def test_pipelines_owners_properties_and_v4_associations(sandbox, http, hubspot_auth):
    base = sandbox.base_urls["hubspot"]
    headers = hubspot_auth(sandbox)
    pipelines = http.get(f"{base}/crm/v3/pipelines/deals", headers=headers).json()
    validator("hubspot_pipelines_v3.openapi.json", "CollectionResponsePipelineNoPaging").validate(
        pipelines
    )
    stages = {s["id"]: s for s in pipelines["results"][0]["stages"]}
    world_stages = {s for d in sandbox.world.deals() for _, s in d.stage_path}
    assert world_stages <= set(stages)
    assert stages["closedwon"]["metadata"] == {"isClosed": "true", "probability": "1.0"}
    owners = http.get(f"{base}/crm/v3/owners", headers=headers).json()
    validator(
        "hubspot_crmOwners_v3.openapi.json", "CollectionResponsePublicOwnerForwardPaging"
    ).validate(owners)
    assert len(owners["results"]) >= 2
    for obj in ("contacts", "companies", "deals"):
        props = http.get(f"{base}/crm/v3/properties/{obj}", headers=headers).json()
        validator(
            "hubspot_properties_v3.openapi.json", "CollectionResponsePropertyNoPaging"
        ).validate(props)
        assert "hs_object_id" in {p["name"] for p in props["results"]}
    deal = next(iter(sandbox.world.deals()))
    r = http.get(
        f"{base}/crm/v4/objects/deals/{deal.deal_id}/associations/contacts", headers=headers
    )
    validator(
        "hubspot_associations_v4.openapi.json",
        "CollectionResponseMultiAssociatedObjectWithLabelForwardPaging",
    ).validate(r.json())
    assert sorted(x["toObjectId"] for x in r.json()["results"]) == sorted(
        str(100_001 + 2 * i) for i in deal.contact_idxs
    )


def test_v4_batch_read_of_associations(sandbox, http, hubspot_auth, monkeypatch):
    from sandbox.apis import hubspot as api

    base = sandbox.base_urls["hubspot"]
    headers = hubspot_auth(sandbox)
    world = sandbox.world
    deals = [d for d in world.deals() if d.created_at < world.now][:5]
    ids = [str(d.deal_id) for d in deals]
    url = f"{base}/crm/v4/associations/deals/contacts/batch/read"
    r = http.post(url, json={"inputs": [{"id": i} for i in ids]}, headers=headers)
    assert r.status_code == 200
    check = validator(
        "hubspot_associations_v4.openapi.json", "BatchResponsePublicAssociationMultiWithLabel"
    )
    check.validate(r.json())
    got = {x["from"]["id"]: sorted(t["toObjectId"] for t in x["to"]) for x in r.json()["results"]}
    assert got == {
        str(d.deal_id): sorted(str(100_001 + 2 * i) for i in d.contact_idxs) for d in deals
    }

    # one association per result: every deal with more comes with paging.next.after
    monkeypatch.setattr(api, "BATCH_ASSOCIATIONS_PER_OBJECT", 1)
    wide = next(d for d in world.deals() if len(d.contact_idxs) > 1 and d.created_at < world.now)
    seen, after = [], None
    while True:
        one = {"id": str(wide.deal_id), **({"after": after} if after else {})}
        result = http.post(url, json={"inputs": [one]}, headers=headers).json()["results"][0]
        seen += [t["toObjectId"] for t in result["to"]]
        after = result.get("paging", {}).get("next", {}).get("after")
        if after is None:
            break
    assert sorted(seen) == sorted(str(100_001 + 2 * i) for i in wide.contact_idxs)

    # a contact without deals and a deal that does not exist: 207 with one error each
    lonely = next(
        p for b in world.bundles() if b.deal is None for p in b.people
        if p.hubspot_id is not None and p.created_at < world.now and p.duplicate is None
    )  # fmt: skip
    r = http.post(
        f"{base}/crm/v4/associations/contacts/deals/batch/read",
        json={"inputs": [{"id": str(100_001 + 2 * lonely.idx)}]},
        headers=headers,
    )
    assert r.status_code == 207 and r.json()["results"] == [] and r.json()["numErrors"] == 1
    assert r.json()["errors"][0]["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"
    r = http.post(url, json={"inputs": [{"id": "1"}, {"id": ids[0]}]}, headers=headers)
    assert r.status_code == 207 and [x["from"]["id"] for x in r.json()["results"]] == ids[:1]
    error = r.json()["errors"][0]
    assert error["category"] == "OBJECT_NOT_FOUND" and error["context"]["fromObjectId"] == ["1"]
    # the spec types StandardError.subCategory as an object; HubSpot sends a string
    body = copy.deepcopy(r.json())
    for e in body["errors"]:
        e.pop("subCategory")
    validator(
        "hubspot_associations_v4.openapi.json",
        "BatchResponsePublicAssociationMultiWithLabelWithErrors",
    ).validate(body)

    too_many = {"inputs": [{"id": str(i)} for i in range(1_001)]}
    r = http.post(url, json=too_many, headers=headers)
    assert r.status_code == 400 and r.json()["category"] == "VALIDATION_ERROR"


def test_authentication(sandbox, http):
    base = sandbox.base_urls["hubspot"]
    secret = sandbox.credentials["hubspot"]["api_key"]
    for headers in ({}, {"Authorization": "Bearer pat-na1-wrong"}, {"Authorization": secret}):
        r = http.get(f"{base}/crm/v3/objects/contacts", headers=headers)
        assert r.status_code == 401
        body = r.json()
        assert body["category"] == "INVALID_AUTHENTICATION" and body["status"] == "error"
        assert secret not in r.text and "pat-na1-wrong" not in r.text
        validator("hubspot_contacts_v3.openapi.json", "Error").validate(body)
    r = http.post(f"{base}/crm/v3/objects/contacts/search", json={}, headers={})
    assert r.status_code == 401


def test_unknown_object_is_an_error(sandbox, http, hubspot_auth):
    r = http.get(
        f"{sandbox.base_urls['hubspot']}/crm/v3/objects/tickets", headers=hubspot_auth(sandbox)
    )
    assert r.status_code == 400 and r.json()["category"] == "OBJECT_NOT_FOUND"
