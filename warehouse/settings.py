"""Paths and the warehouse switch: read by every layer, at call time, never at import time.

* ``WAREHOUSE_PATH`` (default ``data/warehouse.duckdb`` under the project): the DuckDB warehouse
  every source loads into and dbt builds in (the working copy);
* ``CERTIFIED_PATH`` (beside it, ``certified.duckdb``): the published certified tables;
* ``DLT_PIPELINES_DIR`` (beside it): dlt's state and pending loads;
* ``WAREHOUSE_MEMORY_LIMIT`` (default ``3GB``), ``WAREHOUSE_THREADS`` (default: DuckDB's, one
  per core) and ``WAREHOUSE_TEMP_DIRECTORY`` (default: DuckDB's, ``<warehouse>.tmp``): DuckDB's
  limits for every connection that writes the warehouse (dbt through its profile, the loads,
  the quarantine and the publication); see :func:`duckdb_settings`;
* ``WAREHOUSE_DBT_THREADS`` (default 2): the nodes a DuckDB ``dbt build`` runs at once (dbt's
  ``threads`` in ``dbt_project/profiles.yml``);
* ``WAREHOUSE_TARGET`` (default ``duckdb``): the one switch that chooses the warehouse for the
  loads (dlt's destination), dbt (the profile's target) and Great Expectations: ``duckdb`` or
  ``postgres`` (the portability target). Postgres is ``WAREHOUSE_POSTGRES_URL``
  (``postgresql://user:password@host:port/database``) or, when that is not set, the
  ``PGHOST``/``PGPORT``/``PGUSER``/``PGPASSWORD``/``PGDATABASE`` settings the dbt ``postgres``
  target reads, with the same defaults.

The metric settings (reporting currency and time zone, FX base, attribution defaults) have one
home: the ``vars`` of ``dbt_project/dbt_project.yml``, where dbt reads them.
:func:`metric_settings` gives them to the other layers (the Great Expectations parameters); dbt
writes the values it actually built with into ``certified.warehouse_settings``, which the
publication copies for the report pages, and whose suite refuses a build with other values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"

#: the warehouses the project runs on (``WAREHOUSE_TARGET``)
DESTINATIONS = ("duckdb", "postgres")
TARGET_SETTING = "WAREHOUSE_TARGET"


def read_yaml(path: Path) -> Any:
    """A YAML file's content, parsed as ``yaml.safe_load`` does, by libyaml where PyYAML was
    built with it: the pure-Python parser is about ten times slower, and loading the
    definitions reads some sixty files (the registry, the dbt project, every suite)."""
    return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def dbt_project_files() -> list[Path]:
    """The files a dbt parse reads from the project: ``dbt_project.yml`` and everything under
    models/, macros/, seeds/ and tests/ (what makes a parsed manifest stale)."""
    files = [DBT_PROJECT_DIR / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return files


def project_path(setting: str, default: Path) -> Path:
    """A path setting, read at call time. A relative path is taken from the project folder,
    whatever the current folder of the reader, so it names the same file for every tool (dlt,
    dbt run by Dagster, Great Expectations, the reports; dbt by hand reads it the same way from
    ``dbt_project/``, see profiles.yml)."""
    path = Path(os.environ.get(setting) or default)
    return path if path.is_absolute() else PROJECT_DIR / path


def warehouse_path() -> Path:
    """The DuckDB warehouse (``WAREHOUSE_PATH``). Read at call time, never at import time, so
    tests can point it elsewhere."""
    return project_path("WAREHOUSE_PATH", PROJECT_DIR / "data" / "warehouse.duckdb")


def certified_path() -> Path:
    """The published certified database that BI reads, beside the warehouse by default.

    dbt builds the certified tables in the warehouse (the working copy); only a run whose
    blocking checks all passed copies them here, swapping the whole file in by atomic rename.
    """
    return project_path("CERTIFIED_PATH", warehouse_path().parent / "certified.duckdb")


def pipelines_dir() -> Path:
    """dlt's working folder (state, pending packages), beside the warehouse by default."""
    return project_path("DLT_PIPELINES_DIR", warehouse_path().parent / "dlt_pipelines")


#: DuckDB's memory limit when ``WAREHOUSE_MEMORY_LIMIT`` is not set: 3 GB (2.8 GiB) for the
#: buffer pool leaves room for the rest of the process under 4 GiB (at 1M people a dbt build
#: peaked at 3.4 GiB with it, and at 4.2-4.7 GiB with 4GB; benchmarks/SCALE_RESULTS.md)
DEFAULT_MEMORY_LIMIT = "3GB"


def duckdb_settings() -> dict[str, str]:
    """DuckDB's limits for the warehouse, as ``SET`` names and values.

    ``memory_limit`` bounds DuckDB's buffer pool: beyond it, sorts, joins and aggregates spill
    to ``temp_directory`` (slower, on disk) instead of growing; an operator that cannot spill
    fails with an out-of-memory error naming the limit. ``threads`` trades speed for memory
    (each thread holds its own buffers). ``preserve_insertion_order`` is off: DuckDB may then
    write a table's rows in another order than its query produced them, which no model, check
    or reader here relies on (a table has no order; every query that needs one says
    ``order by``), and it holds fewer rows back to keep them in order (DuckDB's advice for
    large writes; at 1M people a full ``dbt build`` peaked at 4.2 GiB against 4.5 GiB and took
    228 s against 268 s). dbt's profile reads the same settings, with the same defaults
    (profiles.yml), so a model and a load see the same limits.
    """
    settings = {
        "memory_limit": os.environ.get("WAREHOUSE_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
        "preserve_insertion_order": "false",
    }
    if os.environ.get("WAREHOUSE_THREADS"):
        settings["threads"] = os.environ["WAREHOUSE_THREADS"]
    if os.environ.get("WAREHOUSE_TEMP_DIRECTORY"):
        settings["temp_directory"] = str(project_path("WAREHOUSE_TEMP_DIRECTORY", Path()))
    return settings


def apply_duckdb_settings(con: Any) -> Any:
    """Set :func:`duckdb_settings` on a DuckDB connection (the instance its file shares in this
    process); returns the connection."""
    for name, value in duckdb_settings().items():
        con.execute(f"SET {name} = '{value}'")
    return con


def warehouse_target() -> str:
    """``WAREHOUSE_TARGET`` (default ``duckdb``), read at call time."""
    name = os.environ.get(TARGET_SETTING, "").strip().lower() or "duckdb"
    if name not in DESTINATIONS:
        raise ValueError(f"{TARGET_SETTING}={name!r}: expected one of {', '.join(DESTINATIONS)}")
    return name


def postgres_url() -> str:
    """The Postgres server of the warehouse: ``WAREHOUSE_POSTGRES_URL``, else the PG* settings
    (with the defaults of the dbt ``postgres`` target)."""
    if url := os.environ.get("WAREHOUSE_POSTGRES_URL"):
        return url
    env = os.environ.get
    user = quote(env("PGUSER", "postgres"), safe="")
    password = env("PGPASSWORD", "")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host, port = env("PGHOST", "127.0.0.1"), env("PGPORT", "5432")
    database = quote(env("PGDATABASE", "marketing"), safe="")
    return f"postgresql://{auth}@{host}:{port}/{database}"


#: the dbt vars that shape every certified figure (``certified.warehouse_settings``' columns)
METRIC_SETTINGS = (
    "reporting_currency",
    "reporting_timezone",
    "fx_base_currency",
    "attribution_lookback_days",
    "time_decay_half_life_days",
    "default_attribution_model",
    "gross_margin",
)


@cache
def _dbt_project_vars() -> dict[str, Any]:
    project = read_yaml(DBT_PROJECT_DIR / "dbt_project.yml")
    return dict(project.get("vars") or {})


def dbt_var(name: str) -> str:
    """One var of ``dbt_project.yml``, as a string (a KeyError names the file when it is not
    set there)."""
    found = _dbt_project_vars()
    if name not in found:
        raise KeyError(f"dbt_project/dbt_project.yml: vars lacks {name}")
    return str(found[name])


def metric_settings() -> dict[str, str]:
    """The metric settings as dbt reads them from ``dbt_project.yml`` (every one is required
    there), as strings."""
    return {name: dbt_var(name) for name in METRIC_SETTINGS}


#: the Slack-style webhook failed runs are posted to (``orchestration/defs/alerts.py``)
WEBHOOK_SETTING = "ALERT_WEBHOOK_URL"
#: names of settings whose values are secrets
_SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE", re.IGNORECASE)


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    """`text` with the value of every setting whose name says it is a secret (``*KEY*``,
    ``*SECRET*``, ``*TOKEN*``, ``*PASSWORD*``, ...) and of the alert webhook replaced by ``***``:
    for what leaves the process (alerts) or stays in the warehouse (the publication log)."""
    environ = dict(os.environ if environ is None else environ)
    secrets = {
        value
        for name, value in environ.items()
        if (_SECRET_NAME.search(name) or name == WEBHOOK_SETTING) and len(value) >= 4
    }
    for value in sorted(secrets, key=len, reverse=True):  # a secret inside another: longest first
        text = text.replace(value, "***")
    return text


#: what any tool run as a subprocess may see of this process's environment: how to run (paths,
#: user, locale, proxies and certificates), never a source's credentials (``SOURCES__*``)
_BASE_ENV = (
    r"PATH|HOME|USER|LOGNAME|SHELL|LANG|LC_\w+|TERM|TZ|TMPDIR|TEMP|TMP|XDG_\w+|DO_NOT_TRACK"
    r"|(?:HTTPS?|NO|ALL)_PROXY|(?:https?|no|all)_proxy|SSL_CERT_FILE|SSL_CERT_DIR"
)
#: dbt's own: its settings, Python's, the warehouse the profile reads and Postgres's settings
DBT_ENV = (
    r"DBT_\w+|PYTHON\w*|VIRTUAL_ENV|MF_\w+"
    r"|WAREHOUSE_(?:PATH|TARGET|AS_OF|MEMORY_LIMIT|THREADS|DBT_THREADS|TEMP_DIRECTORY)|PG(?:HOST|PORT|USER|PASSWORD|DATABASE|SSLMODE|SSLROOTCERT)"
)
#: npm's and Evidence's own
NPM_ENV = r"NODE_\w+|NPM_CONFIG_\w+|npm_config_\w+|EVIDENCE_\w+"


def subprocess_env(own: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The part of `environ` (this process's by default) a subprocess may see: the variables
    every tool needs and those matching `own` (a regular expression of whole names)."""
    environ = os.environ if environ is None else environ
    allowed = re.compile(f"{_BASE_ENV}|{own}")
    return {k: v for k, v in environ.items() if allowed.fullmatch(k)}


@contextmanager
def only_environment(env: Mapping[str, str]) -> Iterator[None]:
    """Run the block with exactly `env` as this process's environment, then restore it: for a
    library that starts its subprocess with a copy of ``os.environ`` (dagster-dbt does)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
