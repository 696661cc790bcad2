"""The Data Docs keep a bounded number of validation results per suite, so a daily run does not
slow down as results pile up (issue: 60 daily runs took certified validation from 5 s to 17 s)."""

from __future__ import annotations

from pathlib import Path

from expectations.runner import RESULTS_FOLDER, prune_results

#: (suite, run time) of the results laid out as GX's file stores lay them out
RUNS = {
    "certified/spend_daily": ["20261201T080000.000001Z", "20261202T080000.000001Z",
                              "20261130T080000.000001Z"],
    "raw_hubspot/deals": ["20261202T080000.000001Z"],
}  # fmt: skip


def _lay_out(docs: Path) -> None:
    for suite, times in RUNS.items():
        for run_time in times:
            for root, suffix in ((docs / RESULTS_FOLDER, ".json"), (docs / "validations", ".html")):
                name = f"warehouse-{suite.replace('/', '.')}{suffix}"
                path = root / suite / "__none__" / run_time / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("{}")


def _left(docs: Path, root: str, suffix: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted((docs / root).rglob(f"*{suffix}")):
        suite = "/".join(path.relative_to(docs / root).parts[:-3])
        out.setdefault(suite, []).append(path.parent.name)
    return out


def test_the_newest_results_of_each_suite_are_kept_with_their_pages(tmp_path):
    _lay_out(tmp_path)
    deleted = prune_results(tmp_path, keep=2)
    assert deleted == 1
    expected = {"certified/spend_daily": ["20261201T080000.000001Z", "20261202T080000.000001Z"],
                "raw_hubspot/deals": ["20261202T080000.000001Z"]}  # fmt: skip
    assert _left(tmp_path, RESULTS_FOLDER, ".json") == expected
    assert _left(tmp_path, "validations", ".html") == expected
    # no empty folder of the deleted run is left behind
    gone = tmp_path / RESULTS_FOLDER / "certified/spend_daily/__none__/20261130T080000.000001Z"
    assert not gone.exists()
    assert not (tmp_path / "validations" / gone.relative_to(tmp_path / RESULTS_FOLDER)).exists()


def test_keeping_one_keeps_only_the_newest(tmp_path):
    _lay_out(tmp_path)
    assert prune_results(tmp_path, keep=1) == 2
    assert _left(tmp_path, RESULTS_FOLDER, ".json")["certified/spend_daily"] == [
        "20261202T080000.000001Z"
    ]
