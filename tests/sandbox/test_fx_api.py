"""The FX stand-in serves the world's ECB rates in Frankfurter's v1 shape."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from sandbox.apis import fx
from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.world import World

WORLD = World(seed=5, scale=300, start=date(2025, 1, 1), end=date(2025, 2, 20))


@pytest.fixture(scope="module")
def server():
    with SandboxServer(WORLD) as s:
        yield s


def world_rates(world: World) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for r in world.fx_rates():
        out.setdefault(r.day.isoformat(), {})[r.currency] = r.rate
    return out


def get(server, path: str, **params):
    return requests.get(f"{server.base_urls['fx']}{path}", params=params)


def test_time_series_is_the_world_on_business_days(server):
    r = get(server, "/v1/2025-01-06..2025-02-14", base="EUR", symbols="USD,GBP")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"amount", "base", "start_date", "end_date", "rates"}
    assert body["amount"] == 1.0 and body["base"] == "EUR"
    expected = {d: v for d, v in world_rates(WORLD).items() if "2025-01-06" <= d <= "2025-02-14"}
    assert body["rates"] == expected
    assert body["start_date"] == min(expected) and body["end_date"] == max(expected)
    assert all(date.fromisoformat(d).weekday() < 5 for d in body["rates"])
    for rates in body["rates"].values():
        assert set(rates) == {"USD", "GBP"} and all(isinstance(v, float) for v in rates.values())


def test_series_starting_on_a_weekend_begins_at_the_previous_business_day(server):
    body = get(server, "/v1/2025-01-11..2025-01-15").json()  # a Saturday
    assert body["start_date"] == "2025-01-10"
    assert list(body["rates"]) == ["2025-01-10", "2025-01-13", "2025-01-14", "2025-01-15"]


def test_single_day_latest_and_currencies(server):
    rates = world_rates(WORLD)
    body = get(server, "/v1/2025-01-12").json()  # a Sunday: the Friday before
    assert body == {
        "amount": 1.0,
        "base": "EUR",
        "date": "2025-01-10",
        "rates": rates["2025-01-10"],
    }
    latest = get(server, "/v1/latest").json()
    assert latest["date"] == max(rates) and date.fromisoformat(latest["date"]) < WORLD.today
    assert get(server, "/v1/currencies").json() == {
        "EUR": "Euro",
        "GBP": "British Pound",
        "USD": "United States Dollar",
    }
    assert get(server, "/v1/2030-01-01").status_code == 404
    assert get(server, "/v1/2025-01-10", symbols="JPY").json() == {"message": "not found"}


def test_usd_base_is_a_cross_rate(server):
    rates = world_rates(WORLD)["2025-01-10"]
    body = get(server, "/v1/2025-01-10", base="USD").json()
    assert body["base"] == "USD"
    assert body["rates"]["EUR"] == pytest.approx(1 / rates["USD"], abs=1e-5)
    assert body["rates"]["GBP"] == pytest.approx(rates["GBP"] / rates["USD"], abs=1e-5)
    assert "USD" not in body["rates"]


def test_advancing_publishes_new_days_and_keeps_the_past(server):
    with SandboxServer(WORLD) as s:
        before = get(s, "/v1/2025-01-01..").json()["rates"]
        s.advance(7)
        after = get(s, "/v1/2025-01-01..").json()["rates"]
    assert len(after) > len(before)
    assert {d: after[d] for d in before} == before


def test_missing_fx_day_bad_record():
    plan = FaultPlan(bad_records=frozenset({"missing_fx_day"}))
    with SandboxServer(WORLD, plan) as s:
        (record,) = s.bad_records()
        assert (record.source, record.table, record.kind) == ("fx", "rates", "missing_fx_day")
        day = record.record_id
        assert day == fx.missing_day(WORLD).isoformat()
        assert day >= (WORLD.start + timedelta(days=10)).isoformat()
        series = get(s, "/v1/2025-01-02..2025-02-14").json()["rates"]
        assert day not in series
        assert set(world_rates(WORLD)) & set(series) == set(series)
        assert (
            len(series)
            == len([d for d in world_rates(WORLD) if "2025-01-02" <= d <= "2025-02-14"]) - 1
        )
        # the ad platforms do report spend on that day
        assert any(d.day.isoformat() == day for d in WORLD.all_ad_days())


def test_transport_faults_apply_to_fx():
    with SandboxServer(WORLD, FaultPlan(server_error_every=1)) as s:
        assert get(s, "/v1/latest").status_code in (500, 503)
        assert get(s, "/v1/latest").status_code == 200
