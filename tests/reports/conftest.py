"""Fixtures for the report tests: a small world published to a certified file, the site built on
it once per session, served by a real static web server on 127.0.0.1.

The site is built in a scratch copy of ``reports/`` (sharing its ``node_modules``), so a test run
never overwrites the developer's own build.
"""

from __future__ import annotations

import functools
import shutil
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from orchestration.defs.reports import REPORTS_DIR, SiteBuild, build_site
from sandbox.truth import Truth
from sandbox.world import World
from tests.reports.certified_file import write_certified_file

#: a small world: every page has data, the build stays quick
SEED, SCALE = 3, 300


@dataclass
class PublishedWorld:
    world: World
    certified_file: Path
    truth: Truth


@dataclass
class Site:
    build: SiteBuild
    base_url: str
    #: what the build said while it ran (its progress)
    progress: list[str]


@pytest.fixture(scope="session")
def published_world(tmp_path_factory, built_warehouse) -> PublishedWorld:
    """The shared build of the world (tests/conftest.py), published from a copy of it."""
    built = built_warehouse(SEED, SCALE)
    workdir = tmp_path_factory.mktemp(f"reports-seed{SEED}-scale{SCALE}")
    shutil.copyfile(built.workdir / "warehouse.duckdb", workdir / "warehouse.duckdb")
    certified = write_certified_file(
        workdir / "warehouse.duckdb",
        workdir / "published" / "certified.duckdb",
        run_id=f"test-seed{SEED}",
        run_results=built.workdir / "dbt_target" / "run_results.json",
    )
    return PublishedWorld(built.world, certified, built.truth)


def _scratch_project(target: Path) -> Path:
    """A copy of the Evidence project without its generated folders, sharing node_modules."""
    if not (REPORTS_DIR / "node_modules").is_dir():
        pytest.fail("reports/node_modules is missing: run `make reports-setup` (npm install)")
    shutil.copytree(
        REPORTS_DIR,
        target,
        ignore=shutil.ignore_patterns("node_modules", ".evidence", "build", ".svelte-kit"),
    )
    (target / "node_modules").symlink_to(REPORTS_DIR / "node_modules")
    return target


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the standard library's name)
        pass


@pytest.fixture(scope="session")
def site(published_world, tmp_path_factory) -> Site:
    project = _scratch_project(tmp_path_factory.mktemp("reports-site") / "reports")
    progress: list[str] = []
    build = build_site(published_world.certified_file, project, progress=progress.append)
    print(
        f"\nreports site: sources {build.sources_seconds:.1f} s, "
        f"build {build.build_seconds:.1f} s, pages {build.pages}"
    )
    handler = functools.partial(_QuietHandler, directory=str(build.site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(build, f"http://127.0.0.1:{server.server_address[1]}", progress)
    finally:
        server.shutdown()
        server.server_close()
