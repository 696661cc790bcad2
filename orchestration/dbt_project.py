"""The dbt project as Dagster sees it, in a module of its own (dagster-dbt's convention).

The manifest is prepared once, when the project is set up or its files change (`make` runs
`dbt parse` through ``prepare``), never on every load of the definitions. ``dagster dev``
re-prepares it when the code changes (``prepare_if_dev``).

Which sources are enabled (``warehouse.sources``) reaches dbt as one var per source,
``<name>_enabled``, on every command: the parse that makes the manifest (so the asset graph has
exactly the enabled sources' models) and every build. A manifest for the default sources (every
one enabled by default: all but a second CRM) lives in ``target/``; one for another set of
sources in ``target/sources-<digest>/``, prepared
when the definitions load with that set and find no manifest, or one older than the project's
files. Processes that load the definitions at once (the UI's code server, a run, the CLI, test
workers) take a file lock around that check and parse, so one parses and the others read its
finished manifest instead of parsing into the same folder at the same time.
"""

import fcntl
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from dagster_dbt import DbtProject

from warehouse.settings import dbt_project_files
from warehouse.sources import dbt_vars, default_sources

#: the dbt project beside this package (a copy of the repository finds its own)
DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
#: the dbt installed beside this interpreter, whether or not the virtualenv is on PATH
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

#: ``<name>_enabled`` for every registered source, read when the definitions load
DBT_VARS = dbt_vars()
DBT_VARS_ARG = json.dumps(DBT_VARS, sort_keys=True)
#: how the manifest is made, by ``make setup`` (dagster-dbt's preparer) and below alike
PARSE_ARGS = ["parse", "--quiet", "--vars", DBT_VARS_ARG]


def _target_path() -> str:
    if dbt_vars(default_sources()) == DBT_VARS:
        return "target"
    digest = hashlib.sha1(DBT_VARS_ARG.encode()).hexdigest()[:10]
    return f"target/sources-{digest}"


dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target_path=_target_path(),
    prepare_project_cli_args=PARSE_ARGS,
)


def _manifest_is_stale(manifest: Path) -> bool:
    """No manifest, or a project file (model, macro, seed, test, dbt_project.yml) newer."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(p.stat().st_mtime > built for p in dbt_project_files())


def prepare_manifest(manifest: Path, parse: Callable[[], None]) -> bool:
    """Parse (``parse()``) when ``manifest`` is missing or stale, holding an exclusive lock on a
    file beside it for the check and the parse: a process that waited finds the manifest the
    other made. True when this call parsed."""
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _manifest_is_stale(manifest):
            return False
        parse()
        return True


#: how many of dbt's run folders (``dbt_models-<run>/`` under the target path) are kept
#: (``DBT_RUN_FOLDERS_KEPT``)
DEFAULT_RUN_FOLDERS_KEPT = 30


def run_folders_kept() -> int:
    """``DBT_RUN_FOLDERS_KEPT``: the newest run folders kept (at least 1). dagster-dbt gives
    each run's dbt a folder of its own (compiled SQL, logs, artifacts, some 25 MB at the demo's
    size); without a bound a daily schedule fills the disk."""
    return max(1, int(os.environ.get("DBT_RUN_FOLDERS_KEPT") or DEFAULT_RUN_FOLDERS_KEPT))


def prune_run_folders(target: Path, keep: int) -> int:
    """Delete all but the `keep` newest ``dbt_models-*`` folders directly under `target` (newest
    by modification time); how many were deleted."""
    folders = [p for p in target.glob("dbt_models-*") if p.is_dir()]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    return len(folders[keep:])


def _parse() -> None:
    # a set of sources this checkout has not parsed since its files changed (``make setup``
    # parses the current one); the preparer would call whichever `dbt` is first on PATH, so
    # the parse runs here
    from dagster_dbt import DbtCliResource

    DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE).cli(
        PARSE_ARGS, target_path=dbt_project.target_path
    ).wait()


dbt_project.prepare_if_dev()
prepare_manifest(Path(dbt_project.manifest_path), _parse)
