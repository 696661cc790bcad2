"""dbt's run folders (one per Dagster run, ``dbt_models-<run>/`` under the target path) are kept
to a bounded number, so a daily schedule does not fill the disk."""

from __future__ import annotations

import os

from orchestration.dbt_project import prune_run_folders, run_folders_kept


def test_the_newest_run_folders_are_kept_and_nothing_else_is_touched(tmp_path):
    for age, name in enumerate(["dbt_models-d", "dbt_models-c", "dbt_models-b", "dbt_models-a"]):
        folder = tmp_path / name
        (folder / "compiled").mkdir(parents=True)
        (folder / "compiled" / "model.sql").write_text("select 1")
        stamp = 1_800_000_000 - age * 3600  # d newest, a oldest
        os.utime(folder, (stamp, stamp))
    (tmp_path / "sources-abc" / "dbt_models-x").mkdir(parents=True)  # another set's, not here
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "partial_parse.msgpack").write_bytes(b"")

    assert prune_run_folders(tmp_path, keep=2) == 2
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["dbt_models-c", "dbt_models-d", "manifest.json", "partial_parse.msgpack",
                    "sources-abc"]  # fmt: skip
    assert (tmp_path / "sources-abc" / "dbt_models-x").is_dir()
    assert prune_run_folders(tmp_path, keep=2) == 0


def test_the_setting(monkeypatch):
    monkeypatch.delenv("DBT_RUN_FOLDERS_KEPT", raising=False)
    assert run_folders_kept() == 30
    monkeypatch.setenv("DBT_RUN_FOLDERS_KEPT", "5")
    assert run_folders_kept() == 5
    monkeypatch.setenv("DBT_RUN_FOLDERS_KEPT", "0")
    assert run_folders_kept() == 1, "the run's own folder is always kept"
