"""The definitions benchmark's table says what was measured: hand-made runs, figures read off by
hand."""

from __future__ import annotations

from benchmarks.definitions_bench import table


def _run(cpu, wall=None, peak=200.0):
    return {"cpu_s": cpu, "wall_s": wall or cpu, "peak_mb": peak}


def test_the_ratio_is_the_median_of_the_pairs_and_each_run_its_own_medians():
    # pairs' CPU ratios: 4/2 = 2.0, 3/3 = 1.0, 6/4 = 1.5 -> median 1.5, range 1.0-2.0; the
    # ratio of the medians (4/3) would be another figure
    runs = {
        "definitions": [_run(4.0, peak=220), _run(3.0, peak=221), _run(6.0, 7.0, peak=219)],
        "bare imports": [_run(2.0, peak=160), _run(3.0, peak=161), _run(4.0, peak=162)],
    }
    lines = table({"pairs": 3, "runs": runs}).splitlines()
    assert lines[2] == "| definitions | 4.00 | 4.00 | 220 | 1.50 (1.00-2.00) |"
    assert lines[3] == "| bare imports | 3.00 | 3.00 | 161 |  |"
    assert len(lines) == 4
