"""Subscriptions: send a node's report or a digest of new insights on a schedule to people bound
to users."""

import pandas as pd
import streamlit as st

from cockpit.app import ui
from cockpit.delivery import send as delivery
from cockpit.delivery import subscriptions as subs
from cockpit.display import labels

f, user, wh = ui.filters(), ui.current_user(), ui.warehouse()
st.title(ui.tr("page.subscriptions"))
st.caption(ui.tr("loop.sub.caption"))
kinds = {k: ui.tr(f"loop.sub.kind.{k}") for k in subs.KINDS}
freqs = {k: ui.tr(f"loop.sub.freq.{k}") for k in subs.FREQUENCIES}
lang_labels = {c: labels.label("lang", c, ui.lang()) for c in subs.LANGS}
names = ui.names()
with st.form("sub_form"):
    st.markdown(ui.tr("loop.sub.for_org", org=f["org_name"]))
    kind = st.selectbox(ui.tr("loop.sub.kind"), subs.KINDS, format_func=kinds.get, key="sub_kind")
    freq = st.selectbox(
        ui.tr("loop.sub.frequency"), subs.FREQUENCIES, format_func=freqs.get, key="sub_freq"
    )
    lang = st.selectbox(
        ui.tr("filter.language"),
        subs.LANGS,
        index=subs.LANGS.index(ui.lang()),
        key="sub_lang",
        format_func=lang_labels.get,
    )
    lines = st.text_area(
        ui.tr("loop.sub.recipients"),
        placeholder=(
            "someone@bank.com head_r01\n"
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… manager1"
        ),
        key="sub_recipients",
    )
    if st.form_submit_button(ui.tr("loop.sub.create")):
        pairs = [tuple(line.split()[:2]) for line in lines.splitlines() if len(line.split()) >= 2]
        try:
            s = subs.create(wh, user, f["org_id"], kind, freq, pairs, lang)
            st.success(ui.tr("loop.sub.created", id=s.id))
        except (subs.SubscriptionError, ui.ScopeError) as e:
            st.error(str(e))
listed = subs.mine(user, wh)
if not listed:
    st.info(ui.tr("loop.sub.none"))
else:
    rows = [
        {
            "id": s.id,
            "org_id": names.org(s.org_id),
            "kind": kinds[s.kind],
            "frequency": freqs[s.frequency],
            "lang": lang_labels.get(s.lang, s.lang),
            "active": s.active,
            "created_by": names.user(s.created_by),
            "recipients": "; ".join(
                f"{subs.mask(r.address)} → {names.user(r.username)}" for r in s.recipients
            ),
        }
        for s in listed
    ]
    st.dataframe(
        pd.DataFrame(rows).rename(columns=lambda c: ui.tr(f"loop.sub.col.{c}")),
        hide_index=True,
        width="stretch",
        key="sub_table",
    )
    pick = st.selectbox(
        ui.tr("loop.pick"), [s.id for s in listed], key="sub_pick", format_func=lambda i: f"#{i}"
    )
    chosen = subs.get(pick)
    st.dataframe(
        pd.DataFrame(delivery.preview(wh, chosen)).rename(
            columns=lambda c: ui.tr(f"loop.sub.preview.{c}")
        ),
        hide_index=True,
        width="stretch",
        key="sub_preview",
    )
    if st.button(ui.tr("loop.sub.pause" if chosen.active else "loop.sub.resume"), key="sub_toggle"):
        subs.set_active(user, pick, not chosen.active)
        st.rerun()
