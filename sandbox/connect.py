"""Point the sources at a running sandbox: the environment a dlt run needs.

The demo, ``make ui`` and the tests use it; a real deployment sets the same variables (or
``.dlt/secrets.toml``) for real accounts instead. How one source's settings map onto its sandbox
API is that API module's business (``source_env(world, base_url, credentials)`` in
``sandbox/apis/<name>.py``); this module only goes over the registered sources.
"""

from __future__ import annotations

from sandbox.apis import modules as api_modules
from sandbox.world import World
from warehouse.sources import enabled_env


def source_env(
    base_urls: dict[str, str], credentials: dict[str, dict[str, str]], world: World
) -> dict[str, str]:
    """``SOURCES__<SOURCE>__<SETTING>`` variables for the world's systems served by a sandbox.

    Every registered source gets ``SOURCES__<NAME>__ENABLED``: true exactly for the world's
    systems, so a run pointed at the sandbox loads exactly the sources the world has.
    """
    env: dict[str, str] = {}
    for name, module in api_modules(world.systems).items():
        if name not in base_urls:
            raise KeyError(f"no base URL for {name!r}: the sandbox does not serve it")
        env.update(module.source_env(world, base_urls[name], credentials.get(name, {})))
    env.update(enabled_env(list(world.system_names)))
    # the world's clock, for the rules that judge a record's date (dbt's `future_date`)
    env["WAREHOUSE_AS_OF"] = world.now.isoformat()
    return env
