"""HTTP and configuration helpers every source shares."""

from __future__ import annotations

import json
from typing import Any

from dlt.sources.helpers.requests.retry import Client


def configured_session() -> Any:
    """A requests session with dlt's retries, configured from ``[runtime]`` in config.toml.

    It retries 429 (honouring Retry-After), 5xx, connection errors and timeouts with
    exponential back-off, a bounded number of times. dlt's ``RESTClient`` would otherwise build
    its own session with dlt's built-in defaults and ignore the project's settings.
    """
    client = Client(raise_for_status=False)
    client.configure()
    return client.session


def config_list(value: Any) -> list[str]:
    """A list setting as dlt hands it over: a list, a JSON list or a comma-separated string."""
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else text.split(",")
    return [str(v).strip() for v in value if str(v).strip()]
