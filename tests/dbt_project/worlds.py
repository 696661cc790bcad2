"""The sandbox worlds the known-answer tests compare against the ground truth.

Shared by the funnel, pipeline and spend tests so that each world is loaded and built once per
session (``built_warehouse`` caches by its arguments). The larger world loads an earlier state
first, so its final load is incremental and late updates (merged CRM duplicates, revised deals,
restated ad days) arrive as they would in production.
"""

from __future__ import annotations

from datetime import date

KNOWN_ANSWER_WORLDS = [
    {"seed": 3, "scale": 300},
    {"seed": 11, "scale": 800, "loaded_before": (date(2025, 6, 20),)},
    # the first world again, its CRM rendered by Salesforce instead of HubSpot: the same truth
    {"seed": 3, "scale": 300, "crm": "salesforce"},
]


def world_id(world: dict) -> str:
    crm = f"-{world['crm']}" if world.get("crm") else ""
    return f"seed{world['seed']}-scale{world['scale']}{crm}"
