"""Unusual change, in both directions, for every weekly series of every region and sub-branch.

Series (queries/guidance_changes.sql): events per SICAS stage, each stage-to-stage conversion, events per
channel, Interest -> Connect per campaign, Actions per product, on-time follow-up per referral route between
channel groups. For each node and week the expected value comes from the node's own previous HISTORY
weeks (their mean count, or their pooled rate times this week's base), and the gap is scored
z = (actual - expected) / sqrt(expected) for counts, binomial for rates, divided by the robust spread of
every such score of the same kind at the same level of the whole tree (at least 1). Against comparable
nodes the score is set against the median score of the nodes of the same level that week, again over the
whole tree: the same week scores the same whoever looks, and a branch head receives only scores, never a
peer's figure.

A week is flagged when |z| >= Z_OWN against its own history and, when at least four nodes of its level
have the series that week, |z| >= Z_PEER against them in the same direction (a node without peers, the
head office, needs |z| >= Z_ALONE). Minimum samples: an expected count of MIN_EXPECTED, a rate's base
of MIN_BASE (MIN_ROUTE_BASE referrals for a route). A change is reported at the node it belongs to
(`_deepest`), and channel or product findings of the same week and direction become the drivers of a
stage finding there, conversions into or out of that stage are part of it; a campaign's Interest -> Connect
change and the node's Connect change of the same week are one finding, the campaign's when it explains
CAMPAIGN_SHARE of the Connects missing (or added), the stage's otherwise. A series flagged in
STANDING_WEEKS or more of the RECENT_WEEKS is a standing condition, reported once (its latest week)
and marked so.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cockpit.core import i18n
from cockpit.domain import sicas
from cockpit.guidance import Context, Insight
from cockpit.guidance.names import channel_label, product_label

HISTORY = 12  # weeks of own history (fixed in the query's window frame)
RECENT_WEEKS = 8
Z_OWN = 4.0
Z_PEER = 3.5
Z_ALONE = 5.0
MIN_EXPECTED = 10.0
MIN_BASE = 30.0
MIN_ROUTE_BASE = 20.0  # referrals of a route in a week: fewer than a rate's base elsewhere
STANDING_WEEKS = 4
CAMPAIGN_SHARE = 0.5  # a campaign explaining this share of a Connect change is its cause
REST_Z = 2.0  # a parent keeps a change its flagged children do not explain
RATES = ("conversion", "campaign", "route")
KIND_ORDER = ("stage", "conversion", "campaign", "route", "product", "channel")


def query_params(ctx: Context) -> dict[str, Any]:
    """The parameters of `guidance_changes` for a context (the stored guidance runs it once for all nodes)."""
    return {
        "org_id": ctx.org_id,
        "end": ctx.period.to_date,
        "weeks": HISTORY + RECENT_WEEKS,
        "min_expected": MIN_EXPECTED,
        "min_base": MIN_BASE,
        "min_route_base": MIN_ROUTE_BASE,
    }


def scored(ctx: Context) -> pd.DataFrame:
    """Every scored node-week-series of the node's subtree, with `flag` (-1 drop, 1 surge, 0 none)."""
    df = ctx.run("guidance_changes", **query_params(ctx))
    if df.empty:
        return df.assign(flag=pd.Series(dtype=int))
    df = df.copy()
    df["week_start"] = pd.to_datetime(df["week_start"])
    z, zp = df["z_own"].astype(float), df["z_peer"].astype(float)
    alone = zp.isna()
    own = z.abs() >= Z_OWN
    peer = (zp.abs() >= Z_PEER) & (zp * z > 0)
    hit = (alone & (z.abs() >= Z_ALONE)) | (~alone & own & peer)
    df["flag"] = (hit * z.apply(lambda v: 1 if v > 0 else -1)).astype(int)
    return df


def _ancestors(ctx: Context) -> dict[str, list[str]]:
    tree = ctx.run("org_tree")
    parent = dict(zip(tree.org_id, tree.parent_id))
    out = {}
    for org in tree.org_id:
        chain, p = [], parent.get(org)
        while p is not None and p == p:
            chain.append(p)
            p = parent.get(p)
        out[org] = chain
    return out


def _rest_z(parent: pd.Series, kids: pd.DataFrame, rate: bool) -> float:
    """The parent's score with the flagged children taken out: is the rest of it moving too?"""
    num, expected = parent.num - kids.num.sum(), parent.expected - kids.expected.sum()
    if rate:
        den = parent.den - kids.den.sum()
        p = float(parent.base)
        spread = math.sqrt(den * p * (1 - p)) if den > 0 else 0.0
        return (num - den * p) / spread / parent.phi if spread else 0.0
    return (num - expected) / math.sqrt(expected) / parent.phi if expected > 0 else 0.0


def _deepest(hits: pd.DataFrame, df: pd.DataFrame, ancestors: dict[str, list[str]]) -> pd.DataFrame:
    """Each change at the node it belongs to. Where a parent and some of its children are flagged the
    same way, the change is the parent's (its descendants' findings are left out) when at least half of
    its children with the series are flagged or when its score recomputed without them still moves by
    REST_Z; otherwise it is the children's (the parent's is left out). The head office has no peers: a
    change of its own is kept beside its children's, which stand out against theirs."""
    cols = ["org_id", "kind", "member", "week_start", "flag"]
    seen = set(map(tuple, hits[cols].itertuples(index=False, name=None)))
    parent_of = {o: (a[0] if a else None) for o, a in ancestors.items()}
    rows = df.set_index(["org_id", "kind", "member", "week_start"])
    children = (
        df.assign(parent=df.org_id.map(parent_of)).groupby(["parent", "kind", "member", "week_start"]).size()
    )
    drop = set()
    for o, *k in sorted(seen, key=str):
        kids = [x for x in seen if parent_of.get(x[0]) == o and tuple(x[1:]) == tuple(k)]
        if not kids:
            continue
        parent = rows.loc[(o, k[0], k[1], k[2])]
        kid_rows = rows.loc[[(x[0], k[0], k[1], k[2]) for x in kids]]
        spread = 2 * len(kids) >= int(children.get((o, k[0], k[1], k[2]), 0))
        if spread or _rest_z(parent, kid_rows, k[0] in RATES) * k[3] >= REST_Z:
            if parent.z_peer == parent.z_peer:  # the head office, with no peers, takes in no child's story
                drop |= {x for x in seen if tuple(x[1:]) == tuple(k) and o in ancestors.get(x[0], [])}
        else:
            drop.add((o, *k))
    keep = [t not in drop for t in hits[cols].itertuples(index=False, name=None)]
    return hits.loc[pd.Series(keep, index=hits.index, dtype=bool)]


def findings(df: pd.DataFrame, ancestors: dict[str, list[str]]) -> pd.DataFrame:
    """The flagged rows kept as findings: the latest week of a standing series once, folded to the deepest
    node and into stage findings; sorted by a stable key."""
    if df.empty:
        return df.assign(standing=pd.Series(dtype=bool), weeks_flagged=pd.Series(dtype=int))
    last = df.week_start.max()
    recent = df[df.week_start > last - pd.Timedelta(weeks=RECENT_WEEKS)]
    hits = recent[recent.flag != 0].copy()
    if hits.empty:
        return hits.assign(standing=pd.Series(dtype=bool), weeks_flagged=pd.Series(dtype=int))
    key = ["org_id", "kind", "member", "flag"]
    hits["weeks_flagged"] = hits.groupby(key)["week_start"].transform("count")
    hits["standing"] = hits["weeks_flagged"] >= STANDING_WEEKS
    hits = pd.concat(
        [
            hits[~hits.standing],
            hits[hits.standing].sort_values("week_start").drop_duplicates(key, keep="last"),
        ]
    )
    hits = _deepest(hits, df, ancestors)
    stages = {(r.org_id, r.week_start, r.flag, r.member) for r in hits[hits.kind == "stage"].itertuples()}
    stage_weeks = {(o, w, f) for (o, w, f, _) in stages}
    connects = {
        (r.org_id, r.week_start, r.flag): r
        for r in hits[(hits.kind == "stage") & (hits.member == "C")].itertuples()
    }
    by_campaign, in_stage = set(), set()
    for r in hits[hits.kind == "campaign"].itertuples():  # a campaign's Connects against the node's Connects
        c = connects.get((r.org_id, r.week_start, r.flag))
        if c is None:
            continue
        gap, total = r.den * r.base - r.num, c.expected - c.num
        if total and gap / total >= CAMPAIGN_SHARE:
            by_campaign.add((r.org_id, r.week_start, r.flag))
        else:
            in_stage.add((r.org_id, r.week_start, r.flag, r.member))

    def folded(r) -> bool:
        if r.kind == "stage" and r.member == "C":
            return (r.org_id, r.week_start, r.flag) in by_campaign
        if r.kind == "campaign":
            return (r.org_id, r.week_start, r.flag, r.member) in in_stage
        if r.kind in ("channel", "product"):
            return (r.org_id, r.week_start, r.flag) in stage_weeks
        if r.kind == "conversion":
            frm, to = r.member.split(">")
            return (r.org_id, r.week_start, r.flag, to) in stages or (
                r.org_id,
                r.week_start,
                -r.flag,
                frm,
            ) in stages
        return False

    hits = hits.loc[pd.Series([not folded(r) for r in hits.itertuples()], index=hits.index, dtype=bool)]
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    return (
        hits.assign(_k=hits.kind.map(order), _w=-hits.week_start.astype("int64"))
        .sort_values(["_w", "org_id", "_k", "member", "flag"])
        .drop(columns=["_k", "_w"])
        .reset_index(drop=True)
    )


def _stage_name(code: str, lang: str) -> str:
    return i18n.t(f"sicas.stage.{sicas.stage(code).key}", lang)


def subject(ctx: Context, kind: str, member: str, lang: str) -> str:
    """What changed, in words: '行动 事件数', '活动「…」兴趣互动→连接沟通 转化率'."""
    i = 0 if lang == "zh" else 1
    if kind == "stage":
        return i18n.t("guidance.change.subject.stage", lang, stage=_stage_name(member, lang))
    if kind == "conversion":
        frm, to = member.split(">")
        return i18n.t(
            "guidance.change.subject.conversion", lang, frm=_stage_name(frm, lang), to=_stage_name(to, lang)
        )
    if kind == "channel":
        return i18n.t("guidance.change.subject.channel", lang, name=channel_label(ctx, member)[i])
    if kind == "product":
        return i18n.t("guidance.change.subject.product", lang, name=product_label(ctx, member)[i])
    if kind == "campaign":
        names = ctx.run("guidance_campaigns").set_index("campaign_id")
        name = names.loc[member, f"name_{lang}"] if member in names.index else member
        return i18n.t("guidance.change.subject.campaign", lang, name=name)
    frm, to = member.split(">")
    return i18n.t(
        "guidance.change.subject.route",
        lang,
        frm=i18n.t(f"group.{frm}", lang),
        to=i18n.t(f"group.{to}", lang),
    )


def _gap_words(row, lang: str) -> str:
    """Points for rates, a relative change for counts, named as such."""
    if row.kind in RATES:
        points = (row.num / row.den - row.base) * 100
        return i18n.t("guidance.change.points", lang, points=i18n.fmt(abs(points), "score", lang))
    rel = row.num / row.expected - 1
    return i18n.t("guidance.change.relative", lang, rel=i18n.pct(abs(rel), lang))


def _drivers(df: pd.DataFrame, ctx: Context, row, lang: str) -> str:
    """For a stage finding: the channels (and for Actions the products) moving the same way most that
    week, as amounts (shares of a change can pass 100% when others move the other way)."""
    if row.kind != "stage":
        return ""
    same = df[
        (df.org_id == row.org_id) & (df.week_start == row.week_start) & df.kind.isin(["channel", "product"])
    ]
    same = same.assign(excess=same.num - same.expected)
    same = same[same.excess * row.flag > 0]
    if same.empty:
        return ""
    i = 0 if lang == "zh" else 1
    parts = []
    for kind in ("channel", "product"):
        part = same[same.kind == kind].sort_values(["excess", "member"], ascending=[row.flag < 0, True])
        for r in part.head(2).itertuples():
            label = channel_label(ctx, r.member)[i] if kind == "channel" else product_label(ctx, r.member)[i]
            sign = "+" if r.excess > 0 else "−"
            parts.append(f"{label} {sign}{i18n.count(abs(r.excess), lang)}")
    joined = ("、" if lang == "zh" else ", ").join(parts)
    return i18n.t("guidance.change.drivers", lang, parts=joined)


def _severity(row, last: pd.Timestamp) -> int:
    """Novelty (latest weeks), size (relative gap) and certainty (|z|); standing conditions are notes."""
    if row.standing:
        return 1
    fresh = row.week_start >= last - pd.Timedelta(weeks=3)
    value = row.num / row.den if row.kind in RATES else row.num
    base = row.base if row.kind in RATES else row.expected
    big = base > 0 and abs(value / base - 1) >= 0.5
    worse = row.flag < 0
    if fresh and big and abs(row.z_own) >= 2 * Z_OWN and worse:
        return 3
    return 2 if fresh or big else 1


def _detail(df: pd.DataFrame, row) -> pd.DataFrame:
    d = df[(df.org_id == row.org_id) & (df.kind == row.kind) & (df.member == row.member)].copy()
    rate = row.kind in RATES
    d["rate"] = d.num / d.den if rate else d.num
    d["own_rate"] = d.base if rate else d.expected
    return d[["week_start", "num", "den", "expected", "rate", "own_rate", "z_own", "z_peer"]].reset_index(
        drop=True
    )


def find(ctx: Context) -> list[Insight]:
    df = scored(ctx)
    if df.empty:
        return []
    hits = findings(df, _ancestors(ctx))
    last = df.week_start.max()
    out = []
    for row in hits.itertuples():
        week = row.week_start.date().isoformat()
        rate = row.kind in RATES
        unit = "pct" if rate else "count"
        value = row.num / row.den if rate else row.num
        base = row.base if rate else row.expected
        peers = not (isinstance(row.z_peer, float) and math.isnan(row.z_peer))
        direction = "surge" if row.flag > 0 else "drop"
        labels = {
            "week": (week, week),
            "subject": tuple(subject(ctx, row.kind, row.member, lang) for lang in ("zh", "en")),
            "direction": tuple(i18n.t(f"guidance.change.{direction}", lang) for lang in ("zh", "en")),
            "gap": tuple(_gap_words(row, lang) for lang in ("zh", "en")),
            "drivers": tuple(_drivers(df, ctx, row, lang) for lang in ("zh", "en")),
            "standing_note": tuple(
                i18n.t("guidance.change.standing", lang, weeks=int(row.weeks_flagged)) if row.standing else ""
                for lang in ("zh", "en")
            ),
            "base_note": tuple(
                i18n.t("guidance.change.base_note", lang, den=i18n.count(row.den, lang)) if rate else ""
                for lang in ("zh", "en")
            ),
            "peer_rule": tuple(
                i18n.t(
                    "guidance.change.rule_peer" if peers else "guidance.change.rule_alone",
                    lang,
                    z_peer=i18n.fmt(row.z_peer, "score", lang),
                    z_peer_flag=i18n.fmt(Z_PEER, "score", lang),
                    z_alone=i18n.fmt(Z_ALONE, "score", lang),
                )
                for lang in ("zh", "en")
            ),
            "kind": (row.kind, row.kind),
            "member": (row.member, row.member),
        }
        out.append(
            Insight(
                "unusual_change",
                "branch_head",
                _severity(row, last),
                row.org_id,
                {
                    "value": (value, unit),
                    "baseline": (base, unit),
                    "z": (row.z_own, "score"),
                    "z_flag": (Z_OWN, "score"),
                    "history": (HISTORY, "count"),
                    "min_expected": (MIN_EXPECTED, "count"),
                    "min_base": (MIN_ROUTE_BASE if row.kind == "route" else MIN_BASE, "count"),
                    "excess": (row.num - row.expected, "count"),
                },
                labels,
                _detail(df, row),
                key=("unusual_change", row.org_id, row.kind, row.member, direction, week),
                standing=bool(row.standing),
            )
        )
    return out
