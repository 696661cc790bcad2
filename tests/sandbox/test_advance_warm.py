"""Advancing the served world with ``warm=1`` builds the APIs' indexes of the new day before
answering, so that a benchmark times the loads, not the simulator indexing its new state."""

from __future__ import annotations

import requests

from sandbox.server import SandboxServer
from sandbox.world import World


def _indexed_days(server: SandboxServer) -> set[tuple[str, object]]:
    """(index, day) of the per-day indexes the APIs hold (HubSpot's search index, Marketo's
    world index), read from the server's state."""
    return {
        (key[0], key[1])
        for key in list(server.ctx.state)
        if isinstance(key, tuple) and key[0] in ("hubspot_index", "marketo_index")
    }


def test_advance_with_warm_builds_the_new_days_indexes():
    world = World(seed=3, scale=60, systems=frozenset({"hubspot", "marketo"}))
    with SandboxServer(world) as server:
        root = server.url
        plain = requests.post(f"{root}/_sandbox/advance", params={"days": 1}, timeout=120)
        plain.raise_for_status()
        assert _indexed_days(server) == set(), "an advance without warm built an index"
        warmed = requests.post(
            f"{root}/_sandbox/advance", params={"days": 1, "warm": 1}, timeout=120
        )
        warmed.raise_for_status()
        today = server.world.today
        assert warmed.json()["today"] == today.isoformat()
        assert _indexed_days(server) == {("hubspot_index", today), ("marketo_index", today)}
