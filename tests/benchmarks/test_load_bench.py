"""The load benchmark's table says what was measured: hand-made results, rows read off by hand."""

from __future__ import annotations

from benchmarks.load_bench import table


def _result(scale, per_source, daily=None):
    result = {"step": "load", "scale": scale, "per_source": per_source,
              "loader_peak_rss_mb": 300, "server_peak_rss_mb": 200}  # fmt: skip
    return {**result, "daily": daily} if daily else result


def test_the_load_table_has_a_row_per_size_and_source_with_the_daily_load_beside():
    full = {"marketo": {"rows": 1000, "seconds": 10.0, "rows_per_s": 100},
            "hubspot": {"rows": 50, "seconds": 2.0, "rows_per_s": 25}}  # fmt: skip
    daily = {"marketo": {"rows": 10, "seconds": 1.0, "seconds_vs_full": 0.1}}
    lines = table([_result(10_000, full, daily)]).splitlines()
    assert lines[0].split("|")[1:-1] == [
        " people ", " source ", " rows ", " seconds ", " rows/s ", " daily rows ", " daily s ",
        " daily / full (s) ", " loader peak MB ", " sandbox peak MB ",
    ]  # fmt: skip
    assert lines[2] == "| 10,000 | marketo | 1,000 | 10.0 | 100 | 10 | 1.0 | 0.100 | 300 | 200 |"
    assert lines[3] == "| 10,000 | hubspot | 50 | 2.0 | 25 | | | | 300 | 200 |"
    assert len(lines) == 4


def test_the_load_table_without_a_daily_load_has_no_daily_columns():
    full = {"salesforce": {"rows": 52844, "seconds": 8.6, "rows_per_s": 6158}}
    lines = table([_result(10_000, full), _result(100_000, full)]).splitlines()
    assert "daily" not in lines[0]
    assert lines[2] == "| 10,000 | salesforce | 52,844 | 8.6 | 6,158 | 300 | 200 |"
    assert lines[3].startswith("| 100,000 | salesforce |")
