"""Pure multi-touch attribution, exactly as METRICS.md defines it.

Input: an opportunity's touches as ``(touch_id, touched_at, channel, campaign_key)``, its
``created_at``, the lead-creation instant used by ``w_shaped`` and the settings (lookback and
half-life). Output: one :class:`Credit` per eligible touch and model (zero credits included), or
one ``unattributed`` credit of 1 per model when no touch is eligible. Credits of one opportunity
in one model sum to 1 (up to float rounding).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sandbox.rules import NO_CAMPAIGN, UNATTRIBUTED, Settings

MODELS: tuple[str, ...] = (
    "first_touch",
    "last_touch",
    "linear",
    "position_based",
    "w_shaped",
    "time_decay",
)


@dataclass(frozen=True)
class AttributionTouch:
    touch_id: str
    touched_at: datetime
    channel: str
    campaign_key: str


@dataclass(frozen=True)
class Credit:
    model: str
    touch_id: str | None  # None: the unattributed credit
    touched_at: datetime | None
    channel: str
    campaign_key: str
    credit: float


def _as_touch(t: AttributionTouch | Sequence) -> AttributionTouch:
    if isinstance(t, AttributionTouch):
        return t
    touch_id, touched_at, channel, campaign = t
    return AttributionTouch(touch_id, touched_at, channel, campaign or NO_CAMPAIGN)


def eligible_touches(
    touches: Iterable[AttributionTouch | Sequence], created_at: datetime, lookback_days: float
) -> list[AttributionTouch]:
    """Touches with created_at - lookback <= touched_at <= created_at, by (time, touch id)."""
    earliest = created_at - timedelta(days=lookback_days)
    out = [t for t in map(_as_touch, touches) if earliest <= t.touched_at <= created_at]
    out.sort(key=lambda t: (t.touched_at, t.touch_id))
    return out


def lead_touch_index(touches: Sequence[AttributionTouch], lead_at: datetime | None) -> int:
    """Index of the last eligible touch at or before ``lead_at``; 0 when there is none."""
    index = 0
    if lead_at is None:
        return index
    for i, t in enumerate(touches):
        if t.touched_at <= lead_at:
            index = i
        else:
            break
    return index


def model_weights(
    model: str,
    touches: Sequence[AttributionTouch],
    created_at: datetime,
    lead_index: int,
    half_life_days: float,
) -> list[float]:
    """Credits of ``touches`` (eligible, ordered, n >= 1) in one model."""
    n = len(touches)
    if n == 0:
        raise ValueError("model_weights needs at least one touch")
    if model == "first_touch":
        return [1.0] + [0.0] * (n - 1)
    if model == "last_touch":
        return [0.0] * (n - 1) + [1.0]
    if model == "linear":
        return [1.0 / n] * n
    if model == "position_based":
        if n == 1:
            return [1.0]
        if n == 2:
            return [0.5, 0.5]
        middle = 0.2 / (n - 2)
        return [0.4] + [middle] * (n - 2) + [0.4]
    if model == "w_shaped":
        if n == 1:
            return [1.0]
        weights = [0.0] * n
        for role in (0, lead_index, n - 1):
            weights[role] += 0.3
        holders = {0, lead_index, n - 1}
        others = [i for i in range(n) if i not in holders]
        share_with = others if others else sorted(holders)
        for i in share_with:
            weights[i] += 0.1 / len(share_with)
        return weights
    if model == "time_decay":
        raw = [
            2.0 ** (-((created_at - t.touched_at).total_seconds() / 86_400) / half_life_days)
            for t in touches
        ]
        total = sum(raw)
        return [w / total for w in raw]
    raise ValueError(f"unknown attribution model {model!r}")


def attribute(
    touches: Iterable[AttributionTouch | Sequence],
    created_at: datetime,
    lead_at: datetime | None,
    settings: Settings | None = None,
    models: Sequence[str] = MODELS,
) -> list[Credit]:
    """Every model's credits for one opportunity (see the module docstring)."""
    settings = settings or Settings()
    half_life_days = settings.time_decay_half_life_days
    eligible = eligible_touches(touches, created_at, settings.attribution_lookback_days)
    out: list[Credit] = []
    if not eligible:
        for model in models:
            out.append(Credit(model, None, None, UNATTRIBUTED, NO_CAMPAIGN, 1.0))
        return out
    lead_index = lead_touch_index(eligible, lead_at)
    for model in models:
        weights = model_weights(model, eligible, created_at, lead_index, half_life_days)
        for t, w in zip(eligible, weights, strict=True):
            out.append(Credit(model, t.touch_id, t.touched_at, t.channel, t.campaign_key, w))
    return out
