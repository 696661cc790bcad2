"""The operator's view: the Dagster webserver serves one lineage graph from each source's raw
tables through staging, marts and checks to the certified tables, the publication and the reports.

The webserver runs as `make ui` runs it (its own process group, 127.0.0.1, a scratch
DAGSTER_HOME); the test asks its GraphQL API for the asset graph and compares it with what the
dbt manifest says each certified model is built from. A headless Chromium then opens the global
lineage page and saves a screenshot in ``tests/artifacts/lineage/``.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.dagster_cli import scratch_env
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "dbt_project" / "target" / "manifest.json"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT_SCRIPT = Path(__file__).with_name("lineage_screenshot.mjs")
SCREENSHOTS = ROOT / "tests" / "artifacts" / "lineage"
REPORTS_DIR = ROOT / "reports"

PUBLISHED = ("published", "certified")
REPORTS_SITE = ("reports", "site")
#: the groups of the asset graph: one per layer, one per source's raw tables
LAYER_GROUPS = {
    "settings",
    "staging",
    "intermediate",
    "marts",
    "certified",
    "quarantine",
    "semantic",
    "publish",
    "reports",
}

ASSET_GRAPH_QUERY = """
query LineageTest {
  assetNodes {
    assetKey { path }
    groupName
    isMaterializable
    dependencyKeys { path }
  }
}
"""

WORKSPACE_QUERY = """
query LineageTestWorkspace {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message }
        }
      }
    }
  }
}
"""


REPOSITORY_QUERY = """
query LineageTestRepository {
  repositoriesOrError {
    ... on RepositoryConnection { nodes { name location { name } } }
  }
}
"""


# ---------------------------------------------------------------------------------------------
# the independent expectation: the dbt manifest


def _manifest() -> dict:
    if not MANIFEST.is_file():
        pytest.fail(f"{MANIFEST} is missing: run `make setup` (it prepares the dbt manifest)")
    return json.loads(MANIFEST.read_text())


def expected_sources(manifest: dict) -> dict[str, set[tuple[str, str]]]:
    """For each certified model, the dbt source tables among its ancestors: (source, table)."""
    nodes = {**manifest["nodes"], **manifest["sources"]}
    found: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["fqn"][1:2] != ["certified"]:
            continue
        sources: set[tuple[str, str]] = set()
        seen: set[str] = set()
        stack = list(node["depends_on"]["nodes"])
        while stack:
            uid = stack.pop()
            if uid in seen:
                continue
            seen.add(uid)
            parent = nodes[uid]
            if parent["resource_type"] == "source":
                sources.add((parent["source_name"], parent["name"]))
            else:
                stack.extend(parent.get("depends_on", {}).get("nodes", []))
        found[node["name"]] = sources
    return found


def test_expected_sources_hand_worked_example():
    """The manifest walk on a hand-built manifest: a -> b -> source x; a -> seed; c -> y, x."""
    manifest = {
        "sources": {
            "source.p.x.t1": {"resource_type": "source", "source_name": "x", "name": "t1"},
            "source.p.y.t2": {"resource_type": "source", "source_name": "y", "name": "t2"},
        },
        "nodes": {
            "model.p.a": {
                "resource_type": "model",
                "name": "a",
                "fqn": ["p", "certified", "a"],
                "depends_on": {"nodes": ["model.p.b", "seed.p.s"]},
            },
            "model.p.b": {
                "resource_type": "model",
                "name": "b",
                "fqn": ["p", "staging", "b"],
                "depends_on": {"nodes": ["source.p.x.t1"]},
            },
            "model.p.c": {
                "resource_type": "model",
                "name": "c",
                "fqn": ["p", "certified", "c"],
                "depends_on": {"nodes": ["source.p.y.t2", "model.p.b"]},
            },
            "seed.p.s": {"resource_type": "seed", "name": "s", "fqn": ["p", "s"]},
        },
    }
    assert expected_sources(manifest) == {"a": {("x", "t1")}, "c": {("x", "t1"), ("y", "t2")}}


# ---------------------------------------------------------------------------------------------
# the webserver


def _post(url: str, query: str, timeout: float = 60) -> dict:
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(
        f"{url}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        payload = json.loads(response.read())
    if payload.get("errors"):
        raise AssertionError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the group (webserver and its code server), then SIGKILL: no orphan left."""
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_until_loaded(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster-webserver exited ({process.returncode}):\n{_tail(log)}")
        try:
            data = _post(url, WORKSPACE_QUERY, timeout=10)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
            continue
        entries = data["workspaceOrError"].get("locationEntries") or []
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            errors = [
                f"{e['name']}: {e['locationOrLoadError'].get('message')}"
                for e in entries
                if e["locationOrLoadError"]["__typename"] == "PythonError"
            ]
            assert not errors, f"code location failed to load: {errors}"
            return
        time.sleep(1)
    pytest.fail(f"dagster-webserver did not load the code location in {timeout} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else ""


class Webserver:
    def __init__(self, url: str, startup_seconds: float):
        self.url = url
        self.startup_seconds = startup_seconds


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("lineage-ui")
    bin_dir = Path(sys.executable).parent
    # a scratch instance and warehouse: nothing is materialized here, but nothing may touch the
    # developer's files either
    env = scratch_env(workdir, {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / "webserver.log"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port),
             "-m", "orchestration.definitions"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_until_loaded(url, process, log, timeout=180)
        startup = time.monotonic() - started
        print(f"\ndagster-webserver answered with the code location loaded in {startup:.1f} s")
        yield Webserver(url, startup)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def graph(webserver) -> dict[tuple[str, ...], dict]:
    nodes = _post(webserver.url, ASSET_GRAPH_QUERY)["assetNodes"]
    return {tuple(n["assetKey"]["path"]): n for n in nodes}


def _upstream(graph: dict[tuple[str, ...], dict], key: tuple[str, ...]) -> set[tuple[str, ...]]:
    """Every asset key the asset depends on, directly or not, following dependencyKeys."""
    seen: set[tuple[str, ...]] = set()
    stack = [key]
    while stack:
        for dep in graph[stack.pop()]["dependencyKeys"]:
            parent = tuple(dep["path"])
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


# ---------------------------------------------------------------------------------------------
# the tests


def test_every_certified_table_reaches_every_source_it_depends_on(graph):
    expected = expected_sources(_manifest())
    assert expected, "the manifest holds no certified model"
    certified = {key[1] for key in graph if key[0] == "certified" and len(key) == 2}
    assert certified == set(expected), "the certified assets are not the certified dbt models"

    for model, tables in expected.items():
        sources = {source for source, _ in tables}
        upstream = _upstream(graph, ("certified", model))
        missing_nodes = [k for k in upstream if k not in graph]
        assert not missing_nodes, f"certified/{model}: dependencies without a node {missing_nodes}"
        raw = {k for k in upstream if k[0] == "raw"}
        reached = {k[1] for k in raw}
        assert reached == sources, (
            f"certified/{model} reaches raw assets of {sorted(reached)} in the Dagster graph, "
            f"the dbt manifest says it is built from {sorted(sources)}"
        )
        # one raw asset per dbt source table (a dlt child table keeps its own asset)
        assert len(raw) == len(tables), (
            f"certified/{model}: {len(raw)} raw assets upstream in the Dagster graph "
            f"{sorted('/'.join(k) for k in raw)}, {len(tables)} dbt source tables in the "
            f"manifest {sorted('.'.join(t) for t in tables)}"
        )
        for key in raw:
            node = graph[key]
            assert node["groupName"] == f"raw_{key[1]}", f"{'/'.join(key)} in {node['groupName']}"
            # a dbt source not mapped onto the dlt asset shows up as an external, unmaterializable
            # asset with no upstream of its own: the lineage would stop at a stub
            assert node["isMaterializable"], (
                f"certified/{model} depends on {'/'.join(key)}, which no ingestion asset "
                "materializes (a dbt source not mapped onto its dlt table)"
            )
        # the lineage starts at ingestion or at a seed, never at a stub of some other name
        roots = {k for k in upstream if not graph[k]["dependencyKeys"]}
        stubs = sorted(
            "/".join(k)
            for k in roots
            if not (k[0] == "raw" and graph[k]["isMaterializable"])
            and graph[k]["groupName"] != "settings"
        )
        assert not stubs, f"certified/{model}: lineage starts at {stubs}, not at a raw asset"


def test_publication_and_reports_sit_downstream_of_every_certified_table(graph):
    assert PUBLISHED in graph and REPORTS_SITE in graph
    certified = {key for key in graph if key[0] == "certified"}
    assert certified
    for target in (PUBLISHED, REPORTS_SITE):
        upstream = _upstream(graph, target)
        missing = sorted("/".join(k) for k in certified - upstream)
        assert not missing, f"{'/'.join(target)} is not downstream of {missing}"
    assert ("quarantine", "quarantine_records") in _upstream(graph, PUBLISHED)
    assert graph[PUBLISHED]["groupName"] == "publish"
    assert graph[REPORTS_SITE]["groupName"] == "reports"


def test_groups_follow_the_layers(graph):
    wrong = []
    for key, node in graph.items():
        group = node["groupName"]
        if key[0] == "raw":
            expected = f"raw_{key[1]}"
        elif key == PUBLISHED:
            expected = "publish"
        else:
            expected = key[0]
        if group != expected or (group not in LAYER_GROUPS and not group.startswith("raw_")):
            wrong.append(f"{'/'.join(key)} in {group!r}, expected {expected!r}")
    assert not wrong, "assets outside their layer's group:\n" + "\n".join(wrong)
    for layer in ("staging", "intermediate", "marts", "certified", "publish", "reports"):
        assert any(n["groupName"] == layer for n in graph.values()), f"no asset in {layer}"


def test_lineage_pages_draw_the_graph(webserver, graph, tmp_path):
    """Two screenshots: the global lineage (one node per group, raw_<source> to reports) and the
    certified group's lineage (one node per certified table)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)")
    if not (REPORTS_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.fail("reports/node_modules/playwright-core is missing: run `make reports-setup`")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    groups = sorted({node["groupName"] for node in graph.values()})
    certified = sorted(key[1] for key in graph if key[0] == "certified")
    location = _post(webserver.url, REPOSITORY_QUERY)["repositoriesOrError"]["nodes"]
    assert len(location) == 1, location
    repo_path = f"{location[0]['name']}@{location[0]['location']['name']}"
    pages = [
        # the global lineage opens with every group collapsed to one node: the layers at a glance
        {"name": "global", "path": "/asset-groups", "graphText": groups},
        {
            "name": "certified",
            "path": f"/locations/{repo_path}/asset-groups/certified/lineage",
            "graphText": certified,
            # tall enough for every certified table (fourteen) at the zoom the page opens with:
            # the graph draws only the nodes in view
            "viewport": {"width": 2400, "height": 4400},
        },
    ]
    for page in pages:
        page["screenshot"] = str(SCREENSHOTS / f"{page['name']}_lineage.png")
        Path(page["screenshot"]).unlink(missing_ok=True)
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "reportsDir": str(REPORTS_DIR),
                "baseUrl": webserver.url,
                "userDataDir": str(tmp_path / "chromium-profile"),
                "chromium": str(CHROMIUM),
                "dismiss": ["Skip"],
                "pages": pages,
            }
        )
    )
    started = time.monotonic()
    run = subprocess.run(
        ["node", str(SCREENSHOT_SCRIPT), str(spec)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, f"lineage_screenshot.mjs failed:\n{run.stderr[-4000:]}"
    browsed = json.loads(run.stdout)
    assert not browsed["outside"], f"the UI asked the internet for {browsed['outside']}"
    for page, expected in zip(browsed["pages"], pages, strict=True):
        where = f"{page['path']} (screenshot: {page.get('screenshot')})"
        assert not page.get("error"), f"{where}: {page['error']}"
        assert not page["pageErrors"], f"{where}: {page['pageErrors']}"
        drawn = page["graphText"]
        missing = [text for text in expected["graphText"] if text not in drawn]
        assert not missing, f"{where}: not drawn in the graph: {missing}"
        if page["name"] == "global":
            # each collapsed group shows its name and how many assets it holds
            counts = collections.Counter(node["groupName"] for node in graph.values())
            shown = set(drawn.split("\n"))
            wrong = [f"{g}{n}" for g, n in sorted(counts.items()) if f"{g}{n}" not in shown]
            assert not wrong, f"{where}: groups not drawn with their asset count: {wrong}"
        shot = Path(expected["screenshot"])
        assert shot.is_file() and shot.stat().st_size > 10_000, where
        print(f"\n{page['name']} lineage: {shot} ({page['graphNodes']} graph elements drawn)")
    print(f"browser: {time.monotonic() - started:.1f} s")
