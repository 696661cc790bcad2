"""Sandbox stand-in for the fx API (to be filled in)."""

from starlette.routing import BaseRoute


def routes(ctx) -> list[BaseRoute]:
    return []
