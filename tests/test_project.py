"""The project's own promises: layout, telemetry off, CI semantics, one copy of each default."""

from __future__ import annotations

import csv
import os
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "path",
    ["orchestration", "ingestion", "dbt_project", "expectations", "reports", "tests",
     "workspace.yaml", "pyproject.toml", "README.md", "uv.lock", "Makefile", ".ci/run"],
)  # fmt: skip
def test_required_layout(path):
    assert (ROOT / path).exists(), f"{path} is part of the required layout"


def test_telemetry_is_off_in_the_projects_own_settings():
    dlt_config = tomllib.loads((ROOT / ".dlt/config.toml").read_text())
    assert dlt_config["runtime"]["dlthub_telemetry"] is False
    dagster = yaml.safe_load((ROOT / "dagster_home/dagster.yaml").read_text())
    assert dagster["telemetry"]["enabled"] is False
    dbt = yaml.safe_load((ROOT / "dbt_project/dbt_project.yml").read_text())
    assert dbt["flags"]["send_anonymous_usage_stats"] is False


@pytest.mark.parametrize(("make_exit", "ci_exit"), [(0, 0), (5, 1), (2, 2)])
def test_ci_run_fails_when_pytest_collects_nothing(tmp_path, make_exit, ci_exit):
    """.ci/run passes make's status through, except pytest's 5 (no tests), which fails."""
    fake_make = tmp_path / "make"
    fake_make.write_text(f"#!/usr/bin/env bash\nexit {make_exit}\n")
    fake_make.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", str(ROOT / ".ci/run")], env=env, capture_output=True)
    assert result.returncode == ci_exit


def _seed(name: str) -> list[dict[str, str]]:
    with open(ROOT / "dbt_project/seeds" / f"{name}.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_dbt_seeds_and_the_ground_truths_rules_state_the_same_defaults():
    """The product's settings (dbt seeds) and the simulator's copy (rules.py) must agree,
    or known-answer tests would compare against a different definition."""
    from sandbox import rules

    assert [
        (r["channel"], r["is_paid"] == "true", r["is_marketing"] == "true", r["label"])
        for r in _seed("channels")
    ] == [(c.channel, c.is_paid, c.is_marketing, c.label) for c in rules.CHANNELS]
    assert [
        (r["source_system"], r["source_value"], r["stage"]) for r in _seed("lifecycle_stage_map")
    ] == list(rules.LIFECYCLE_STAGE_MAP)
    assert [
        (int(r["priority"]), r["match_field"], r["match_type"], r["match_value"], r["channel"])
        for r in _seed("channel_rules")
    ] == [
        (r.priority, r.match_field, r.match_type, r.match_value, r.channel)
        for r in rules.CHANNEL_RULES
    ]
    from warehouse.settings import dbt_var

    defaults = rules.Settings()
    assert float(dbt_var("gross_margin")) == defaults.gross_margin
    assert dbt_var("default_attribution_model") == defaults.default_attribution_model


@pytest.mark.parametrize("module", ["dbt.cli.main", "dagster", "dlt", "great_expectations"])
def test_the_installed_packages_are_compiled(module):
    """`make setup` compiles the environment's packages to bytecode once (uv's
    --compile-bytecode): where PYTHONDONTWRITEBYTECODE is set, every process (each dbt command,
    Dagster run, check) would otherwise compile these packages from source, seconds each."""
    import importlib.util

    source = importlib.util.find_spec(module).origin
    assert Path(importlib.util.cache_from_source(source)).is_file(), f"{module} has no .pyc"
