"""The code location's asset graph, snapshotted: every asset key with its group, and every asset
check key, compared with ``asset_graph.snapshot.txt`` beside this file.

A change to the graph (a model added, renamed or moved to another layer, a dbt test added or
dropped, a dlt resource added) shows up in review as a diff of the snapshot. When the change is
intended, rewrite the snapshot and commit it with the change::

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/orchestration/test_asset_graph_snapshot.py
"""

import difflib
import os
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).with_name("asset_graph.snapshot.txt")
UPDATE_COMMAND = (
    "UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/orchestration/test_asset_graph_snapshot.py"
)

HEADER = f"""\
# The asset graph of orchestration.definitions: every asset key [group], then every asset check.
# Written by tests/orchestration/test_asset_graph_snapshot.py; rewrite it when the graph changes:
#   {UPDATE_COMMAND}
"""


def render(graph) -> str:
    assets = sorted(
        f"{key.to_user_string()} [{graph.get(key).group_name}]"
        for key in graph.get_all_asset_keys()
    )
    checks = sorted(check.to_user_string() for check in graph.asset_check_keys)
    return "\n".join(
        [HEADER.rstrip("\n"), "", f"## assets ({len(assets)})", *assets, ""]
        + [f"## asset checks ({len(checks)})", *checks, ""]
    )


def test_asset_graph_matches_the_snapshot():
    from orchestration.definitions import defs

    current = render(defs.resolve_asset_graph())
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(current)
        return
    committed = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    if current != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                current.splitlines(keepends=True),
                fromfile=f"{SNAPSHOT.name} (committed)",
                tofile=f"{SNAPSHOT.name} (current definitions)",
            )
        )
        pytest.fail(
            f"The asset graph differs from {SNAPSHOT.name}:\n{diff}\n"
            f"If the change is intended, rewrite the snapshot and commit it:\n  {UPDATE_COMMAND}\n"
            "(The graph is read from dbt_project/target/manifest.json: after changing dbt files,\n"
            "prepare it again with `make setup` before comparing or rewriting.)",
            pytrace=False,
        )
