"""The bank's codes by name in the reader's language: segments, lifecycle states, SICAS stages, insight
types, severities, audiences, statuses, channel groups, referral routes, roles. An unknown code reads as
itself (never as an empty cell), so a new code shows up instead of vanishing."""

from __future__ import annotations

from cockpit.core import i18n
from cockpit.display.units import BLANK, missing
from cockpit.domain import metrics, sicas

_STAGE_KEYS = {s.code: s.key for s in sicas.STAGES} | {s.key: s.key for s in sicas.STAGES}
_KEYS = {
    "segment": "guidance.segment.{}",
    "lifecycle": "channels.state.{}",
    "insight_type": "guidance.{}.title",
    "severity": "guidance.severity.{}",
    "audience": "guidance.audience.{}",
    "status": "report.status.{}",
    "group": "group.{}",
    "role": "role.{}",
    "relation": "report.relation.{}",
    "action_status": "loop.status.{}",
    "action_event": "loop.event.{}",
    "lang": "display.lang.{}",
    "event_type": "display.event.{}",
    "mapping": "display.mapping.{}",
}
KINDS = (*_KEYS, "stage", "route", "metric")


def label(kind: str, code: object, lang: str = "zh") -> str:
    """The name of `code` of that kind (see KINDS); a blank reads as a dash."""
    if missing(code):
        return BLANK
    text = str(code)
    if kind == "stage":
        key = _STAGE_KEYS.get(text)
        return i18n.t(f"sicas.stage.{key}", lang) if key else text
    if kind == "metric":
        try:
            return metrics.get(text).name(lang)
        except metrics.MetricError:
            return text
    if kind == "route":
        return " → ".join(label("group", part.strip(), lang) for part in text.replace("→", ">").split(">"))
    key = _KEYS[kind].format(int(code) if kind == "severity" else text)  # type: ignore[call-overload]
    return i18n.t(key, lang) if key in i18n.catalogue() else text
