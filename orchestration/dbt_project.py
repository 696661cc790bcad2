"""The dbt project as Dagster sees it, in a module of its own (dagster-dbt's convention).

The manifest is prepared once, when the project is set up or its files change (`make` runs
`dbt parse` through ``prepare``), never on every load of the definitions. ``dagster dev``
re-prepares it when the code changes (``prepare_if_dev``).
"""

from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
