"""Sandbox stand-in for the google_ads API (to be filled in)."""

from starlette.routing import BaseRoute


def routes(ctx) -> list[BaseRoute]:
    return []
