"""A new model dropped into ``dbt_project/models/`` appears in Dagster, with its lineage and its
tests, without any Python change.

The test does exactly what an analytics engineer would do, in a copy of the project: it copies
``dbt_project/`` (without ``target/`` and ``logs/``) and the ``orchestration/`` package
byte for byte, adds one SQL file and one YAML file, prepares the manifest the way ``make setup``
does (``dagster-dbt project prepare-and-package --file orchestration/dbt_project.py``), then loads
the copy's definitions in a fresh interpreter, so no module-level state of this test session
(an already imported ``orchestration``, an already read manifest) can make it pass.

The copy's ``orchestration/dbt_project.py`` finds the copy's ``dbt_project/`` beside it, exactly
as the repository's finds the repository's; ``ingestion`` (which the dlt assets need) is the
installed one.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

NEW_MODEL = "fct_new_example"

NEW_MODEL_SQL = """\
-- one row per person, with the day the person was created: only here to prove that a model
-- added under models/ reaches Dagster without any Python change
select
    person_id,
    cast(created_at as date) as created_date
from {{ ref('dim_people') }}
"""

NEW_MODEL_YML = f"""\
version: 2

models:
  - name: {NEW_MODEL}
    description: A model added by the test, nothing else.
    columns:
      - name: person_id
        data_tests: [not_null]
"""

# runs in the copy, in a fresh interpreter: prints what Dagster sees of the model named argv[1]
PROBE = textwrap.dedent(
    """
    import json
    import sys

    import orchestration
    from orchestration.dbt_project import dbt_project
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    by_name = {k.to_user_string(): k for k in graph.get_all_asset_keys()}
    key = by_name.get("marts/" + sys.argv[1])
    ancestors, todo = set(), [key] if key else []
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in ancestors:
                ancestors.add(parent)
                todo.append(parent)
    print(json.dumps({
        "orchestration": orchestration.__file__,
        "project_dir": str(dbt_project.project_dir),
        "found": key is not None,
        "group": graph.get(key).group_name if key else None,
        "parents": sorted(p.to_user_string() for p in graph.get(key).parent_keys) if key else [],
        "ancestors": sorted(a.to_user_string() for a in ancestors),
        "checks": sorted(c.to_user_string() for c in graph.asset_check_keys if c.asset_key == key),
    }))
    """
)


def _env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_IS_DEV_CLI"}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",  # the dbt of this environment
        PYTHONPATH=str(workdir),  # the copy's orchestration, not the installed one
        WAREHOUSE_PATH=str(workdir / "data" / "warehouse.duckdb"),
        DLT_PIPELINES_DIR=str(workdir / "data" / "dlt_pipelines"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
        DO_NOT_TRACK="1",
    )
    return env


def _run(cmd: list[str], workdir: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(
        cmd, cwd=workdir, env=_env(workdir), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{' '.join(cmd[:3])} failed:\n{done.stdout}\n{done.stderr}"
    return done


def test_a_new_dbt_model_appears_with_its_lineage_without_python_change(tmp_path: Path):
    work = tmp_path / "project"
    skip = shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__")
    shutil.copytree(ROOT / "dbt_project", work / "dbt_project", ignore=skip)
    shutil.copytree(ROOT / "orchestration", work / "orchestration", ignore=skip)
    python_before = {p: p.read_bytes() for p in work.rglob("*.py")}

    # the analytics engineer's whole change: one model and its YAML, no Python
    folder = work / "dbt_project" / "models" / "marts" / "people"
    (folder / f"{NEW_MODEL}.sql").write_text(NEW_MODEL_SQL)
    (folder / f"_{NEW_MODEL}__models.yml").write_text(NEW_MODEL_YML)
    assert {p: p.read_bytes() for p in work.rglob("*.py")} == python_before

    # the manifest, prepared as `make setup` prepares it
    _run(
        [str(BIN / "dagster-dbt"), "project", "prepare-and-package",
         "--file", str(work / "orchestration" / "dbt_project.py")],
        work,
    )  # fmt: skip
    manifest = json.loads((work / "dbt_project" / "target" / "manifest.json").read_text())
    assert f"model.marketing_warehouse.{NEW_MODEL}" in manifest["nodes"]

    probe = _run([sys.executable, "-c", PROBE, NEW_MODEL], work)
    seen = json.loads(probe.stdout.strip().splitlines()[-1])

    # the definitions loaded are the copy's, reading the copy's dbt project
    assert Path(seen["orchestration"]).is_relative_to(work), seen["orchestration"]
    assert Path(seen["project_dir"]) == work / "dbt_project"
    # the model is an asset keyed and grouped by its layer, downstream of what it selects from
    assert seen["found"], f"marts/{NEW_MODEL} is not in the asset graph"
    assert seen["group"] == "marts"
    assert seen["parents"] == ["marts/dim_people"]
    # lineage runs unbroken through dbt down to the dlt asset that loads the CRM
    assert "raw/hubspot/contacts" in seen["ancestors"], seen["ancestors"]
    # its dbt test is an asset check on it
    assert seen["checks"] == [f"marts/{NEW_MODEL}:not_null_{NEW_MODEL}_person_id"]
