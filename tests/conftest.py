"""Fixtures shared by the dbt, quality and report tests: a sandbox world loaded by the real
sources and built by dbt, once per session for each distinct world.

``built_warehouse(seed, scale, loaded_before=(), **world_options)`` loads
``World(seed, scale, ...)`` with every dlt source into a scratch folder and runs ``dbt build`` on
it, once per test session for each distinct set of arguments, whichever xdist worker asks first
(the others wait on a file lock and read the same folder); later calls with the same arguments
return the same :class:`BuiltWarehouse`. A built warehouse is only read (or copied) by tests.
``loaded_before`` lists earlier ``as_of`` dates the sources load first, in order, so that the
final load is incremental and late updates (merged CRM duplicates, revised deals, restated ad
days) arrive as they would in production.
The ground truth of the final world is computed on first use (``warehouse.truth``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path

import pytest

from sandbox.truth import Truth, compute_truth
from sandbox.world import World
from tests.support.pipeline import PARSE_STATES, dbt, load_world, read_table
from warehouse.sources import dbt_vars

#: the slowest test files first (setup and call times of a CI run, 2 workers): xdist hands each
#: worker one file at a time in this order (``--no-loadscope-reorder``), so the long ones start
#: at once and the short ones fill in around them, instead of a long one starting last and
#: leaving the other worker idle; files not listed keep their order, after these
SLOWEST_FIRST = (
    "tests/orchestration/test_bad_input.py",
    "tests/orchestration/test_source_subsets.py",
    "tests/dbt_project/test_incremental.py",
    "tests/reports/test_site.py",
    "tests/dbt_project/test_pipeline_known_answers.py",
    "tests/orchestration/test_recovery.py",
    "tests/dbt_project/test_postgres_portability.py",
    "tests/dbt_project/test_known_answers_more_seeds.py",
    "tests/dbt_project/test_funnel_known_answers.py",
    "tests/dbt_project/test_velocity_known_answers.py",
    "tests/ingestion/test_interrupted_load.py",
    "tests/ingestion/test_salesforce_source.py",
    "tests/dbt_project/test_salesforce_quarantine.py",
    "tests/dbt_project/test_hand_worked_velocity.py",
    "tests/dbt_project/test_hand_worked.py",
)


def pytest_configure(config: pytest.Config) -> None:
    # the dbt parse states the workdirs share (tests/support/pipeline.py) are this session's: the
    # controlling process empties the folder before any worker starts, so it never grows
    if not hasattr(config, "workerinput"):
        shutil.rmtree(PARSE_STATES, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@dataclass
class BuiltWarehouse:
    """A world loaded by the sources into ``workdir/warehouse.duckdb`` and built by dbt."""

    world: World
    workdir: Path
    load_counts: dict[str, dict[str, int]] = field(repr=False)
    build_output: str = field(repr=False)

    def table(self, relation: str) -> list[dict]:
        """Every row of a relation (``certified.funnel_daily``) as dicts."""
        return read_table(self.workdir, relation)

    @cached_property
    def truth(self) -> Truth:
        """The ground truth of the world, with the default settings."""
        return compute_truth(self.world)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` held across processes (the xdist workers) while inside."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory, worker_id) -> Callable[..., BuiltWarehouse]:
    # the session's base folder, shared by every xdist worker (each has its own below it)
    base = tmp_path_factory.getbasetemp()
    shared = (base if worker_id == "master" else base.parent) / "built-worlds"
    shared.mkdir(exist_ok=True)
    cache: dict[tuple, BuiltWarehouse] = {}

    def build(
        seed: int, scale: int, loaded_before: tuple[date, ...] = (), **world_options
    ) -> BuiltWarehouse:
        key = (seed, scale, tuple(loaded_before), tuple(sorted(world_options.items())))
        if key not in cache:
            world = World(seed=seed, scale=scale, **world_options)
            digest = hashlib.sha1(repr(key).encode()).hexdigest()[:10]
            workdir = shared / f"warehouse-seed{seed}-scale{scale}-{digest}"
            done = workdir / "built.json"
            with _locked(shared / f"{workdir.name}.lock"):
                if not done.exists():
                    shutil.rmtree(workdir, ignore_errors=True)  # a build that failed midway
                    workdir.mkdir()
                    for as_of in loaded_before:
                        load_world(replace(world, as_of=as_of), workdir)
                    counts = load_world(world, workdir)
                    # the world's systems enabled, the others (a second CRM) not
                    result = dbt(workdir, "build", vars=dbt_vars(list(world.system_names)))
                    done.write_text(json.dumps({"load_counts": counts, "output": result.stdout}))
            built = json.loads(done.read_text())
            cache[key] = BuiltWarehouse(world, workdir, built["load_counts"], built["output"])
        return cache[key]

    return build
