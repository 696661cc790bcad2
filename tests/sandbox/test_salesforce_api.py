"""The sandbox Salesforce API against the world model (computed independently here) and the real
response samples (the project's reference folder, ``api-samples/salesforce``)."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from sandbox.server import SandboxServer
from sandbox.world import World

_CANDIDATES = (
    Path(__file__).resolve().parents[1] / "fixtures/vendor_reference/api-samples/salesforce",
    Path("/work/shared/reference/api-samples/salesforce"),
)
REFERENCE = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[0])
pytestmark = pytest.mark.skipif(
    not REFERENCE.is_dir(), reason="the Salesforce reference samples are not in this checkout"
)

V = "/services/data/v62.0"
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID18 = re.compile(r"^[0-9A-Za-z]{18}$")
SCALE = 400


def sample(name: str):
    return json.loads((REFERENCE / name).read_text())


def sf_world(**kwargs) -> World:
    return World(
        seed=kwargs.pop("seed", 5), scale=kwargs.pop("scale", SCALE), crm="salesforce", **kwargs
    )


# --- ids and the world, as Salesforce must show it (independent of the API module) ------------

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def sfid(prefix: str, number: int) -> str:
    digits = ""
    for _ in range(12):
        number, r = divmod(number, 62)
        digits = B62[r] + digits
    id15 = prefix + digits
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(id15[start : start + 5]) if "A" <= ch <= "Z")
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return id15 + suffix


def expected_leads(world: World) -> dict[str, dict]:
    """Lead Id -> what the lead must say: every CRM person created before now, and every
    duplicate created before now (merged away, or converted into the primary's contact)."""
    now = world.now
    out = {}
    for b in world.bundles():
        deal = b.deal
        converted = {}
        if deal is not None and deal.created_at < now:
            converted = {idx: deal.created_at for idx in deal.contact_idxs}
        for p in b.people:
            if p.hubspot_id is None or p.created_at >= now:
                continue
            conv = converted.get(p.idx)
            lead = sfid("00Q", p.hubspot_id)
            opp = None
            if conv is not None and deal.contact_idxs[0] == p.idx:
                opp = sfid("006", deal.deal_id)
            out[lead] = {
                "deleted": False,
                "master": None,
                "converted": conv is not None,
                "contact": sfid("003", p.hubspot_id) if conv else None,
                "opportunity": opp,
                "email": p.hubspot_email,
                "created": conv,
            }
            d = p.duplicate
            if d is None or d.created_at >= now:
                continue
            done = d.merged_at < now
            merged = done and (conv is None or conv >= d.merged_at)
            out[sfid("00Q", d.contact_id)] = {
                "deleted": merged,
                "master": lead if merged else None,
                "converted": done and not merged,
                "contact": sfid("003", p.hubspot_id) if done and not merged else None,
                "opportunity": None,
                "email": d.email,
                "created": None,
            }
    return out


def expected_opportunities(world: World) -> dict[str, dict]:
    now = world.now
    out = {}
    for d in world.deals():
        closed = d.closed_at is not None and d.closed_at < now
        out[sfid("006", d.deal_id)] = {
            "amount": d.amount_as_of(now),
            "closed": closed,
            "won": closed and d.is_won,
            "stamp": d.last_modified_as_of(now),
            "contacts": {sfid("003", 100_001 + 2 * i) for i in d.contact_idxs},
            "close": d.closed_at.date().isoformat()
            if closed
            else (d.created_at + timedelta(days=30)).date().isoformat(),
        }
    return out


# --- a client -------------------------------------------------------------------------------


class Client:
    def __init__(self, server: SandboxServer, session: requests.Session | None = None):
        self.server = server
        self.http = session or requests.Session()
        self.base = server.base_urls["salesforce"]
        self.token, self.instance = self.login()
        self.statuses: list[int] = []
        self.codes: list[str] = []

    def login(self) -> tuple[str, str]:
        creds = self.server.credentials["salesforce"]
        r = self.http.post(
            self.base + "/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
            },
            timeout=30,
        )
        assert r.status_code == 200, r.text
        return r.json()["access_token"], r.json()["instance_url"]

    def get(self, path: str, retry: bool = True, batch: int | None = None, **params):
        headers = {"Authorization": f"Bearer {self.token}"}
        if batch:
            headers["Sforce-Query-Options"] = f"batchSize={batch}"
        for _ in range(8):
            headers["Authorization"] = f"Bearer {self.token}"
            r = self.http.get(
                self.instance + path, params=params or None, headers=headers, timeout=60
            )
            self.statuses.append(r.status_code)
            if r.status_code == 200 or not retry:
                return r
            body = r.json()
            code = body[0]["errorCode"] if isinstance(body, list) else ""
            self.codes.append(code)
            if r.status_code == 401:
                self.token, self.instance = self.login()
            elif code not in ("REQUEST_LIMIT_EXCEEDED", "QUERY_TIMEOUT"):
                return r
        raise AssertionError("no answer after retries")

    def pages(self, soql: str, all_rows: bool = False, batch: int | None = None) -> list[dict]:
        r = self.get(f"{V}/{'queryAll' if all_rows else 'query'}", q=soql, batch=batch)
        assert r.status_code == 200, r.text
        pages = [r.json()]
        while not pages[-1]["done"]:
            r = self.get(pages[-1]["nextRecordsUrl"], batch=batch)
            assert r.status_code == 200, r.text
            pages.append(r.json())
        return pages

    def records(self, soql: str, all_rows: bool = False, batch: int | None = None) -> list[dict]:
        return [rec for page in self.pages(soql, all_rows, batch) for rec in page["records"]]

    def fields(self, sobject: str) -> list[str]:
        r = self.get(f"{V}/sobjects/{sobject}/describe")
        assert r.status_code == 200, r.text
        return [f["name"] for f in r.json()["fields"]]

    def select_all(self, sobject: str, where: str = "") -> str:
        return f"SELECT {', '.join(self.fields(sobject))} FROM {sobject}{where}"


@pytest.fixture(scope="module")
def server():
    with SandboxServer(sf_world()) as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    return Client(server)


@pytest.fixture
def start(start_sandbox):
    """``start_sandbox`` (conftest) with a Salesforce world by default."""

    def run(world: World | None = None, faults: str | None = None) -> SandboxServer:
        return start_sandbox(world or sf_world(), faults)

    return run


def same_types(got, want, path="") -> None:
    """``got`` has ``want``'s keys and, where ``want`` holds a value, a value of its JSON type."""
    if isinstance(want, dict):
        assert isinstance(got, dict), path
        assert set(got) == set(want), f"{path}: {sorted(set(got) ^ set(want))}"
        for key, value in want.items():
            same_types(got[key], value, f"{path}.{key}")
    elif isinstance(want, bool):
        assert isinstance(got, bool), path
    elif isinstance(want, int | float):
        assert isinstance(got, int | float) and not isinstance(got, bool), path
    elif isinstance(want, str):
        assert isinstance(got, str), path
    elif isinstance(want, list):
        assert isinstance(got, list), path


# --- ids, OAuth ----------------------------------------------------------------------------------


def test_ids_carry_salesforce_checksum():
    from sandbox.apis._salesforce_records import id_suffix
    from sandbox.apis._salesforce_records import sfid as module_sfid

    real = [
        "00390000001TdgeAAC",
        "003B0000001U8uaIAC",
        "0063F00000RdvMKQAZ",
        "a01KA000000MRoRYAW",
        "750R0000000zlh9IAA",
        "005R0000000GiwjIAC",
    ]
    for value in real:
        assert id_suffix(value[:15]) == value[15:]
    for number in (0, 1, 61, 62, 100_001, 9_000_123, 62**11 + 5):
        assert module_sfid("00Q", number) == sfid("00Q", number)


def test_token_answers_as_salesforce(server):
    creds = server.credentials["salesforce"]
    url = server.base_urls["salesforce"] + "/services/oauth2/token"
    r = requests.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
        timeout=30,
    )
    assert r.status_code == 200
    body = r.json()
    samples = sample("oauth_token.json")
    seen = {k for s in samples.values() if isinstance(s, dict) and "body" in s for k in s["body"]}
    assert set(body) <= seen and set(body) == {
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
        "scope",
    }
    assert all(isinstance(v, str) for v in body.values())
    assert body["instance_url"] == server.base_urls["salesforce"]
    assert body["token_type"] == "Bearer" and body["issued_at"].isdigit()
    assert re.match(rf"^{re.escape(body['instance_url'])}/id/00D\w{{15}}/005\w{{15}}$", body["id"])

    errors = sample("errors.json")
    wrong = requests.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": "nope",
        },
        timeout=30,
    )
    assert wrong.status_code == 400
    assert wrong.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }
    assert set(wrong.json()) == set(errors["oauth_invalid_client_id"]["body"])
    unknown = requests.post(
        url,
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
        timeout=30,
    )
    assert unknown.status_code == 400
    assert unknown.json() == errors["oauth_invalid_client_id"]["body"]
    assert creds["client_secret"] not in wrong.text + unknown.text


def test_jwt_bearer_flow(server):
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    creds = server.credentials["salesforce"]
    base = server.base_urls["salesforce"]

    def ask(key: str, **claims) -> requests.Response:
        payload = {
            "iss": creds["client_id"],
            "sub": creds["username"],
            "aud": base,
            "exp": int(time.time()) + 120,
            **claims,
        }
        assertion = jwt.encode(payload, key, algorithm="RS256")
        return requests.post(
            base + "/services/oauth2/token",
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion,
            },
            timeout=30,
        )

    ok = ask(creds["private_key"])
    assert ok.status_code == 200, ok.text
    token = ok.json()["access_token"]
    r = requests.get(
        base + f"{V}/sobjects", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert r.status_code == 200
    other = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    for response in (
        ask(other),
        ask(creds["private_key"], exp=int(time.time()) - 10),
        ask(creds["private_key"], aud="https://example.com"),
        ask(creds["private_key"], sub="someone@else.example.com"),
    ):
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
    assert ask(creds["private_key"], iss="unknown").json()["error"] == "invalid_client_id"


def test_bad_token_is_an_invalid_session(server):
    expected = sample("errors.json")["INVALID_SESSION_ID"]
    for headers in ({}, {"Authorization": "Bearer 00Dx!nonsense"}):
        r = requests.get(
            server.base_urls["salesforce"] + f"{V}/query",
            params={"q": "SELECT Id FROM Lead"},
            headers=headers,
            timeout=30,
        )
        assert r.status_code == expected["http_status"]
        assert r.json() == expected["body"]


# --- describe ------------------------------------------------------------------------------------


def test_describe_global_and_objects_have_the_real_keys(client):
    r = client.get(f"{V}/sobjects")
    assert re.match(r"^api-usage=\d+/5000000$", r.headers["Sforce-Limit-Info"])
    glob = r.json()
    want = sample("describe_global.json")
    assert set(glob) == set(want)
    names = [o["name"] for o in glob["sobjects"]]
    assert {
        "Account",
        "Lead",
        "Contact",
        "Opportunity",
        "OpportunityContactRole",
        "Campaign",
        "CampaignMember",
        "LeadHistory",
        "OpportunityFieldHistory",
        "OpportunityHistory",
        "User",
        "CurrencyType",
        "DatedConversionRate",
    } == set(names)
    for entry in glob["sobjects"]:
        same_types(entry, want["sobjects"][0])
    ref = sample("describe_custom_object_v62.json")
    field_ref = ref["fields"][0]
    allowed = {
        "id",
        "string",
        "email",
        "picklist",
        "reference",
        "boolean",
        "currency",
        "double",
        "percent",
        "date",
        "datetime",
        "textarea",
        "url",
        "phone",
        "int",
        "anyType",
    }
    for name in names:
        d = client.get(f"{V}/sobjects/{name}/describe").json()
        assert list(d) == list(ref), name  # every top-level key, in the real order
        assert d["name"] == name and len(d["keyPrefix"]) == 3
        for f in d["fields"]:
            assert list(f) == list(field_ref), (name, f["name"])
            assert f["type"] in allowed
            assert f["custom"] == f["name"].endswith("__c")
            for key in ("nillable", "custom", "createable", "updateable", "filterable"):
                assert isinstance(f[key], bool)
            assert isinstance(f["length"], int) and isinstance(f["referenceTo"], list)
            assert (f["type"] == "reference") == bool(f["referenceTo"])
            assert f["relationshipName"] is None or isinstance(f["relationshipName"], str)
        fields = [f["name"] for f in d["fields"]]
        assert fields[0] == "Id" and "IsDeleted" in fields and "CreatedDate" in fields
        assert ("SystemModstamp" in fields) == (
            name not in ("LeadHistory", "OpportunityFieldHistory")
        )
    lead = [f["name"] for f in client.get(f"{V}/sobjects/Lead/describe").json()["fields"]]
    for f in (
        "MQL_Date__c",
        "SQL_Date__c",
        "ConvertedOpportunityId",
        "MasterRecordId",
        "CurrencyIsoCode",
    ):
        assert f in lead
    missing = client.get(f"{V}/sobjects/Foo/describe", retry=False)
    assert missing.status_code == 404
    assert missing.json() == sample("errors.json")["NOT_FOUND_describe"]["body"]


# --- REST query ----------------------------------------------------------------------------------


def test_query_pages_have_the_real_shape(client):
    first_ref, last_ref = sample("query_first_page.json"), sample("query_last_page.json")
    pages = client.pages("SELECT Id, LastName, CreatedDate, ConvertedDate FROM Lead", batch=200)
    assert len(pages) > 1
    for page in pages[:-1]:
        assert list(page) == list(first_ref)  # totalSize, done, nextRecordsUrl, records
        assert page["done"] is False
        assert re.match(r"^/services/data/v62\.0/query/01g\w{15}-\d+$", page["nextRecordsUrl"])
    assert list(pages[-1]) == list(last_ref) and pages[-1]["done"] is True
    assert "nextRecordsUrl" not in pages[-1]
    record_ref = first_ref["records"][0]
    for page in pages:
        for record in page["records"]:
            assert list(record) == ["attributes", "Id", "LastName", "CreatedDate", "ConvertedDate"]
            assert list(record["attributes"]) == list(record_ref["attributes"])
            assert record["attributes"] == {
                "type": "Lead",
                "url": f"{V}/sobjects/Lead/{record['Id']}",
            }
            assert ID18.match(record["Id"]) and record["Id"].startswith("00Q")
    # formats as query_date_types.json has them
    dated = sample("query_date_types.json")["records"][0]
    ref_dt = re.sub(r"\d", "0", dated["datetime__c"])
    ref_date = re.sub(r"\d", "0", dated["date__c"])
    records = [r for page in pages for r in page["records"]]
    assert all(re.sub(r"\d", "0", r["CreatedDate"]) == ref_dt for r in records)
    converted = [r["ConvertedDate"] for r in records if r["ConvertedDate"]]
    assert converted and all(re.sub(r"\d", "0", v) == ref_date for v in converted)


def test_paging_returns_every_lead_once_and_the_world_count(client, server):
    pages = client.pages("SELECT Id, IsDeleted FROM Lead", all_rows=True, batch=200)
    assert {p["totalSize"] for p in pages} == {sum(len(p["records"]) for p in pages)}
    assert all(len(p["records"]) <= 200 for p in pages)
    ids = [r["Id"] for p in pages for r in p["records"]]
    assert len(ids) == len(set(ids))
    want = expected_leads(server.world)
    assert set(ids) == set(want)
    crm_people = sum(
        1 for p in server.world.people() if p.hubspot_id is not None
    )  # every person in the CRM, plus the visible duplicates
    dups = sum(
        1
        for p in server.world.people()
        if p.duplicate is not None and p.duplicate.created_at < server.world.now
    )
    assert len(ids) == crm_people + dups
    live = client.records("SELECT Id FROM Lead", batch=2000)
    assert len(live) == len(ids) - sum(1 for v in want.values() if v["deleted"])


def test_merged_duplicates_only_in_query_all(client, server):
    want = expected_leads(server.world)
    merged = {i for i, v in want.items() if v["deleted"]}
    assert merged, "the world has merged duplicates"
    every = {
        r["Id"]: r
        for r in client.records(
            "SELECT Id, IsDeleted, MasterRecordId, Email FROM Lead", all_rows=True
        )
    }
    live = {r["Id"] for r in client.records("SELECT Id FROM Lead")}
    assert merged <= set(every) and not merged & live
    for lead_id in merged:
        assert every[lead_id]["IsDeleted"] is True
        assert every[lead_id]["MasterRecordId"] == want[lead_id]["master"]
        assert want[lead_id]["master"] in live
    assert all(not every[i]["IsDeleted"] and every[i]["MasterRecordId"] is None for i in live)


def test_converted_leads_point_at_their_contact_and_opportunity(client, server):
    want = expected_leads(server.world)
    leads = client.records(
        "SELECT Id, IsConverted, ConvertedContactId, ConvertedOpportunityId, "
        "ConvertedAccountId, ConvertedDate, Status FROM Lead"
    )
    contacts = {
        r["Id"]: r for r in client.records("SELECT Id, AccountId, CreatedDate FROM Contact")
    }
    opps = {r["Id"]: r for r in client.records("SELECT Id, AccountId FROM Opportunity")}
    converted = [r for r in leads if r["IsConverted"]]
    assert converted
    for r in leads:
        w = want[r["Id"]]
        assert r["IsConverted"] == w["converted"]
        assert r["ConvertedContactId"] == w["contact"]
        assert r["ConvertedOpportunityId"] == w["opportunity"]
        assert (r["Status"] == "Closed - Converted") == r["IsConverted"]
        if r["IsConverted"]:
            assert r["ConvertedContactId"] in contacts
            assert contacts[r["ConvertedContactId"]]["AccountId"] == r["ConvertedAccountId"]
            assert DATE.match(r["ConvertedDate"])
        if r["ConvertedOpportunityId"]:
            assert opps[r["ConvertedOpportunityId"]]["AccountId"] == r["ConvertedAccountId"]
    assert set(opps) == set(expected_opportunities(server.world))
    assert {r["ConvertedOpportunityId"] for r in leads if r["ConvertedOpportunityId"]} == set(opps)
    assert set(contacts) == {w["contact"] for w in want.values() if w["created"]}
    roles = client.records(
        "SELECT OpportunityId, ContactId, IsPrimary, Role FROM OpportunityContactRole"
    )
    by_opp: dict[str, set] = {}
    for role in roles:
        by_opp.setdefault(role["OpportunityId"], set()).add(role["ContactId"])
        assert role["IsPrimary"] == (role["Role"] == "Decision Maker")
    assert by_opp == {k: v["contacts"] for k, v in expected_opportunities(server.world).items()}


def test_opportunities_are_the_world(client, server):
    want = expected_opportunities(server.world)
    records = client.records(client.select_all("Opportunity"))
    assert len(records) == len(want)
    stage_names = {
        "Prospecting",
        "Qualification",
        "Value Proposition",
        "Id. Decision Makers",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    }
    for r in records:
        w = want[r["Id"]]
        assert r["Amount"] == pytest.approx(w["amount"]) and isinstance(r["Amount"], float)
        assert r["IsClosed"] is w["closed"] and r["IsWon"] is w["won"]
        assert r["CloseDate"] == w["close"]
        assert r["StageName"] in stage_names
        assert r["SystemModstamp"] == w["stamp"].strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        assert r["CurrencyIsoCode"] in ("USD", "EUR", "GBP")


def test_incremental_where_returns_exactly_what_changed_since(client):
    soql = client.select_all("Lead")
    every = client.records(soql, all_rows=True)
    stamps = sorted(r["SystemModstamp"] for r in every)
    cut = stamps[len(stamps) // 2]
    since = datetime.strptime(cut, "%Y-%m-%dT%H:%M:%S.000+0000").strftime("%Y-%m-%dT%H:%M:%SZ")
    got = client.records(
        f"{soql} WHERE SystemModstamp >= {since} ORDER BY SystemModstamp ASC, Id ASC",
        all_rows=True,
        batch=200,
    )
    want = sorted(
        (r for r in every if r["SystemModstamp"] >= cut),
        key=lambda r: (r["SystemModstamp"], r["Id"]),
    )
    assert got == want
    later = client.records(
        f"{soql} WHERE SystemModstamp > {since} AND SystemModstamp < 2100-01-01T00:00:00.000+00:00",
        all_rows=True,
    )
    assert [r["Id"] for r in later] == [r["Id"] for r in want if r["SystemModstamp"] > cut]
    # the history objects are cursored on CreatedDate
    history = client.records(
        "SELECT Id, CreatedDate FROM LeadHistory WHERE CreatedDate >= "
        f"{since} ORDER BY CreatedDate ASC, Id ASC"
    )
    assert history and all(r["CreatedDate"] >= cut for r in history)
    assert history == sorted(history, key=lambda r: (r["CreatedDate"], r["Id"]))


def test_where_on_every_kind_of_value(client):
    opps = client.records(client.select_all("Opportunity"))
    leads = client.records(client.select_all("Lead"))

    def ids(soql: str) -> set[str]:
        return {r["Id"] for r in client.records(soql)}

    assert ids("SELECT Id FROM Opportunity WHERE Amount > 20000") == {
        r["Id"] for r in opps if r["Amount"] > 20000
    }
    assert ids("select id from opportunity where IsWon = true and CloseDate <= 2025-06-01") == {
        r["Id"] for r in opps if r["IsWon"] and r["CloseDate"] <= "2025-06-01"
    }
    assert ids("SELECT Id FROM Lead WHERE ConvertedDate = null") == {
        r["Id"] for r in leads if r["ConvertedDate"] is None
    }
    assert ids("SELECT Id FROM Lead WHERE ConvertedDate != null") == {
        r["Id"] for r in leads if r["ConvertedDate"] is not None
    }
    assert ids("SELECT Id FROM Lead WHERE Status = 'closed - converted'") == {
        r["Id"] for r in leads if r["Status"] == "Closed - Converted"
    }
    assert ids("SELECT Id FROM Lead WHERE LeadSource != 'Web'") == {
        r["Id"] for r in leads if r["LeadSource"] != "Web"
    }
    one = leads[3]
    assert ids(f"SELECT Id FROM Lead WHERE Id = '{one['Id'][:15]}'") == {one["Id"]}
    assert ids(f"SELECT Id FROM Lead WHERE CreatedDate = {one['CreatedDate']}") == {
        r["Id"] for r in leads if r["CreatedDate"] == one["CreatedDate"]
    }
    top = client.records("SELECT Id, Amount FROM Opportunity ORDER BY Amount DESC LIMIT 5")
    assert [r["Amount"] for r in top] == sorted((r["Amount"] for r in opps), reverse=True)[:5]
    assert len(leads) > 250
    page = client.pages(
        "SELECT Id FROM Lead ORDER BY CreatedDate DESC, Id ASC LIMIT 250", batch=200
    )
    assert [p["totalSize"] for p in page] == [250, 250]
    newest = sorted(leads, key=lambda r: r["Id"])
    newest.sort(key=lambda r: r["CreatedDate"], reverse=True)
    assert [r["Id"] for p in page for r in p["records"]] == [r["Id"] for r in newest[:250]]


@pytest.mark.parametrize(
    "soql,code",
    [
        ("SELECT FROM Lead", "MALFORMED_QUERY"),
        ("SELECT Id Lead", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE Email LIKE 'a%'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE Status = 'a' OR Status = 'b'", "MALFORMED_QUERY"),
        ("SELECT COUNT() FROM Lead", "MALFORMED_QUERY"),
        ("SELECT Id, Id FROM Lead", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead LIMIT ten", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead ORDER Id", "MALFORMED_QUERY"),
        ("SELECT Account.Name FROM Contact", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE CreatedDate > 2025-13-45T00:00:00Z", "MALFORMED_QUERY"),
        ("SELECT Id FROM Leads", "INVALID_TYPE"),
        ("SELECT Id FROM CampaignMemberStatus", "INVALID_TYPE"),
        ("SELECT Id, Sandbox_Beta__c FROM Lead", "INVALID_FIELD"),
        ("SELECT Id FROM Lead ORDER BY Nope", "INVALID_FIELD"),
        ("SELECT Id FROM Lead WHERE CreatedDate > 2025-01-01", "INVALID_FIELD"),
        ("SELECT Id FROM Lead WHERE Email = 5", "INVALID_FIELD"),
        ("SELECT Id FROM Opportunity WHERE Amount > '5'", "INVALID_FIELD"),
    ],
)
def test_bad_soql_is_refused_like_salesforce(client, soql, code):
    r = client.get(f"{V}/query", retry=False, q=soql)
    assert r.status_code == 400, r.text
    body = r.json()
    ref_keys = set(sample("errors.json")["INVALID_FIELD"]["body"][0])
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == ref_keys
    assert body[0]["errorCode"] == code
    assert "ERROR at Row:1:Column:" in body[0]["message"]


def test_bad_locator_and_version(client):
    r = client.get(f"{V}/query/01gNOPE-2000", retry=False)
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    r = client.get("/services/data/v12.0/sobjects", retry=False)
    assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"


def test_every_object_answers_with_its_describe_fields(client):
    for name in (
        "User",
        "Account",
        "Contact",
        "Campaign",
        "CampaignMember",
        "OpportunityHistory",
        "OpportunityFieldHistory",
        "LeadHistory",
        "CurrencyType",
        "DatedConversionRate",
    ):
        describe = client.get(f"{V}/sobjects/{name}/describe").json()
        types = {f["name"]: f["type"] for f in describe["fields"]}
        records = client.records(client.select_all(name), all_rows=True)
        assert records, name
        for r in records:
            assert list(r) == ["attributes", *types]
            for field, value in r.items():
                kind = types.get(field)
                if value is None or kind is None:
                    continue
                if kind == "datetime":
                    assert DATETIME.match(value), (name, field, value)
                elif kind == "date":
                    assert DATE.match(value), (name, field, value)
                elif kind in ("id", "reference"):
                    assert ID18.match(value), (name, field, value)
                elif kind == "boolean":
                    assert isinstance(value, bool)
                elif kind in ("currency", "double", "percent", "int"):
                    assert isinstance(value, int | float) and not isinstance(value, bool)
                elif kind != "anyType":
                    assert isinstance(value, str)
    rates = client.records(
        "SELECT IsoCode, ConversionRate, StartDate, NextStartDate FROM "
        "DatedConversionRate WHERE IsoCode = 'USD'"
    )
    assert {r["ConversionRate"] for r in rates} == {1.0}
    assert sum(1 for r in rates if r["NextStartDate"] == "9999-12-31") == 1


def test_single_currency_org_has_no_currency_objects(start):
    server = start(World(seed=5, scale=200, systems={"salesforce", "marketo"}))
    client = Client(server)
    assert "CurrencyIsoCode" not in client.fields("Opportunity")
    assert "CurrencyIsoCode" not in client.fields("Lead")
    r = client.get(f"{V}/query", retry=False, q="SELECT Id FROM DatedConversionRate")
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_TYPE"
    assert client.get(f"{V}/sobjects/CurrencyType/describe", retry=False).status_code == 404
    opportunities = client.records(client.select_all("Opportunity"))
    assert opportunities and all("CurrencyIsoCode" not in r for r in opportunities)


# --- Bulk API 2.0 --------------------------------------------------------------------------------


def bulk(client: Client, soql: str, operation: str = "query", page_rows: int = 100):
    headers = {"Authorization": f"Bearer {client.token}"}
    url = client.instance + f"{V}/jobs/query"
    r = requests.post(
        url, json={"operation": operation, "query": soql}, headers=headers, timeout=30
    )
    assert r.status_code == 200, r.text
    job = r.json()
    states = []
    while not states or states[-1] != "JobComplete":
        status = requests.get(f"{url}/{job['id']}", headers=headers, timeout=30).json()
        states.append(status["state"])
        assert len(states) < 10
    rows, locator, pages = [], None, []
    while True:
        params = {"maxRecords": page_rows, **({"locator": locator} if locator else {})}
        r = requests.get(f"{url}/{job['id']}/results", params=params, headers=headers, timeout=30)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        pages.append(r)
        page = list(csv.DictReader(io.StringIO(r.text)))
        assert int(r.headers["Sforce-NumberOfRecords"]) == len(page)
        rows += page
        locator = r.headers["Sforce-Locator"]
        if locator == "null":
            return job, status, states, rows, pages


def csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and DATETIME.match(value):
        return value.replace("+0000", "Z")
    return str(value)


def test_bulk_job_and_results_match_the_rest_query(client):
    soql = client.select_all(
        "Lead", " WHERE SystemModstamp >= 2025-02-01T00:00:00Z ORDER BY SystemModstamp ASC, Id ASC"
    )
    job, status, states, rows, pages = bulk(client, soql, "queryAll", page_rows=150)
    create_ref, status_ref = sample("bulk2_job_create.json"), sample("bulk2_job_status.json")
    assert list(job) == list(create_ref)
    same_types(job, create_ref)
    assert (
        job["state"] == "UploadComplete" and job["id"].startswith("750") and ID18.match(job["id"])
    )
    assert job["apiVersion"] == 62.0 and job["object"] == "Lead"
    assert list(status) == list(status_ref)
    same_types(status, status_ref)
    assert states == ["InProgress", "JobComplete"]
    rest = client.records(soql, all_rows=True)
    assert status["numberRecordsProcessed"] == len(rest) == len(rows)
    assert len(pages) == -(-len(rest) // 150)
    header = pages[0].text.splitlines()[0]
    assert header == ",".join(f'"{f}"' for f in client.fields("Lead"))
    assert all(line.startswith('"') and line.endswith('"') for line in pages[0].text.splitlines())
    assert rows == [{k: csv_text(v) for k, v in r.items() if k != "attributes"} for r in rest]
    assert any(r["CreatedDate"].endswith(".000Z") for r in rows)
    locators = [p.headers["Sforce-Locator"] for p in pages]
    assert locators[-1] == "null" and locators[0] == "MTUw"  # base64 of the offset, as Salesforce

    other = requests.get(
        client.instance + f"/services/data/v61.0/jobs/query/{job['id']}/results",
        headers={"Authorization": f"Bearer {client.token}"},
        timeout=30,
    )
    assert other.status_code == 409


def test_bulk_query_leaves_out_deleted_rows(client, server):
    merged = {i for i, v in expected_leads(server.world).items() if v["deleted"]}
    _, _, _, rows, _ = bulk(client, "SELECT Id, IsDeleted FROM Lead", "query", page_rows=5000)
    _, _, _, every, _ = bulk(client, "SELECT Id, IsDeleted FROM Lead", "queryAll", page_rows=5000)
    assert not merged & {r["Id"] for r in rows}
    assert merged <= {r["Id"] for r in every if r["IsDeleted"] == "true"}


# --- faults --------------------------------------------------------------------------------------


def test_token_expiry_kills_the_token_once(start):
    server = start(faults="token_expiry_every=2")
    client = Client(server)
    first_token = client.token
    records = client.records("SELECT Id FROM Lead", batch=200)
    assert client.statuses.count(401) >= 1 and client.codes.count("INVALID_SESSION_ID") >= 1
    dead = requests.get(
        client.instance + f"{V}/sobjects",
        headers={"Authorization": f"Bearer {first_token}"},
        timeout=30,
    )
    assert dead.status_code == 401
    assert dead.json() == sample("errors.json")["INVALID_SESSION_ID"]["body"]
    clean = Client(start()).records("SELECT Id FROM Lead", batch=200)
    assert records == clean


def test_rate_limit_and_query_timeout_answer_once(start):
    server = start(faults="body_rate_limit_every=2,query_timeout_every=2")
    client = Client(server)
    records = client.records("SELECT Id, Email FROM Lead", batch=200)
    assert "REQUEST_LIMIT_EXCEEDED" in client.codes and "QUERY_TIMEOUT" in client.codes
    assert client.statuses.count(403) >= 1 and client.statuses.count(400) >= 1
    assert records == Client(start()).records("SELECT Id, Email FROM Lead", batch=200)

    raw = start(faults="body_rate_limit_every=1")
    plain = Client(raw)
    first = plain.get(f"{V}/sobjects", retry=False)
    assert first.status_code == 403
    assert first.json() == [
        {
            "message": "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
        }
    ]
    assert plain.get(f"{V}/sobjects", retry=False).status_code == 200  # the same, retried
    timeout = Client(start(faults="query_timeout_every=1"))
    r = timeout.get(f"{V}/query", retry=False, q="SELECT Id FROM Lead")
    assert r.status_code == 400 and r.json() == [
        {"message": "Your query request was running for too long.", "errorCode": "QUERY_TIMEOUT"}
    ]
    assert timeout.get(f"{V}/query", retry=False, q="SELECT Id FROM Lead").status_code == 200


def test_duplicate_across_pages(start):
    client = Client(start(faults="duplicate_across_pages"))
    pages = client.pages("SELECT Id FROM Lead ORDER BY SystemModstamp ASC, Id ASC", batch=200)
    assert len(pages) > 1
    for before, after in zip(pages, pages[1:], strict=False):
        assert after["records"][0] == before["records"][-1]
    ids = [r["Id"] for p in pages for r in p["records"]]
    clean = [
        r["Id"]
        for r in Client(start()).records("SELECT Id FROM Lead ORDER BY SystemModstamp ASC, Id ASC")
    ]
    assert len(ids) == len(clean) + len(pages) - 1 and list(dict.fromkeys(ids)) == clean
    assert {p["totalSize"] for p in pages} == {len(clean)}


def test_new_property_and_changed_type(start):
    client = Client(start(faults="new_property,changed_type"))
    describe = client.get(f"{V}/sobjects/Lead/describe").json()
    beta = [f for f in describe["fields"] if f["name"] == "Sandbox_Beta__c"]
    assert beta and beta[0]["custom"] is True
    leads = client.records(client.select_all("Lead"))
    assert all(r["Sandbox_Beta__c"] == "sandbox-beta" for r in leads)
    amounts = [r["Amount"] for r in client.records("SELECT Id, Amount FROM Opportunity")]
    texts = [a for a in amounts if isinstance(a, str)]
    assert len(texts) == 1 and float(texts[0]) > 0
    assert "Sandbox_Beta__c" not in Client(start()).fields("Lead")


def test_bad_records_are_served_and_listed(start):
    kinds = (
        "malformed_email",
        "future_date",
        "implausible_amount",
        "unknown_currency",
        "close_before_creation",
    )
    server = start(faults="bad_records=" + "+".join(kinds))
    every = requests.get(server.url + "/_sandbox/bad_records", timeout=30).json()
    listed = [r for r in every if r["source"] == "salesforce"]
    assert {r["kind"] for r in listed} == set(kinds) and len(listed) == len(kinds)
    by_kind = {r["kind"]: r for r in listed}
    assert {by_kind[k]["table"] for k in kinds[:2]} == {"leads"}
    assert {by_kind[k]["table"] for k in kinds[2:]} == {"opportunities"}
    client = Client(server)
    leads = {r["Id"]: r for r in client.records(client.select_all("Lead"))}
    opps = {r["Id"]: r for r in client.records(client.select_all("Opportunity"))}
    assert "@" not in leads[by_kind["malformed_email"]["record_id"]]["Email"]
    future = leads[by_kind["future_date"]["record_id"]]["CreatedDate"]
    assert future > server.world.now.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    assert opps[by_kind["implausible_amount"]["record_id"]]["Amount"] == 1e29
    assert opps[by_kind["unknown_currency"]["record_id"]]["CurrencyIsoCode"] == "XXX"
    bad = opps[by_kind["close_before_creation"]["record_id"]]
    assert bad["IsClosed"] is True
    created = datetime.strptime(bad["CreatedDate"][:10], "%Y-%m-%d").replace(tzinfo=UTC)
    assert bad["CloseDate"] == (created - timedelta(days=10)).date().isoformat()
    # the others are as the world has them
    clean = {r["Id"]: r for r in Client(start()).records(client.select_all("Opportunity"))}
    hit = {by_kind[k]["record_id"] for k in kinds[2:]}
    assert {k: v for k, v in opps.items() if k not in hit} == {
        k: v for k, v in clean.items() if k not in hit
    }


def test_api_usage_counts_the_calls(client):
    used = [
        int(client.get(f"{V}/sobjects").headers["Sforce-Limit-Info"].split("=")[1].split("/")[0])
        for _ in range(3)
    ]
    assert used[1] == used[0] + 1 and used[2] == used[1] + 1


def test_incremental_loads_across_advance_end_with_the_full_world(start):
    server = start()
    client = Client(server)
    objects = (
        "Lead",
        "Contact",
        "Opportunity",
        "CampaignMember",
        "OpportunityHistory",
        "LeadHistory",
        "OpportunityFieldHistory",
        "Campaign",
        "DatedConversionRate",
    )
    loaded = {
        name: {r["Id"]: r for r in client.records(client.select_all(name), all_rows=True)}
        for name in objects
    }
    since = server.world.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    server.advance(20)
    changed = 0
    for name in objects:
        cursor = (
            "CreatedDate"
            if name in ("LeadHistory", "OpportunityFieldHistory")
            else ("SystemModstamp")
        )
        soql = client.select_all(name)
        new = client.records(
            f"{soql} WHERE {cursor} >= {since} ORDER BY {cursor} ASC, Id ASC", all_rows=True
        )
        changed += len(new)
        merged = {**loaded[name], **{r["Id"]: r for r in new}}
        full = {r["Id"]: r for r in client.records(soql, all_rows=True)}
        assert merged == full, name
    assert changed > 0
