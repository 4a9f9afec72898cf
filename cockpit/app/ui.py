"""Streamlit glue shared by the pages: the signed-in user, the sidebar filters, cached scoped queries.

Pages call `query(name, **params)`; it runs the named query through the warehouse layer with the
signed-in user's scope. The cache key holds the warehouse, the query name, the user's scope and
every parameter as plain values, because the cache is shared by all sessions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from cockpit.app import chrome
from cockpit.core import config, i18n
from cockpit.core.periods import KINDS, Period, periods_back_to
from cockpit.display import names as display_names
from cockpit.state import auth
from cockpit.warehouse.layer import (
    Scope,
    ScopeError,
    UnknownOrgError,
    Warehouse,
    WarehouseError,
    open_warehouse,
)
from cockpit.warehouse.queries import QueryError

CHANNEL_GROUPS: list[str] = ["all", "online", "remote", "offline"]
T = TypeVar("T")


def lang() -> str:
    value = st.session_state.get("lang", "zh")
    return value if value in i18n.LANGS else "zh"


def _set_lang() -> None:
    st.session_state["lang"] = st.session_state["lang_choice"]
    chrome.relabel_widgets(skip="lang_choice")  # the boxes show their choice in the new language


def language_switch() -> None:
    """The zh / English switch. The choice lives in a plain session key, so it survives the login rerun
    and pages that do not draw the switch."""
    st.session_state["lang_choice"] = lang()
    st.radio(
        tr("filter.language"),
        i18n.LANGS,
        key="lang_choice",
        horizontal=True,
        on_change=_set_lang,
        format_func=lambda x: {"zh": "中文", "en": "English"}[x],
    )


def tr(key: str, **values: object) -> str:
    return i18n.t(key, lang(), **values)


@st.cache_resource(show_spinner=False)
def _warehouse(target: str) -> Warehouse:
    return open_warehouse(target)


def open_cached(target: str) -> Warehouse:
    """The process's one Warehouse for `target`, opened on first use (the server opens it at start)."""
    return _warehouse(target)


def warehouse() -> Warehouse:
    """The warehouse, or a clear message and a stop when it cannot be opened."""
    try:
        return _warehouse(config.warehouse_target())
    except WarehouseError as e:
        st.error(tr("error.warehouse", detail=str(e)))
        st.stop()
    except Exception as e:  # an unreachable server, a bad URL
        st.error(tr("error.warehouse", detail=f"{type(e).__name__}: {str(e)[:200]}"))
        st.stop()


def require_entrypoint() -> None:
    """Send a page script that did not come through app.py (its login and navigation) back to it.

    A freshly started server treats `pages/` as old-style pages until some session has called
    st.navigation: a first request for /admin_users would run that page alone, without the login.
    Such a run switches the server to app.py's navigation and reruns: the visitor gets the login form.
    The same happens when this tab's server-side session has ended (signed out elsewhere, password changed,
    locked, removed): a page never runs on a session that app.py would refuse.
    """
    from cockpit.app import signin

    if (
        "_filters" not in st.session_state
        or not st.session_state.get("authentication_status")
        or not signin.session_alive()
    ):
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()


def current_user(fresh: bool = False) -> auth.User:
    """The signed-in user, re-read from the user store once per run: app.py asks first with `fresh`, so a
    removed or locked user is out at once, and the page's many later asks (one per query) reuse that read."""
    username = st.session_state.get("username")
    known = st.session_state.get(_RUN_USER)
    if not fresh and known is not None and known.username == username:
        return known
    try:
        user = auth.get_user(username or "")
    except auth.UserError:
        st.session_state.pop(_RUN_USER, None)
        st.session_state["authentication_status"] = None
        st.error(tr("error.no_user"))
        st.stop()
    st.session_state[_RUN_USER] = user
    return user


_RUN_USER = "_user_this_run"


def scope() -> Scope:
    return current_user().scope


# Kept as the frame itself, not pickled (st.cache_data unpickles on every read: most of a warm SICAS run's
# own time); every caller copies it (`query`) or only reads it (the sidebar's names and picker).
@st.cache_resource(show_spinner=False, ttl=3600, max_entries=2000)
def _cached_query(
    target: str, name: str, scope_key: tuple, params: tuple[tuple[str, str], ...]
) -> pd.DataFrame:
    username, role, org_ids = scope_key
    return _warehouse(target).run(name, Scope(username, role, org_ids), dict(params))


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _params_key(params: dict[str, Any]) -> tuple:
    """A query's parameters as a plain, ordered cache key."""
    return tuple(sorted((k, _plain(v)) for k, v in params.items()))


def _or_stop(read: Callable[..., T], *args: Any) -> T:
    """`read(*args)` from the warehouse; on refusal or failure, a clear message and a stop."""
    try:
        return read(*args)
    except UnknownOrgError as e:
        st.error(tr("error.unknown_org", detail=str(e)))
    except ScopeError as e:
        st.error(tr("error.scope", detail=str(e)))
    except QueryError as e:
        st.error(tr("error.query", detail=str(e)))
    except WarehouseError as e:
        st.error(tr("error.warehouse", detail=str(e)))
    st.stop()


def query(name: str, **params: Any) -> pd.DataFrame:
    """A named query for the signed-in user; on refusal or failure, a clear message and a stop."""
    warehouse()
    key = _params_key(params)
    return _or_stop(_cached_query, config.warehouse_target(), name, scope().key, key).copy()


def query_later(name: str, **params: Any) -> Callable[[], pd.DataFrame]:
    """A named query for the signed-in user, run when called (a download's data, made on click): the scope
    and parameters are taken now, so the call needs nothing from the session."""
    warehouse()
    target, scope_key = config.warehouse_target(), scope().key
    key = _params_key(params)
    return lambda: _cached_query(target, name, scope_key, key).copy()


# Shared by every session of the scope, not copied per run: a node's hundreds of insights are read once, and
# an insight's evidence (parsed when first drawn) and chart are worked out once. Pages only read them.
@st.cache_resource(show_spinner=False, ttl=600, max_entries=200)
def _insights(target: str, scope_key: tuple, org_id: str, label: str, day: dt.date) -> tuple[list, bool]:
    from cockpit.guidance import stored

    return stored.guidance(_warehouse(target), Scope(*scope_key), org_id, Period.parse(label, day))


@st.cache_resource(show_spinner=False, ttl=600, max_entries=2000)
def _evidence(key: str, language: str, _insight: Any) -> Any:
    from cockpit.charts.guidance import evidence

    return evidence(_insight, language)


def evidence(insight: Any, org_id: str, period: Period) -> Any:
    """The evidence chart of an insight of the guidance of `org_id` and `period` (see `guidance`), or None
    without one: drawn once per insight (its node, period, reader's scope and stable key) and language."""
    warehouse()
    kept = (config.warehouse_target(), scope().key, org_id, period.label, period.as_of, insight.stable_key())
    return _evidence("|".join(map(str, kept)), lang(), insight)


@st.cache_data(show_spinner=False, ttl=600, max_entries=200)
def _scorecard(
    target: str,
    scope_key: tuple,
    org_id: str,
    label: str,
    day: dt.date,
    total: int,
    elapsed: int,
    actions_stamp: int,
) -> pd.DataFrame:
    from cockpit.core.calendar import Progress
    from cockpit.domain import scorecard

    return scorecard.scores(
        _warehouse(target), Scope(*scope_key), org_id, Period.parse(label, day), Progress(total, elapsed)
    )


def scorecard_scores(org_id: str, period: Period, progress: Any) -> pd.DataFrame:
    """The scorecard of a node and period (cockpit/domain/scorecard.py), cached per warehouse, user scope,
    node and
    period, and recomputed as soon as any action changes (its follow-through indicator reads them)."""
    from cockpit.state import actions

    warehouse()
    return _scorecard(
        config.warehouse_target(),
        scope().key,
        org_id,
        period.label,
        period.as_of,
        progress.total,
        progress.elapsed,
        actions.stamp(),
    )


def guidance(org_id: str, period: Period) -> tuple[list, bool]:
    """The guidance for a node and period and whether it was read from the rows `cockpit build` stored
    (False: computed now), cached per warehouse, user scope, node and period (the cache is shared by all
    sessions, so the scope is part of the key)."""
    warehouse()
    return _insights(config.warehouse_target(), scope().key, org_id, period.label, period.as_of)


def insights(org_id: str, period: Period) -> list:
    """The guidance for a node and period (see `guidance`)."""
    return guidance(org_id, period)[0]


def insight_customers(org_id: str, as_of: dt.date, insight: Any) -> list[int]:
    """The action-list customers an insight at this node is about, reading only the first ones of its reason
    (not the node's whole list)."""
    from cockpit.state import actions

    reason = actions.reason_of(insight)
    if reason is None:
        return []
    listed = query(
        "action_customers", org_id=org_id, as_of=as_of, reason=reason, max_rows=actions.CUSTOMERS_LIMIT
    )
    return actions.customers_for(insight, listed)


def source() -> str:
    """Where the warehouse's data came from: 'demo' or 'import:NAME'."""
    info = query("warehouse_info")
    return "" if info.empty else str(info["source"].iloc[0])


def as_of() -> dt.date:
    info = query("warehouse_info")
    if info.empty:
        st.warning(tr("empty.no_warehouse_info"))
        st.stop()
    return pd.Timestamp(info["as_of"].iloc[0]).date()


def first_day() -> dt.date | None:
    """The first day with events (None without any): the period picker reaches back to its period."""
    info = query("warehouse_info")
    if info.empty or "first_date" not in info or pd.isna(info["first_date"].iloc[0]):
        return None
    return pd.Timestamp(info["first_date"].iloc[0]).date()


def org_tree() -> pd.DataFrame:
    """The org nodes the user sees: read under the scope's key (see `_nodes_key`), as the sidebar reads it, so
    the tree a server start read for the sidebar serves the pages too."""
    warehouse()
    return _or_stop(_cached_query, config.warehouse_target(), "org_tree", _nodes_key(), ()).copy()


TREE_INDENT = "\u3000"  # an ideographic space: the dropdown keeps it where it drops ordinary leading spaces
TREE_MARK = "└ "


# The sidebar's tree, as names and picker labels, is worked out once per warehouse, scope and language and
# shared by every session of that scope (read only); the user names come from the user store on each call.
@st.cache_resource(show_spinner=False, ttl=3600, max_entries=500)
def _reader(target: str, scope_key: tuple, language: str) -> display_names.Names:
    tree = _cached_query(target, "org_tree", scope_key, ())
    return display_names.from_frames(tree, _cached_query(target, "channels", scope_key, ()), language)


def _nodes_key(org_ids: tuple[str, ...] | None = None) -> tuple:
    """The scope key the sidebar's tree is read and cached under: the user's nodes only (the tree a scope
    sees does not depend on who holds it), so users of one scope share the names and picker."""
    return ("sidebar", "reader", tuple(sorted(scope().org_ids if org_ids is None else org_ids)))


def warm_sidebar(target: str, org_ids: tuple[str, ...]) -> None:
    """Work out the sidebar's names (the breadcrumbs' parents among them) and picker of a scope in every
    language, before anyone asks (server start: a bank's tree of tens of thousands of nodes takes a
    visible moment)."""
    for language in i18n.LANGS:
        _picker(target, _nodes_key(org_ids), language)


def forget_tree() -> None:
    """Drop the cached names and picker of every scope: the next run works them out again (a cold start)."""
    _reader.clear()
    _picker.clear()
    _picker_back.clear()


def forget_figures() -> None:
    """Drop every cached query answer, guidance and evidence chart (new targets, a cold start)."""
    from cockpit.app import figures

    st.cache_data.clear()
    _cached_query.clear()
    _insights.clear()
    _evidence.clear()
    figures.forget()


def names() -> display_names.Names:
    """The names of the nodes and channels the user may see, in their language (cockpit.display)."""
    warehouse()
    cached = _or_stop(_reader, config.warehouse_target(), _nodes_key(), lang())
    return dataclasses.replace(cached, users=display_names.UserNames(lang()))


def org_options(tree: pd.DataFrame, reader: display_names.Names) -> dict[str, str]:
    """The org picker's labels: indented by level under a branch mark (a tree, read top to bottom), each
    named with its parents where its name repeats, so typing any part of a path finds it."""
    top = int(tree.level.min()) if not tree.empty else 0
    return {
        o: f"{TREE_INDENT * (int(level) - top)}{TREE_MARK if level > top else ''}{reader.org(o)}"
        for o, level in zip(tree.org_id, tree.level)
    }


def _bare(label: str) -> str:
    return label.strip().lstrip(TREE_INDENT).removeprefix(TREE_MARK).strip()


@dataclasses.dataclass(frozen=True)
class Picker:
    """The org picker of one scope: the nodes it offers, their labels in one language, and every label in
    either language (without its indent and mark) back to its node."""

    ids: list[str]
    labels: dict[str, str]
    offered: frozenset[str]  # `ids` as a set: pages ask whether a node can be picked


def _pickable(target: str, scope_key: tuple) -> pd.DataFrame:
    tree = _cached_query(target, "org_tree", scope_key, ())
    return tree[(tree.level <= 3) | tree.org_id.isin(scope_key[2])]


@st.cache_resource(show_spinner=False, ttl=3600, max_entries=500)
def _picker(target: str, scope_key: tuple, language: str) -> Picker:
    pickable = _pickable(target, scope_key)
    ids = list(pickable.org_id)
    return Picker(ids, org_options(pickable, _reader(target, scope_key, language)), frozenset(ids))


@st.cache_resource(show_spinner=False, ttl=3600, max_entries=500)
def _picker_back(target: str, scope_key: tuple) -> dict[str, str]:
    """Every picker label in either language (without its indent and mark) back to its node: asked only when
    the picker hands back a label, after a language switch (both languages' names are then worked out)."""
    back: dict[str, str] = {}
    pickable = _pickable(target, scope_key)
    for other in i18n.LANGS:
        labels = org_options(pickable, _reader(target, scope_key, other))
        back.update({_bare(label): o for o, label in labels.items()})
    return back


def offered() -> frozenset[str]:
    """The nodes the sidebar's org picker offers the user: levels 0-3 and their own nodes."""
    return _or_stop(_picker, config.warehouse_target(), _nodes_key(), lang()).offered


def _home_org(tree: pd.DataFrame) -> str:
    """The user's highest visible node: their own first node."""
    own = [o for o in scope().org_ids if o in set(tree.org_id)]
    return own[0] if own else tree.org_id.iloc[0]


def _url_org(tree: pd.DataFrame) -> None:
    """Take ?org=ID from the URL once, refusing a node outside the user's scope with a message."""
    wanted = st.query_params.get("org")
    if not wanted or st.session_state.get("_url_org_seen") == wanted:
        return
    st.session_state["_url_org_seen"] = wanted
    if wanted in set(tree.org_id):
        st.session_state["f_org"] = wanted
    else:
        st.session_state["f_scope_refused"] = wanted


def _refusal(org_id: str) -> str:
    """Why the sidebar shows the user's own node instead of `org_id`, as the warehouse layer words it: a
    node that does not exist is named so only to a user who sees the whole tree (it reveals nothing there);
    everyone else hears "outside your scope" whether or not it exists."""
    try:
        warehouse().check_org(scope(), org_id)
    except UnknownOrgError:
        return tr("error.org_unknown", org=org_id[:40])
    except ScopeError:
        pass
    return tr("error.scope", detail=tr("error.org_outside", org=org_id[:40]))


def sidebar_filters() -> dict[str, Any]:
    """The shared filters (language, period, org, channel group), kept across pages in session state."""
    for key, allowed, default in (("lang", i18n.LANGS, "zh"), ("f_kind", KINDS, "month")):
        if key in st.session_state and st.session_state[key] not in allowed:
            st.session_state[key] = default
    with st.sidebar:
        language_switch()
        day = as_of()
        tree = org_tree()
        if tree.empty:
            st.warning(tr("empty.no_scope"))
            st.stop()
        _url_org(tree)
        # Labels are computed now: a format_func must not read session state later (AppTest calls it outside a
        # run).
        kind_labels = {k: tr(f"period.{k}") for k in KINDS}
        kind = st.radio(
            tr("filter.period_kind"), KINDS, key="f_kind", horizontal=True, format_func=kind_labels.get
        )
        current = Period.containing(kind, day, day)
        options = [current.shifted(-i).label for i in range(periods_back_to(kind, day, first_day()))]
        if (
            st.session_state.get("f_period") not in options
        ):  # first run, a new period type, or a crafted value
            st.session_state["f_period"] = options[0]
        label = st.selectbox(tr("filter.period"), options, key="f_period")
        picker = _or_stop(_picker, config.warehouse_target(), _nodes_key(), lang())
        ids, labels = picker.ids, picker.labels
        chosen = st.session_state.get("f_org")
        asked = chosen is not None and chosen not in picker.offered
        back = _picker_back(config.warehouse_target(), _nodes_key()) if asked else {}
        if asked and _bare(str(chosen)) in back:
            # the picker handed back its label in the other language after a language switch: not a refusal
            chosen = st.session_state["f_org"] = back[_bare(str(chosen))]
        if chosen not in picker.offered:
            if chosen is not None:  # crafted widget state or a node that left the user's scope
                st.session_state["f_scope_refused"] = str(chosen)
            st.session_state["f_org"] = _home_org(tree)
        reader = names()
        org = st.selectbox(
            tr("filter.org"),
            ids,
            key="f_org",
            format_func=lambda o: labels.get(o, o),
            placeholder=tr("filter.org_search"),
            help=tr("filter.org_help"),
        )
        st.caption(reader.org(org, full=True))  # the whole path, however narrow the box
        if st.session_state.get("f_group") not in CHANNEL_GROUPS:
            st.session_state["f_group"] = "all"
        group_labels = {g: tr(f"group.{g}") for g in CHANNEL_GROUPS}
        group = st.selectbox(
            tr("filter.channel_group"), CHANNEL_GROUPS, key="f_group", format_func=lambda g: group_labels[g]
        )
        if config.is_demo():  # demo accounts are on; say whether the data is the simulated bank too
            st.info(tr("demo.banner") if source() == "demo" else tr("demo.banner_real_data"))
    refused = st.session_state.pop("f_scope_refused", None)
    if refused:
        st.error(_refusal(refused))
    period = Period.parse(label, day)
    return {
        "period": period,
        "org_id": org,
        "org_name": reader.org(org),
        "channel_group": group,
        "as_of": day,
    }


def filters() -> dict[str, Any]:
    """The filters as set this run (the entrypoint renders them once per run before the page)."""
    require_entrypoint()
    return st.session_state["_filters"]
