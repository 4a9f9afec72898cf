"""Frontline action lists: the customers a manager (or a team) should contact now, with the reason,
the next best channel and a suggested script (话术).

Next best channel: among the channels where customers of the same segment had an event at the
customer's furthest SICAS stage in the last year, the one whose customers most often went on to the
next stage (figure shown). A segment-and-stage cell needs MIN_BASE customers; otherwise the stage
across all segments is used; otherwise no channel is suggested. Everything is read through the
requesting user's scope, so a manager (whose org node is their staff id) sees only their own
customers and a branch head only their subtree's.
"""

from __future__ import annotations

import io

import pandas as pd

from cockpit.core import i18n
from cockpit.domain import sicas
from cockpit.guidance import Context
from cockpit.guidance.dormant import DORMANT_DAYS, DORMANT_TIER
from cockpit.guidance.names import _table

MIN_BASE = 10
COLUMNS = [
    "customer_id",
    "org_id",
    "manager_id",
    "segment",
    "tier",
    "aum",
    "lifecycle_state",
    "last_active_date",
    "reason",
    "stage",
    "channel_id",
    "channel",
    "channel_conversion",
    "script",
]


def best_channels(conv: pd.DataFrame) -> tuple[dict, dict]:
    """(segment, stage_no) -> (channel, conversion, base), and stage_no -> the same across segments."""
    cells = conv[conv.customers >= MIN_BASE].sort_values(["conversion", "customers"], ascending=False)
    by_seg = {
        (r.segment, r.stage_no): (r.channel_id, r.conversion, r.customers)
        for r in cells.drop_duplicates(["segment", "stage_no"]).itertuples()
    }
    pooled = conv.groupby(["stage_no", "channel_id"], as_index=False)[["customers", "converted"]].sum()
    pooled = pooled[pooled.customers >= MIN_BASE].assign(conversion=lambda d: d.converted / d.customers)
    pooled = pooled.sort_values(["conversion", "customers"], ascending=False).drop_duplicates("stage_no")
    by_stage = {r.stage_no: (r.channel_id, r.conversion, r.customers) for r in pooled.itertuples()}
    return by_seg, by_stage


def action_list(ctx: Context, lang: str = "zh") -> pd.DataFrame:
    """The action list of ctx.org_id, most urgent first (reason priority, then assets)."""
    people = ctx.run(
        "action_customers", org_id=ctx.org_id, as_of=ctx.as_of, min_tier=DORMANT_TIER, days=DORMANT_DAYS
    )
    if people.empty:
        return pd.DataFrame(columns=COLUMNS)
    conv = ctx.run("action_channel_conversion", org_id=ctx.org_id, as_of=ctx.as_of)
    by_seg, by_stage = best_channels(conv)
    names = _table(ctx, "channels", "channel_id")
    people = people.drop_duplicates("customer_id").copy()
    rows = []
    for r in people.itertuples():
        stage_no = int(min(max(r.stage_no, 1), len(sicas.CODES) - 1))
        pick = by_seg.get((r.segment, stage_no)) or by_stage.get(stage_no)
        channel_id, rate = (pick[0], pick[1]) if pick else (None, float("nan"))
        channel = names.get(channel_id, ("—", "—"))[0 if lang == "zh" else 1] if channel_id else "—"
        rows.append(
            {
                "customer_id": r.customer_id,
                "org_id": r.org_id,
                "manager_id": r.manager_id,
                "segment": r.segment,
                "tier": r.tier,
                "aum": r.aum,
                "lifecycle_state": r.lifecycle_state,
                "last_active_date": r.last_active_date,
                "reason": i18n.t(f"action.reason.{r.reason}", lang),
                "stage": sicas.CODES[stage_no - 1],
                "channel_id": channel_id,
                "channel": channel,
                "channel_conversion": rate,
                "script": (i18n.t("action.script_channel", lang, channel=channel) if channel_id else "")
                + i18n.t(f"action.script.{r.reason}", lang, aum=i18n.money(r.aum, lang), days=DORMANT_DAYS),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def headers(lang: str = "zh") -> dict[str, str]:
    return {c: i18n.t(f"action.col.{c}", lang) for c in COLUMNS}


def for_display(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The action list as a manager reads it on screen: segments, lifecycle states and stages by name, assets
    in
    万/亿, the channel's conversion as a percentage, no channel code (the exports keep codes and raw yuan)."""

    def name(prefix: str, code: object) -> str:
        key = f"{prefix}.{code}"
        return i18n.t(key, lang) if key in i18n.catalogue() else str(code)

    stages = {s.code: f"sicas.stage.{s.key}" for s in sicas.STAGES}
    shown = df.drop(columns="channel_id").assign(
        segment=[name("guidance.segment", v) for v in df.segment],
        lifecycle_state=[name("channels.state", v) for v in df.lifecycle_state],
        stage=[i18n.t(stages[v], lang) if v in stages else str(v) for v in df.stage],
        aum=[i18n.money(v, lang) for v in df.aum],
        channel_conversion=[i18n.pct(v, lang) for v in df.channel_conversion],
    )
    return shown.rename(columns={**headers(lang), "aum": i18n.t("action.col.aum_shown", lang)})


def to_csv(df: pd.DataFrame, lang: str = "zh") -> bytes:
    """CSV with a BOM so Excel opens the Chinese headers right."""
    return df.rename(columns=headers(lang)).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, lang: str = "zh") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
        df.rename(columns=headers(lang)).to_excel(xw, sheet_name=i18n.t("action.sheet", lang), index=False)
    return buf.getvalue()
