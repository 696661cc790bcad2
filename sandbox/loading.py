"""Load a sandbox world into a warehouse through the real connectors (tests, benchmarks, demo).

The connectors run exactly as in production: the sandbox only provides the environment that
points each enabled source at its stand-in API (:mod:`sandbox.connect`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ingestion.destination import pipeline
from sandbox.connect import source_env
from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.world import World
from warehouse.sources import source


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def warehouse_env(workdir: Path) -> dict[str, str]:
    return {
        "WAREHOUSE_PATH": str(workdir / "warehouse.duckdb"),
        "DLT_PIPELINES_DIR": str(workdir / "dlt_pipelines"),
    }


def load_sources(
    server: SandboxServer, workdir: Path, sources: Iterable[str] | None = None
) -> dict[str, dict[str, int]]:
    """Run each source's dlt pipeline against a running sandbox (by default every system of the
    served world, in the registry's order); rows loaded per table."""
    counts = {}
    env = {
        **warehouse_env(workdir),
        **source_env(server.base_urls, server.credentials, server.world),
    }
    with environment(env):
        for name in server.world.system_names if sources is None else sources:
            p = pipeline(name)
            p.run(source(name).dlt_source()())
            counts[name] = dict(p.last_trace.last_normalize_info.row_counts)
    return counts


def load_world(
    world: World,
    workdir: Path,
    faults: FaultPlan | None = None,
    sources: Iterable[str] | None = None,
) -> dict[str, dict[str, int]]:
    with SandboxServer(world, faults=faults) as server:
        return load_sources(server, workdir, sources)
