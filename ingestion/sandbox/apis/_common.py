"""Helpers shared by the sandbox API modules."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def json_error(status: int, body: dict) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def stream_json_object(head: dict, list_key: str, items: Iterable, tail: dict | None = None):
    """Stream ``{**head, list_key: [items...], **tail}`` without building the whole string.

    ``tail`` may be a callable evaluated after the items were sent (e.g. paging computed while
    streaming).
    """

    def chunks() -> Iterator[bytes]:
        prefix = json.dumps(head)[:-1]
        yield (prefix + (", " if head else "") + json.dumps(list_key) + ": [").encode()
        first = True
        for item in items:
            yield (("" if first else ",") + json.dumps(item, separators=(",", ":"))).encode()
            first = False
        rest = tail() if callable(tail) else (tail or {})
        yield ("]" + "".join(f", {json.dumps(k)}: {json.dumps(v)}" for k, v in rest.items()) + "}").encode()

    return StreamingResponse(chunks(), media_type="application/json")
