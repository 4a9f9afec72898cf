"""The guidance page's "make it my action" button: one insight, one open action. When the user already
has an open action from this insight the button is a link to it, with a word saying so, so a second press
opens the first action instead of making a twin (the rule itself: cockpit.state.actions.for_insight)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from cockpit.app import ui
from cockpit.state import actions as loop

ACTIONS_PAGE = "pages/actions.py"
PARAM = "action"  # the actions page opens the action this query parameter names (pages/actions.py)


def _link(action: loop.Action) -> None:
    st.page_link(ACTIONS_PAGE, label=ui.tr("loop.open", id=action.id), query_params={PARAM: str(action.id)})


def button(ins: Any, i: int, f: dict[str, Any]) -> None:
    """The button (or the link to the existing action) under the i-th insight of the page."""
    wh, user, lang = ui.warehouse(), ui.current_user(), ui.lang()
    mine = loop.for_insight(wh, user, ins, owner=user.username, org_id=f["org_id"])
    if mine is not None:
        status = ui.tr(f"loop.status.{mine.status}")
        st.caption(ui.tr("loop.exists", id=mine.id, status=status))
        _link(mine)
        return
    if not st.button(ui.tr("loop.make_action"), key=f"to_action_{i}"):
        return
    made = loop.create_from_insight(
        wh,
        user,
        ins,
        owner=user.username,
        due=f["as_of"] + loop.DEFAULT_DUE,
        customers=ui.insight_customers(f["org_id"], f["as_of"], ins),
        lang=lang,
        org_id=f["org_id"],
    )
    st.success(ui.tr("loop.created", id=made.id))
    _link(made)


def wanted(listed_ids: list[int]) -> int | None:
    """The action id the page was opened for (?action=), once, if it is one of `listed_ids`."""
    raw = st.query_params.get(PARAM)
    if raw is None:
        return None
    del st.query_params[PARAM]  # the pick is the reader's again after this run
    return int(raw) if str(raw).isdigit() and int(raw) in listed_ids else None
