"""Vendor API shapes served by the sandbox: one module per registered source.

``warehouse/sources.yml`` names each source's module (``sandbox:``); :func:`modules` finds them.
Every module provides ``routes(ctx)``, ``credentials()`` and ``source_env(world, base_url,
credentials)`` (see :mod:`sandbox.server`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

from warehouse.sources import registry


def modules(systems: Iterable[str] | None = None) -> dict[str, ModuleType]:
    """Source name -> the sandbox module serving its API, for the registered sources among
    ``systems`` (default: every registered source), in the registry's order."""
    sources = registry()
    wanted = set(sources) if systems is None else set(systems)
    unknown = sorted(wanted - set(sources))
    if unknown:
        raise KeyError(f"unknown sources {', '.join(unknown)}: registered are {', '.join(sources)}")
    return {
        name: importlib.import_module(src.sandbox)
        for name, src in sources.items()
        if name in wanted
    }
