"""The sandbox Marketo API against the world model and the shapes of Marketo's doc examples."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sandbox.world import World

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures/vendor_reference/api-samples/marketo"
TYPES = "1,2,11,13,104"
KIND_TYPE = {"visit": 1, "form": 2, "email_click": 11, "attended": 104}


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_leads(world: World) -> dict[int, dict]:
    now = world.now
    out = {}
    for p in world.people():
        if p.marketo_id is None:
            continue
        changes = [c for c in p.marketo_status_changes if c.at < now]
        out[p.marketo_id] = {
            "id": p.marketo_id,
            "email": p.marketo_email,
            "firstName": p.first_name,
            "lastName": p.last_name,
            "createdAt": iso(p.created_at),
            "updatedAt": iso(max([p.created_at, *(c.at for c in changes)])),
            "leadStatus": changes[-1].new if changes else None,
        }
    return out


def expected_activities(world: World, since: datetime) -> dict[int, tuple]:
    now = world.now
    out = {}
    for p in world.people():
        if p.marketo_id is None:
            continue
        for t in p.touches:
            if since <= t.at < now:
                out[t.activity_id] = (p.marketo_id, iso(t.at), KIND_TYPE[t.kind])
        for c in p.marketo_status_changes:
            if since <= c.at < now:
                out[c.activity_id] = (p.marketo_id, iso(c.at), 13)
        # a membership no attended event began is a Change Status in Progression to Member,
        # when it became visible (its first touch, or the lead's creation), ids from 10^12
        first = {}
        for t in sorted(p.touches, key=lambda t: (t.at, t.activity_id)):
            first.setdefault(t.program_id, t)
        for program_id, t in first.items():
            at = max(t.at, p.created_at)
            if program_id and t.kind != "attended" and since <= at < now:
                out[10**12 + t.activity_id] = (p.marketo_id, iso(at), 104)
    return out


def get(http, server, path, token, **params):
    r = http.get(
        server.base_urls["marketo"] + path,
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return r.json()


def page_activities(http, server, token, since=None, next_token=None, batch=300):
    if next_token is None:
        body = get(http, server, "/rest/v1/activities/pagingtoken.json", token, sinceDatetime=since)
        next_token = body["nextPageToken"]
    out, pages = [], []
    while True:
        body = get(
            http, server, "/rest/v1/activities.json", token,
            nextPageToken=next_token, activityTypeIds=TYPES, batchSize=batch,
        )  # fmt: skip
        assert body["success"] is True
        pages.append(body)
        out += body["result"]
        next_token = body["nextPageToken"]
        if not body["moreResult"]:
            return out, next_token, pages


def json_type(value) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
            dict: "object", type(None): "null"}[type(value)]  # fmt: skip


def assert_shape(mine: list[dict], example: list[dict]) -> None:
    """Every key of the example's records is in ours with the same JSON type."""
    keys = {k: json_type(v) for rec in example for k, v in rec.items()}
    for key, typ in keys.items():
        got = {json_type(rec[key]) for rec in mine if key in rec} - {"null"}
        assert all(key in rec for rec in mine), key
        if typ == "number":
            assert got <= {"number", "integer"}, (key, got)
        else:
            assert got <= {typ}, (key, got, typ)


def example(file: str, endpoint_prefix: str) -> dict:
    for e in json.loads((EXAMPLES / file).read_text()):
        if (
            e["kind"] == "response"
            and e["parsed"]
            and (e["endpoint_in_doc"] or "").startswith(endpoint_prefix)
        ):
            return e["body"]
    raise LookupError(endpoint_prefix)


def test_token_and_authentication(sandbox, http, marketo_login):
    base = sandbox.base_urls["marketo"]
    creds = sandbox.credentials["marketo"]
    r = http.get(
        f"{base}/identity/oauth/token",
        params={"grant_type": "client_credentials", "client_id": creds["client_id"],
                "client_secret": creds["client_secret"]},
    )  # fmt: skip
    token = r.json()
    assert token["token_type"] == "bearer" and token["expires_in"] == 3600 and token["scope"]
    bad = http.get(
        f"{base}/identity/oauth/token",
        params={"grant_type": "client_credentials", "client_id": creds["client_id"],
                "client_secret": "nope"},
    )  # fmt: skip
    assert bad.status_code == 401 and creds["client_id"] not in bad.text
    # a wrong token: 601 in an HTTP 200 body, nothing echoed
    r = http.get(f"{base}/rest/v1/leads.json?filterType=id&filterValues=1&access_token=wrong-tok")
    assert r.status_code == 200
    assert r.json()["success"] is False and r.json()["errors"][0]["code"] == "601"
    assert "wrong-tok" not in r.text
    # the token works as a header and as the access_token query parameter
    good = marketo_login(sandbox)
    r = http.get(f"{base}/rest/v1/leads.json?filterType=id&filterValues=1&access_token={good}")
    assert r.json()["success"] is True


def test_leads_by_id_batches_are_the_world(sandbox, http, marketo_login):
    token = marketo_login(sandbox)
    expected = expected_leads(sandbox.world)
    top = max(expected)
    got = {}
    for lo in range(1, top + 1, 300):
        ids = ",".join(str(i) for i in range(lo, min(lo + 300, top + 1)))
        body = get(
            http, sandbox, "/rest/v1/leads.json", token, filterType="id", filterValues=ids,
            fields="id,email,firstName,lastName,createdAt,updatedAt,leadStatus",
        )  # fmt: skip
        for rec in body["result"]:
            got[rec["id"]] = rec
    assert got == expected
    # email filter (case-insensitive like Marketo), default fields, shape of the doc example
    lead = next(v for v in expected.values() if v["email"])
    body = get(
        http, sandbox, "/rest/v1/leads.json", token, filterType="email",
        filterValues=lead["email"].upper(),
    )  # fmt: skip
    assert [r["id"] for r in body["result"]] == [lead["id"]]
    assert set(body["result"][0]) == {
        "id",
        "email",
        "updatedAt",
        "createdAt",
        "lastName",
        "firstName",
    }
    ex = example("leads_examples.json", "GET /rest/v1/leads.json")
    assert_shape(body["result"], ex["result"])
    assert set(ex) - {"result"} <= set(body)
    # updatedAt is not a filterType of leads.json; unknown fields are 1006
    assert get(http, sandbox, "/rest/v1/leads.json", token, filterType="updatedAt",
               filterValues="2025-01-01")["errors"][0]["code"] == "1003"  # fmt: skip
    assert get(http, sandbox, "/rest/v1/leads.json", token, filterType="id", filterValues="1",
               fields="nope")["errors"][0]["code"] == "1006"  # fmt: skip


def poll_until_done(http, sandbox, export_id: str, token: str, polls: int = 600) -> dict:
    """The export's status once it is no longer Queued or Processing (polled every 50 ms)."""
    for _ in range(polls):
        info = get(http, sandbox, f"/bulk/v1/leads/export/{export_id}/status.json", token)
        info = info["result"][0]
        if info["status"] not in ("Queued", "Processing"):
            return info
        time.sleep(0.05)
    raise AssertionError(f"export {export_id} still {info['status']} after {polls} polls")


def test_a_status_poll_answers_while_the_export_is_built(sandbox, http, marketo_login,
                                                          monkeypatch):  # fmt: skip
    """The file is built beside the API: while it is being built (held here until released)
    every poll answers Processing at once; released, the job completes with the file."""
    import sandbox.apis.marketo as marketo_api

    release, building = threading.Event(), threading.Event()
    build = marketo_api._export_chunks

    def held(ctx, job):
        building.set()
        release.wait(30)
        yield from build(ctx, job)

    monkeypatch.setattr(marketo_api, "_export_chunks", held)
    token = marketo_login(sandbox)
    base = sandbox.base_urls["marketo"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"fields": ["id", "email"], "format": "CSV", "filter": {"createdAt": {
        "startAt": "2025-01-01T00:00:00Z", "endAt": "2025-01-31T00:00:00Z"}}}  # fmt: skip
    job = http.post(f"{base}/bulk/v1/leads/export/create.json", json=body, headers=headers)
    export_id = job.json()["result"][0]["exportId"]
    http.post(f"{base}/bulk/v1/leads/export/{export_id}/enqueue.json", headers=headers)
    status_url = f"{base}/bulk/v1/leads/export/{export_id}/status.json"
    try:
        for _ in range(3):  # a poll that built the file would wait for the release: timeout
            answer = http.get(status_url, headers=headers, timeout=10).json()
            assert answer["result"][0]["status"] == "Processing"
        assert building.wait(10), "the export was never started"
    finally:
        release.set()
    info = poll_until_done(http, sandbox, export_id, token)
    assert info["status"] == "Completed" and info["numberOfRecords"] > 0


def run_export(http, sandbox, token: str, fields: list[str], filter_name: str,
               start: str, end: str) -> tuple[dict, str]:  # fmt: skip
    """A bulk lead export of [start, end) by `filter_name`, created, enqueued, polled and
    downloaded as a client does: the job's final status and its file."""
    base = sandbox.base_urls["marketo"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"fields": fields, "format": "CSV",
            "filter": {filter_name: {"startAt": start, "endAt": end}}}  # fmt: skip
    job = http.post(f"{base}/bulk/v1/leads/export/create.json", json=body, headers=headers)
    export_id = job.json()["result"][0]["exportId"]
    assert job.json()["result"][0]["status"] == "Created"
    http.post(f"{base}/bulk/v1/leads/export/{export_id}/enqueue.json", headers=headers)
    info = poll_until_done(http, sandbox, export_id, token)
    assert info["status"] == "Completed"
    text = http.get(f"{base}/bulk/v1/leads/export/{export_id}/file.json", headers=headers).text
    return info, text


def test_an_updated_at_export_serves_the_leads_changed_in_its_window(sandbox, http,
                                                                     marketo_login):  # fmt: skip
    """The daily path's export: windows by ``updatedAt`` whose edges are leads' own update
    instants (a window takes its start, not its end), each lead in exactly the window of its
    last change, in lead id order, as the world says."""
    token = marketo_login(sandbox)
    expected = expected_leads(sandbox.world)
    updated = sorted({lead["updatedAt"] for lead in expected.values()})
    assert len(updated) > 20
    # at most 31 days apart (Marketo's limit), and some edges on leads' update instants
    steps, at = [], datetime(2024, 12, 1, tzinfo=UTC)
    while at < sandbox.world.now:
        steps.append(iso(at))
        at += timedelta(days=31)
    assert updated[0] >= steps[0]
    edges = sorted({*steps, *updated[5 :: len(updated) // 7], iso(sandbox.world.now)})
    fields = ["id", "updatedAt", "leadStatus"]
    served: list[int] = []
    for start, end in zip(edges, edges[1:], strict=False):
        _, text = run_export(http, sandbox, token, fields, "updatedAt", start, end)
        rows = list(csv.DictReader(io.StringIO(text)))
        ids = [int(r["id"]) for r in rows]
        assert ids == sorted(ids), "not in lead order"
        want = sorted(i for i, lead in expected.items() if start <= lead["updatedAt"] < end)
        assert ids == want, (start, end)
        for r in rows:
            lead = expected[int(r["id"])]
            assert r["updatedAt"] == lead["updatedAt"]
            assert r["leadStatus"] == ("null" if lead["leadStatus"] is None else lead["leadStatus"])
        served += ids
    assert sorted(served) == sorted(expected)


def test_bulk_lead_extract_windows_cover_every_lead_once(sandbox, http, marketo_login):
    token = marketo_login(sandbox)
    base = sandbox.base_urls["marketo"]
    headers = {"Authorization": f"Bearer {token}"}
    world = sandbox.world
    fields = ["id", "email", "firstName", "lastName", "createdAt", "updatedAt", "leadStatus"]
    rows = []
    start = datetime(2024, 12, 1, tzinfo=UTC)
    while start < world.now:
        end = min(start + timedelta(days=31), world.now)
        info, text = run_export(http, sandbox, token, fields, "createdAt", iso(start), iso(end))
        assert len(text.encode()) == info["fileSize"]
        part = list(csv.DictReader(io.StringIO(text)))
        assert len(part) == info["numberOfRecords"]
        rows += part
        start = end
    expected = expected_leads(world)
    assert sorted(int(r["id"]) for r in rows) == sorted(expected)
    for r in rows:
        want = {k: ("null" if v is None else str(v)) for k, v in expected[int(r["id"])].items()}
        assert r == want
    ex = example("bulk-activity-extract_examples.json", "GET /bulk/v1/activities/export/")
    assert_shape([info], ex["result"])
    # more than 31 days is refused
    window = {"startAt": "2025-01-01T00:00:00Z", "endAt": "2025-03-01T00:00:00Z"}
    body = {"fields": fields, "filter": {"createdAt": window}}
    r = http.post(f"{base}/bulk/v1/leads/export/create.json", json=body, headers=headers).json()
    assert r["success"] is False


def test_activities_are_every_visible_activity_once(sandbox, http, marketo_login):
    token = marketo_login(sandbox)
    world = sandbox.world
    since = datetime(2024, 6, 1, tzinfo=UTC)
    got, final_token, pages = page_activities(http, sandbox, token, iso(since), batch=250)
    assert all(len(p["result"]) <= 250 for p in pages)
    expected = expected_activities(world, since)
    ids = [a["id"] for a in got]
    assert len(ids) == len(set(ids)) and set(ids) == set(expected)
    for a in got:
        assert (a["leadId"], a["activityDate"], a["activityTypeId"]) == expected[a["id"]]
        assert a["marketoGUID"] == str(a["id"])
    assert {a["activityTypeId"] for a in got} == {1, 2, 11, 13, 104}
    ex = example("activities_examples.json", "GET /rest/v1/activities.json")
    assert_shape(got, ex["result"])
    assert set(ex) - {"result"} <= set(pages[0])
    # attribute names as Marketo's
    by_type = {}
    for a in got:
        by_type.setdefault(a["activityTypeId"], set()).update(x["name"] for x in a["attributes"])
    assert {"Query Parameters", "Referrer URL", "Webpage URL", "Client IP Address"} <= by_type[1]
    assert {"Query Parameters", "Referrer URL", "Webpage ID"} <= by_type[2]
    assert "Link" in by_type[11]
    assert {"New Value", "Reason", "Source"} <= by_type[13]
    assert {"New Status", "Old Status", "Program Member ID", "Success"} <= by_type[104]
    # email clicks name their program before the first dot
    names = {p.name for p in world.programs}
    assert all(
        a["primaryAttributeValue"].split(".")[0] in names for a in got if a["activityTypeId"] == 11
    )
    # the types endpoint describes them
    types = get(http, sandbox, "/rest/v1/activities/types.json", token)
    assert {t["id"] for t in types["result"]} == {1, 2, 11, 13, 104}


def test_activity_token_resumes_after_advance(start_sandbox, http, marketo_login):
    server = start_sandbox(World(seed=5, scale=600))
    token = marketo_login(server)
    since = datetime(2025, 5, 1, tzinfo=UTC)
    first, final_token, _ = page_activities(http, server, token, iso(since))
    assert set(a["id"] for a in first) == set(expected_activities(server.world, since))
    old_now = server.world.now
    server.advance(20)
    later, _, _ = page_activities(http, server, token, next_token=final_token)
    want = {
        i for i, v in expected_activities(server.world, old_now).items()
    }  # activities in [old now, new now)
    assert want and {a["id"] for a in later} == want
    # lead changes ride the same tokens
    body = get(
        http, server, "/rest/v1/activities/pagingtoken.json", token, sinceDatetime=iso(since)
    )
    changes = get(http, server, "/rest/v1/activities/leadchanges.json", token,
                  nextPageToken=body["nextPageToken"], fields="leadStatus")  # fmt: skip
    assert changes["result"] and all(c["activityTypeId"] == 13 for c in changes["result"])
    ex = example("activities_examples.json", "GET /rest/v1/activities/leadchanges.json")
    assert_shape(changes["result"], ex["result"])


def test_programs_and_members(sandbox, http, marketo_login):
    token = marketo_login(sandbox)
    world = sandbox.world
    got, offset = [], 0
    while True:
        body = get(http, sandbox, "/rest/asset/v1/programs.json", token, maxReturn=7, offset=offset)
        if "result" not in body:
            assert body["warnings"] == ["No assets found for the given search criteria."]
            break
        got += body["result"]
        offset += 7
    visible = world.visible_programs()
    assert [p["id"] for p in got] == [p.program_id for p in visible]
    for rec, p in zip(got, visible, strict=True):
        assert rec["channel"] == p.channel and rec["type"] == p.type
        assert rec["costs"] == [
            {"startDate": c.start_date.isoformat(), "cost": c.cost, "note": c.note} for c in p.costs
        ]
    ex = example("programs_examples.json", "GET /rest/asset/v1/programs.json")
    assert_shape(got, ex["result"])
    # members of an event program: the leads with an "attended" touch in it
    now = world.now
    attended: dict[int, set[int]] = {}
    for person in world.people():
        if person.marketo_id is None:
            continue
        for t in person.touches:
            if t.kind == "attended" and t.at < now:
                attended.setdefault(t.program_id, set()).add(person.marketo_id)
    pid = max(attended, key=lambda k: len(attended[k]))
    members, next_token = [], None
    while True:
        params = {"batchSize": 5} | ({"nextPageToken": next_token} if next_token else {})
        body = get(http, sandbox, f"/rest/v1/programs/{pid}/members.json", token, **params)
        members += body["result"]
        next_token = body.get("nextPageToken")
        if not body["moreResult"]:
            break
    assert {m["leadId"] for m in members} == attended[pid]
    assert [m["seq"] for m in members] == list(range(len(members)))
    assert {m["statusName"] for m in members} == {"Attended"}
    ex = example("program-members_examples.json", "GET /rest/v1/programs/{programId}/members.json")
    assert_shape(members, ex["result"])


def test_a_daily_run_is_answered_without_generating_companies_again(
    start_sandbox, http, marketo_login
):
    """After a day's advance (indexes built), what a daily Marketo load asks (the day's
    activities, its leads by id, the new leads' history by ``leadIds``) is answered from the
    world index's recent leads. Before, each of those passes generated every company of the
    day's leads again: at 100,000 people a day's companies outnumber the world's cache of
    generated ones, and the regeneration was 50 s of a 66 s daily load."""
    from sandbox.apis import marketo
    from sandbox.world import _generate_company

    server = start_sandbox(World(seed=5, scale=600))
    token = marketo_login(server)
    yesterday = server.world.now
    server.advance(1)
    server.warm_up()
    marketo._targets(server.ctx)  # the faults' targets, built once per world state
    _generate_company.cache_clear()

    day, _, _ = page_activities(http, server, token, iso(yesterday))
    want = set(expected_activities(server.world, yesterday))
    assert want and {a["id"] for a in day} == want
    _generate_company.cache_clear()  # (the expected answer above generates every company)
    page_activities(http, server, token, iso(yesterday))
    leads = sorted({a["leadId"] for a in day})
    found = get(http, server, "/rest/v1/leads.json", token, filterType="id",
                filterValues=",".join(map(str, leads[:300])), fields="id,createdAt")  # fmt: skip
    assert {r["id"] for r in found["result"]} == set(leads[:300])
    month_ago = get(http, server, "/rest/v1/activities/pagingtoken.json", token,
                    sinceDatetime=iso(yesterday - timedelta(days=30)))  # fmt: skip
    history = get(http, server, "/rest/v1/activities.json", token, activityTypeIds=TYPES,
                  nextPageToken=month_ago["nextPageToken"],
                  leadIds=",".join(map(str, leads[:30])))  # fmt: skip
    assert {a["leadId"] for a in history["result"]} <= set(leads[:30]) and history["result"]
    assert _generate_company.cache_info().misses == 0


def test_a_first_loads_pages_are_read_from_the_store_as_a_scan_serves_them(
    start_sandbox, http, marketo_login, monkeypatch
):
    """A scan of the history (a first load) is answered from the world index's store of
    serialized activities, without generating a company or serializing an activity in the
    request; each page is the one the scan of the world makes (records, order, token), for
    every selection of types, page size and start, and pages through HTTP end where the scan's do.
    """
    from sandbox.apis import marketo
    from sandbox.world import _generate_company

    server = start_sandbox(World(seed=5, scale=600))
    world = server.world
    index = marketo._world_index(server.ctx, world)
    starts = (datetime(2024, 6, 1, tzinfo=UTC), datetime(2025, 5, 17, 13, 5, 1, tzinfo=UTC))
    selections = ({1, 2, 11, 13, 104}, {13}, {1, 104})
    pages = 0
    for since in (marketo.DAWN, *starts):
        for types in selections:
            for limit in (1, 7, 300):
                if limit == 1 and types != {13}:
                    continue  # a page of one: one selection is enough (every activity a page)
                cursor = marketo.Cursor.start(world, since)

                def accept(act, types=types):
                    return act.type_id in types

                while True:
                    scanned = list(
                        marketo.scan_activities(world, cursor, accept, limit, False, None, index)
                    )
                    records, after, served = index["store"].page(
                        index["latest"], cursor, types, limit
                    )
                    served_records = (marketo.activity_record(world, a, False) for a, _ in scanned)
                    want = [json.dumps(r, separators=(",", ":")) for r in served_records]
                    assert [r.decode() for r in records] == want, (since, types, limit, cursor)
                    assert served == len(scanned)
                    assert after == (scanned[-1][1] if scanned else cursor)
                    pages += 1
                    if served < limit:
                        break
                    cursor = after
    assert pages > 500

    token = marketo_login(server)
    _generate_company.cache_clear()
    got, final_token, http_pages = page_activities(http, server, token, iso(starts[0]), batch=250)
    assert _generate_company.cache_info().misses == 0  # no company generated in a request
    assert [a["id"] for a in got] == [
        act.activity_id
        for act, _ in marketo.scan_activities(
            world, marketo.Cursor.start(world, starts[0]), lambda a: True, 10**9, False, None, index
        )
    ]
    assert http_pages[-1]["moreResult"] is False
    assert final_token == marketo.Cursor.start(world, world.now).encode()
