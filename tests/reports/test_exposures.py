"""Every report page has a dbt exposure whose depends_on names the certified tables it shows."""

from __future__ import annotations

import re

import yaml

from orchestration.defs.reports import CERTIFIED_TABLES, REPORTS_DIR
from tests.support.pipeline import DBT_PROJECT_DIR

PAGES_DIR = REPORTS_DIR / "pages"


def page_url(page) -> str:
    relative = page.relative_to(PAGES_DIR).with_suffix("").as_posix()
    return "/" if relative == "index" else f"/{relative.removesuffix('/index')}"


def page_sql(page) -> str:
    """A page's text with the query files its front matter names (``queries:``)."""
    text = page.read_text()
    front = yaml.safe_load(text.split("---", 2)[1]) if text.startswith("---") else {}
    files = [q if isinstance(q, str) else next(iter(q.values())) for q in front.get("queries", [])]
    return "\n".join([text, *((REPORTS_DIR / "queries" / f).read_text() for f in files)])


def tables_read(page) -> set[str]:
    """The certified tables a page's SQL reads (``certified.<table>``), its query files too."""
    names = set(re.findall(r"\bcertified\.(\w+)", page_sql(page)))
    # the publication log records every certified table: a page on it shows all of them
    if names & {"publication_log", "publication_checks", "source_freshness"}:
        names |= set(CERTIFIED_TABLES)
    return names & set(CERTIFIED_TABLES)


def test_every_page_has_an_exposure_on_the_tables_it_reads():
    exposures = yaml.safe_load((DBT_PROJECT_DIR / "models" / "exposures.yml").read_text())
    by_url = {e["url"]: e for e in exposures["exposures"]}
    pages = sorted(PAGES_DIR.rglob("*.md"))
    assert pages, "no report pages"
    assert sorted(by_url) == sorted(page_url(p) for p in pages)
    for page in pages:
        exposure = by_url[page_url(page)]
        assert exposure["type"] == "dashboard"
        assert exposure["owner"]["name"]
        refs = {re.fullmatch(r"ref\('(\w+)'\)", d).group(1) for d in exposure["depends_on"]}
        assert refs == tables_read(page), f"{page.name}: exposure {exposure['name']}"
