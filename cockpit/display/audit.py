"""The audit log and the user list as an administrator reads them: what happened in words, users and org
nodes by name, each detail field named, instead of action codes and the stored JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from cockpit.core import i18n
from cockpit.display import labels, units
from cockpit.display.names import Names
from cockpit.display.tables import Col, present

LOG_COLS = (Col("at", "date"), Col("username", "user"), Col("action"), Col("detail"))
USER_COLS = (Col("username"), Col("name"), Col("role", "role"), Col("orgs"), Col("locked"))
_ORG_KEYS = {"org_id", "orgs"}
_USER_KEYS = {"username", "owner", "user"}
_CODE_KEYS = {"role": "role", "status": "action_status", "lang": "lang"}


def _value(key: str, value: Any, lang: str, names: Names) -> str:
    if isinstance(value, bool):
        return i18n.t("display.yes" if value else "display.no", lang)
    if isinstance(value, list):
        return i18n.t("display.list_sep", lang).join(_value(key, v, lang, names) for v in value)
    if key in _ORG_KEYS:
        return names.org(value)
    if key in _USER_KEYS:
        return names.user(value)
    if key in _CODE_KEYS:
        return labels.label(_CODE_KEYS[key], value, lang)
    if key == "format":
        return str(value).upper()
    code = {"kind": f"loop.sub.kind.{value}", "frequency": f"loop.sub.freq.{value}"}.get(key)
    if code in i18n.catalogue():
        return i18n.t(code, lang)
    return units.BLANK if units.missing(value) else str(value)


def detail(stored: str, lang: str, names: Names) -> str:
    """A stored detail (JSON) as "field: value; ..." in the reader's words."""
    try:
        fields = json.loads(stored or "{}")
    except ValueError:
        return str(stored)
    if not isinstance(fields, dict):
        return str(fields)
    return "; ".join(f"{_field(k, lang)}: {_value(k, v, lang, names)}" for k, v in fields.items())


def _field(key: str, lang: str) -> str:
    name = f"display.audit_field.{key}"
    return i18n.t(name, lang) if name in i18n.catalogue() else key


def action(code: str, lang: str) -> str:
    key = f"display.audit.{code}"
    return i18n.t(key, lang) if key in i18n.catalogue() else code


def log(entries: Iterable[dict[str, Any]], lang: str, names: Names) -> pd.DataFrame:
    """appstate.audit_entries() for the admin page."""
    df = pd.DataFrame(list(entries), columns=["at", "username", "action", "detail"])
    df = df.assign(
        action=[action(a, lang) for a in df.action], detail=[detail(d, lang, names) for d in df.detail]
    )
    return present(df, LOG_COLS, lang, names)


def users(rows: Iterable[Any], lang: str, names: Names) -> pd.DataFrame:
    """auth.list_users() for the admin page: display names, roles and org nodes by name."""
    yes, no = i18n.t("display.yes", lang), i18n.t("display.no", lang)
    df = pd.DataFrame(
        [
            {
                "username": u.username,
                "name": names.user(u.username),
                "role": u.role,
                "orgs": i18n.t("display.list_sep", lang).join(names.org(o) for o in u.org_ids),
                "locked": yes if u.locked() else no,
            }
            for u in rows
        ],
        columns=[c.key for c in USER_COLS],
    )
    return present(df, USER_COLS, lang, names)
