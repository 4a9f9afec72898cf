"""Channel coordination: one section per pain — integration, service standard, online–offline
referrals and return flow, lifecycle linkage, attribution, WeCom private domain. Rules are in
cockpit/domain/channels.py."""

import streamlit as st

from cockpit.app import figures, ui
from cockpit.charts import channels as charts
from cockpit.core import i18n
from cockpit.display import downloads
from cockpit.domain import channels as rules

f = ui.filters()
p = f["period"]
lang = ui.lang()
st.title(ui.tr("page.channels"))
st.caption(
    ui.tr("channels.caption", org=f["org_name"], period=p.label, start=p.start, end=p.to_date)
)
win = {"org_id": f["org_id"], "start": p.start, "end": p.to_date}
names = {
    **rules.names(lang, (ui.query("channels"), "channel_id")),
    **{g: ui.tr(f"group.{g}") for g in ("online", "remote", "offline")},
    **{s: ui.tr(f"channels.state.{s}") for s in rules.STATES},
    **{t: ui.tr(f"channels.touch.{t}") for t in ("sms", "push", "wecom_group")},
}
names.setdefault("wecom_1to1", ui.tr("channels.touch.wecom_1to1"))
ORG_COLUMNS = ("credited_to", "org_id", "team_org_id")
coverage = ui.query("channel_coverage", **win)


def no_data(*sources: str) -> bool:
    """Say "no data for this source" when the warehouse holds none of a section's sources (True
    then)."""
    missing = rules.missing(coverage, *sources)
    if missing:
        st.info(
            ui.tr(
                "channels.no_data",
                sources=("、" if lang == "zh" else ", ").join(
                    ui.tr(f"channels.source.{s}") for s in missing
                ),
            )
        )
    return bool(missing)


def named(df, *cols):
    """The frame with ids in `cols` shown by name."""
    return figures.derived(i18n.named, df, names, cols)


def table(df, words=None):
    """The frame as read: figures formatted by their unit (cockpit.domain.channels.UNITS), columns
    in the reader's words.
    """
    return figures.derived(i18n.table, df, rules.UNITS, lang).rename(
        columns=lambda c: (words or {}).get(c) or ui.tr(f"channels.col.{c}")
    )


def integration() -> None:
    """Which channels the customers use, and how many are known by one id."""
    ident = ui.query("channel_identity", **win).iloc[0]
    c1, c2, c3 = st.columns(3)
    c1.metric(
        ui.tr("channels.known_share"),
        i18n.pct(ident.known_share, lang),
        help=ui.tr("channels.known_share.help"),
    )
    c2.metric(
        ui.tr("channels.unified_share"),
        ui.tr("channels.no_data_short")
        if rules.missing(coverage, "unified_id")
        else i18n.pct(ident.unified_share, lang),
    )
    c3.metric(ui.tr("channels.active_customers"), i18n.count(ident.customers, lang))
    mix = ui.query("channel_mix", **win)
    if mix.empty:
        st.info(ui.tr("channels.empty.events"))
    else:
        a, b = st.columns(2)
        a.plotly_chart(
            figures.chart(
                charts.bars,
                mix[mix.kind == "channels"],
                "bucket",
                "share",
                {},
                True,
                ui.tr("channels.by_channels"),
            ),
            key="ch_mix_channels",
        )
        b.plotly_chart(
            figures.chart(
                charts.bars,
                mix[mix.kind == "groups"],
                "bucket",
                "share",
                {},
                True,
                ui.tr("channels.by_groups"),
            ),
            key="ch_mix_groups",
        )
        mixed = mix[mix.kind == "mix"].drop(columns="kind")
        st.dataframe(
            table(mixed.assign(bucket=[rules.mix_label(b, names) for b in mixed.bucket])),
            hide_index=True,
        )


def service() -> None:
    """The service standard of each channel and its spread."""
    svc = ui.query("channel_service", **win, channel_group=f["channel_group"])
    if no_data("service_records"):
        pass
    elif svc.empty:
        st.info(ui.tr("channels.empty.service"))
    else:
        cols = st.columns(len(rules.SERVICE_MEASURES))
        for col, m in zip(cols, rules.SERVICE_MEASURES):
            col.metric(
                ui.tr(f"channels.spread.{m}"),
                i18n.pct(svc[f"spread_{m}"].iloc[0], lang),
                help=ui.tr("channels.spread.help"),
            )
        st.plotly_chart(
            figures.chart(
                charts.service_spread,
                svc,
                "median_response_seconds",
                names,
                ui.tr("channels.col.median_response_seconds"),
            ),
            key="ch_service_chart",
        )
        st.dataframe(
            table(
                named(svc, "channel_id", "channel_group").drop(
                    columns=[f"spread_{m}" for m in rules.SERVICE_MEASURES]
                )
            ),
            hide_index=True,
        )


def referral() -> None:
    """Referrals between channels, their routes over time, and the return flow."""
    if not no_data("referrals"):
        level_names = {lv: ui.tr(f"channels.level.{lv}") for lv in ("channel", "group")}
        level = st.radio(
            ui.tr("channels.level"),
            ("channel", "group"),
            key="ch_ref_level",
            horizontal=True,
            format_func=level_names.get,
        )
        matrix = ui.query("referral_matrix", **win, level=level, channel_group=f["channel_group"])
        if matrix.empty:
            st.info(ui.tr("channels.empty.referrals"))
        else:
            st.plotly_chart(
                figures.chart(
                    charts.referral_sankey,
                    matrix,
                    names,
                    titles=(ui.tr("channels.chart.sankey"),),
                ),
                key="ch_ref_sankey",
            )
            shown = named(matrix, "from_id", "to_id").drop(columns=["from_group", "to_group"])
            st.dataframe(table(shown), hide_index=True)
        st.markdown(f"**{ui.tr('channels.route_trend')}**")
        monthly = ui.query(
            "referral_monthly",
            org_id=f["org_id"],
            start=rules.route_trend_start(p.to_date),
            end=p.to_date,
        )
        stalled = figures.derived(rules.stalled_route, monthly)
        if stalled is not None:
            st.warning(
                ui.tr(
                    "channels.stalled",
                    route=f"{names.get(stalled.from_channel_id, stalled.from_channel_id)} → "
                    f"{names.get(stalled.to_channel_id, stalled.to_channel_id)}",
                    month=str(stalled.month)[:7],
                    rate=i18n.pct(stalled.on_time_rate, lang),
                    n=i18n.count(stalled.created, lang),
                ),
                icon=":material/schedule:",
            )
        if not monthly.empty:
            st.plotly_chart(
                figures.chart(
                    charts.route_heatmap,
                    monthly,
                    names,
                    titles=("", ui.tr("channels.axis.month"), ui.tr("channels.axis.route")),
                ),
                key="ch_ref_heatmap",
            )
    st.markdown(f"**{ui.tr('channels.return_flow')}**")
    flow = ui.query("channel_return_flow", **win)
    back = figures.derived(rules.covered_return_flow, flow, coverage)
    no_data(*rules.RETURN_SOURCES.values())
    if not back.empty:
        st.dataframe(
            table(
                named(back, "source").assign(
                    kind=back.kind.map(lambda k: ui.tr(f"channels.return.{k}")),
                    source=back.source.map(
                        lambda v: (
                            ui.tr(f"channels.return.{v}")
                            if str(v).startswith("prior_")
                            else names.get(v, v)
                        )
                    ),
                )
            ),
            hide_index=True,
        )


def linkage() -> None:
    """Whether a customer's change of state is followed by the suitable channel."""
    days = st.number_input(
        ui.tr("channels.linkage_days"), 1, 90, rules.DEFAULT_LINKAGE_DAYS, key="ch_link_days"
    )
    link = figures.derived(rules.linkage, ui.query("channel_linkage", **win, days=days))
    if no_data("lifecycle_changes"):
        pass
    elif link.empty:
        st.info(ui.tr("channels.empty.linkage"))
    else:
        st.plotly_chart(
            figures.chart(
                charts.linkage,
                link,
                names,
                (ui.tr("channels.col.reached_suitable"), ui.tr("channels.col.reached_any")),
                titles=(
                    ui.tr("channels.chart.linkage"),
                    ui.tr("channels.axis.state"),
                    ui.tr("channels.axis.share"),
                ),
            ),
            key="ch_link_chart",
        )
        st.dataframe(table(named(link, "to_state", "suitable_channel")), hide_index=True)


def attribution() -> None:
    """The actions credited to channels, staff and teams."""
    st.caption(ui.tr("channels.attribution_rule", days=rules.LOOKBACK_DAYS))
    attr = ui.query("attribution_channels", **win, lookback_days=rules.LOOKBACK_DAYS)
    if attr.empty:
        st.info(ui.tr("channels.empty.actions"))
    else:
        models = {m: ui.tr(f"channels.model.{m}") for m in rules.ATTRIBUTION_MODELS}
        st.plotly_chart(
            figures.chart(
                charts.attribution,
                attr,
                rules.ATTRIBUTION_MODELS,
                models,
                names,
                titles=(
                    ui.tr("channels.chart.attribution"),
                    ui.tr("channels.axis.channel"),
                    ui.tr("channels.axis.actions"),
                ),
            ),
            key="ch_attr_chart",
        )
        st.dataframe(table(named(attr, "channel_id", "channel_group"), models), hide_index=True)
    st.markdown(f"**{ui.tr('channels.staff')}**")
    by_names = {b: ui.tr(f"channels.credit.{b}") for b in ("staff", "team")}
    by = st.radio(
        ui.tr("channels.credit_by"),
        ("staff", "team"),
        key="ch_staff_by",
        horizontal=True,
        format_func=by_names.get,
    )
    staff = ui.query("attribution_staff", **win, by=by, max_rows=rules.STAFF_PAGE)
    org = ui.names().org

    def credited(rows):
        """The staff or team rows in words: node names, no invitation codes, no empty columns."""
        rows = rows.drop(columns=["invitation_code", "listed"], errors="ignore")
        rows = rows.dropna(axis=1, how="all")
        named_orgs = {c: i18n.each_distinct(rows[c], org) for c in ORG_COLUMNS if c in rows}
        return table(rows.assign(**named_orgs))

    if staff.empty:
        st.info(ui.tr("channels.empty.staff"))
    else:
        listed = int(staff.listed.iloc[0])
        st.dataframe(credited(staff), hide_index=True)
        if listed > len(staff):
            everyone = ui.query_later("attribution_staff", **win, by=by)
            n, size = i18n.count(listed, lang), i18n.count(len(staff), lang)
            st.caption(ui.tr("channels.staff_note", n=n, size=size))
            st.download_button(
                ui.tr("channels.staff_csv"),
                lambda: downloads.csv_bytes(credited(everyone())),
                f"attribution_{by}_{f['org_id']}_{p.label}.csv",
                "text/csv",
                key="ch_staff_csv",
                on_click="ignore",
            )


def wecom() -> None:
    """The WeCom private domain."""
    wc = None if no_data("wecom") else ui.query("wecom_summary", **win).iloc[0]
    if wc is not None:
        cols = st.columns(4)
        for col, k in zip(
            cols, ("contacts_added", "wecom_customers", "group_messages", "moments_interactions")
        ):
            col.metric(ui.tr(f"channels.col.{k}"), i18n.count(wc[k], lang))
        tp = ui.query("wecom_touchpoints", **win)
        st.plotly_chart(
            figures.chart(
                charts.bars,
                tp,
                "touchpoint",
                "open_rate",
                names,
                True,
                ui.tr("channels.open_rates"),
            ),
            key="ch_open_chart",
        )
        st.dataframe(table(named(tp, "touchpoint")), hide_index=True)


# Each tab is drawn when it is open (a click on another reruns the page): a first view reads and
# draws one section's figures, not all six sections'.
SECTIONS = {
    "integration": integration,
    "service": service,
    "referral": referral,
    "linkage": linkage,
    "attribution": attribution,
    "wecom": wecom,
}
tabs = st.tabs([ui.tr(f"channels.tab.{k}") for k in SECTIONS], key="ch_tab", on_change="rerun")
for tab, draw in zip(tabs, SECTIONS.values()):
    if tab.open:
        with tab:
            draw()
