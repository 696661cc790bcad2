"""The FX source against the sandbox: loaded rates equal the world's, incrementally and under
transport faults, one row per day and currency."""

from __future__ import annotations

from datetime import date

import duckdb

from ingestion.destination import pipeline
from ingestion.fx import fx_source, settings
from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.world import FX_BASE, World

WORLD = World(seed=3, scale=300, start=date(2025, 1, 1), end=date(2025, 3, 1))


def loaded(path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        got = con.execute("select date, currency, rate, base from raw_fx.rates").fetchall()
    return sorted((d.isoformat(), c, r, b) for d, c, r, b in got)


def expected(world: World) -> list[tuple]:
    start = date.fromisoformat(settings.DEFAULT_START_DATE)
    return sorted(
        (fx.day.isoformat(), fx.currency, fx.rate, FX_BASE)
        for fx in world.fx_rates()
        if fx.day >= start
    )


def test_loads_the_rates_then_only_new_days(warehouse, monkeypatch):
    with SandboxServer(WORLD) as server:
        monkeypatch.setenv("SOURCES__FX__BASE_URL", server.base_urls["fx"])
        pipeline("fx").run(fx_source())
        assert loaded(warehouse) == expected(server.world)
        first = len(loaded(warehouse))

        server.advance(5)
        pipeline("fx").run(fx_source())
        assert loaded(warehouse) == expected(server.world)  # no duplicates
        assert len(loaded(warehouse)) > first
        with duckdb.connect(str(warehouse), read_only=True) as con:
            reloaded = con.execute(
                "select count(*) from raw_fx.rates"
                " where _dlt_load_id = (select max(_dlt_load_id) from raw_fx.rates)"
            ).fetchone()[0]
        assert reloaded < first  # the second run read a window, not the history

        pipeline("fx").run(fx_source())  # nothing new published: nothing changes
        assert loaded(warehouse) == expected(server.world)


def test_transport_faults_change_nothing(warehouse, monkeypatch):
    faults = FaultPlan(rate_limit_every=1, server_error_every=1, retry_after_seconds=1)
    with SandboxServer(WORLD, faults=faults) as server:
        monkeypatch.setenv("SOURCES__FX__BASE_URL", server.base_urls["fx"])
        pipeline("fx").run(fx_source())
        assert server.ctx.injector.injected
        assert loaded(warehouse) == expected(server.world)
