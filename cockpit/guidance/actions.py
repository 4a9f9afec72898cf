"""Frontline action lists: the customers a manager (or a team) should contact now, each once with all the
reasons, the next best channel and a suggested script (话术).

Next best channel: only a channel a manager can reach out through (OUTBOUND: WeCom 1-to-1, outbound
call, video advisor, SMS, an invitation to the wealth-management room); among them, the one whose
customers of the same segment at the customer's furthest SICAS stage most often went on to the next stage
in the last year (the basis is named: how many customers, what share). A segment-and-stage cell needs
MIN_BASE customers; otherwise the stage across all segments is used; otherwise every stage pooled.
The script names the product or campaign of the customer's last contact, their stage and when and where
that contact was. Everything is read through the requesting user's scope, so a manager (whose org node is
their staff id) sees only their own customers and a branch head only their subtree's.
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
PAGE_ROWS = 50  # customers of the list shown at once on the page; the exports hold them all
OUTBOUND = ("wecom_1to1", "call_out", "video", "sms", "wealth_room")
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
    "last_contact",
    "channel_id",
    "channel",
    "channel_conversion",
    "channel_basis",
    "script",
]


def _ranked(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Best outbound channel per key: highest conversion, then more customers, then the channel id."""
    df = df[(df.customers >= MIN_BASE) & df.channel_id.isin(OUTBOUND)].assign(
        conversion=lambda d: d.converted / d.customers
    )
    df = df.sort_values(
        [*keys, "conversion", "customers", "channel_id"], ascending=[True] * len(keys) + [False, False, True]
    )
    return df.drop_duplicates(keys)


def best_channels(conv: pd.DataFrame) -> tuple[dict, dict, tuple | None]:
    """(segment, stage_no) -> (channel, conversion, base), stage_no -> the same across segments, and the
    best over every stage."""
    by_seg = {
        (r.segment, r.stage_no): (r.channel_id, r.conversion, r.customers)
        for r in _ranked(conv, ["segment", "stage_no"]).itertuples()
    }
    pooled = conv.groupby(["stage_no", "channel_id"], as_index=False)[["customers", "converted"]].sum()
    by_stage = {
        r.stage_no: (r.channel_id, r.conversion, r.customers)
        for r in _ranked(pooled, ["stage_no"]).itertuples()
    }
    every = conv.groupby("channel_id", as_index=False)[["customers", "converted"]].sum().assign(all=1)
    best = [(r.channel_id, r.conversion, r.customers) for r in _ranked(every, ["all"]).itertuples()]
    return by_seg, by_stage, (best[0] if best else None)


def _item(ctx: Context, r, lang: str) -> str:
    """The product, else the campaign, of the last contact, in words ('' when neither is known)."""
    i = 0 if lang == "zh" else 1
    if isinstance(r.last_product_id, str):
        name = _table(ctx, "guidance_products", "product_id").get(
            r.last_product_id, (r.last_product_id,) * 2
        )[i]
        return i18n.t("action.item.product", lang, name=name)
    if isinstance(r.last_campaign_id, str):
        name = _table(ctx, "guidance_campaigns", "campaign_id").get(
            r.last_campaign_id, (r.last_campaign_id,) * 2
        )[i]
        return i18n.t("action.item.campaign", lang, name=name)
    return ""


def action_list(ctx: Context, lang: str = "zh") -> pd.DataFrame:
    """The action list of ctx.org_id, most urgent first (reason priority, then assets), one row a customer."""
    people = ctx.run(
        "action_customers", org_id=ctx.org_id, as_of=ctx.as_of, min_tier=DORMANT_TIER, days=DORMANT_DAYS
    )
    if people.empty:
        return pd.DataFrame(columns=COLUMNS)
    conv = ctx.run("action_channel_conversion", org_id=ctx.org_id, as_of=ctx.as_of)
    by_seg, by_stage, overall = best_channels(conv)
    names = _table(ctx, "channels", "channel_id")
    i = 0 if lang == "zh" else 1
    reasons = (
        people.sort_values(["priority", "reason"]).groupby("customer_id", sort=False)["reason"].agg(list)
    )
    people = people.sort_values(["priority", "aum", "customer_id"], ascending=[True, False, True])
    rows = []
    for r in people.drop_duplicates("customer_id").itertuples():
        stage_no = int(min(max(r.stage_no, 1), len(sicas.CODES) - 1))
        stage_code = sicas.CODES[stage_no - 1]
        stage_name = i18n.t(f"sicas.stage.{sicas.stage(stage_code).key}", lang)
        basis_key, pick = "segment", by_seg.get((r.segment, stage_no))
        if pick is None:
            basis_key, pick = "stage", by_stage.get(stage_no)
        if pick is None:
            basis_key, pick = "all", overall
        channel_id, rate, base = pick if pick else (None, float("nan"), 0)
        channel = names.get(channel_id, (channel_id, channel_id))[i] if channel_id else "—"
        why = reasons[r.customer_id]
        contacted = isinstance(r.last_channel_id, str) and pd.notna(r.last_contact_date)
        last = (
            i18n.t(
                "action.last_contact",
                lang,
                date=pd.Timestamp(r.last_contact_date).date().isoformat(),
                channel=names.get(r.last_channel_id, (r.last_channel_id,) * 2)[i],
            )
            if contacted
            else i18n.t("action.no_contact", lang)
        )
        lines = " ".join(
            i18n.t(f"action.script.{w}", lang, aum=i18n.money(r.aum, lang), days=DORMANT_DAYS) for w in why
        )
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
                "reason": ("；" if lang == "zh" else "; ").join(
                    i18n.t(f"action.reason.{w}", lang) for w in why
                ),
                "stage": stage_code,
                "last_contact": last,
                "channel_id": channel_id,
                "channel": channel,
                "channel_conversion": rate,
                "channel_basis": i18n.t(
                    f"action.basis.{basis_key}", lang, base=i18n.count(base, lang), rate=i18n.pct(rate, lang)
                )
                if channel_id
                else "",
                "script": i18n.t(
                    "action.script",
                    lang,
                    channel=channel,
                    last=last,
                    item=_item(ctx, r, lang),
                    stage=stage_name,
                    lines=lines,
                ),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def headers(lang: str = "zh") -> dict[str, str]:
    return {c: i18n.t(f"action.col.{c}", lang) for c in COLUMNS}


def to_csv(df: pd.DataFrame, lang: str = "zh") -> bytes:
    """CSV with a BOM so Excel opens the Chinese headers right."""
    return df.rename(columns=headers(lang)).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, lang: str = "zh") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
        df.rename(columns=headers(lang)).to_excel(xw, sheet_name=i18n.t("action.sheet", lang), index=False)
    return buf.getvalue()
