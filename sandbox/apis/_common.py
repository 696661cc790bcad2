"""Helpers shared by the sandbox API modules."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from warehouse.sources import source


def source_settings(
    name: str, base_url: str, credentials: dict[str, str], **settings: str
) -> dict[str, str]:
    """The ``SOURCES__<NAME>__<SETTING>`` environment pointing source ``name``'s connector at
    the sandbox: its base URL, its credentials and any other ``settings`` (by field name)."""
    src = source(name)
    values = {"base_url": base_url, **credentials, **settings}
    return {src.setting_name(field): str(value) for field, value in values.items()}


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


#: streamed bodies are sent in chunks of about this many bytes
CHUNK_BYTES = 64_000


def json_error(status: int, body: dict) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def compact_json(item) -> str:
    """An item of a streamed list as it is sent: JSON without spaces."""
    return json.dumps(item, separators=(",", ":"))


def _object_opening(head: dict, list_key: str) -> str:
    prefix = json.dumps(head)[:-1]
    return prefix + (", " if head else "") + json.dumps(list_key) + ": ["


def _object_closing(tail: dict) -> str:
    return "]" + "".join(f", {json.dumps(k)}: {json.dumps(v)}" for k, v in tail.items()) + "}"


def stream_json_object(head: dict, list_key: str, items: Iterable, tail: dict | None = None):
    """Stream ``{**head, list_key: [items...], **tail}`` without building the whole string.

    ``tail`` may be a callable evaluated after the items were sent (e.g. paging computed while
    streaming).
    """

    def chunks() -> Iterator[bytes]:
        # Starlette sends every chunk of a sync iterator through a worker thread, which costs
        # more than making an item: items go out in chunks of about CHUNK_BYTES instead
        parts = [_object_opening(head, list_key)]
        size, separator = 0, ""
        for item in items:
            text = compact_json(item)
            parts += (separator, text)
            size += len(text)
            separator = ","
            if size >= CHUNK_BYTES:
                yield "".join(parts).encode()
                parts, size = [], 0
        rest = tail() if callable(tail) else (tail or {})
        parts.append(_object_closing(rest))
        yield "".join(parts).encode()

    return StreamingResponse(chunks(), media_type="application/json")


def json_object_of_serialized(head: dict, list_key: str, items: list[bytes], tail: dict):
    """``{**head, list_key: [items...], **tail}`` of items already serialized
    (:func:`compact_json`), byte for byte what :func:`stream_json_object` sends for them."""
    body = b"".join(
        (
            _object_opening(head, list_key).encode(),
            b",".join(items),
            _object_closing(tail).encode(),
        )
    )
    return Response(body, media_type="application/json")


# --- time formats --------------------------------------------------------------------------------


def iso_ms(dt: datetime | None) -> str | None:
    """HubSpot's shape: ``2025-01-02T03:04:05.000Z`` (UTC, milliseconds, Z)."""
    if dt is None:
        return None
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def iso_s(dt: datetime | None) -> str | None:
    """Marketo's shape: ``2025-01-02T03:04:05Z`` (UTC, seconds, Z)."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> datetime:
    """An instant given as ms since the epoch, or ISO-8601 (``Z``/offset/naive=UTC, date only)."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":" and "T" in text:
        text = text[:-2] + ":" + text[-2:]  # -0800 -> -08:00
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def epoch_ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def first_company_starting_at_or_after(world, t: datetime) -> int:
    """The smallest k (<= world.company_count()) whose first moment is at or after ``t``.

    Company starts grow with k, so companies ``[first_company_active_since(lo), this(hi))`` hold
    every event in ``[lo, hi)``.
    """
    lo, hi = 0, world.company_count()
    while lo < hi:
        mid = (lo + hi) // 2
        if world.company_start(mid) < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


def short_hash(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")
