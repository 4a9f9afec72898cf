"""Branch scorecard: score out of 100, rank among peers and in the tier, what lost points;
children to drill into.
"""

import streamlit as st

from cockpit.app import drill, figures, ui
from cockpit.charts import scorecard as charts
from cockpit.core import calendar, i18n
from cockpit.display import scores as scores_words
from cockpit.domain import scorecard

f, lang = ui.filters(), ui.lang()
p, org = f["period"], f["org_id"]
name_col = "name_zh" if lang == "zh" else "name_en"
cfg = scorecard.config()
st.title(ui.tr("page.scorecard"))
drill.breadcrumb(org, "sc")
st.caption(
    ui.tr(
        "scorecard.caption",
        org=f["org_name"],
        period=p.label,
        n=len(cfg.indicators) + (cfg.loop_weight > 0),
    )
)
prog = calendar.progress(ui.query("calendar_days", start=p.start, end=p.end), p)
last = p.shifted(-1)
last_prog = calendar.progress(ui.query("calendar_days", start=last.start, end=last.end), last)
scores = ui.scorecard_scores(
    org, p, prog
)  # action follow-through included, from the app's own state
rows = figures.derived(scorecard.ranking, scores, ui.scorecard_scores(org, last, last_prog))
me = rows[rows.org_id == org]
if me.empty or me.score.isna().all() or not scorecard.has_data(scores):
    st.info(ui.tr("scorecard.no_scores"))
    st.stop()
me = me.iloc[0]
c = st.columns(5)
c[0].metric(ui.tr("scorecard.score"), i18n.fmt(float(me.score), "score", lang))
alone = ui.tr("scorecard.no_peers")  # a rank among one says nothing: a dash, and why on hovering


def rank_tile(column, label: str, rank: int, of: int) -> None:
    """A rank as its number, with how many beneath it ("6,141 of 15,300" would not fit)."""
    if of <= 1:
        column.metric(label, "—", help=alone)
        return
    among = ui.tr("scorecard.rank_of", of=i18n.count(of, lang))
    column.metric(label, i18n.count(rank, lang), among, delta_color="off", delta_arrow="off")


rank_tile(c[1], ui.tr("scorecard.rank"), int(me["rank"]), int(me.siblings))
rank_tile(c[2], ui.tr("scorecard.tier_rank"), int(me.tier_rank), int(me.tier_size))
ranked = me.tier_size > 1
quartile = ui.tr("scorecard.quartile_value", q=int(me.quartile)) if ranked else "—"
c[3].metric(ui.tr("scorecard.quartile"), quartile, help=None if ranked else alone)
moved = "—" if me.rank_change is None or me.siblings <= 1 else f"{int(me.rank_change):+d}"
c[4].metric(ui.tr("scorecard.rank_change"), moved, help=None if me.siblings > 1 else alone)
if not ranked:
    st.caption(ui.tr("scorecard.alone_note"))

peers = rows[rows.relation.isin(["self", "sibling", "peer"])]
if len(peers) > 1:  # no one-bar ranking
    st.subheader(ui.tr("scorecard.peers"))
    fig = figures.chart(charts.ranking_bars, peers, name_col, org, ui.tr("scorecard.peers"))
    st.plotly_chart(fig, key="sc_peers")
if (peers.relation == "peer").any():
    st.caption(ui.tr("scorecard.peers_note"))

st.subheader(ui.tr("scorecard.lost"))
dims = scorecard.dimension_names(cfg, lang)
detail = figures.derived(scorecard.breakdown, scores, org)
detail["label"] = [scorecard.indicator_name(m, lang) for m in detail.indicator]
st.plotly_chart(
    figures.chart(
        charts.points_lost,
        detail,
        {
            "earned": ui.tr("scorecard.earned"),
            "lost": ui.tr("scorecard.lost_points"),
            "title": ui.tr("scorecard.lost"),
        },
    ),
    key="sc_lost",
)
headers = {
    k: ui.tr(f"scorecard.{k}")
    for k in ("dimension", "indicator", "value", "due", "norm", "points", "max_points")
}
headers["points_lost"] = ui.tr("scorecard.lost_points")
st.dataframe(
    figures.derived(scorecard.detail_for_display, detail, lang, dims).rename(columns=headers),
    hide_index=True,
    width="stretch",
    key="sc_detail",
)
for line in scores_words.zero_reasons(detail, cfg, lang):  # a 0 of 12 says which rule gave it
    st.caption(line)
if (loop := scorecard.loop_summary(detail, lang)) is not None:
    st.markdown(loop)
    st.caption(
        ui.tr(
            "scorecard.loop.rule", weight=f"{cfg.loop_weight:g}", rest=f"{100 - cfg.loop_weight:g}"
        )
    )

children = rows[rows.relation == "child"]
if not children.empty:
    st.subheader(ui.tr("scorecard.children"))
    cols = [
        name_col,
        "score",
        "rank",
        "tier_rank",
        "quartile",
        "rank_change",
        *(["loop_score"] if cfg.loop_weight else []),
    ]
    table = children.assign(loop_score=[i18n.pct(v, lang) for v in children.loop_score])[
        cols
    ].rename(
        columns={
            name_col: ui.tr("targets.name"),
            "score": ui.tr("scorecard.score"),
            "rank": ui.tr("scorecard.rank"),
            "tier_rank": ui.tr("scorecard.tier_rank"),
            "quartile": ui.tr("scorecard.quartile"),
            "rank_change": ui.tr("scorecard.rank_change"),
            "loop_score": dims.get(scorecard.LOOP),
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    drill.children_buttons(children, "sc")
with st.expander(ui.tr("scorecard.rules")):
    st.markdown(ui.tr("scorecard.rules_text", cap=cfg.cap))
    st.dataframe(
        scorecard.rules_table(cfg, lang).rename(
            columns={
                "dimension": ui.tr("scorecard.dimension"),
                "indicator": ui.tr("scorecard.indicator"),
                "weight": ui.tr("scorecard.weight"),
                "rule": ui.tr("scorecard.rule"),
                "definition": ui.tr("scorecard.definition"),
            }
        ),
        hide_index=True,
        width="stretch",
    )
