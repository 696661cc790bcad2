"""Processes that load the definitions at once parse the dbt manifest once between them.

``orchestration.dbt_project.prepare_manifest`` checks the manifest and parses under an exclusive
file lock. Two loaders (threads here: each opens the lock file on its own, as two processes do)
reach it at the same moment with no manifest: exactly one parses, the other waits and finds the
finished manifest, and no parse overlaps another.
"""

from __future__ import annotations

import threading
import time

from orchestration.dbt_project import prepare_manifest


def test_two_loaders_at_once_parse_the_manifest_once(tmp_path):
    manifest = tmp_path / "target" / "sources-x" / "manifest.json"
    start = threading.Barrier(2)
    state = {"parses": 0, "running": 0, "overlaps": 0}
    guard = threading.Lock()

    def parse() -> None:
        with guard:
            state["parses"] += 1
            state["running"] += 1
            state["overlaps"] += state["running"] > 1
        time.sleep(0.5)  # long enough for the other loader to check a missing manifest
        manifest.write_text("{}")
        with guard:
            state["running"] -= 1

    results: list[bool] = []

    def load() -> None:
        start.wait()
        results.append(prepare_manifest(manifest, parse))

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [False, True], results
    assert state["parses"] == 1 and state["overlaps"] == 0, state
