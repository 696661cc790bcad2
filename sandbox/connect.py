"""Point every source at a running sandbox: the environment a dlt run needs.

This is the one place that knows how the sources' settings map onto a sandbox server. The demo,
``make ui`` and the tests use it; a real deployment sets the same variables (or
``.dlt/secrets.toml``) for real accounts instead.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sandbox.world import World

#: per source, the config setting holding its account ids, and how to read them off the world
ACCOUNT_SETTINGS = {
    "google_ads": ("CUSTOMER_IDS", "google_ads"),
    "meta": ("ACCOUNT_IDS", "meta"),
    "linkedin": ("ACCOUNT_IDS", "linkedin"),
    "microsoft_ads": ("ACCOUNT_IDS", "microsoft_ads"),
}


def source_env(
    base_urls: dict[str, str], credentials: dict[str, dict[str, str]], world: World
) -> dict[str, str]:
    """``SOURCES__<SOURCE>__<SETTING>`` variables for every source served by the sandbox."""
    env: dict[str, str] = {}
    for api, url in base_urls.items():
        env[f"SOURCES__{api.upper()}__BASE_URL"] = url
    for api, secrets in credentials.items():
        for key, value in secrets.items():
            env[f"SOURCES__{api.upper()}__{key.upper()}"] = value
    for api, (setting, platform) in ACCOUNT_SETTINGS.items():
        ids = [a.account_id for a in world.ad_accounts if a.platform == platform]
        env[f"SOURCES__{api.upper()}__{setting}"] = json.dumps(ids)
        # campaigns of the world may start up to three weeks before it does
        env[f"SOURCES__{api.upper()}__START_DATE"] = (world.start - timedelta(days=30)).isoformat()
    # rates from before the first spend day, so that every day has a rate on or before it
    env["SOURCES__FX__START_DATE"] = (world.start - timedelta(days=40)).isoformat()
    # the world's clock, for the rules that judge a record's date (dbt's `future_date`)
    env["WAREHOUSE_AS_OF"] = world.now.isoformat()
    return env
