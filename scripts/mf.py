"""`make mf ARGS="query --metrics cpl --group-by metric_time__month,channel"`: MetricFlow on the
published certified file, never on the working warehouse.

``mf`` connects with the dbt profile's default target and reads the semantic manifest at
``<dbt project>/target/semantic_manifest.json``, which names each semantic model's table
``"<catalog>"."<schema>"."<table>"``. Here both name the publication:

* ``DBT_TARGET=published`` picks the profile's ``published`` output: ``CERTIFIED_PATH``
  (``warehouse.settings.certified_path()``) opened read-only, whose catalog DuckDB names after
  the file (``certified`` for ``certified.duckdb``);
* ``dbt parse`` with that target names every certified model ``"<catalog>"."main"."<table>"``
  (``macros/generate_schema_name.sql``): where the publication copied it.

A semantic model over a table that is not published, or a manifest parsed for the working
warehouse, names a table the published file does not have, so ``mf`` fails: it cannot fall back
on the working warehouse. The parse writes into a folder of its own,
``dbt_project/target/published/`` (a project folder whose entries link to the real one's, with
its own ``target/``), and so never overwrites the manifest Dagster reads in ``dbt_project/target/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from warehouse.settings import DBT_PROJECT_DIR, certified_path  # noqa: E402
from warehouse.sources import dbt_vars  # noqa: E402

#: the output of dbt_project/profiles.yml that opens the published file
TARGET = "published"
#: what the project folder links to in dbt_project/
PROJECT_ENTRIES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "snapshots",
                   "tests", "analyses")  # fmt: skip
BIN = Path(sys.executable).parent


def published_project(folder: Path | None = None) -> Path:
    """A dbt project folder (``dbt_project/target/published`` by default) whose entries link to
    dbt_project's, for the published target's artifacts (``<folder>/target``)."""
    folder = Path(folder or DBT_PROJECT_DIR / "target" / TARGET)
    folder.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_ENTRIES:
        link, entry = folder / name, DBT_PROJECT_DIR / name
        if link.is_symlink() and link.readlink() != entry:
            link.unlink()  # left by a copy of the project that has moved
        if entry.exists() and not link.is_symlink():
            link.symlink_to(entry)
    return folder


def environment(project: Path, certified: Path | None = None) -> dict[str, str]:
    """The environment of ``dbt parse`` and ``mf`` in ``project`` on the published file
    (``certified``, by default ``certified_path()``)."""
    return {
        **os.environ,
        "DBT_TARGET": TARGET,
        "CERTIFIED_PATH": str(Path(certified or certified_path()).resolve()),
        "DBT_PROFILES_DIR": str(project),
        "DBT_PROJECT_DIR": str(project),
        "DBT_LOG_PATH": str(project / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "MF_SEND_ANONYMOUS_USAGE_STATS": "False",
    }


def parse(project: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess:
    """``dbt parse`` for the published target: ``<project>/target/semantic_manifest.json``."""
    command = [
        str(BIN / "dbt"), "parse", "--quiet", "--vars", json.dumps(dbt_vars(), sort_keys=True),
        "--project-dir", str(project), "--profiles-dir", str(project), "--target", TARGET,
        "--target-path", str(project / "target"), "--log-path", str(project / "logs"),
    ]  # fmt: skip
    return subprocess.run(command, env=env, cwd=project, capture_output=True, text=True)


def main(argv: list[str]) -> int:
    certified = certified_path().resolve()
    if not certified.exists():
        print(f"no publication at {certified}: run the pipeline first (make demo)", file=sys.stderr)
        return 1
    project = published_project()
    env = environment(project, certified)
    parsed = parse(project, env)
    if parsed.returncode != 0:
        print(parsed.stdout, parsed.stderr, sep="\n", file=sys.stderr)
        return parsed.returncode
    return subprocess.run([str(BIN / "mf"), *argv], env=env, cwd=project).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
