"""Run the real pipeline on a sandbox world, for tests: load every source, build dbt, compare.

Known answers come from the simulator's ground truth (``sandbox/truth.py``), never
from the code under test.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import duckdb

from sandbox.loading import environment, load_sources, load_world, warehouse_env
from warehouse.settings import dbt_project_files

__all__ = [
    "environment",
    "load_sources",
    "load_world",
    "warehouse_env",
    "dbt",
    "read_table",
    "WITHOUT_UNIT_TESTS",
]

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = ROOT / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")
#: dbt's unit tests check the models' SQL on fixed inputs, whatever the warehouse holds: the
#: shared build of each world (tests/conftest.py) and the Postgres portability builds run them;
#: a build that sets up one comparison leaves them out with these arguments (about 3 s a build)
WITHOUT_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


def dbt(
    workdir: Path,
    *args: str,
    vars: Mapping | None = None,
    target: str = "duckdb",
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run dbt on the project against the workdir's warehouse, with its own target folder.

    dbt runs from ``<workdir>/dbt_run`` with the warehouse path given relative
    (``warehouse.duckdb``, which the profile reads as ``../warehouse.duckdb`` from where dbt
    runs), so the profile renders the same in every workdir. dbt's partial parsing state
    (``partial_parse.msgpack``) therefore carries from one workdir to the next: a workdir's
    first command starts from the state of an earlier one with the same vars, target and
    project files, as dagster-dbt starts each run from the project's, and dbt itself checks
    what changed (a profile rendered with another path would cost a full parse, about 10 s).
    """
    run_dir = workdir / "dbt_run"
    run_dir.mkdir(parents=True, exist_ok=True)
    target_dir = workdir / "dbt_target"
    command = [
        DBT, *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_dir), "--log-path", str(workdir / "dbt_logs"),
        "--target", target,
    ]  # fmt: skip
    if vars:
        command += ["--vars", json.dumps(dict(vars))]
    env = {**os.environ, **warehouse_env(workdir), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
           "WAREHOUSE_PATH": "warehouse.duckdb", **(extra_env or {})}  # fmt: skip
    shared = _shared_parse_state(vars, target, env)
    state = target_dir / PARTIAL_PARSE
    if not state.exists() and shared.exists():
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared, state)
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=run_dir)
    if result.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
        )
    if state.exists() and not shared.exists():
        shared.parent.mkdir(parents=True, exist_ok=True)
        partial = shared.with_suffix(f".{os.getpid()}")
        shutil.copyfile(state, partial)
        partial.replace(shared)  # whole or not at all, for another worker reading it
    return result


PARTIAL_PARSE = "partial_parse.msgpack"
#: the parse states shared by this test session's workdirs (emptied when a session starts)
PARSE_STATES = DBT_PROJECT_DIR / "target" / "test-parse-state"


def _shared_parse_state(vars: Mapping | None, target: str, env: Mapping[str, str]) -> Path:
    """Where the parse state of this set of vars, target, project files and the environment the
    profile and the project read is kept for other workdirs (the project's git-ignored
    ``target/``)."""
    files = sorted(dbt_project_files())
    stamp = [(str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files]
    # the profile's variables (its hash is in the state); the project's own (the as-of date of
    # the record rules) dbt compares itself, file by file
    read = {
        k: v
        for k, v in env.items()
        if k.startswith(("WAREHOUSE_", "CERTIFIED_", "PG", "DBT_")) and k != "WAREHOUSE_AS_OF"
    }
    key = json.dumps([dict(vars or {}), target, read, stamp], sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return PARSE_STATES / digest / PARTIAL_PARSE


def read_table(workdir: Path, relation: str) -> list[dict]:
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(f"select * from {relation}")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _normal(value):
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value
    if hasattr(value, "is_finite"):  # Decimal
        return float(value)
    return value


def assert_rows_equal(
    actual: list[dict],
    expected: list[dict],
    grain: tuple[str, ...],
    *,
    table: str,
    tolerance: float = 1e-6,
) -> None:
    """Rows equal by grain: counts and text exactly, floats to `tolerance` (absolute)."""

    def keyed(rows):
        out = {}
        for r in rows:
            key = tuple(_normal(r[g]) for g in grain)
            assert key not in out, f"{table}: duplicate grain {key}"
            out[key] = r
        return out

    got, want = keyed(actual), keyed(expected)
    missing, extra = sorted(set(want) - set(got), key=str), sorted(set(got) - set(want), key=str)
    assert not missing and not extra, (
        f"{table}: {len(missing)} rows missing (e.g. {missing[:3]}), "
        f"{len(extra)} unexpected (e.g. {extra[:3]})"
    )
    problems = []
    for key, w in want.items():
        g = got[key]
        for column, expected_value in w.items():
            actual_value = _normal(g.get(column))
            expected_value = _normal(expected_value)
            if isinstance(expected_value, float) or isinstance(actual_value, float):
                if expected_value is None or actual_value is None:
                    ok = expected_value is None and actual_value is None
                else:
                    ok = math.isclose(actual_value, expected_value, rel_tol=1e-9, abs_tol=tolerance)
            else:
                ok = actual_value == expected_value
            if not ok:
                problems.append(f"{key} {column}: got {actual_value!r}, want {expected_value!r}")
    assert not problems, f"{table}: {len(problems)} differences:\n" + "\n".join(problems[:20])
