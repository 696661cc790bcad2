"""HTTP, configuration and value helpers every source shares."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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


def parse_instant(value: Any) -> datetime | None:
    """An instant as the APIs write it: ISO-8601 with ``Z``, ``+00:00`` or ``+0000``
    (Salesforce, Marketo; Marketo's asset API also writes ``...Z+0000``); naive means UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    text = str(value)
    if text.endswith("Z+0000"):
        text = text[: -len("+0000")]
    text = text.replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"  # +0000 -> +00:00
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
