"""A load killed halfway (the process killed, not an exception) and run again ends with exactly
the rows of a load that was never interrupted: nothing lost, nothing duplicated."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from sandbox.connect import source_env
from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.support.pipeline import load_sources, warehouse_env

ROOT = Path(__file__).resolve().parents[2]

#: loads the enabled sources one after the other, the source named by VICTIM second
LOADER = """
import os
from ingestion.destination import pipeline
from warehouse.sources import enabled_sources, source
names = [n for n in enabled_sources() if n != os.environ["VICTIM"]]
names.insert(1, os.environ["VICTIM"])
for name in names:
    pipeline(name).run(source(name).dlt_source()())
    print("loaded", name, flush=True)
"""


def _tables(path: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows without dlt's own columns, sorted, so duplicates show."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            """select schema_name, table_name from duckdb_tables()
               where schema_name like 'raw_%' and schema_name not like '%_staging'
                 and not starts_with(table_name, '_dlt')"""
        ).fetchall()
        for schema, table in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() "
                    "where schema_name = ? and table_name = ? order by column_index",
                    [schema, table],
                ).fetchall()
                if not c.startswith("_dlt")
            ]
            select = ", ".join(f'cast("{c}" as varchar)' for c in columns)
            rows = con.execute(f'select {select} from {schema}."{table}"').fetchall()
            out[f"{schema}.{table}"] = sorted(rows, key=repr)
    return out


@pytest.mark.parametrize(
    ("systems", "victim"),
    [
        (None, "marketo"),  # every source, the default CRM
        # Salesforce killed, Marketo (loaded before it) run again: the classic stack alone
        ({"salesforce", "marketo"}, "salesforce"),
    ],
    ids=["marketo", "salesforce"],
)
def test_a_killed_load_run_again_ends_with_exactly_the_rows_of_an_uninterrupted_load(
    tmp_path, systems, victim
):
    world = World(seed=31, scale=400, systems=systems)
    with SandboxServer(world) as sandbox:
        load_sources(sandbox, tmp_path / "reference")

    # a fresh server: slow answers now and then, so the kill lands inside a load
    slow = FaultPlan(slow_every=3, slow_seconds=0.2)
    with SandboxServer(world, faults=slow) as sandbox:
        env = {
            **os.environ,
            **source_env(sandbox.base_urls, sandbox.credentials, world),
            **warehouse_env(tmp_path / "victim"),
            "VICTIM": victim,
        }
        loader = subprocess.Popen(
            [sys.executable, "-c", LOADER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        first = loader.stdout.readline().strip()
        assert first.startswith("loaded ") and first != f"loaded {victim}"
        time.sleep(2.0)  # the second source (the victim) is loading
        assert loader.poll() is None, "the load ended before it could be interrupted"
        loader.send_signal(signal.SIGKILL)
        loader.wait(timeout=30)
        assert loader.returncode == -signal.SIGKILL
        rest = loader.stdout.read()
        assert f"loaded {victim}" not in rest

        again = subprocess.run(
            [sys.executable, "-c", LOADER], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr[-3000:]

    reference = _tables(tmp_path / "reference" / "warehouse.duckdb")
    victim = _tables(tmp_path / "victim" / "warehouse.duckdb")
    assert victim.keys() == reference.keys()
    for table, rows in reference.items():
        assert victim[table] == rows, f"{table}: {len(victim[table])} rows, want {len(rows)}"
