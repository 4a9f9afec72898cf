"""The one set of red / amber / green rules, used by the targets page, scorecards, guidance and reports.

A target is judged by its achievement against time progress (both as ratios, in working days):
- `no_target`: no target, or a zero or negative one (never a division by zero or an infinite %);
- `not_started`: no working day of the period has passed yet;
- `green`: achievement at or above time progress (on or ahead of pace), or the target already reached;
- `amber`: behind, but at AMBER_FLOOR or more of the pace (achievement >= 0.9 x time progress);
- `red`: further behind.
For a stock metric, achievement is the share of the planned increase already made when that increase is
material, else the balance against the target (cockpit.domain.targets.pace_achievement defines it).
"""

from __future__ import annotations

import math

STATUSES = ("green", "amber", "red", "no_target", "not_started")
AMBER_FLOOR = 0.9
COLOURS = {
    "green": "#2e7d32",
    "amber": "#f9a825",
    "red": "#c62828",
    "no_target": "#9e9e9e",
    "not_started": "#9e9e9e",
}
TEXT_ON = {"amber": "#1f2328"}  # the text colour on a status's colour: dark on amber, white on the others


def text_colour(status: str) -> str:
    return TEXT_ON.get(status, "#ffffff")


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x)))


def status(achievement: float | None, time_progress: float) -> str:
    """'green' | 'amber' | 'red' | 'no_target' | 'not_started' for an achievement ratio at a time progress
    ratio.

    `achievement` is None when there is no usable target (see `cockpit.domain.targets.achievement`).
    """
    if _missing(achievement):
        return "no_target"
    if time_progress <= 0:
        return "not_started"
    assert achievement is not None  # _missing() above
    if achievement >= min(time_progress, 1.0):
        return "green"
    return "amber" if achievement >= AMBER_FLOOR * time_progress else "red"
