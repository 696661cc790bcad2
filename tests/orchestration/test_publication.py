"""Write, audit, publish: readers see whole publications, and only checked ones.

These tests drive ``orchestration.publication`` on a small warehouse written here, whose working
certified tables carry the number of the version that wrote them, so any mix of two
publications is visible: every table of one publication must show the same version.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.publication import CheckOutcome, publish, record_attempt, record_checks

TABLES = ("funnel_daily", "spend_daily", "pipeline_monthly")


def write_version(warehouse: Path, version: int, rows: int = 1000) -> None:
    """Rewrite the working certified tables, table by table, as dbt does: version everywhere."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists certified")
        for i, table in enumerate(TABLES):
            con.execute(
                f"create or replace table certified.{table} as select {version} as version,"
                f" range as n from range({rows + i})"
            )


def read_publication(path: Path) -> tuple[int, str]:
    """(version, run id) of the publication a new reader sees; fails on any mix."""
    with duckdb.connect(str(path), read_only=True) as con:
        versions = {
            t: con.execute(f"select min(version), max(version) from certified.{t}").fetchone()
            for t in TABLES
        }
        run_id = con.execute(
            "select run_id from certified.publication_log where status = 'published'"
            " order by finished_at desc limit 1"
        ).fetchone()[0]
    seen = {v for pair in versions.values() for v in pair}
    assert len(seen) == 1, f"a mix of publications: {versions}"
    return seen.pop(), run_id


@pytest.fixture
def paths(tmp_path):
    return tmp_path / "warehouse.duckdb", tmp_path / "published" / "certified.duckdb"


def test_a_publication_copies_every_certified_table_and_the_log(paths):
    warehouse, target = paths
    write_version(warehouse, 1)
    record_checks("run-1", [CheckOutcome("certified/spend_daily", "spend_reconciles", "blocking",
                                         True, 0)], warehouse)  # fmt: skip
    publication = publish("run-1", warehouse, target)
    assert publication.row_counts == {"funnel_daily": 1000, "spend_daily": 1001,
                                      "pipeline_monthly": 1002}  # fmt: skip
    assert read_publication(target) == (1, "run-1")
    with duckdb.connect(str(target), read_only=True) as con:
        status, passed, failed, counts = con.execute(
            "select status, checks_passed, checks_failed, row_counts"
            " from certified.publication_log where run_id = 'run-1'"
        ).fetchone()
        checks = con.execute(
            "select check_name, passed from certified.publication_checks"
        ).fetchall()
    assert (status, passed, failed) == ("published", 1, 0)
    assert json.loads(counts) == {"funnel_daily": 1000, "pipeline_monthly": 1002,
                                  "spend_daily": 1001}  # fmt: skip
    assert checks == [("spend_reconciles", True)]
    assert not list(target.parent.glob(".*.tmp"))


def test_a_refused_run_leaves_the_previous_publication_and_says_why(paths):
    warehouse, target = paths
    write_version(warehouse, 1)
    publish("run-1", warehouse, target)
    before = target.read_bytes()

    write_version(warehouse, 2)
    failed = CheckOutcome("certified/spend_daily", "spend_reconciles", "blocking", False, 3,
                          "3 platform-days differ from raw spend converted")  # fmt: skip
    record_checks("run-2", [failed], warehouse)
    record_attempt("run-2", "refused", "spend does not reconcile", warehouse)
    with pytest.raises(RuntimeError, match="spend_reconciles"):
        publish("run-2", warehouse, target)

    assert target.read_bytes() == before
    assert read_publication(target) == (1, "run-1")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            "select status, reason, checks_failed from audit.publication_log where run_id = 'run-2'"
        ).fetchone()
    assert row == ("refused", "spend does not reconcile", 1)


def test_a_warning_does_not_stop_publication(paths):
    warehouse, target = paths
    write_version(warehouse, 1)
    warning = CheckOutcome("raw/meta/campaigns", "names_present", "warning", False, 2)
    record_checks("run-1", [warning], warehouse)
    publish("run-1", warehouse, target)
    assert read_publication(target) == (1, "run-1")


def _reader(path: str, stop, results) -> None:
    """Open, read every table, close, as fast as possible, until told to stop."""
    seen, errors, reads = set(), [], 0
    while not stop.is_set():
        if not os.path.exists(path):
            continue
        try:
            seen.add(read_publication(Path(path))[0])
            reads += 1
        except Exception as err:  # noqa: BLE001 - every error is a failure, reported below
            errors.append(repr(err))
    results.put((sorted(seen), errors[:5], reads))


def test_a_reader_in_a_loop_sees_whole_publications_only(paths):
    warehouse, target = paths
    write_version(warehouse, 0)
    publish("run-0", warehouse, target)
    ctx = multiprocessing.get_context("spawn")
    stop, results = ctx.Event(), ctx.Queue()
    reader = ctx.Process(target=_reader, args=(str(target), stop, results))
    reader.start()
    try:
        for version in range(1, 13):
            write_version(warehouse, version, rows=20_000)  # the working copy is rewritten...
            publish(f"run-{version}", warehouse, target)  # ...and only then swapped in
    finally:
        time.sleep(0.3)
        stop.set()
        seen, errors, reads = results.get(timeout=60)
        reader.join(timeout=30)
    assert errors == []
    assert reads > 10, "the reader must have read during the publications"
    assert len(seen) > 2, f"the reader saw too few publications to prove anything: {seen}"
    assert set(seen) <= set(range(13))


KILLED_PUBLISH = """
import sys
from pathlib import Path
from orchestration.publication import publish
publish(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
"""


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.5, 1.0])
def test_a_run_killed_while_publishing_leaves_one_whole_publication(paths, delay):
    warehouse, target = paths
    write_version(warehouse, 1, rows=200_000)
    publish("run-1", warehouse, target)
    write_version(warehouse, 2, rows=400_000)
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_PUBLISH, "run-2", str(warehouse), str(target)],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    version, run_id = read_publication(target)
    assert (version, run_id) in {(1, "run-1"), (2, "run-2")}

    # the next publication cleans up whatever the killed one left behind
    write_version(warehouse, 3)
    publish("run-3", warehouse, target)
    assert read_publication(target) == (3, "run-3")
    assert not list(target.parent.glob(".*.tmp*"))
