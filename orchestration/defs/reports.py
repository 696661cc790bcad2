"""Reports layer: the Evidence site (``reports/``) built on the published certified tables.

The site reads only the certified database file (``warehouse.settings.certified_path()``), never
the warehouse, so its asset is not in the warehouse's concurrency pool. ``npm run sources``
copies the certified tables out of that file, ``npm run build`` renders every page to static
files in ``reports/build``, which any static web server can serve.
"""

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration.defs.publish import PUBLISHED_KEY
from warehouse.settings import NPM_ENV, certified_path, subprocess_env

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"

#: the certified tables the pages show (docs/certified_tables.md)
CERTIFIED_TABLES = (
    "funnel_daily",
    "funnel_cohorts",
    "pipeline_attribution_monthly",
    "opportunity_attribution",
    "marketing_pipeline_monthly",
    "pipeline_monthly",
    "spend_daily",
    "cost_per_stage_channel_monthly",
    "cost_per_stage_campaign_monthly",
    "budget_vs_actual_monthly",
    "opportunity_velocity_monthly",
    "lead_to_booking_monthly",
    "ad_performance_daily",
    "warehouse_settings",
    "channel_labels",
)

#: what the site is built from: the publication, never the working copy dbt builds
SITE_DEPS = [PUBLISHED_KEY]

#: telemetry off for every tool npm starts (Evidence itself reads evidence.settings.json)
_QUIET_ENV = {
    "DO_NOT_TRACK": "1",
    "NPM_CONFIG_UPDATE_NOTIFIER": "false",
    "NPM_CONFIG_FUND": "false",
}


@dataclass(frozen=True)
class SiteBuild:
    site: Path
    pages: list[str]
    sources_seconds: float
    build_seconds: float


#: a line of npm's output that says which phase a step is in (Evidence's sources, vite's bundles);
#: the rest (file sizes, hints) goes to the error message only when a step fails
_PROGRESS_LINE = re.compile(r"⚠|✖|\[Processing\]|^vite v|✓ \d+ modules|✓ built in|Wrote site")


def build_site(
    certified_file: Path,
    reports_dir: Path = REPORTS_DIR,
    progress: Callable[[str], None] | None = None,
) -> SiteBuild:
    """Load the certified file into the Evidence project and build the static site.

    The build takes minutes; ``progress`` (the asset's log, the demo's console) is told each
    phase as npm reaches it, with the seconds since the step started.
    """
    say = progress or (lambda _message: None)
    certified_file = Path(certified_file).resolve()
    if not certified_file.is_file():
        raise FileNotFoundError(
            f"reports: no published certified database at {certified_file} "
            "(run the pipeline up to the publish step, or set CERTIFIED_PATH)"
        )
    if shutil.which("npm") is None:
        raise RuntimeError("reports: npm is not installed; the Evidence site needs Node.js 18+")
    if not (reports_dir / "node_modules" / "@evidence-dev" / "evidence").is_dir():
        say("reports: installing the Evidence site's Node.js packages (npm install)")
        _npm(reports_dir, ["install", "--no-audit", "--no-fund"], {}, say)
    # Evidence joins the file name onto the source's folder, so it must be relative to it
    source_dir = reports_dir / "sources" / "certified"
    env = {"EVIDENCE_SOURCE__certified__filename": os.path.relpath(certified_file, source_dir)}
    started = time.monotonic()
    say(f"reports: copying the certified tables out of {certified_file.name} (npm run sources)")
    _npm(reports_dir, ["run", "sources"], env, say)
    _write_empty_sources(reports_dir, certified_file)
    sourced = time.monotonic()
    say(f"reports: sources done in {sourced - started:.0f} s; rendering the pages (npm run build)")
    _npm(reports_dir, ["run", "build"], env, say)
    built = time.monotonic()
    site = reports_dir / "build"
    pages = site_pages(site)
    say(f"reports: {len(pages)} pages built in {built - sourced:.0f} s")
    return SiteBuild(site, pages, sourced - started, built - sourced)


def _write_empty_sources(reports_dir: Path, certified_file: Path) -> None:
    """Evidence 39 writes no Parquet file (or an empty one) for a source query with no rows,
    and its build then fails on it. A certified table is legitimately empty when the sources it
    needs are not enabled (no ad platform: no spend), so each such file is written here as a
    valid Parquet file with the query's columns and no rows, from the same query."""
    import json

    import duckdb

    data = reports_dir / ".evidence" / "template" / "static" / "data"
    manifest = data / "manifest.json"
    if not manifest.exists():
        return
    rendered = json.loads(manifest.read_text()).get("renderedFiles", {})
    with duckdb.connect(str(certified_file), read_only=True) as con:
        for source, files in rendered.items():
            for name in files:
                path = data.parent.parent / name  # names are relative to the template folder
                if path.exists() and path.stat().st_size > 8:
                    continue
                query = (reports_dir / "sources" / source / f"{path.stem}.sql").read_text()
                query = "\n".join(
                    line for line in query.splitlines() if not line.lstrip().startswith("--")
                )
                path.parent.mkdir(parents=True, exist_ok=True)
                con.execute(f"copy (select * from ({query}) limit 0) to '{path}' (format parquet)")


def site_pages(site: Path) -> list[str]:
    """The pages of a built site as URL paths: ``/``, ``/funnel``, ..."""
    pages = []
    for index in sorted(site.rglob("index.html")):
        relative = index.parent.relative_to(site).as_posix()
        if relative.split("/")[0] in {"_app", "api", "data", "explore", "settings"}:
            continue  # Evidence's own pages and assets
        pages.append("/" if relative == "." else f"/{relative}")
    return pages


def npm_env(extra: dict[str, str], environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment npm runs with: the allowed part of ours, telemetry off, and `extra`."""
    return {**subprocess_env(NPM_ENV, environ), **_QUIET_ENV, **extra}


def _npm(
    reports_dir: Path,
    args: list[str],
    env: dict[str, str],
    say: Callable[[str], None] = lambda _message: None,
) -> None:
    """Run npm, passing its phase lines to `say` as they come; all of its output is kept for
    the error message when it fails."""
    started = time.monotonic()
    lines: list[str] = []
    with subprocess.Popen(
        ["npm", *args],
        cwd=reports_dir,
        env=npm_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if _PROGRESS_LINE.search(line):
                say(f"reports: npm {args[-1]} {time.monotonic() - started:4.0f} s: {line.strip()}")
        returncode = process.wait()
    output = "".join(lines)
    # `evidence sources` reports a failed source and still exits 0
    if returncode != 0 or "Error connecting to datasource" in output:
        raise RuntimeError(f"reports: npm {' '.join(args)} failed:\n{output[-4000:]}")


@dg.asset(
    key=["reports", "site"],
    group_name="reports",
    deps=SITE_DEPS,
    kinds={"evidence"},
    description="The Evidence report pages, built as a static site in reports/build.",
)
def reports_site(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    build = build_site(certified_path(), progress=context.log.info)
    return dg.MaterializeResult(
        metadata={
            "pages": dg.MetadataValue.json(build.pages),
            "page_count": len(build.pages),
            "build_seconds": round(build.build_seconds, 1),
            "sources_seconds": round(build.sources_seconds, 1),
            "site": dg.MetadataValue.path(str(build.site)),
            "certified_file": dg.MetadataValue.path(str(certified_path())),
        }
    )


defs = dg.Definitions(assets=[reports_site])
