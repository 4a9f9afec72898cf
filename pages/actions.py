"""Actions: my actions and my team's, turning an insight into an action, updating it, and what
followed."""

import datetime as dt

import streamlit as st

from cockpit.app import insight_action, ui
from cockpit.charts.loop import outcome_bars
from cockpit.core import i18n
from cockpit.display import history
from cockpit.display.tables import Col, present
from cockpit.domain import outcome
from cockpit.state import actions

f, lang, user, wh = ui.filters(), ui.lang(), ui.current_user(), ui.warehouse()
st.title(ui.tr("page.actions"))
mine, team, new, result = st.tabs(
    [
        ui.tr("loop.tab.mine"),
        ui.tr("loop.tab.team"),
        ui.tr("loop.tab.new"),
        ui.tr("loop.tab.outcome"),
    ]
)
labels = {s: ui.tr(f"loop.status.{s}") for s in actions.STATUSES}
names = ui.names()
TABLE = [
    Col("id"),
    Col("title"),
    Col("insight_type", "insight_type"),
    Col("org_id", "org"),
    Col("metric", "metric"),
]
TABLE += [
    Col("owner", "user"),
    Col("created_by", "user"),
    Col("due_date", "date"),
    Col("status", "action_status"),
]
TABLE += [Col("reason"), Col("done_on", "date"), Col("customers", "count"), Col("version")]
TABLE += [Col("updated_by", "user"), Col("updated_at", "date")]
TABLE = [Col(c.key, c.kind, f"loop.col.{c.key}") for c in TABLE]


def show(listed: list, key: str) -> None:
    if not listed:
        # actions are made on the guidance page: an empty list says so and links to it
        where = ui.tr("guidance.page")
        st.info(ui.tr("loop.none", page=where, button=ui.tr("loop.make_action")))
        st.page_link(
            "pages/guidance.py",
            label=ui.tr("loop.to_guidance", page=where),
            icon=":material/lightbulb:",
        )
        return
    table = present(actions.frame(listed), TABLE, lang, names)
    st.dataframe(table, hide_index=True, width="stretch", key=f"{key}_table")
    opened = insight_action.wanted([a.id for a in listed]) if key == "mine" else None
    if opened is not None:  # arrived from guidance's link to an existing action
        st.session_state[f"{key}_pick"] = opened
    pick = st.selectbox(
        ui.tr("loop.pick"),
        [a.id for a in listed],
        key=f"{key}_pick",
        format_func=lambda i: f"#{i} {next(a.title for a in listed if a.id == i)[:80]}",
    )
    a = actions.get_for(wh, user, pick)
    seen = f"{key}_seen_{a.id}"
    st.session_state.setdefault(seen, a.version)
    st.caption(
        ui.tr(
            "loop.meta",
            owner=names.user(a.owner),
            due=a.due_date,
            status=labels[a.status],
            customers=len(a.customers),
            version=a.version,
        )
    )
    if actions.can_edit(wh, user, a):
        with st.form(f"{key}_form"):
            status = st.selectbox(
                ui.tr("loop.col.status"),
                actions.STATUSES,
                index=actions.STATUSES.index(a.status),
                format_func=labels.get,
                key=f"{key}_status",
            )
            reason = st.text_input(ui.tr("loop.reason"), key=f"{key}_reason")
            done_on = st.date_input(
                ui.tr("loop.done_on"), value=min(dt.date.today(), f["as_of"]), key=f"{key}_done_on"
            )
            comment = st.text_area(ui.tr("loop.comment"), key=f"{key}_comment")
            if st.form_submit_button(ui.tr("loop.save")):
                # based on the version this user was shown, never on a fresher one read at submit
                # time
                try:
                    saved = actions.update(
                        wh,
                        user,
                        a.id,
                        st.session_state[seen],
                        status=status,
                        reason=reason,
                        comment=comment,
                        done_on=done_on,
                    )
                    st.session_state[seen] = saved.version
                    st.success(ui.tr("loop.saved"))
                except actions.StaleEdit as e:
                    st.session_state[seen] = (
                        a.version
                    )  # the page now shows the current action: a new save applies to it
                    st.error(str(e))
                except actions.ActionError as e:
                    st.error(str(e))
    shown = history.readable(actions.history(a.id), lang, names)
    st.dataframe(shown, hide_index=True, width="stretch", key=f"{key}_history")


with mine:
    show(actions.visible(wh, user, mine_only=True), "mine")
with team:
    show([a for a in actions.visible(wh, user) if a.owner != user.username], "team")
with new:
    with st.spinner(ui.tr("overview.loading_guidance")):
        found, stored = ui.guidance(f["org_id"], f["period"])
    if found and not stored:
        st.caption(ui.tr("guidance.on_demand"))
    if not found:
        st.info(ui.tr("loop.no_insights"))
    else:
        idx = st.selectbox(
            ui.tr("loop.insight"),
            range(len(found)),
            key="new_insight",
            format_func=lambda i: f"{found[i].title(lang)} · {names.org(found[i].org_id)}",
        )
        st.caption(found[idx].text(lang))
        offered = ui.insight_customers(f["org_id"], f["as_of"], found[idx])
        with st.form("new_form"):
            owner = st.selectbox(
                ui.tr("loop.col.owner"),
                actions.assignable_owners(wh, user),
                key="new_owner",
                format_func=names.user,
            )
            due = st.date_input(
                ui.tr("loop.col.due_date"), value=f["as_of"] + dt.timedelta(days=14), key="new_due"
            )
            custs = st.multiselect(
                ui.tr("loop.customers"),
                offered,
                key="new_customers",
                placeholder=ui.tr("loop.customers_pick"),
            )
            if st.form_submit_button(ui.tr("loop.create")):
                try:
                    a = actions.create_from_insight(
                        wh,
                        user,
                        found[idx],
                        owner=owner,
                        due=due,
                        customers=custs,
                        lang=lang,
                        org_id=f["org_id"],
                    )
                    st.success(ui.tr("loop.created", id=a.id))
                except (actions.ActionError, PermissionError) as e:
                    st.error(str(e))
with result:
    st.caption(ui.tr("loop.outcome.rule", days=outcome.DAYS, lookback=outcome.LOOKBACK))
    days = st.number_input(ui.tr("loop.outcome.days"), 7, 180, outcome.DAYS, key="outcome_days")
    group_labels = {g: ui.tr(f"loop.col.{g}") for g in outcome.GROUPS}
    by = st.radio(
        ui.tr("loop.outcome.by"),
        outcome.GROUPS,
        key="outcome_by",
        horizontal=True,
        format_func=group_labels.get,
    )
    acts = actions.visible(wh, user)
    cust = outcome.per_customer(wh, user.scope, acts, days=int(days))
    s = outcome.summary(cust)
    c = st.columns(4)
    c[0].metric(ui.tr("loop.outcome.measured"), i18n.count(s["complete"], lang))
    c[1].metric(ui.tr("loop.outcome.measuring"), i18n.count(s["measuring"], lang))
    c[2].metric(ui.tr("loop.outcome.reached"), i18n.pct(s["reached_next"], lang))
    c[3].metric(ui.tr("loop.outcome.baseline"), i18n.pct(s["control_reached"], lang))
    table = outcome.compare(cust, acts, by)
    if table.empty:
        st.info(ui.tr("loop.outcome.none"))
    else:
        st.plotly_chart(
            outcome_bars(
                table,
                by,
                "reached_next",
                "control_reached",
                {"acted": ui.tr("loop.outcome.acted"), "baseline": ui.tr("loop.outcome.baseline")},
            ),
            key="outcome_chart",
            width="stretch",
        )
        kind = {"insight_type": "insight_type", "org_id": "org", "owner": "user"}[by]
        named = present(table[[by]], [Col(by, kind, f"loop.col.{by}")], lang, names)
        st.dataframe(
            table.assign(**{by: named.iloc[:, 0]}).rename(columns=lambda c: ui.tr(f"loop.col.{c}")),
            hide_index=True,
            width="stretch",
            key="outcome_table",
        )
