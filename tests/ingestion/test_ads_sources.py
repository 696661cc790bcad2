"""The ad platform sources against the sandbox: Google Ads, Meta, LinkedIn, Microsoft Ads.

Loaded tables equal the world's campaign-days, a later run re-pulls only the lookback window and
takes the restated values, transport faults and repeated records change nothing, a changed type
fails naming the table and column, and a bad credential fails at once without leaking it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.destination import pipeline
from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.world import World
from warehouse.sources import source as registry_source

WORLD = World(seed=3, scale=300, start=date(2025, 1, 1), end=date(2025, 3, 1))
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Platform:
    name: str
    ids_setting: str  # the setting holding the account ids
    table: str  # the daily table
    #: (account, campaign, date, impressions, clicks, cost, currency, conversions, conversion
    #: value) per loaded row
    sql: str
    date_column: str
    campaigns_sql: str | None  # campaign ids loaded, if the source has a campaigns table
    cost_in_micros: bool = False
    secret: str = "access_token"  # the credential the wrong-credential test breaks


PLATFORMS = {
    p.name: p
    for p in (
        Platform(
            "google_ads",
            "CUSTOMER_IDS",
            "campaign_daily",
            "select customer_id, campaign_id, date, impressions, clicks, cost_micros,"
            " currency_code, conversions, conversions_value from raw_google_ads.campaign_daily",
            "date",
            "select campaign_id from raw_google_ads.campaigns",
            cost_in_micros=True,
        ),
        Platform(
            "meta",
            "ACCOUNT_IDS",
            "campaign_insights_daily",
            "select d.account_id, d.campaign_id, d.date_start, d.impressions, d.clicks, d.spend,"
            " d.account_currency, a.value, v.value from raw_meta.campaign_insights_daily d"
            " left join raw_meta.campaign_insights_daily__actions a on a._dlt_parent_id = d._dlt_id"
            "  and a.action_type = 'offsite_conversion.fb_pixel_lead'"
            " left join raw_meta.campaign_insights_daily__action_values v"
            "  on v._dlt_parent_id = d._dlt_id and v.action_type = a.action_type",
            "date_start",
            "select id from raw_meta.campaigns",
        ),
        Platform(
            "linkedin",
            "ACCOUNT_IDS",
            "campaign_analytics_daily",
            "select account_id, campaign_id, date, impressions, clicks, cost_in_local_currency,"
            " currency, external_website_conversions, conversion_value_in_local_currency"
            " from raw_linkedin.campaign_analytics_daily",
            "date",
            "select id from raw_linkedin.campaigns",
        ),
        Platform(
            "microsoft_ads",
            "ACCOUNT_IDS",
            "campaign_performance_daily",
            "select account_id, campaign_id, date, impressions, clicks, spend, currency_code,"
            " conversions, revenue from raw_microsoft_ads.campaign_performance_daily",
            "date",
            None,
            secret="developer_token",
        ),
    )
}
#: small pages so that paging (and repeated records across pages) is exercised
SOURCE_ARGS = {"meta": {"page_size": 40}, "linkedin": {"page_size": 2}}


def connect(server: SandboxServer, monkeypatch, name: str, **override: str) -> None:
    prefix = f"SOURCES__{name.upper()}__"
    monkeypatch.setenv(prefix + "BASE_URL", server.base_urls[name])
    for key, value in {**server.credentials[name], **override}.items():
        monkeypatch.setenv(prefix + key.upper(), value)
    ids = [a.account_id for a in server.world.ad_accounts if a.platform == name]
    monkeypatch.setenv(prefix + PLATFORMS[name].ids_setting, str(ids).replace("'", '"'))


def run(name: str) -> None:
    source = registry_source(name).dlt_source()
    pipeline(name).run(source(**SOURCE_ARGS.get(name, {})))


def rows(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def loaded(path, platform: Platform) -> list[tuple]:
    out = []
    for account, campaign, day, impressions, clicks, cost, currency, conv, value in rows(
        path, platform.sql
    ):
        cost = int(cost) if platform.cost_in_micros else Decimal(cost).quantize(CENT)
        conv, value = (Decimal(str(x or 0)).quantize(CENT) for x in (conv, value))
        out.append(
            (account, campaign, day.isoformat(), impressions, clicks, cost, currency, conv, value)
        )
    return sorted(out)


def expected(world: World, platform: Platform) -> list[tuple]:
    """The world's campaign-days as the platform reports them (sorted, duplicates kept)."""
    out = []
    for d in world.all_ad_days():
        c = d.campaign
        if c.platform != platform.name:
            continue
        account = world.account(c.account_id)
        cost = round(d.cost * 1_000_000) if platform.cost_in_micros else Decimal(f"{d.cost:.2f}")
        account_id = c.account_id.removeprefix("act_")
        day, currency = d.day.isoformat(), account.currency
        conv = Decimal(f"{d.conversions:.2f}")
        value = Decimal(f"{d.conversion_value:.2f}")
        out.append(
            (account_id, c.campaign_id, day, d.impressions, d.clicks, cost, currency, conv, value)
        )
    return sorted(out)


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_loads_the_world_then_only_the_window_with_restatements(name, warehouse, monkeypatch):
    platform = PLATFORMS[name]
    with SandboxServer(WORLD) as server:
        connect(server, monkeypatch, name)
        run(name)
        assert loaded(warehouse, platform) == expected(server.world, platform)
        if platform.campaigns_sql:
            campaigns = sorted(r[0] for r in rows(warehouse, platform.campaigns_sql))
            world_ids = sorted(c.campaign_id for c in WORLD.ad_campaigns if c.platform == name)
            assert campaigns == world_ids
        table, day = f"raw_{name}.{platform.table}", platform.date_column
        first_last = rows(warehouse, f"select max({day}) from {table}")[0][0]
        before = {r[:3]: r for r in loaded(warehouse, platform)}

        server.advance(5)
        run(name)
        after = loaded(warehouse, platform)
        assert after == expected(server.world, platform)  # no duplicates, restated days updated
        restated = [r for r in after if r[:3] in before and before[r[:3]] != r]
        assert restated, "the advanced world restates its last days; the reload must show it"

        # only the lookback window (7 days before the last loaded day) was loaded again
        second_load, window_start = rows(
            warehouse,
            f"select max(_dlt_load_id), min({day}) from {table}"
            f" where _dlt_load_id = (select max(_dlt_load_id) from {table})",
        )[0]
        assert second_load and window_start >= first_last - timedelta(days=7)
        untouched = rows(
            warehouse,
            f"select count(*) from {table} where _dlt_load_id < '{second_load}'",
        )[0][0]
        assert untouched > 0


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_transport_faults_and_repeated_records_change_nothing(name, warehouse, monkeypatch):
    platform = PLATFORMS[name]
    faults = FaultPlan(
        rate_limit_every=3,
        server_error_every=4,
        retry_after_seconds=1,
        duplicate_across_pages=True,
        new_property=True,
    )
    with SandboxServer(WORLD, faults=faults) as server:
        connect(server, monkeypatch, name)
        run(name)
        assert server.ctx.injector.injected, "the plan injected no fault; the test proves nothing"
        assert loaded(warehouse, platform) == expected(server.world, platform)


def test_new_property_becomes_a_column(warehouse, monkeypatch):
    with SandboxServer(WORLD, faults=FaultPlan(new_property=True)) as server:
        connect(server, monkeypatch, "meta")
        run("meta")
    columns = {r[0] for r in rows(warehouse, "describe raw_meta.campaign_insights_daily")}
    assert "inline_link_clicks" in columns


def test_changed_type_that_does_not_fit_fails_naming_table_and_column(warehouse, monkeypatch):
    """Microsoft writes one row's Impressions as "43.0": text where an integer was."""
    with SandboxServer(WORLD, faults=FaultPlan(changed_type=True)) as server:
        connect(server, monkeypatch, "microsoft_ads")
        with pytest.raises(PipelineStepFailed) as failed:
            run("microsoft_ads")
    message = str(failed.value)
    assert "campaign_performance_daily" in message and "impressions" in message
    assert "data_type" in message and "freeze" in message


@pytest.mark.parametrize("name", ["google_ads", "meta", "linkedin"])
def test_lossless_type_changes_are_read_as_the_vendor_means_them(name, warehouse, monkeypatch):
    """Google's costMicros and Meta's spend as JSON numbers, LinkedIn's clicks as a string."""
    platform = PLATFORMS[name]
    with SandboxServer(WORLD, faults=FaultPlan(changed_type=True)) as server:
        connect(server, monkeypatch, name)
        run(name)
        assert loaded(warehouse, platform) == expected(server.world, platform)


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_a_wrong_credential_fails_at_once_naming_the_setting_never_the_secret(
    name, warehouse, monkeypatch, caplog
):
    platform = PLATFORMS[name]
    wrong = f"wrong-{platform.secret}-0123456789abcdef"
    setting = f"SOURCES__{name.upper()}__{platform.secret.upper()}"
    caplog.set_level(logging.DEBUG)
    with SandboxServer(WORLD, faults=FaultPlan(rate_limit_every=3)) as server:
        connect(server, monkeypatch, name, **{platform.secret: wrong})
        started = time.monotonic()
        with pytest.raises(PipelineStepFailed) as failed:
            run(name)
        elapsed = time.monotonic() - started
        secrets = [wrong, *server.credentials[name].values()]
    message = str(failed.value)
    assert f"{name}:" in message and setting in message
    assert elapsed < 6, "a rejected credential must not be retried"
    trace = str(pipeline(name).last_trace)
    for secret in secrets:
        assert secret not in message
        assert secret not in caplog.text
        assert secret not in trace


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_a_missing_credential_names_the_setting(name, warehouse, monkeypatch):
    platform = PLATFORMS[name]
    for key in ("ACCESS_TOKEN", "DEVELOPER_TOKEN"):
        monkeypatch.delenv(f"SOURCES__{name.upper()}__{key}", raising=False)
    monkeypatch.setenv(f"SOURCES__{name.upper()}__{platform.ids_setting}", '["1"]')
    source = registry_source(name).dlt_source()
    with pytest.raises(ConfigFieldMissingException) as missing:
        source()
    assert f"SOURCES__{name.upper()}__ACCESS_TOKEN" in str(missing.value)
