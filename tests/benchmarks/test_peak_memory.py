"""A benchmark child reports its own peak memory, not the memory of the process that started
it (Linux carries ``ru_maxrss`` over a fork and exec), nor a command it runs."""

import subprocess
import sys

import pytest

from benchmarks._common import ROOT, peak_rss_mb, run_measured

HELD_MB = 400


@pytest.fixture
def large_parent():
    """This process holding HELD_MB resident while the test runs."""
    held = bytearray(HELD_MB * 1024 * 1024)
    for i in range(0, len(held), 4096):  # touch every page: resident, not just reserved
        held[i] = 1
    yield
    del held


def test_a_child_of_a_large_parent_reports_its_own_peak(large_parent):
    assert peak_rss_mb() > HELD_MB
    child = subprocess.run(
        [sys.executable, "-c", "from benchmarks._common import peak_rss_mb; print(peak_rss_mb())"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    # a bare interpreter importing the module uses a few tens of MB
    assert float(child.stdout) < HELD_MB / 2, child.stdout


def test_a_command_run_measured_by_a_large_parent_reports_its_own_peak(large_parent):
    # a command that holds 100 MB itself: its figure is its own, neither 0 nor the parent's
    out, peak = run_measured(
        [
            sys.executable,
            "-c",
            "x = bytearray(100 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])",
        ],
        check=True,
    )
    assert out.returncode == 0
    assert 100 < peak < HELD_MB, peak
