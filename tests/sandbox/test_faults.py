"""Faults on the HubSpot and Marketo sandbox APIs: each switch does what it says, and a client
that retries correctly ends with the clean world's data."""

from __future__ import annotations

import time

import requests

from sandbox.faults import BAD_RECORD_KINDS, FaultPlan
from sandbox.world import World

WORLD = World(seed=5, scale=300)
HUBSPOT_KINDS = {
    "null_id", "malformed_email", "stage_dates_out_of_order", "orphan_association",
    "future_date", "unknown_currency", "close_before_creation",
}  # fmt: skip
MARKETO_KINDS = {"null_id", "malformed_email", "future_date"}
STAGES = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")


def hubspot_pages(server, obj="contacts", limit=50, retry=True, **params):
    headers = {"Authorization": f"Bearer {server.credentials['hubspot']['api_key']}"}
    url = f"{server.base_urls['hubspot']}/crm/v3/objects/{obj}"
    params = {"limit": limit, **params}
    pages, statuses = [], []
    while True:
        r = requests.get(url, params=params, headers=headers, timeout=30)
        statuses.append(r.status_code)
        if r.status_code in (429, 500, 503) and retry:
            time.sleep(float(r.headers.get("Retry-After", 0)))
            continue
        assert r.status_code == 200, r.text
        pages.append(r.json())
        nxt = pages[-1].get("paging", {}).get("next")
        if not nxt:
            return pages, statuses
        params["after"] = nxt["after"]


class MarketoClient:
    """A client that reads the body: refreshes its token on 601/602 and retries 606."""

    def __init__(self, server):
        self.server = server
        self.token = self.login()
        self.codes: list[str] = []

    def login(self) -> str:
        c = self.server.credentials["marketo"]
        r = requests.get(
            self.server.base_urls["marketo"] + "/identity/oauth/token",
            params={"grant_type": "client_credentials", "client_id": c["client_id"],
                    "client_secret": c["client_secret"]},
            timeout=30,
        )  # fmt: skip
        return r.json()["access_token"]

    def get(self, path, **params):
        for _ in range(6):
            r = requests.get(
                self.server.base_urls["marketo"] + path,
                params=params,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=30,
            )
            if r.status_code in (429, 500, 503):
                continue
            assert r.status_code == 200
            body = r.json()
            if body.get("success") is False:
                code = body["errors"][0]["code"]
                self.codes.append(code)
                if code in ("601", "602"):
                    self.token = self.login()
                    continue
                if code == "606":
                    continue
                raise AssertionError(body)
            return body
        raise AssertionError("too many retries")

    def activities(self, since="2024-06-01T00:00:00Z", batch=100):
        token = self.get("/rest/v1/activities/pagingtoken.json", sinceDatetime=since)
        next_token = token["nextPageToken"]
        pages = []
        while True:
            body = self.get(
                "/rest/v1/activities.json", nextPageToken=next_token,
                activityTypeIds="1,2,11,13,104", batchSize=batch,
            )  # fmt: skip
            pages.append(body["result"])
            next_token = body["nextPageToken"]
            if not body["moreResult"]:
                return pages


def contacts_of(pages):
    return {r["id"]: r for p in pages for r in p["results"]}


def test_transport_faults_then_success_with_clean_data(start_sandbox):
    clean = start_sandbox(WORLD)
    faulty = start_sandbox(WORLD, "rate_limit_every=2,server_error_every=3,retry_after_seconds=0")
    want, _ = hubspot_pages(clean)
    got, statuses = hubspot_pages(faulty)
    assert {429, 200} <= set(statuses) and ({500, 503} & set(statuses))
    assert contacts_of(got) == contacts_of(want)
    # a 429 carries Retry-After and HubSpot's body; the same request then succeeds
    plan = "rate_limit_every=1,retry_after_seconds=2"
    server = start_sandbox(WORLD, plan)
    headers = {"Authorization": f"Bearer {server.credentials['hubspot']['api_key']}"}
    url = f"{server.base_urls['hubspot']}/crm/v3/objects/deals"
    r = requests.get(url, headers=headers, timeout=30)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    assert r.json()["category"] == "RATE_LIMITS" and r.json()["status"] == "error"
    assert requests.get(url, headers=headers, timeout=30).status_code == 200


def test_slow_answers(start_sandbox):
    server = start_sandbox(WORLD, "slow_every=1,slow_seconds=0.6")
    headers = {"Authorization": f"Bearer {server.credentials['hubspot']['api_key']}"}
    url = f"{server.base_urls['hubspot']}/crm/v3/owners"
    t0 = time.monotonic()
    assert requests.get(url, headers=headers, timeout=30).status_code == 200
    assert time.monotonic() - t0 >= 0.6
    t0 = time.monotonic()
    requests.get(url, headers=headers, timeout=30)  # the retry is fast
    assert time.monotonic() - t0 < 0.6


def test_marketo_body_faults_then_success(start_sandbox):
    clean = MarketoClient(start_sandbox(WORLD)).activities()
    client = MarketoClient(start_sandbox(WORLD, "token_expiry_every=2,body_rate_limit_every=2"))
    got = client.activities()
    assert "606" in client.codes and ({"601", "602"} & set(client.codes))
    assert [a for p in got for a in p] == [a for p in clean for a in p]
    # an expired token stays dead: the client had to log in again
    server = start_sandbox(WORLD, "token_expiry_every=1")
    c = MarketoClient(server)
    old = c.token
    body = requests.get(
        server.base_urls["marketo"] + "/rest/v1/activities/types.json",
        headers={"Authorization": f"Bearer {old}"},
        timeout=30,
    ).json()
    assert body["success"] is False and body["errors"][0]["code"] in ("601", "602")
    again = requests.get(
        server.base_urls["marketo"] + "/rest/v1/activities/types.json",
        headers={"Authorization": f"Bearer {old}"},
        timeout=30,
    ).json()
    assert again["errors"][0]["code"] == "602"
    fresh = c.login()
    ok = requests.get(
        server.base_urls["marketo"] + "/rest/v1/activities/types.json",
        headers={"Authorization": f"Bearer {fresh}"},
        timeout=30,
    ).json()
    assert ok["success"] is True


def test_duplicates_across_pages(start_sandbox):
    server = start_sandbox(WORLD, FaultPlan(duplicate_across_pages=True))
    pages, _ = hubspot_pages(server, limit=40)
    assert len(pages) > 2
    for prev, page in zip(pages, pages[1:], strict=False):
        assert page["results"][0]["id"] == prev["results"][-1]["id"]
    clean_pages, _ = hubspot_pages(start_sandbox(WORLD), limit=40)
    assert contacts_of(pages) == contacts_of(clean_pages)
    act_pages = MarketoClient(server).activities(batch=50)
    assert len(act_pages) > 2
    for prev, page in zip(act_pages, act_pages[1:], strict=False):
        if page:
            assert page[0] == prev[-1]
    ids = [a["id"] for p in act_pages for a in p]
    assert len(ids) > len(set(ids))


def test_new_property_and_changed_type(start_sandbox):
    server = start_sandbox(WORLD, "new_property=1,changed_type=1")
    pages, _ = hubspot_pages(server, properties="email,lastmodifieddate")
    assert all("hs_new_sandbox_property" in r["properties"] for p in pages for r in p["results"])
    headers = {"Authorization": f"Bearer {server.credentials['hubspot']['api_key']}"}
    props = requests.get(
        f"{server.base_urls['hubspot']}/crm/v3/properties/contacts", headers=headers, timeout=30
    ).json()
    assert "hs_new_sandbox_property" in {p["name"] for p in props["results"]}
    deals, _ = hubspot_pages(server, "deals", properties="amount")
    amounts = [r["properties"]["amount"] for p in deals for r in p["results"]]
    assert amounts.count("12,500.00") == 1
    assert all(a == "12,500.00" or float(a) > 0 for a in amounts)
    acts = [a for p in MarketoClient(server).activities() for a in p]
    visits = [a for a in acts if a["activityTypeId"] == 1]
    assert visits and all("Is Bot Activity" in {x["name"] for x in a["attributes"]} for a in visits)
    # off by default
    clean = [a for p in MarketoClient(start_sandbox(WORLD)).activities() for a in p]
    assert all("Is Bot Activity" not in {x["name"] for x in a["attributes"]} for a in clean)


def test_bad_records_are_served_and_listed(start_sandbox):
    kinds = HUBSPOT_KINDS | MARKETO_KINDS
    assert kinds <= set(BAD_RECORD_KINDS)
    server = start_sandbox(WORLD, FaultPlan(bad_records=frozenset(kinds)))
    listed = [b for b in server.bad_records() if b.source in ("hubspot", "marketo")]
    assert {b.kind for b in listed if b.source == "hubspot"} == HUBSPOT_KINDS
    assert {b.kind for b in listed if b.source == "marketo"} == MARKETO_KINDS
    assert all(1 <= sum(b.kind == k and b.source == s for b in listed) <= 3
               for s, ks in (("hubspot", HUBSPOT_KINDS), ("marketo", MARKETO_KINDS))
               for k in ks)  # fmt: skip
    by = {(b.source, b.kind): b for b in listed}
    now = server.world.now.strftime("%Y-%m-%dT%H:%M:%S")

    contacts = contacts_of(
        hubspot_pages(
            server,
            properties=",".join(
                ["email", "createdate", "hs_object_id"]
                + [f"hs_lifecyclestage_{v}_date" for v in STAGES]
            ),
        )[0]
    )
    assert contacts[by["hubspot", "null_id"].record_id]["properties"]["hs_object_id"] is None
    assert "@" not in contacts[by["hubspot", "malformed_email"].record_id]["properties"]["email"]
    assert contacts[by["hubspot", "future_date"].record_id]["properties"]["createdate"] > now
    p = contacts[by["hubspot", "stage_dates_out_of_order"].record_id]["properties"]
    later = [
        p[f"hs_lifecyclestage_{v}_date"]
        for v in ("marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
    ]
    assert any(v and v < p["hs_lifecyclestage_lead_date"] for v in later)
    deals = contacts_of(hubspot_pages(server, "deals",
                                      properties="deal_currency_code,createdate,closedate,hs_is_closed",
                                      associations="contacts")[0])  # fmt: skip
    early = deals[by["hubspot", "close_before_creation"].record_id]["properties"]
    assert early["hs_is_closed"] == "true" and early["closedate"] < early["createdate"]
    assert sum(d["properties"]["closedate"] is not None
               and d["properties"]["closedate"] < d["properties"]["createdate"]
               for d in deals.values()) == 1  # fmt: skip
    assert (
        deals[by["hubspot", "unknown_currency"].record_id]["properties"]["deal_currency_code"]
        == "XXX"
    )
    orphan = deals[by["hubspot", "orphan_association"].record_id]
    contact_ids = {a["id"] for a in orphan["associations"]["contacts"]["results"]}
    assert contact_ids - set(contacts)

    client = MarketoClient(server)
    acts = [a for page in client.activities() for a in page]
    assert sum(a["id"] is None for a in acts) == 1
    assert [a for a in acts if a["activityDate"] > now and
            str(a["id"]) == by["marketo", "future_date"].record_id]  # fmt: skip
    lead_id = by["marketo", "malformed_email"].record_id
    lead = client.get("/rest/v1/leads.json", filterType="id", filterValues=lead_id)["result"][0]
    assert "@@" in lead["email"]
    # the same world without the plan is clean
    clean = start_sandbox(WORLD)
    assert [b for b in clean.bad_records() if b.source in ("hubspot", "marketo")] == []


def test_faults_are_deterministic(start_sandbox):
    plan = "rate_limit_every=3,server_error_every=4,retry_after_seconds=0"
    runs = []
    for _ in range(2):
        server = start_sandbox(WORLD, plan)
        hubspot_pages(server, limit=20)
        runs.append(list(server.ctx.injector.injected))
    assert runs[0] and runs[0] == runs[1]
    runs = []
    for _ in range(2):
        server = start_sandbox(WORLD, "token_expiry_every=3,body_rate_limit_every=3")
        client = MarketoClient(server)
        client.activities(batch=60)
        runs.append((client.codes, list(server.ctx.injector.injected)))
    assert runs[0][0] and runs[0] == runs[1]
