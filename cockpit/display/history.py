"""An action's history as a reader reads it: who, when, what changed in words (statuses and owners by
name), instead of usernames, kinds and the stored JSON."""

from __future__ import annotations

import json

import pandas as pd

from cockpit.core import i18n
from cockpit.display import labels, units
from cockpit.display.names import Names
from cockpit.display.tables import Col, present

COLS = (
    Col("at", "date"),
    Col("username", "user"),
    Col("kind", "action_event"),
    Col("detail"),
    Col("version", "count"),
)


def _value(field: str, value: object, lang: str, names: Names) -> str:
    if field == "status":
        return labels.label("action_status", value, lang)
    if field == "owner":
        return names.user(value)
    if field == "due_date":
        return units.day(value, lang)
    return units.BLANK if units.missing(value) else str(value)


def detail(kind: str, stored: str, lang: str, names: Names) -> str:
    """One event's stored detail (JSON) in words."""
    try:
        d = json.loads(stored or "{}")
    except ValueError:
        return str(stored)
    if kind == "created":
        return i18n.t(
            "display.history.created",
            lang,
            owner=names.user(d.get("owner")),
            due=units.day(d.get("due"), lang),
            customers=units.count(d.get("customers", 0), lang),
        )
    if kind == "comment":
        return str(d.get("text", ""))
    text = i18n.t(
        "display.history.change",
        lang,
        before=_value(kind, d.get("before"), lang, names),
        after=_value(kind, d.get("after"), lang, names),
    )
    return text + (i18n.t("display.history.reason", lang, reason=d["reason"]) if d.get("reason") else "")


def readable(history: pd.DataFrame, lang: str, names: Names) -> pd.DataFrame:
    """cockpit.state.actions.history(...) for the page: columns in words, details spelled out."""
    spelled = history.assign(detail=[detail(k, v, lang, names) for k, v in zip(history.kind, history.detail)])
    return present(spelled, COLS, lang, names)
