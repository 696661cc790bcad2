"""The daily benchmark's table: each ratio is the median of the rounds' own ratios."""

from __future__ import annotations

from benchmarks.daily_bench import table


def run(seconds: float, dbt: float = 1.0) -> dict:
    return {"seconds": seconds, "peak_rss_mb": 100.0, "steps": {"dbt_build": dbt}}


def rows(text: str) -> dict[str, list[str]]:
    out = {}
    for line in text.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        out[cells[1]] = cells
    return out


def test_daily_and_unchanged_runs_against_each_rounds_full_refresh():
    # rounds: daily 30/100, 20/40, 10/50 -> 0.30, 0.50, 0.20 (median 0.30, not 60/190);
    # unchanged 10/100, 10/40, 5/50 -> 0.10, 0.25, 0.10 (median 0.10)
    result = {
        "scale": 1000,
        "first": run(120.0),
        "daily": [run(30.0), run(20.0), run(10.0)],
        "unchanged": [run(10.0), run(10.0), run(5.0)],
        "full": [run(100.0), run(40.0), run(50.0)],
    }
    got = rows(table([result]))
    assert got["daily"][2:4] == ["20.0", "0.30"]
    assert got["unchanged (the floor: nothing new)"][2:4] == ["10.0", "0.10"]
    assert got["full refresh"][2:4] == ["50.0", ""]
    assert got["first run (empty warehouse)"][3] == ""


def test_against_the_first_run_without_full_refreshes():
    result = {
        "scale": 1000,
        "first": run(200.0),
        "daily": [run(30.0)],
        "unchanged": [run(20.0)],
        "full": [],
    }
    got = rows(table([result]))
    assert got["daily"][3] == "0.15 (to the first run)"
    assert got["unchanged (the floor: nothing new)"][3] == "0.10 (to the first run)"
    assert "full refresh" not in got
