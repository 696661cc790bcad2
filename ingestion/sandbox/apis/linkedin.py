"""Sandbox stand-in for the linkedin API (to be filled in)."""

from starlette.routing import BaseRoute


def routes(ctx) -> list[BaseRoute]:
    return []
