"""Any subset of sources runs end to end and publishes what the ground truth says.

For each subset, a sandbox world whose organisation has only those systems is served; the
pipeline runs as an operator runs it (``dagster asset materialize`` of every asset in a scratch
instance; the report site only for HubSpot alone, whose empty spend tables it must survive)
with only those sources enabled (``SOURCES__<NAME>__ENABLED``, set by the sandbox's
environment); the run must load, build, pass its checks and publish; and every certified table
of the published file must equal the ground truth the simulator computes for that world in plain
Python (``sandbox/truth.py``), including the tables a missing source leaves empty.

The subsets: HubSpot alone (a single-currency organisation with no FX feed, no automation and
no ad platform); Salesforce with Google Ads, LinkedIn and FX (no Marketo: the touchpoints are
Salesforce's campaign members that responded, one per person and campaign). The
full set is the clean run of ``test_bad_input.py`` (built, checked and published through
Dagster, equal to the truth), whose loads ``test_raw_materialize.py`` runs through Dagster: it
is not run a third time here.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from sandbox.connect import source_env
from sandbox.server import SandboxServer
from sandbox.truth import TABLES, Truth, compute_truth
from sandbox.world import World
from tests.support.dagster_cli import materialize
from tests.support.pipeline import assert_rows_equal
from warehouse.sources import registry

SEED, SCALE = 13, 150
SUBSETS = {
    "hubspot_alone": ("hubspot",),
    "salesforce_without_marketo": ("salesforce", "google_ads", "linkedin", "fx"),
}


@dataclass
class Published:
    systems: tuple[str, ...]
    workdir: Path
    truth: Truth
    output: str
    #: what the run changed in the checkout's own files (`git status`), when it built the site
    checkout_changes: set[str] | None = None

    def table(self, relation: str) -> list[dict]:
        with duckdb.connect(str(self.workdir / "certified.duckdb"), read_only=True) as con:
            cursor = con.execute(f"select * from {relation}")
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module", params=list(SUBSETS), ids=list(SUBSETS))
def published(request, tmp_path_factory) -> Published:
    systems = SUBSETS[request.param]
    world = World(seed=SEED, scale=SCALE, systems=frozenset(systems))
    workdir = tmp_path_factory.mktemp(request.param)
    with SandboxServer(world) as server:
        env = source_env(server.base_urls, server.credentials, world)
        # the report site too where certified tables are empty (HubSpot alone: no spend); the
        # other subsets leave it out, the report tests build it on a full world
        with_site = request.param == "hubspot_alone"
        selection = "*" if with_site else 'not group:"reports"'
        before = _checkout_status()
        run = materialize(selection, workdir, env)
        changes = _checkout_status() - before if with_site else None
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"{request.param}: the run failed:\n{output[-6000:]}"
    return Published(systems, workdir, compute_truth(world), output, changes)


def _checkout_status() -> set[str]:
    """`git status` of the checkout's report project: files changed or added, not ignored."""
    root = Path(__file__).resolve().parents[2]
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "reports"],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(status.stdout.splitlines())


@pytest.mark.parametrize("published", ["hubspot_alone"], indirect=True)
def test_building_the_site_leaves_the_checkout_as_it_was(published):
    """The site is built in the checkout's reports/ (npm install, sources, build): what it
    writes must be git-ignored, or every run (and `make demo`) leaves the checkout dirty."""
    assert published.checkout_changes == set()


def test_only_the_enabled_sources_loaded(published):
    with duckdb.connect(str(published.workdir / "warehouse.duckdb"), read_only=True) as con:
        schemas = {
            r[0]
            for r in con.execute(
                "select distinct schema_name from information_schema.schemata"
                " where schema_name like 'raw_%' and schema_name not like '%_staging'"
            ).fetchall()
        }
    # dlt's own merge datasets (`raw_<source>_staging`) are left out above
    assert schemas == {registry()[n].dataset for n in published.systems}


def test_the_run_published(published):
    (log,) = published.table(
        "certified.publication_log where finished_at = (select max(finished_at)"
        " from certified.publication_log)"
    )
    assert log["status"] == "published", log
    assert log["checks_failed"] == 0 and log["checks_passed"] > 0, log


@pytest.mark.parametrize("table", list(TABLES))
def test_certified_table_equals_the_ground_truth(published, table):
    expected = published.truth.table(table)
    assert_rows_equal(
        published.table(f"certified.{table}"), expected, TABLES[table][0], table=table
    )


def test_the_scheduled_build_ran_the_data_tests_and_no_unit_test(published):
    """dbt's unit tests check SQL on fixed inputs (the builds of tests/conftest.py run them);
    a scheduled run builds the models and runs the data tests only."""
    data_tests = re.findall(r"START test (\w+)", published.output)
    unit_tests = re.findall(r"START unit_test (\S+)", published.output)
    assert data_tests, "the run's output shows no data test of dbt"
    assert not unit_tests, f"the scheduled run ran dbt unit tests: {unit_tests[:3]}"


def test_dbt_started_from_the_parse_of_its_own_sources(published):
    """A set of sources other than the default has its own manifest and parse state (its vars
    differ); the run's dbt starts from that state, not the default set's, which differs in the
    vars and would make dbt parse the whole project again on every run."""
    copied = re.search(r"Copying `([^`]+)` to `([^`]+)` to take advantage", published.output)
    assert copied, "dagster-dbt started dbt without a partial-parse state"
    run_folder = Path(copied.group(2)).parent
    log = "".join(p.read_text() for p in run_folder.glob("dbt.log*"))
    assert "Partial parsing enabled" in log or "Unable to do partial parsing" in log, log[-2000:]
    assert "config vars, config profile, or config target have changed" not in log
