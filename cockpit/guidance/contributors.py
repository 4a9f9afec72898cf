"""Top contributors to a change, and concentration, from one decomposition of a flow metric.

Change rule: a metric (SICAS Actions, sales; defined in cockpit/domain/metrics.yaml) moved by at least
MIN_CHANGE against the comparable part of the previous period (cockpit.core.periods: a half-finished
month is set against the same days of the last one). The change is split along the org tree (the
node's children), channel, segment and product; for each dimension the member whose change points
the same way and is largest is named, with the share of the total change it explains.

Concentration rule: one child carries at least max(CONCENTRATION, 1.5 / number of children) of
the node's current result.
"""

from __future__ import annotations

import pandas as pd

from cockpit.core import i18n
from cockpit.domain import metrics
from cockpit.guidance import Context, Insight
from cockpit.guidance.names import channel_label, named, org_label, product_label

METRICS = ("actions", "sales")
DIMENSIONS = ("org", "channel", "segment", "product")
MIN_CHANGE = 0.1
CONCENTRATION = 0.5


def query_params(ctx: Context, metric: str) -> dict:
    """The parameters of `guidance_breakdown` for a context and metric (the stored guidance reads every
    node's answer at once from `guidance_breakdown_tree`)."""
    prev_start, prev_end = ctx.period.previous()
    return {
        "org_id": ctx.org_id,
        "start": ctx.period.start,
        "end": ctx.period.to_date,
        "prev_start": prev_start,
        "prev_end": prev_end,
        "metric": metric,
    }


def _breakdown(ctx: Context, metric: str) -> pd.DataFrame:
    return ctx.run("guidance_breakdown", **query_params(ctx, metric))


def top_contributors(df: pd.DataFrame) -> pd.DataFrame:
    """Per dimension, the member that explains most of the total change (same sign), with its share."""
    total = df[df.dimension == "segment"][["cur", "prev"]].sum()  # every event has one segment
    delta = total.cur - total.prev
    rows = []
    for dim in DIMENSIONS:
        part = df[df.dimension == dim]
        part = part[part.delta * delta > 0]
        if not part.empty and delta:
            top = (
                part.assign(size=part.delta.abs())
                .sort_values(["size", "member"], ascending=[False, True])
                .iloc[0]
            )
            rows.append(
                {"dimension": dim, "member": top.member, "delta": top.delta, "share": top.delta / delta}
            )
    return pd.DataFrame(rows, columns=["dimension", "member", "delta", "share"])


def _member_label(ctx: Context, dim: str, member: str) -> tuple[str, str]:
    if dim == "org":
        return org_label(ctx, member)
    if dim == "channel":
        return channel_label(ctx, member)
    if dim == "segment":
        key = f"guidance.segment.{member}"
        return (i18n.t(key, "zh"), i18n.t(key, "en")) if key in i18n.catalogue() else (member, member)
    return product_label(ctx, member)


def _signed(value: float, unit: str, lang: str) -> str:
    return ("+" if value > 0 else "−") + i18n.fmt(abs(value), unit, lang)


def _parts(tops: pd.DataFrame, labels: dict, lang: str, unit: str) -> str:
    """'下级机构 X（40.1%）、渠道 Y（35.7%）…' naming only the dimensions that have a contributor
    (a leaf node has no children).
    """
    i = 0 if lang == "zh" else 1
    parts = [
        i18n.t(
            f"guidance.top_contributors.part.{dim}",
            lang,
            name=labels[dim][i],
            share=i18n.pct(tops.loc[dim, "share"], lang),
            delta=_signed(tops.loc[dim, "delta"], unit, lang),
        )
        for dim in DIMENSIONS
        if dim in tops.index
    ]
    return ("、" if lang == "zh" else ", ").join(parts) or "—"


def _focus(tops: pd.DataFrame, labels: dict, lang: str) -> str:
    """Where to look first: the child node and the channel that contributed most, whichever exist."""
    i = 0 if lang == "zh" else 1
    names = [labels[dim][i] for dim in ("org", "channel") if dim in tops.index] or [
        labels[dim][i] for dim in DIMENSIONS if dim in tops.index
    ][:1]
    return (" 与 " if lang == "zh" else " and ").join(names) or "—"


def find(ctx: Context) -> list[Insight]:
    out = []
    for mid in METRICS:
        df = _breakdown(ctx, mid)
        seg = df[df.dimension == "segment"]
        cur, prev = seg.cur.sum(), seg.prev.sum()
        if not prev or abs(cur / prev - 1) < MIN_CHANGE:
            continue
        m = metrics.get(mid)
        tops = top_contributors(df).set_index("dimension")
        figures = {"cur": (cur, m.unit), "prev": (prev, m.unit), "change": (cur / prev - 1, "pct")}
        labels: dict[str, tuple[str, ...]] = {"metric": (m.name("zh"), m.name("en"))}
        for dim in DIMENSIONS:
            if dim in tops.index:
                figures[f"{dim}_share"] = (tops.loc[dim, "share"], "pct")
                labels[dim] = _member_label(ctx, dim, tops.loc[dim, "member"])
            else:
                figures[f"{dim}_share"] = (float("nan"), "pct")
                labels[dim] = ("—", "—")
        labels["parts"] = (_parts(tops, labels, "zh", m.unit), _parts(tops, labels, "en", m.unit))
        labels["focus"] = (_focus(tops, labels, "zh"), _focus(tops, labels, "en"))
        worse = (cur < prev) == m.higher_is_better
        out.append(
            Insight(
                "top_contributors",
                "executive",
                2 if worse else 1,
                ctx.org_id,
                figures,
                labels,
                named(ctx, df[df.dimension == "org"].reset_index(drop=True), "member"),
                key=("top_contributors", ctx.org_id, mid),
            )
        )
    return out


def find_concentration(ctx: Context) -> list[Insight]:
    out = []
    for mid in METRICS:
        part = _breakdown(ctx, mid)
        part = part[(part.dimension == "org") & (part.cur > 0)]
        n = len(part)
        if n < 2 or part.cur.sum() <= 0:
            continue
        share = part.cur / part.cur.sum()
        limit = max(CONCENTRATION, 1.5 / n)
        if share.max() >= limit:
            top = part.assign(share=share).sort_values(["share", "member"], ascending=[False, True]).iloc[0]
            m = metrics.get(mid)
            out.append(
                Insight(
                    "concentration",
                    "executive",
                    1,
                    ctx.org_id,
                    {
                        "share": (share.max(), "pct"),
                        "limit": (limit, "pct"),
                        "children": (n, "count"),
                        "top_value": (top.cur, m.unit),
                        "total": (part.cur.sum(), m.unit),
                    },
                    {"metric": (m.name("zh"), m.name("en")), "top": org_label(ctx, top.member)},
                    named(ctx, part.assign(share=share).reset_index(drop=True), "member"),
                    key=("concentration", ctx.org_id, mid, top.member),
                )
            )
    return out
