"""When things run: a daily run of everything, a frequent ad-spend refresh, freshness checks.

* ``daily_pipeline`` (06:00 UTC): every load, dbt, the checks, the publication, the reports.
* ``ad_spend_refresh`` (every 4 hours): the enabled sources whose registry entry says
  ``schedule: ad_spend`` (the ad platforms and FX rates), and everything downstream of them
  (spend models, the certified tables that use spend, publication, reports), so pacing against
  budget is at most a few hours old during the day.
* Retries: a step that fails is retried up to 3 times with exponential backoff (30 s, 60 s,
  120 s) before the run fails; the sources already retry HTTP errors themselves
  (``.dlt/config.toml``), so this covers what is left: a dropped connection, a locked file.
* Freshness: every raw asset warns when it has not been loaded for 30 hours, and the publication
  warns when readers have had no new one for 30 hours, so a stuck schedule is visible in the UI.

Scheduled runs go through the same Dagster instance and so through the same concurrency pool
(``duckdb_warehouse``, limit 1 in ``dagster_home/dagster.yaml``): one step writes the warehouse
at a time, whatever started it. Schedules and the freshness sensor need the daemon, which
``make ui`` (``dagster dev``) starts.
"""

from datetime import timedelta

import dagster as dg

from orchestration.defs.ingestion import ENABLED
from orchestration.defs.publish import PUBLISHED_KEY
from warehouse.sources import source

#: the enabled sources refreshed every 4 hours as well as daily
AD_SPEND_SOURCES = [name for name in ENABLED if source(name).schedule == "ad_spend"]
STALE_AFTER = timedelta(hours=30)

RETRIES = dg.RetryPolicy(max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL)

daily_pipeline = dg.define_asset_job(
    "daily_pipeline",
    selection=dg.AssetSelection.all(),
    description="Every load, dbt model, check, the publication and the reports.",
    op_retry_policy=RETRIES,
)

jobs = [daily_pipeline]
schedules = [
    dg.ScheduleDefinition(job=daily_pipeline, cron_schedule="0 6 * * *", execution_timezone="UTC"),
]
if AD_SPEND_SOURCES:  # a team with no ad platform and no FX feed has nothing to refresh
    ad_spend_refresh = dg.define_asset_job(
        "ad_spend_refresh",
        selection=dg.AssetSelection.groups(
            *(source(name).group for name in AD_SPEND_SOURCES)
        ).downstream(),
        description="The ad platforms and FX rates, and everything downstream of them.",
        op_retry_policy=RETRIES,
    )
    jobs.append(ad_spend_refresh)
    schedules.append(
        dg.ScheduleDefinition(
            job=ad_spend_refresh, cron_schedule="0 */4 * * *", execution_timezone="UTC"
        )
    )


def _raw_keys() -> list[dg.AssetKey]:
    from orchestration.defs.ingestion import defs as ingestion

    return sorted(key for assets in ingestion.assets or [] for key in assets.keys)


freshness_checks = dg.build_last_update_freshness_checks(
    assets=[*_raw_keys(), PUBLISHED_KEY], lower_bound_delta=STALE_AFTER
)
freshness_sensor = dg.build_sensor_for_freshness_checks(freshness_checks=freshness_checks)

defs = dg.Definitions(
    jobs=jobs,
    schedules=schedules,
    asset_checks=freshness_checks,
    sensors=[freshness_sensor],
)
