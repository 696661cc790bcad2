"""The ad platform stand-ins serve exactly the world's campaign-days, in each vendor's shape."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
import requests

from sandbox.apis import _ads_common as ads
from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.world import World

WORLD = World(seed=11, scale=400, start=date(2025, 1, 1), end=date(2025, 2, 20))
AD_KINDS = frozenset({"negative_spend", "null_id", "unknown_currency", "future_date"})
GADS_QUERY = (
    "SELECT campaign.id, campaign.name, campaign.advertising_channel_type, customer.currency_code, "
    "segments.date, metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions,"
    " metrics.conversions_value FROM campaign "
    "WHERE segments.date BETWEEN '{since}' AND '{until}'"
)


@pytest.fixture(scope="module")
def clean():
    with SandboxServer(WORLD) as server:
        yield server


@pytest.fixture(scope="module")
def faulty():
    plan = FaultPlan(
        duplicate_across_pages=True,
        new_property=True,
        changed_type=True,
        bad_records=AD_KINDS,
    )
    with SandboxServer(WORLD, plan) as server:
        yield server


def world_days(world: World, platform: str, account_id: str, since: date, until: date):
    """{(campaign_id, day): AdDay}, straight from the world."""
    out = {}
    for c in world.ad_campaigns:
        if c.platform == platform and c.account_id == account_id:
            for d in world.ad_days(c):
                if since <= d.day <= until:
                    out[(c.campaign_id, d.day.isoformat())] = d
    return out


def latest_day(world: World, account_id: str) -> date:
    account = world.account(account_id)
    return account.local_date(world.now) - timedelta(days=1)


# --- Google Ads ------------------------------------------------------------------------------


def gads_headers(server):
    creds = server.credentials["google_ads"]
    return {
        "Authorization": f"Bearer {creds['access_token']}",
        "developer-token": creds["developer_token"],
        "login-customer-id": "1112223333",
    }


def gads(server, customer: str, query: str, headers=None):
    url = f"{server.base_urls['google_ads']}/v17/customers/{customer}/googleAds:searchStream"
    return requests.post(url, json={"query": query}, headers=headers or gads_headers(server))


def flat(response) -> list[dict]:
    return [row for batch in response.json() for row in batch.get("results", [])]


def gads_rows(server, customer, since, until):
    r = gads(server, customer, GADS_QUERY.format(since=since, until=until))
    assert r.status_code == 200, r.text
    batches = r.json()
    assert isinstance(batches, list)
    assert "queryResourceConsumption" in batches[-1]
    return [row for b in batches for row in b.get("results", [])]


@pytest.mark.parametrize("customer", ["1234567890", "9876543210"])
def test_google_ads_window_is_the_world(clean, customer):
    until = latest_day(WORLD, customer)
    since = until - timedelta(days=20)
    rows = gads_rows(clean, customer, since, until)
    expected = world_days(WORLD, "google_ads", customer, since, until)
    got = {(r["campaign"]["id"], r["segments"]["date"]): r for r in rows}
    assert len(rows) == len(got) == len(expected)
    account = WORLD.account(customer)
    for key, day in expected.items():
        row = got[key]
        assert row["metrics"] == {
            "impressions": str(day.impressions),
            "clicks": str(day.clicks),
            "costMicros": str(round(day.cost * 1_000_000)),
            # doubles are JSON numbers
            "conversions": day.conversions,
            "conversionsValue": day.conversion_value,
        }
        assert row["customer"]["currencyCode"] == account.currency
        assert row["campaign"]["name"] == day.campaign.name
        assert row["campaign"]["resourceName"] == f"customers/{customer}/campaigns/{key[0]}"
        kind = {"search": "SEARCH", "display": "DISPLAY"}[day.campaign.kind]
        assert row["campaign"]["advertisingChannelType"] == kind


def test_google_ads_shapes_batches_and_other_queries(clean, monkeypatch):
    from sandbox.apis import google_ads

    monkeypatch.setattr(google_ads, "BATCH_SIZE", 7)
    until = latest_day(WORLD, "1234567890")
    r = gads(clean, "1234567890", GADS_QUERY.format(since=until - timedelta(days=5), until=until))
    batches = r.json()
    assert len(batches) == 4 and [len(b["results"]) for b in batches] == [7, 7, 7, 3]
    assert all(set(b) >= {"results", "fieldMask", "requestId"} for b in batches)
    assert ["queryResourceConsumption" in b for b in batches] == [False] * 3 + [True]
    assert batches[0]["fieldMask"] == (
        "campaign.id,campaign.name,campaign.advertisingChannelType,customer.currencyCode,"
        "segments.date,metrics.impressions,metrics.clicks,metrics.costMicros,metrics.conversions,"
        "metrics.conversionsValue"
    )
    row = batches[0]["results"][0]
    assert all(isinstance(row["metrics"][k], str) for k in ("impressions", "clicks", "costMicros"))

    r = gads(
        clean,
        "9876543210",
        "SELECT customer.id, customer.descriptive_name, "
        "customer.currency_code, customer.time_zone FROM customer",
    )
    assert r.json()[0]["results"] == [
        {
            "customer": {
                "resourceName": "customers/9876543210",
                "id": "9876543210",
                "descriptiveName": "Acme Google Ads EU",
                "currencyCode": "EUR",
                "timeZone": "Europe/Berlin",
            }
        }
    ]
    r = gads(
        clean, "1234567890", "SELECT campaign.id, campaign.name, campaign.status FROM campaign"
    )
    listed = [x["campaign"]["id"] for x in flat(r)]
    assert listed == [c.campaign_id for c in ads.campaigns(WORLD, "google_ads", "1234567890")]
    r = gads(
        clean,
        "1234567890",
        "SELECT campaign.id, segments.date, metrics.clicks FROM "
        "campaign WHERE segments.date >= '2025-01-10' AND segments.date <= '2025-01-12'",
    )
    assert {x["segments"]["date"] for x in flat(r)} == {"2025-01-10", "2025-01-11", "2025-01-12"}
    r = gads(
        clean,
        "1234567890",
        "SELECT campaign.id, segments.date, metrics.clicks FROM "
        "campaign WHERE segments.date DURING LAST_7_DAYS",
    )
    assert len({x["segments"]["date"] for x in flat(r)}) == 7


def test_google_ads_errors(clean):
    r = gads(clean, "1234567890", "SELECT campaign.nope FROM campaign")
    assert r.status_code == 400
    err = r.json()[0]["error"]
    assert err["status"] == "INVALID_ARGUMENT"
    assert err["details"][0]["errors"][0]["errorCode"] == {"queryError": "UNRECOGNIZED_FIELD"}
    r = gads(clean, "1234567890", "SELECT campaign.id, segments.date FROM campaign")
    assert r.json()[0]["error"]["details"][0]["errors"][0]["errorCode"] == {
        "queryError": "EXPECTED_FILTERS_ON_DATE_RANGE"
    }
    r = gads(clean, "5555555555", "SELECT campaign.id FROM campaign")
    assert r.status_code == 403
    wrong = {"Authorization": "Bearer ya29.wrong", "developer-token": "wrong-dev-token"}
    r = gads(clean, "1234567890", "SELECT campaign.id FROM campaign", headers=wrong)
    assert r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"
    assert "ya29.wrong" not in r.text
    bad_dev = {**gads_headers(clean), "developer-token": "nope-token"}
    r = gads(clean, "1234567890", "SELECT campaign.id FROM campaign", headers=bad_dev)
    assert r.status_code == 401
    for secret in clean.credentials["google_ads"].values():
        assert secret not in r.text


# --- Meta ------------------------------------------------------------------------------------

META_FIELDS = "campaign_id,campaign_name,spend,impressions,clicks,account_currency,date_start,"
META_FIELDS += "date_stop,actions"


def meta_pages(server, account, since, until, limit=7, bearer=False):
    token = server.credentials["meta"]["access_token"]
    params = {
        "level": "campaign",
        "time_increment": "1",
        "time_range": json.dumps({"since": str(since), "until": str(until)}),
        "fields": META_FIELDS,
        "limit": str(limit),
    }
    headers = {}
    if bearer:
        headers["Authorization"] = f"Bearer {token}"
    else:
        params["access_token"] = token
    r = requests.get(
        f"{server.base_urls['meta']}/v19.0/{account}/insights", params=params, headers=headers
    )
    pages = []
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body)
        nxt = body.get("paging", {}).get("next")
        if not nxt:
            return pages
        r = requests.get(nxt, headers=headers)


@pytest.mark.parametrize("account", ["act_101010101", "act_202020202"])
def test_meta_insights_pages_cover_the_world(clean, account):
    until = latest_day(WORLD, account)
    since = until - timedelta(days=15)
    pages = meta_pages(clean, account, since, until, bearer=account.endswith("2"))
    rows = [row for p in pages for row in p["data"]]
    assert len(pages) > 2 and all(len(p["data"]) == 7 for p in pages[:-1])
    assert "next" not in pages[-1]["paging"] and "next" in pages[0]["paging"]
    assert set(pages[0]["paging"]["cursors"]) == {"before", "after"}
    expected = world_days(WORLD, "meta", account, since, until)
    got = {(r["campaign_id"], r["date_start"]): r for r in rows}
    assert len(rows) == len(got) == len(expected)
    currency = WORLD.account(account).currency
    for key, day in expected.items():
        row = got[key]
        assert row["date_stop"] == row["date_start"]
        assert row["spend"] == f"{day.cost:.2f}"
        assert row["impressions"] == str(day.impressions)
        assert row["clicks"] == str(day.clicks)
        assert row["account_currency"] == currency
        assert row["campaign_name"] == day.campaign.name
        if day.clicks:
            assert row["actions"][0]["action_type"] == "link_click"
            assert row["actions"][0]["value"] == str(day.clicks)
        actions = {a["action_type"]: a["value"] for a in row.get("actions", [])}
        values = {a["action_type"]: a["value"] for a in row.get("action_values", [])}
        if day.conversions:
            # the pixel's leads and Meta's roll-up of all leads: the same conversions, twice
            assert actions["offsite_conversion.fb_pixel_lead"] == str(int(day.conversions))
            assert actions["lead"] == actions["offsite_conversion.fb_pixel_lead"]
            assert values["offsite_conversion.fb_pixel_lead"] == f"{day.conversion_value:.2f}"
        else:
            assert "lead" not in actions and not values
        for k, v in row.items():
            assert isinstance(v, (str, list)), (k, v)


def test_meta_campaigns_and_errors(clean):
    base = clean.base_urls["meta"]
    token = clean.credentials["meta"]["access_token"]
    r = requests.get(
        f"{base}/v19.0/act_101010101/campaigns",
        params={"fields": "id,name,objective,status", "access_token": token},
    )
    assert [c["id"] for c in r.json()["data"]] == [
        c.campaign_id for c in ads.campaigns(WORLD, "meta", "act_101010101")
    ]
    r = requests.get(f"{base}/v19.0/act_101010101/insights", params={"access_token": "EAABwrong"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["type"] == "OAuthException" and err["code"] == 190 and "fbtrace_id" in err
    assert "EAABwrong" not in r.text and token not in r.text
    r = requests.get(
        f"{base}/v19.0/act_101010101/insights",
        params={"access_token": token, "fields": "campaign_id,nonsense"},
    )
    assert r.json()["error"]["code"] == 100


# --- LinkedIn --------------------------------------------------------------------------------


def li_headers(server, token=None):
    return {
        "Authorization": f"Bearer {token or server.credentials['linkedin']['access_token']}",
        "LinkedIn-Version": "202501",
        "X-Restli-Protocol-Version": "2.0.0",
    }


def li_analytics(server, since, until, headers=None):
    rng = (
        f"(start:(year:{since.year},month:{since.month},day:{since.day}),"
        f"end:(year:{until.year},month:{until.month},day:{until.day}))"
    )
    url = (
        f"{server.base_urls['linkedin']}/rest/adAnalytics?q=analytics&pivot=CAMPAIGN"
        f"&timeGranularity=DAILY&dateRange={rng}"
        "&accounts=List(urn%3Ali%3AsponsoredAccount%3A508000001)"
        "&fields=dateRange,pivotValues,impressions,clicks,costInLocalCurrency,costInUsd,"
        "externalWebsiteConversions,conversionValueInLocalCurrency"
    )
    return requests.get(url, headers=headers or li_headers(server))


def test_linkedin_analytics_is_the_world(clean):
    until = latest_day(WORLD, "508000001")
    since = until - timedelta(days=20)
    r = li_analytics(clean, since, until)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["paging"] == {"start": 0, "count": 10, "links": []}
    expected = world_days(WORLD, "linkedin", "508000001", since, until)
    got = {}
    for el in body["elements"]:
        start = el["dateRange"]["start"]
        assert el["dateRange"]["end"] == start
        day = date(start["year"], start["month"], start["day"]).isoformat()
        (urn,) = el["pivotValues"]
        got[(urn.removeprefix("urn:li:sponsoredCampaign:"), day)] = el
    assert len(got) == len(body["elements"]) == len(expected)
    for key, day in expected.items():
        el = got[key]
        assert isinstance(el["impressions"], int) and el["impressions"] == day.impressions
        assert isinstance(el["clicks"], int) and el["clicks"] == day.clicks
        assert isinstance(el["costInLocalCurrency"], str)
        assert float(el["costInLocalCurrency"]) == day.cost
        assert el["costInUsd"] == el["costInLocalCurrency"]  # the LinkedIn account is in USD
        assert el["externalWebsiteConversions"] == day.conversions
        assert isinstance(el["externalWebsiteConversions"], int)
        assert float(el["conversionValueInLocalCurrency"]) == day.conversion_value


def test_linkedin_campaign_paging_and_errors(clean):
    base = clean.base_urls["linkedin"]
    ids, token = [], None
    while True:
        url = f"{base}/rest/adAccounts/508000001/adCampaigns?q=search&pageSize=2"
        r = requests.get(url + (f"&pageToken={token}" if token else ""), headers=li_headers(clean))
        body = r.json()
        ids += [str(e["id"]) for e in body["elements"]]
        assert all(e["account"] == "urn:li:sponsoredAccount:508000001" for e in body["elements"])
        token = body["metadata"].get("nextPageToken")
        if not token:
            break
    assert ids == [c.campaign_id for c in ads.campaigns(WORLD, "linkedin")]
    until = latest_day(WORLD, "508000001")
    r = li_analytics(clean, until, until, headers=li_headers(clean, token="AQVwrong"))
    assert r.status_code == 401 and r.json()["code"] == "INVALID_ACCESS_TOKEN"
    assert "AQVwrong" not in r.text
    headers = li_headers(clean)
    del headers["LinkedIn-Version"]
    assert li_analytics(clean, until, until, headers=headers).status_code == 400


# --- Microsoft Advertising -------------------------------------------------------------------

MS_COLUMNS = [
    "TimePeriod",
    "AccountId",
    "AccountName",
    "CampaignId",
    "CampaignName",
    "CampaignType",
    "CurrencyCode",
    "Impressions",
    "Clicks",
    "Spend",
    "Ctr",
    "Conversions",
    "Revenue",
]


def ms_headers(server):
    creds = server.credentials["microsoft_ads"]
    return {
        "Authorization": f"Bearer {creds['access_token']}",
        "DeveloperToken": creds["developer_token"],
        "CustomerId": "170000001",
        "CustomerAccountId": "180000001",
    }


def ms_report(server, since, until, aggregation="Daily", **extra):
    base = f"{server.base_urls['microsoft_ads']}/Reporting/v13/GenerateReport"
    request = {
        "Type": "CampaignPerformanceReportRequest",
        "Format": "Csv",
        "Aggregation": aggregation,
        "Columns": MS_COLUMNS,
        "Scope": {"AccountIds": [180000001]},
        "Time": {
            "CustomDateRangeStart": {"Day": since.day, "Month": since.month, "Year": since.year},
            "CustomDateRangeEnd": {"Day": until.day, "Month": until.month, "Year": until.year},
        },
        **extra,
    }
    r = requests.post(f"{base}/Submit", json={"ReportRequest": request}, headers=ms_headers(server))
    assert r.status_code == 200, r.text
    report_id = r.json()["ReportRequestId"]
    statuses = []
    while True:
        r = requests.post(
            f"{base}/Poll", json={"ReportRequestId": report_id}, headers=ms_headers(server)
        )
        status = r.json()["ReportRequestStatus"]
        statuses.append(status["Status"])
        if status["Status"] == "Success":
            break
    archive = zipfile.ZipFile(io.BytesIO(requests.get(status["ReportDownloadUrl"]).content))
    (name,) = archive.namelist()
    return statuses, archive.read(name).decode("utf-8-sig")


def test_microsoft_ads_async_report_is_the_world(clean):
    until = latest_day(WORLD, "180000001")
    since = until - timedelta(days=12)
    statuses, text = ms_report(clean, since, until)
    assert statuses == ["Pending", "Success"]
    lines = text.split("\r\n")
    assert lines[0].startswith('"Report Name: ') and '"Rows: ' in lines[8]
    assert lines[-2].startswith('"\u00a9') and "Microsoft Corporation" in lines[-2]
    header_at = lines.index('"' + '","'.join(MS_COLUMNS) + '"')
    body = [line for line in lines[header_at:] if line.startswith('"') and "\u00a9" not in line]
    for line in body:
        assert line.startswith('"') and line.endswith('"') and '","' in line  # all quoted
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    assert lines[8] == f'"Rows: {len(rows)}"'
    expected = world_days(WORLD, "microsoft_ads", "180000001", since, until)
    got = {(r["CampaignId"], r["TimePeriod"]): r for r in rows}
    assert len(rows) == len(got) == len(expected)
    for key, day in expected.items():
        row = got[key]
        assert row["Impressions"] == str(day.impressions)
        assert row["Clicks"] == str(day.clicks)
        assert row["Spend"] == f"{day.cost:.2f}"
        ctr = day.clicks / day.impressions * 100 if day.impressions else 0.0
        assert row["Ctr"] == f"{ctr:.2f}%"
        assert row["Conversions"] == str(int(day.conversions))
        assert row["Revenue"] == f"{day.conversion_value:.2f}"
        assert row["CurrencyCode"] == "EUR" and row["AccountId"] == "180000001"
        assert row["CampaignType"] == {"search": "Search", "display": "Audience"}[day.campaign.kind]


def test_microsoft_ads_hourly_and_headerless(clean):
    until = latest_day(WORLD, "180000001")
    _, text = ms_report(
        clean,
        until,
        until,
        aggregation="Hourly",
        ExcludeReportHeader=True,
        ExcludeReportFooter=True,
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(r["TimePeriod"].startswith(f"{until}|") for r in rows)
    assert all(len(r["TimePeriod"]) == 13 for r in rows)
    expected = world_days(WORLD, "microsoft_ads", "180000001", until, until)
    for (cid, _), day in expected.items():
        mine = [r for r in rows if r["CampaignId"] == cid]
        assert sum(int(r["Impressions"]) for r in mine) == day.impressions
        assert sum(int(r["Clicks"]) for r in mine) == day.clicks
        assert round(sum(float(r["Spend"]) for r in mine), 2) == day.cost
        assert sum(int(r["Conversions"]) for r in mine) == day.conversions
        assert round(sum(float(r["Revenue"]) for r in mine), 2) == day.conversion_value


def test_microsoft_ads_auth_error(clean):
    url = f"{clean.base_urls['microsoft_ads']}/Reporting/v13/GenerateReport/Submit"
    headers = {**ms_headers(clean), "Authorization": "Bearer EwBwrong"}
    r = requests.post(url, json={"ReportRequest": {}}, headers=headers)
    assert r.status_code == 401
    assert r.json()["Errors"][0]["ErrorCode"] == "InvalidCredentials"
    assert "EwBwrong" not in r.text
    for secret in clean.credentials["microsoft_ads"].values():
        assert secret not in r.text


# --- restatement -----------------------------------------------------------------------------


def test_advancing_restates_the_last_days_only():
    with SandboxServer(WORLD) as server:
        customer = "1234567890"
        until = latest_day(server.world, customer)
        since = until - timedelta(days=10)
        before = {
            (r["campaign"]["id"], r["segments"]["date"]): r["metrics"]
            for r in gads_rows(server, customer, since, until)
        }
        li_before = li_analytics(server, since, until).json()["elements"]
        server.advance(2)
        after = {
            (r["campaign"]["id"], r["segments"]["date"]): r["metrics"]
            for r in gads_rows(server, customer, since, until)
        }
        li_after = li_analytics(server, since, until).json()["elements"]
    preliminary = {d.isoformat() for d in (until - timedelta(days=i) for i in range(3))}
    changed = {k for k in before if before[k] != after[k]}
    assert changed and {day for _, day in changed} <= preliminary
    assert all(before[k] == after[k] for k in before if k[1] not in preliminary)
    assert li_before != li_after
    old = [e for e in li_before if date(**e["dateRange"]["start"]).isoformat() not in preliminary]
    assert all(e in li_after for e in old)


# --- faults ----------------------------------------------------------------------------------


def test_transport_faults_apply_to_the_ad_apis():
    with SandboxServer(WORLD, FaultPlan(rate_limit_every=1)) as server:
        token = server.credentials["meta"]["access_token"]
        url = f"{server.base_urls['meta']}/v19.0/act_101010101/campaigns?access_token={token}"
        first = requests.get(url)
        assert first.status_code == 429 and "Retry-After" in first.headers
        assert requests.get(url).status_code == 200
        until = latest_day(WORLD, "508000001")
        assert li_analytics(server, until, until).status_code == 429
        assert li_analytics(server, until, until).status_code == 200


def test_meta_duplicate_across_pages_and_data_faults(faulty):
    account = "act_202020202"
    until = latest_day(WORLD, account)
    since = until - timedelta(days=15)
    pages = meta_pages(faulty, account, since, until, limit=5)
    for prev, page in zip(pages, pages[1:], strict=False):
        assert page["data"][0] == prev["data"][-1]  # the last row comes again
    rows = [r for p in pages for r in p["data"]]
    unique = {json.dumps(r, sort_keys=True) for r in rows}
    assert len(unique) == len(rows) - (len(pages) - 1)
    assert any("inline_link_clicks" in r for r in rows)  # new_property on recent rows
    old = [r for r in rows if r["date_start"] < str(until - timedelta(days=10))]
    assert old and not any("inline_link_clicks" in r for r in old)
    bad = [b for b in faulty.bad_records() if b.source == "meta"]
    assert {b.kind for b in bad} == AD_KINDS
    full = meta_pages(
        faulty,
        account="act_101010101",
        since=WORLD.start - timedelta(days=30),
        until=latest_day(WORLD, "act_101010101"),
        limit=500,
    )
    served = [r for p in full for r in p["data"]]
    numeric = [r for r in served if isinstance(r["spend"], float)]
    assert len({(r["campaign_id"], r["date_start"]) for r in numeric}) == 1  # changed_type once
    by_kind = {b.kind: b for b in bad}
    cid, day = by_kind["negative_spend"].record_id.split(":")
    assert any(
        r.get("campaign_id") == cid and r["date_start"] == day and float(r["spend"]) < 0
        for r in served
    )
    cid, day = by_kind["unknown_currency"].record_id.split(":")
    assert any(
        r.get("campaign_id") == cid and r["date_start"] == day and r["account_currency"] == "XXX"
        for r in served
    )
    cid, day = by_kind["future_date"].record_id.split(":")
    assert any(r.get("campaign_id") == cid and r["date_start"] == day for r in served)
    assert day > str(latest_day(WORLD, "act_101010101"))
    us = meta_pages(
        faulty,
        account="act_202020202",
        since=WORLD.start - timedelta(days=30),
        until=until,
        limit=500,
    )
    assert sum("campaign_id" not in r for p in full + us for r in p["data"]) == 1  # null_id


def test_google_ads_data_faults_and_bad_records(faulty):
    customer = "1234567890"
    until = latest_day(WORLD, customer)
    rows = gads_rows(faulty, customer, WORLD.start - timedelta(days=30), until)
    assert any("allConversions" in r["metrics"] for r in rows)
    assert not all("allConversions" in r["metrics"] for r in rows)
    assert sum(isinstance(r["metrics"]["costMicros"], int) for r in rows) == 1
    bad = {b.kind: b for b in faulty.bad_records() if b.source == "google_ads"}
    assert set(bad) == AD_KINDS and bad["null_id"].record_id is None
    eu = gads_rows(faulty, "9876543210", WORLD.start - timedelta(days=30), until)
    assert sum("id" not in r["campaign"] for r in rows + eu) == 1  # null_id
    keyed = {(r["campaign"].get("id"), r["segments"]["date"]): r for r in rows}
    neg = keyed[tuple(bad["negative_spend"].record_id.split(":"))]
    assert int(neg["metrics"]["costMicros"]) < 0
    xxx = keyed[tuple(bad["unknown_currency"].record_id.split(":"))]
    assert xxx["customer"]["currencyCode"] == "XXX"
    assert tuple(bad["future_date"].record_id.split(":")) in keyed


def test_linkedin_data_faults_and_bad_records(faulty):
    until = latest_day(WORLD, "508000001")
    els = li_analytics(faulty, WORLD.start - timedelta(days=25), until).json()["elements"]
    assert sum(isinstance(e["clicks"], str) for e in els) == 1
    assert any("landingPageClicks" in e for e in els)
    assert sum(e["pivotValues"] == [] for e in els) == 1
    assert any(float(e["costInLocalCurrency"]) < 0 for e in els)
    kinds = {b.kind for b in faulty.bad_records() if b.source == "linkedin"}
    assert kinds == {"negative_spend", "null_id", "future_date"}


def test_microsoft_ads_data_faults_and_bad_records(faulty):
    until = latest_day(WORLD, "180000001")
    _, text = ms_report(
        faulty,
        WORLD.start - timedelta(days=25),
        until,
        ExcludeReportHeader=True,
        ExcludeReportFooter=True,
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    # new_property: a new column
    assert all(int(r["AllConversions"]) >= int(r["Conversions"]) for r in rows)
    assert sum(not r["Impressions"].isdigit() for r in rows) == 1  # changed_type
    assert sum(r["CampaignId"] == "" for r in rows) == 1
    assert sum(r["CurrencyCode"] == "XXX" for r in rows) == 1
    assert sum(r["Spend"].startswith("-") for r in rows) == 1
    assert max(r["TimePeriod"] for r in rows) > str(until)
    kinds = {b.kind for b in faulty.bad_records() if b.source == "microsoft_ads"}
    assert kinds == AD_KINDS


def test_clean_plan_has_no_ad_bad_records(clean):
    assert [b for b in clean.bad_records() if b.source in ads_platforms()] == []


def ads_platforms():
    return ("google_ads", "meta", "linkedin", "microsoft_ads")
