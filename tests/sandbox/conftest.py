"""Shared fixtures for the sandbox API tests: running servers on small worlds.

* ``sandbox``: one clean server per test module (seed 5, scale 600), read-only use please
  (do not ``advance`` it; start your own with ``start_sandbox`` for that).
* ``start_sandbox(world=None, faults=None)``: start a server for this test; stopped afterwards.
* ``http``: a ``requests.Session``.
* ``hubspot_auth(server)`` / ``marketo_login(server)``: credentials for a server.
"""

from __future__ import annotations

import pytest
import requests

from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.world import World

SMALL_SEED = 5
SMALL_SCALE = 600


def small_world(**kwargs) -> World:
    return World(
        seed=kwargs.pop("seed", SMALL_SEED), scale=kwargs.pop("scale", SMALL_SCALE), **kwargs
    )


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(small_world()) as server:
        yield server


@pytest.fixture
def start_sandbox():
    servers: list[SandboxServer] = []

    def start(world: World | None = None, faults: FaultPlan | str | None = None) -> SandboxServer:
        if isinstance(faults, str):
            faults = FaultPlan.parse(faults)
        server = SandboxServer(world or small_world(), faults=faults).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


@pytest.fixture
def hubspot_auth():
    """``hubspot_auth(server)`` -> the Authorization header of the server's HubSpot token."""
    return hubspot_headers


@pytest.fixture
def marketo_login():
    """``marketo_login(server)`` -> a fresh Marketo access token."""
    return marketo_token


def hubspot_headers(server: SandboxServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.credentials['hubspot']['api_key']}"}


def marketo_token(server: SandboxServer, session=requests) -> str:
    creds = server.credentials["marketo"]
    response = session.get(
        server.base_urls["marketo"] + "/identity/oauth/token",
        params={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["access_token"]
