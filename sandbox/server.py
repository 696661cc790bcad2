"""The sandbox web server: one uvicorn server on 127.0.0.1 serving a world in the vendors' shapes.

Each vendor API is mounted under its own prefix, the source's registered name, which stands in
for the vendor's host: ``http://127.0.0.1:<port>/hubspot`` plays ``https://api.hubapi.com``, and
so on. ``base_urls`` gives the value to configure for each source (``SOURCES__HUBSPOT__BASE_URL``
and friends; :mod:`sandbox.connect` makes the whole environment).

The APIs are those of the world's systems (``world.systems``): each registered source names the
module serving it (``sandbox:`` in ``warehouse/sources.yml``), and an absent system's API is not
mounted (its prefix answers 404). An API module provides:

* ``routes(ctx) -> list[BaseRoute]``: its endpoints, mounted under its prefix;
* ``credentials() -> dict[str, str]``: fresh secrets in the vendor's shapes (setting -> value);
* ``source_env(world, base_url, credentials) -> dict[str, str]``: the ``SOURCES__<NAME>__*``
  settings that point its connector at the sandbox;
* optionally ``bad_records(ctx)`` (the bad records it injects) and ``warm_up(ctx)``.

Credentials are made fresh for every server (random), so a test can scan logs and artifacts for
them; ``credentials`` holds them for the process that started the server.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from sandbox.apis import modules as api_modules
from sandbox.faults import BadRecord, FaultInjector, FaultMiddleware, FaultPlan
from sandbox.world import World


def make_credentials(systems: Iterable[str] | None = None) -> dict[str, dict[str, str]]:
    """Fresh secrets for one server, per API of ``systems``; the shapes are the vendors' own."""
    return {name: module.credentials() for name, module in api_modules(systems).items()}


@dataclass
class SandboxContext:
    """What every API module needs: the world, the faults and the credentials."""

    world: World
    faults: FaultPlan
    injector: FaultInjector
    credentials: dict[str, dict[str, str]]
    state: dict[str, Any] = field(default_factory=dict)  # per-API mutable state (tokens, jobs)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_world(self, world: World) -> None:
        if world.systems != self.world.systems:
            raise ValueError(
                f"the server serves {sorted(self.world.systems)}, not {sorted(world.systems)}"
            )
        with self.lock:
            self.world = world
            self.state.clear()

    def api_modules(self) -> dict[str, Any]:
        """The served APIs: those of the world's systems."""
        return api_modules(self.world.systems)


def bad_records(ctx: SandboxContext) -> list[BadRecord]:
    """Every bad record the served world carries under the fault plan, over the served APIs.

    An API module that injects bad records defines ``bad_records(ctx) -> list[BadRecord]``.
    """
    out: list[BadRecord] = []
    for module in ctx.api_modules().values():
        if hasattr(module, "bad_records"):
            out.extend(module.bad_records(ctx))
    return out


def warm_up(ctx: SandboxContext) -> float:
    """Build what the served APIs index up front (each module's ``warm_up``); seconds it took.

    Small worlds need no warm-up: an index is built on first use. A large world served to a
    client with a timeout, or timed, should be warmed before the client starts.
    """
    started = time.monotonic()
    for module in ctx.api_modules().values():
        if hasattr(module, "warm_up"):
            module.warm_up(ctx)
    return time.monotonic() - started


def create_app(ctx: SandboxContext) -> Starlette:
    mounts = [Mount(f"/{name}", routes=m.routes(ctx)) for name, m in ctx.api_modules().items()]

    async def health(request: Request) -> JSONResponse:
        w = ctx.world
        return JSONResponse(
            {
                "seed": w.seed,
                "scale": w.scale,
                "today": w.today.isoformat(),
                "systems": list(w.system_names),
            }
        )

    async def advance(request: Request) -> JSONResponse:
        """Test hook: advance the served world by N days (new activity and late updates); with
        ``warm=1``, build the APIs' indexes of the new day before answering (a benchmark then
        times the client, not the indexing)."""
        days = int(request.query_params["days"])
        ctx.set_world(ctx.world.advance(days))
        if request.query_params.get("warm") == "1":
            warm_up(ctx)
        return await health(request)

    async def list_bad_records(request: Request) -> JSONResponse:
        return JSONResponse([r.__dict__ for r in bad_records(ctx)])

    routes = [
        Route("/_sandbox/health", health),
        Route("/_sandbox/bad_records", list_bad_records),
        Route("/_sandbox/advance", advance, methods=["POST"]),
        *mounts,
    ]
    return Starlette(routes=routes, middleware=[Middleware(FaultMiddleware, injector=ctx.injector)])


class SandboxServer:
    """A real uvicorn server on 127.0.0.1 in a background thread.

    ``with SandboxServer(World(seed=1, scale=100)) as sandbox: sandbox.base_urls[name]``

    It serves the APIs of the world's systems only; ``base_urls`` and ``credentials`` hold those.
    """

    def __init__(
        self,
        world: World,
        faults: FaultPlan | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: dict[str, dict[str, str]] | None = None,
    ):
        plan = faults or FaultPlan()
        self.ctx = SandboxContext(
            world=world,
            faults=plan,
            injector=FaultInjector(plan),
            credentials=credentials or make_credentials(world.systems),
        )
        self.host = host
        self.port = port or _free_port(host)
        config = uvicorn.Config(
            create_app(self.ctx),
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_urls(self) -> dict[str, str]:
        """Source name -> the base URL of its API, for the served systems."""
        return {name: f"{self.url}/{name}" for name in self.ctx.api_modules()}

    @property
    def credentials(self) -> dict[str, dict[str, str]]:
        return self.ctx.credentials

    @property
    def world(self) -> World:
        return self.ctx.world

    def warm_up(self) -> float:
        """Build what the APIs index up front (module function ``warm_up``); seconds it took."""
        return warm_up(self.ctx)

    def bad_records(self) -> list[BadRecord]:
        return bad_records(self.ctx)

    def advance(self, days: int) -> None:
        self.ctx.set_world(self.ctx.world.advance(days))

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self._server.run, name="sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"sandbox server did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
