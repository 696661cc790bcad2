"""The report site as a person sees it: built on a published world, served over HTTP on
127.0.0.1, every page opened in headless Chromium.

Known answers: the numbers on the pages are compared with the certified file the site was built
from and with the simulator's ground truth of the world (never with what the site computed).
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import re
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.reports import REPORTS_DIR

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "reports"
CHROMIUM = Path("/usr/bin/chromium")
BROWSE = Path(__file__).with_name("browse.mjs")

#: every page of the site, one exposure each in dbt_project/models/exposures.yml
PAGES = ["/", "/ad-performance", "/budget", "/cost-per-stage", "/data-quality", "/funnel",
         "/pipeline", "/velocity"]  # fmt: skip

#: the sidebar in the order a reader uses it (each page's sidebar_position): overview first,
#: the pages of the funnel and pipeline, then cost and spend, data quality last
NAVIGATION = ["/funnel", "/pipeline", "/velocity", "/cost-per-stage", "/ad-performance",
              "/budget", "/data-quality"]  # fmt: skip

#: a choice made on the pipeline page, as a person would
FIRST_TOUCH = {"combobox": "Attribution model", "option": "first_touch"}


def _channel_labels() -> dict[str, str]:
    """channel -> the label a reader sees, as the `channels` seed writes it."""
    seed = ROOT / "dbt_project" / "seeds" / "channels.csv"
    with seed.open(newline="") as f:
        return {row["channel"]: row["label"] for row in csv.DictReader(f)}


LABELS = _channel_labels()


def rounded(value: float, places: int = 0) -> Decimal:
    """``value`` to ``places`` decimals, half away from zero, as the pages' formats round."""
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def money(value: float) -> str:
    """A number as the pages format it with ``fmt='$#,##0'`` (half away from zero)."""
    whole = rounded(value)
    return f"-${-whole:,}" if whole < 0 else f"${whole:,}"


def big_value(page: dict, title: str) -> str:
    """The value a BigValue titled ``title`` shows (the line after its title)."""
    match = re.search(rf"^{re.escape(title)}\s*\n\s*(\S+)", page["text"], re.MULTILINE)
    assert match, f"{page['path']}: no BigValue titled {title!r} in:\n{page['text'][:2000]}"
    return match.group(1)


def certified(file: Path, sql: str):
    with duckdb.connect(str(file), read_only=True) as con:
        with contextlib.suppress(duckdb.CatalogException):  # a file keeping them in "main"
            con.execute("set schema = 'certified'")
        return con.execute(sql).fetchone()


def campaign_path(key: str) -> str:
    """A campaign's page, its key escaped as the channel pages link it."""
    for char, escaped in (("%", "%25"), ("/", "%2F"), ("?", "%3F"), ("#", "%23"), (" ", "%20")):
        key = key.replace(char, escaped)
    return f"/campaigns/{key}"


@dataclass
class Drill:
    """The drill-down pages browsed: the channel credited with the most opportunities in the
    default attribution model, and its campaign (a named one) with the most opportunities;
    ``rows`` are the ground truth's default-model rows of opportunity_attribution."""

    rows: list[dict]
    channel: str
    campaign: str

    @property
    def pages(self) -> list[str]:
        return [f"/channels/{self.channel}", campaign_path(self.campaign)]


@pytest.fixture(scope="session")
def drill(published_world) -> Drill:
    from sandbox.rules import NO_CAMPAIGN

    rows = [
        r for r in published_world.truth.table("opportunity_attribution") if r["is_default_model"]
    ]
    assert rows, "no opportunity has a credit: the drill-down proves nothing"

    def most_opportunities(key: str, of: list[dict]) -> str:
        counts: dict[str, set] = {}
        for r in of:
            counts.setdefault(r[key], set()).add(r["opportunity_id"])
        return max(sorted(counts), key=lambda k: len(counts[k]))

    channel = most_opportunities("channel", rows)
    named = [r for r in rows if r["channel"] == channel and r["campaign_key"] != NO_CAMPAIGN]
    return Drill(rows, channel, most_opportunities("campaign_key", named))


@pytest.fixture(scope="session")
def browsed(site, drill, tmp_path_factory) -> dict[str, dict]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / ".gitignore").write_text("*\n")  # screenshots are never committed
    work = tmp_path_factory.mktemp("browser")
    spec = work / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "reportsDir": str(REPORTS_DIR),
                "baseUrl": site.base_url,
                # the fixed pages, and one channel and one campaign of the drill-down
                "pages": [*PAGES, *drill.pages],
                "tablePages": drill.pages,
                "screenshotDir": str(SCREENSHOTS),
                "userDataDir": str(work / "profile"),  # a fresh profile every session
                "chromium": str(CHROMIUM),
                "choices": {"/pipeline": FIRST_TOUCH},
            }
        )
    )
    result = subprocess.run(
        ["node", str(BROWSE), str(spec)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"browse.mjs failed:\n{result.stderr[-4000:]}"
    report = json.loads(result.stdout)
    assert report["outside"] == [], f"requests left 127.0.0.1: {report['outside'][:10]}"
    for page in report["pages"]:
        print(f"screenshot {page['path']}: {page.get('screenshot')}")
    return {page["path"]: page for page in report["pages"]}


def test_the_site_has_every_page(site, drill):
    """The fixed pages, a page per channel and a page per campaign credited with pipeline in
    the default model (the drill-down the pipeline page opens), as the ground truth has them."""
    channels = {f"/channels/{r['channel']}" for r in drill.rows}
    campaigns = {campaign_path(r["campaign_key"]) for r in drill.rows}
    assert len(campaigns) > len(channels) > 1
    assert sorted(site.build.pages) == sorted({*PAGES, *channels, *campaigns})
    assert site.build.build_seconds > 0


def test_the_site_build_says_what_it_does_as_it_goes(site):
    """Minutes of npm with nothing printed read as a hang: each phase is told as it starts."""
    said = "\n".join(site.progress)
    assert "npm run sources" in said
    assert "npm run build" in said
    assert re.search(r"npm build +\d+ s: vite v", said), said  # vite's bundles, with the time
    assert f"{len(site.build.pages)} pages built in" in said


def assert_no_errors(page: dict) -> None:
    path = page["path"]
    assert "error" not in page, f"{path}: {page['error']}"
    assert page["pageErrors"] == [], f"{path}: uncaught errors {page['pageErrors']}"
    assert page["consoleErrors"] == [], f"{path}: console errors {page['consoleErrors']}"
    # Evidence aborts the fetches of prerendered results it no longer needs: not a failure
    failed = [r for r in page["failedRequests"] if not r.endswith("net::ERR_ABORTED")]
    assert failed == [], f"{path}: failed requests {failed}"
    assert "Error" not in page["text"], f"{path}: an error box on the page:\n{page['text'][:3000]}"
    assert Path(page["screenshot"]).stat().st_size > 10_000


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_offline_without_errors(browsed, path):
    page = browsed[path]
    assert_no_errors(page)
    assert page["drawnCharts"] >= 1, f"{path}: no chart was drawn"
    assert page["drawnCharts"] == page["charts"], f"{path}: a chart stayed empty"


def test_overview_totals_equal_the_certified_file_and_the_truth(browsed, published_world):
    page = browsed["/"]
    file = published_world.certified_file
    pipeline, won = certified(file, "select sum(pipeline), sum(won_revenue) from pipeline_monthly")
    truth = published_world.truth.table("pipeline_monthly")
    assert pipeline == pytest.approx(sum(r["pipeline"] for r in truth), abs=1e-6)
    assert won == pytest.approx(sum(r["won_revenue"] for r in truth), abs=1e-6)
    assert big_value(page, "Total pipeline") == money(pipeline)
    assert big_value(page, "Total won revenue") == money(won)


def test_overview_defaults_to_the_last_complete_month(browsed, published_world):
    """The data runs to the latest stage entry or spend day; the month holding it is partial
    unless the data reaches its last day, so the page opens on the month before it, against
    the month before that, every change labelled; the partial month is marked."""
    file = published_world.certified_file
    (through,) = certified(
        file,
        "select greatest((select max(date) from funnel_daily),"
        " (select max(date) from spend_daily))",
    )
    first_open = (through + timedelta(days=1)).replace(day=1)
    month = (first_open - timedelta(days=1)).replace(day=1)
    previous = (month - timedelta(days=1)).replace(day=1)

    def pipeline_and_spend(m):
        (pipeline,) = certified(
            file, f"select coalesce(sum(pipeline), 0) from pipeline_monthly where month = '{m}'"
        )
        (spend,) = certified(
            file,
            "select coalesce(sum(spend), 0) from cost_per_stage_channel_monthly"
            f" where month = '{m}'",
        )
        return pipeline, spend

    (pipeline, spend), (before, _) = pipeline_and_spend(month), pipeline_and_spend(previous)
    assert before > 0, "no pipeline in the previous month: the change is not shown"
    page = browsed["/"]
    assert f"{month:%B %Y} against {previous:%B %Y}" in page["text"], page["text"][:1500]
    assert big_value(page, "Pipeline") == money(pipeline)
    assert big_value(page, "Spend") == money(spend)
    change = rounded(100 * (pipeline - before) / before, 1)
    assert f"{change:+}% vs previous period" in page["text"]
    assert "– –" not in page["text"] and "— –" not in page["text"]
    if first_open <= through:  # the data reaches into a month that is not over
        assert re.search(
            rf"partial: data to {through:%b} {through.day}, {through.year}", page["text"]
        )


def test_pipeline_page_sourced_and_influenced_equal_the_truth(browsed, published_world):
    truth = published_world.truth.table("pipeline_monthly")
    page = browsed["/pipeline"]
    sourced = sum(r["sourced_pipeline"] for r in truth)
    influenced = sum(r["influenced_pipeline"] for r in truth)
    assert big_value(page, "Marketing-sourced pipeline") == money(sourced)
    assert big_value(page, "Marketing-influenced pipeline") == money(influenced)


def test_data_quality_page_shows_the_last_publication(browsed, published_world):
    file = published_world.certified_file
    run_id, passed, failed, freshness = certified(
        file,
        "select run_id, checks_passed, checks_failed, source_freshness from publication_log "
        "where status = 'published' order by finished_at desc limit 1",
    )
    page = browsed["/data-quality"]
    assert passed > 0
    assert big_value(page, "Checks passed") == f"{passed:,}"
    assert big_value(page, "Checks failed") == f"{failed:,}"
    assert f"Run: {run_id}" in page["text"]
    for source in json.loads(freshness):
        assert re.search(rf"^{source}\t", page["text"], re.MULTILINE), f"no freshness of {source}"


def test_pipeline_page_follows_the_attribution_model_chosen(browsed, published_world):
    """Choosing first_touch in the Dropdown shows first-touch credits: for a marketing channel
    they equal its sourced pipeline (both go to the channel of the first eligible touch)."""
    page = browsed["/pipeline"]
    assert page["choiceShown"].split()[-1] == "first_touch"
    truth = published_world.truth
    by_channel: dict[str, float] = {}
    for row in truth.table("pipeline_attribution_monthly"):
        if row["attribution_model"] == "first_touch":
            channel = row["channel"]
            by_channel[channel] = by_channel.get(channel, 0) + row["attributed_pipeline"]
    sourced: dict[str, float] = {}
    for row in truth.table("marketing_pipeline_monthly"):
        sourced[row["channel"]] = sourced.get(row["channel"], 0) + row["sourced_pipeline"]
    assert by_channel["paid_search"] == pytest.approx(sourced["paid_search"], abs=1e-6)
    attributed = page["textAfterChoice"].split("Attributed pipeline\n", 1)[1]
    for channel, pipeline in by_channel.items():
        match = re.search(rf"^{LABELS[channel]}\t[^\t]+\t(\S+)", attributed, re.MULTILINE)
        assert match, f"no row for {channel} after choosing first_touch:\n{attributed[:1500]}"
        assert match.group(1) == money(pipeline), channel


def percent(value: float) -> str:
    """A ratio as the pages format it with ``fmt=pct1`` (one decimal, half away from zero)."""
    tenth = rounded(value * 100, 1)
    return f"{tenth:,}%"


def test_velocity_page_equals_the_truth(browsed, published_world):
    """Win rate, average won amount and sales cycle over every month, re-aggregated from the
    truth's month totals (won / closed, never a mean of rates)."""
    from sandbox.truth import ALL_CHANNELS

    totals = [
        r
        for r in published_world.truth.table("opportunity_velocity_monthly")
        if r["channel"] == ALL_CHANNELS
    ]
    won = sum(r["won_opportunities"] for r in totals)
    closed = sum(r["closed_opportunities"] for r in totals)
    assert won and closed > won, "the world has no won and lost deals: the test proves little"
    days = sum(
        r["avg_days_to_close_won"] * r["won_opportunities"]
        for r in totals
        if r["won_opportunities"]
    )
    page = browsed["/velocity"]
    assert big_value(page, "Win rate") == percent(won / closed)
    assert big_value(page, "Average won amount") == money(
        sum(r["won_revenue"] for r in totals) / won
    )
    assert big_value(page, "Sales cycle (days)") == f"{rounded(days / won, 1)}"
    assert (
        big_value(page, "Opportunities created") == f"{sum(r['opportunities'] for r in totals):,}"
    )


def test_velocity_page_romi_and_lead_to_booking_equal_the_truth(browsed, published_world):
    """ROMI beside ROAS per channel (all months with spend, at the build's gross margin), and
    each lead cohort's lead-to-booking rate over every channel, from the ground truth."""
    truth = published_world.truth
    margin = truth.settings.gross_margin
    labels = {c: LABELS[c] for c in ("paid_search", "paid_social", "display")}
    text = browsed["/velocity"]["text"]
    romi_table = text.split("ROMI next to ROAS", 1)[1]
    for channel, label in labels.items():
        rows = [r for r in truth.table("cost_per_stage_channel_monthly") if r["channel"] == channel]
        spend = sum(r["spend"] for r in rows)
        won = sum(r["attributed_won_revenue"] for r in rows)
        assert spend > 0, channel
        match = re.search(rf"^{label}\t(\S+)\t(\S+)\t(\S+)\t(\S+)$", romi_table, re.MULTILINE)
        assert match, f"no ROMI row for {label}:\n{romi_table[:2000]}"
        assert match.group(1) == money(spend)
        assert match.group(2) == money(won)
        assert match.group(4) == percent((won * margin - spend) / spend), label
    cohorts: dict = {}
    for r in truth.table("lead_to_booking_monthly"):
        leads_booked = cohorts.setdefault(r["cohort_month"], [0, 0])
        leads_booked[0] += r["leads"]
        leads_booked[1] += r["booked_people"]
    assert any(booked for _, booked in cohorts.values()), "no bookings: the test proves little"
    every_channel = text.split("Cohorts, all channels", 1)[1].split("Cohorts by original", 1)[0]
    for month, (leads, booked) in cohorts.items():
        row = f"{month:%b %Y}\t{leads:,}\t{booked:,}\t{percent(booked / leads)}\t"
        assert re.search(rf"^{re.escape(row)}", every_channel, re.MULTILINE), (
            f"no cohort row {row!r}:\n{every_channel[:2000]}"
        )


@pytest.mark.parametrize("path", PAGES)
def test_pages_show_channel_labels_not_keys(browsed, path):
    """A reader sees `Paid search`, never the key `paid_search` (single-word keys such as
    `email` read the same either way and are not checked)."""
    text = browsed[path]["text"]
    keys = [c for c in LABELS if "_" in c and re.search(rf"\b{c}\b", text)]
    assert not keys, f"{path}: raw channel keys on the page: {keys}"


def test_every_page_fits_1400_pixels(browsed):
    """At 1400x1000 no table or chart is wider than the column it sits in (cut off)."""
    cut = {path: page["cutOff"] for path, page in browsed.items() if page.get("cutOff")}
    assert not cut, f"cut off at 1400 px: {cut}"


def test_navigation_in_reading_order_under_the_projects_logo(browsed):
    page = browsed["/"]
    assert page["logos"] and set(page["logos"]) == {"/logo.svg"}, page["logos"]
    hrefs = [href for href, _ in page["links"] if href in NAVIGATION]
    first_seen = list(dict.fromkeys(hrefs))
    assert first_seen == NAVIGATION, first_seen


PLATFORMS = {"google_ads": "Google Ads", "meta": "Meta", "linkedin": "LinkedIn",
             "microsoft_ads": "Microsoft Ads"}  # fmt: skip


def test_ad_performance_page_equals_the_truth(browsed, published_world):
    """Impressions, clicks, CTR and CPC per platform (summed, then divided) and campaign names,
    from the ground truth's ad_performance_daily; no platform key or campaign key shown."""
    rows = published_world.truth.table("ad_performance_daily")
    text = browsed["/ad-performance"]["text"]
    by_platform: dict[str, list[float]] = {}
    for r in rows:
        sums = by_platform.setdefault(r["platform"], [0, 0, 0.0])
        sums[0] += r["impressions"]
        sums[1] += r["clicks"]
        sums[2] += r["spend"]
    assert len(by_platform) >= 2, "fewer than two platforms: the test proves little"
    table = text.split("By platform", 1)[1].split("By campaign", 1)[0]
    for platform, (impressions, clicks, spend) in by_platform.items():
        label = PLATFORMS[platform]
        ctr = rounded(clicks / impressions * 100, 2)
        cpc = rounded(spend / clicks, 2)
        row = f"{label}\t{impressions:,}\t{clicks:,}\t{ctr}%\t${cpc:,}\t"
        assert re.search(rf"^{re.escape(row)}", table, re.MULTILINE), (
            f"no row {row!r} for {platform}:\n{table[:1500]}"
        )
    biggest = max(rows, key=lambda r: r["spend"])["campaign_name"]
    assert biggest in text, f"the campaign name {biggest!r} is not on the page"
    keys = re.findall(r"\b(?:google_ads|microsoft_ads|meta|linkedin):\S+", text)
    assert not keys, f"campaign keys shown instead of names: {keys[:5]}"
    raw = [p for p in PLATFORMS if re.search(rf"\b{p}\b", text)]
    assert not raw, f"platform keys shown instead of names: {raw}"


def test_ad_performance_page_shows_each_platforms_own_conversions(browsed, published_world):
    """Conversions, their value and cost per conversion per platform, as each platform reports
    them (the ground truth's platform_conversions), and never one total across platforms."""
    rows = published_world.truth.table("ad_performance_daily")
    text = browsed["/ad-performance"]["text"]
    section = text.split("Conversions as each platform reports them", 1)[1].split("By campaign")[0]
    sums: dict[str, list[float]] = {}
    for r in rows:
        s = sums.setdefault(r["platform"], [0.0, 0.0, 0.0])
        s[0] += r["platform_conversions"]
        s[1] += r["platform_conversion_value"]
        s[2] += r["spend"]
    assert sum(1 for s in sums.values() if s[0]) >= 2, "too few converting platforms to prove"
    for platform, (conversions, value, spend) in sums.items():
        cost = f"${rounded(spend / conversions, 2):,}" if conversions else "-"
        row = (
            f"{PLATFORMS[platform]}\t{rounded(conversions, 1):,}\t{money(value)}\t{money(spend)}"
            f"\t{cost}\t"
        )
        assert re.search(rf"^{re.escape(row)}", section, re.MULTILINE), (
            f"no row {row!r} for {platform}:\n{section[:1500]}"
        )
    total = rounded(sum(s[0] for s in sums.values()), 1)
    assert f"{total:,}" not in section, "the platforms' conversions are added up into one count"


def test_data_quality_page_says_passed_and_failed_in_words(browsed):
    text = browsed["/data-quality"]["text"]
    assert "Passed" in text
    raw = re.findall(r"\b(?:true|false)\b", text)
    assert not raw, f"raw booleans on the page: {len(raw)}"


def test_pipeline_page_explains_influenced_against_total(browsed, published_world):
    truth = published_world.truth.table("pipeline_monthly")
    pipeline = sum(r["pipeline"] for r in truth)
    influenced = sum(r["influenced_pipeline"] for r in truth)
    text = browsed["/pipeline"]["text"]
    if math.isclose(pipeline, influenced):
        assert "Influenced pipeline equals the total" in text
    else:
        share = rounded(100 * influenced / pipeline, 1)
        assert f"{share}% of the pipeline had at least one" in text
    assert "Opportunity credits add up" in text


@pytest.mark.parametrize("path", PAGES)
def test_pages_show_campaign_names_not_keys(browsed, path):
    """Campaigns read by name (`gads_search_brand_us`), never as `<platform>:<id>` keys."""
    keys = re.findall(
        r"\b(?:google_ads|microsoft_ads|meta|linkedin|marketo):\d+", browsed[path]["text"]
    )
    assert not keys, f"{path}: campaign keys on the page: {sorted(set(keys))[:5]}"


def test_cost_per_stage_page_names_the_campaigns(browsed, published_world):
    rows = published_world.truth.table("cost_per_stage_campaign_monthly")
    text = browsed["/cost-per-stage"]["text"].split("By campaign", 1)[1]
    names = {r["campaign_name"] for r in rows if r["spend"] > 0}
    assert names, "no campaign with spend: the test proves little"
    shown = [n for n in names if n in text]
    assert shown, f"none of the campaigns with spend is named on the page:\n{text[:1500]}"


def test_pipeline_page_opens_on_the_default_attribution_model(browsed, published_world):
    """The model chooser starts on the dbt var default_attribution_model (the ground truth's
    setting), not on a model written into the page."""
    default = published_world.truth.settings.default_attribution_model
    text = browsed["/pipeline"]["text"]
    match = re.search(r"Attribution model\s+(\w+)", text)
    assert match, f"no attribution model chooser:\n{text[:1500]}"
    assert match.group(1) == default


def _sum_by(rows: list[dict], key: str) -> dict[str, list]:
    """key -> [opportunity ids, credit, attributed pipeline, attributed won revenue]."""
    out: dict[str, list] = {}
    for r in rows:
        sums = out.setdefault(r[key], [set(), 0.0, 0.0, 0.0])
        sums[0].add(r["opportunity_id"])
        sums[1] += r["credit"]
        sums[2] += r["attributed_pipeline"]
        sums[3] += r["attributed_won_revenue"]
    return out


def test_pipeline_page_opens_each_channel(browsed, drill):
    """Each channel credited with pipeline in the default model is a link to its own page."""
    links = set(map(tuple, browsed["/pipeline"]["links"]))
    for channel in {r["channel"] for r in drill.rows}:
        assert (f"/channels/{channel}/", LABELS[channel]) in links, channel


def test_channel_page_lists_its_campaigns_as_the_truth_has_them(browsed, drill):
    """The channel's totals and one row per campaign (opportunities, credits, pipeline and won
    revenue in the default model), each campaign by its name, linking to its page."""
    page = browsed[f"/channels/{drill.channel}"]
    assert_no_errors(page)
    rows = [r for r in drill.rows if r["channel"] == drill.channel]
    [(ids, _, pipeline, _)] = _sum_by(rows, "channel").values()
    assert LABELS[drill.channel] in page["text"]
    assert big_value(page, "Opportunities credited") == f"{len(ids):,}"
    assert big_value(page, "Attributed pipeline") == money(pipeline)
    campaigns = _sum_by(rows, "campaign_key")
    assert len(campaigns) >= 2, "one campaign only: the test proves little"
    names = {r["campaign_key"]: r["campaign_name"] for r in rows}
    links = set(map(tuple, page["links"]))
    for key, (ids, credits, pipeline, won) in campaigns.items():
        row = (
            f"{names[key]}\t{len(ids):,}\t{rounded(credits, 1):,}\t{money(pipeline)}\t{money(won)}"
        )
        assert re.search(rf"^{re.escape(row)}$", page["text"], re.MULTILINE), (
            f"no row {row!r}:\n{page['text'][:2000]}"
        )
        assert (campaign_path(key) + "/", names[key]) in links, key


def test_campaign_page_lists_its_opportunities_without_people(browsed, drill, published_world):
    """Every opportunity the campaign is credited with: its CRM id, dates, status, amount and
    the campaign's share; no email address, person's name or deal name anywhere on the page."""
    page = browsed[campaign_path(drill.campaign)]
    assert_no_errors(page)
    rows = [r for r in drill.rows if r["campaign_key"] == drill.campaign]
    assert rows[0]["campaign_name"] in page["text"]
    table = page["text"].split("Opportunities\n", 1)[-1]
    credits: dict[str, list] = {}
    for r in rows:
        credits.setdefault(r["opportunity_id"], [r, 0.0])[1] += r["credit"]
    assert len(credits) >= 2, "one opportunity only: the test proves little"
    for opportunity, (r, credit) in credits.items():
        closed = f"{r['closed_date']:%Y-%m-%d}" if r["closed_date"] else "-"
        row = (
            f"{opportunity}\t{r['created_date']:%Y-%m-%d}\t{r['status'].title()}\t{closed}"
            f"\t{money(r['amount'])}\t{percent(credit)}\t{money(credit * r['amount'])}"
        )
        assert re.search(rf"^{re.escape(row)}$", table, re.MULTILINE), (
            f"no row {row!r}:\n{table[:2000]}"
        )
    shown = len(re.findall(r"^\d+\t\d{4}-\d\d-\d\d\t", table, re.MULTILINE))
    assert shown == len(credits), "opportunities listed that the campaign has no credit of"
    text = page["text"]
    assert "@" not in text, "an email address on the campaign page"
    world = published_world.world
    people = {f"{p.first_name} {p.last_name}" for p in world.people()}
    deals = {d.name for d in world.deals()}
    assert not [n for n in people | deals if n in text], "a person or deal named on the page"


def test_drill_down_pages_show_labels_and_names_not_keys(browsed, drill):
    """The channel and campaign pages read like the others: no snake_case channel key, no
    `<platform>:<id>` campaign key (the key is only in the link's address)."""
    for path in drill.pages:
        text = browsed[path]["text"]
        channels = [c for c in LABELS if "_" in c and re.search(rf"\b{c}\b", text)]
        campaigns = re.findall(r"\b(?:google_ads|microsoft_ads|meta|linkedin|marketo):\d+", text)
        assert not channels and not campaigns, f"{path}: keys on the page: {channels, campaigns}"
