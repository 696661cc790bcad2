"""Write, audit, publish: readers see whole publications, and only checked ones.

These tests drive ``orchestration.publication`` on a small warehouse written here, whose working
certified tables carry the number of the version that wrote them, so any mix of two
publications is visible: every table of one publication must show the same version. Unless a
test says otherwise, each version is approved as a run's checks would approve it: a passing
suite result for every certified table and a passing quarantine check, on the content written.
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

from orchestration import publication
from orchestration.publication import (
    QUARANTINE_ASSET,
    QUARANTINE_CHECK,
    SUITE_CHECK,
    CheckOutcome,
    PublicationRefused,
    publish,
    record_attempt,
    record_checks,
)

TABLES = ("funnel_daily", "spend_daily", "pipeline_monthly")


def write_version(warehouse: Path, version: int, rows: int = 1000, approve: bool = True) -> None:
    """Rewrite the working certified tables, table by table, as dbt does: version everywhere;
    then (``approve``) record passing checks on what was written."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists certified")
        for i, table in enumerate(TABLES):
            con.execute(
                f"create or replace table certified.{table} as select {version} as version,"
                f" range as n from range({rows + i})"
            )
        con.execute("create schema if not exists quarantine")
        con.execute(
            "create table if not exists quarantine.quarantine_records (source varchar, rule text)"
        )
    if approve:
        approve_tables(warehouse, f"checks-of-version-{version}", TABLES, quarantine=True)


def approve_tables(warehouse: Path, run_id: str, tables, quarantine: bool = False) -> None:
    """Passing blocking checks on the tables' current content (and the quarantine's)."""
    outcomes = [CheckOutcome(f"certified/{t}", SUITE_CHECK, "blocking", True, 0) for t in tables]
    if quarantine:
        outcomes.append(CheckOutcome(QUARANTINE_ASSET, QUARANTINE_CHECK, "blocking", True, 0))
    record_checks(run_id, outcomes, warehouse)


def log_row(warehouse: Path, run_id: str) -> tuple:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select status, reason from audit.publication_log where run_id = ?", [run_id]
        ).fetchone()


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
            "select check_name, passed from certified.publication_checks where run_id = 'run-1'"
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
    with pytest.raises(PublicationRefused, match="spend_reconciles"):
        publish("run-2", warehouse, target)

    assert target.read_bytes() == before
    assert read_publication(target) == (1, "run-1")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        status, reason, failed_checks = con.execute(
            "select status, reason, checks_failed from audit.publication_log where run_id = 'run-2'"
        ).fetchone()
    assert (status, failed_checks) == ("refused", 1)
    assert "spend_reconciles failed (3 platform-days differ" in reason


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


# --- the gate: only content a passing check judged is published ---------------------------------


def test_tables_no_check_has_seen_are_not_published(paths):
    """Publishing alone after a rebuild (the UI's button on the publish asset): refused."""
    warehouse, target = paths
    write_version(warehouse, 1)
    publish("run-1", warehouse, target)
    before = target.read_bytes()
    write_version(warehouse, 2, approve=False)
    with pytest.raises(PublicationRefused) as refused:
        publish("run-2", warehouse, target)
    assert target.read_bytes() == before
    status, reason = log_row(warehouse, "run-2")
    assert status == "refused"
    for table in TABLES:
        assert f"certified.{table}: changed since great_expectations last ran" in reason
        assert f"certified.{table}" in str(refused.value)
    assert "quarantine" not in reason  # its content did not change


def test_a_table_edited_after_its_checks_is_not_published(paths):
    warehouse, target = paths
    write_version(warehouse, 1)
    publish("run-1", warehouse, target)
    before = target.read_bytes()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update certified.spend_daily set n = -999999 where n = 0")
    with pytest.raises(PublicationRefused, match=r"certified\.spend_daily: changed since"):
        publish("run-2", warehouse, target)
    assert target.read_bytes() == before
    status, reason = log_row(warehouse, "run-2")
    assert status == "refused" and "funnel_daily" not in reason


def test_a_check_failed_on_this_content_refuses_every_later_run(paths):
    """A check failed in one run; a later run that runs no check publishes nothing."""
    warehouse, target = paths
    write_version(warehouse, 1)
    failed = CheckOutcome(QUARANTINE_ASSET, QUARANTINE_CHECK, "blocking", False, 2, "2 bad")
    record_checks("run-1", [failed], warehouse)
    with pytest.raises(PublicationRefused, match="no_blocking_bad_records failed in run run-1"):
        publish("run-2", warehouse, target)
    assert not target.exists()
    assert log_row(warehouse, "run-2")[0] == "refused"


def test_a_certified_table_without_a_passing_suite_is_not_published(paths):
    warehouse, target = paths
    write_version(warehouse, 1, approve=False)
    approve_tables(warehouse, "run-1", TABLES[:2], quarantine=True)
    with pytest.raises(PublicationRefused, match="certified.pipeline_monthly: great_expectations "
                       "has never run on it"):  # fmt: skip
        publish("run-1", warehouse, target)
    assert not target.exists()


def test_without_a_quarantine_nothing_is_published(paths):
    warehouse, target = paths
    write_version(warehouse, 1)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table quarantine.quarantine_records")
    with pytest.raises(PublicationRefused, match="quarantine.quarantine_records: missing"):
        publish("run-1", warehouse, target)
    assert not target.exists()


def test_checked_content_is_published_by_a_later_run(paths):
    """The publish asset alone, on content a passing check judged in an earlier run: the data
    is what was checked, so it is published."""
    warehouse, target = paths
    write_version(warehouse, 1)
    publish("run-2", warehouse, target)
    assert read_publication(target) == (1, "run-2")


def test_content_changed_between_the_gate_and_the_copy_is_not_published(paths, monkeypatch):
    """What is copied is fingerprinted again: a table rewritten after the gate (a dbt run outside
    Dagster at the wrong moment) is caught in the copy, which is thrown away."""
    warehouse, target = paths
    write_version(warehouse, 1)
    publish("run-1", warehouse, target)
    before = target.read_bytes()
    gate = publication.unproven

    def gate_then_rewrite(con):
        approved, reasons = gate(con)
        con.execute("update certified.funnel_daily set n = n + 1 where n = 5")
        return approved, reasons

    monkeypatch.setattr(publication, "unproven", gate_then_rewrite)
    with pytest.raises(PublicationRefused, match="funnel_daily: changed after its checks"):
        publish("run-2", warehouse, target)
    assert target.read_bytes() == before
    assert not list(target.parent.glob(".*.tmp*"))
    assert log_row(warehouse, "run-2")[0] == "refused"
