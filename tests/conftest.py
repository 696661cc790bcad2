"""Fixtures shared by the dbt, quality and report tests: a sandbox world loaded by the real
sources and built by dbt, once per session for each distinct world.

``built_warehouse(seed, scale, loaded_before=(), **world_options)`` loads
``World(seed, scale, ...)`` with every dlt source into a scratch folder and runs ``dbt build`` on
it, once per test session for each distinct set of arguments; later calls with the same
arguments return the same :class:`BuiltWarehouse`. ``loaded_before`` lists earlier ``as_of``
dates the sources load first, in order, so that the final load is incremental and late updates
(merged CRM duplicates, revised deals, restated ad days) arrive as they would in production.
The ground truth of the final world is computed on first use (``warehouse.truth``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path

import pytest

from sandbox.truth import Truth, compute_truth
from sandbox.world import World
from tests.support.pipeline import dbt, load_world, read_table


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


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory) -> Callable[..., BuiltWarehouse]:
    cache: dict[tuple, BuiltWarehouse] = {}

    def build(
        seed: int, scale: int, loaded_before: tuple[date, ...] = (), **world_options
    ) -> BuiltWarehouse:
        key = (seed, scale, tuple(loaded_before), tuple(sorted(world_options.items())))
        if key not in cache:
            world = World(seed=seed, scale=scale, **world_options)
            workdir = tmp_path_factory.mktemp(f"warehouse-seed{seed}-scale{scale}")
            for as_of in loaded_before:
                load_world(replace(world, as_of=as_of), workdir)
            counts = load_world(world, workdir)
            result = dbt(workdir, "build")
            cache[key] = BuiltWarehouse(world, workdir, counts, result.stdout)
        return cache[key]

    return build
