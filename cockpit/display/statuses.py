"""Why a metric is red or amber, in one line: its pace against the time gone, with the figures."""

from __future__ import annotations

from typing import Any

from cockpit.core import i18n
from cockpit.display import labels, units
from cockpit.domain import metrics
from cockpit.domain.status import AMBER_FLOOR


def why(row: Any, time_progress: float, lang: str = "zh") -> str:
    """One line for a targets.table row: the metric, its pace against the time gone and the rule it
    broke, with the actual and the target."""
    m = metrics.get(row.metric)
    return i18n.t(
        f"display.why.{row.status}",
        lang,
        metric=m.name(lang),
        pace=units.rate(row.pace, lang),
        progress=units.rate(time_progress, lang),
        floor=units.rate(AMBER_FLOOR, lang),
        actual=m.fmt(row.actual, lang),
        target=m.fmt(row.target, lang),
    )


def reasons(table: Any, time_progress: float, lang: str = "zh") -> list[str]:
    """For each row of a targets.table frame, why it is red or amber (`why`), or nothing when it is not."""
    return [why(r, time_progress, lang) if r.status in ("red", "amber") else "" for r in table.itertuples()]


def status_label(status: str, lang: str = "zh") -> str:
    return labels.label("status", status, lang)
