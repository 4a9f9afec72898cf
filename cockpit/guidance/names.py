"""Display names of channels and org nodes for insight text, read through the scoped query layer."""

from __future__ import annotations

import pandas as pd

from cockpit.guidance import Context


def _table(ctx: Context, name: str, key: str) -> dict[str, tuple[str, str]]:
    """id -> (zh, en) of a reference query, made once per context's memo: every insight names nodes, and
    the root's tree has tens of thousands."""
    made = ("names", name)
    if made not in ctx.memo:
        df = ctx.run(name)
        ctx.memo[made] = dict(zip(df[key], zip(df["name_zh"], df["name_en"])))
    return ctx.memo[made]


def channel_label(ctx: Context, channel_id: str) -> tuple[str, str]:
    return _table(ctx, "channels", "channel_id").get(channel_id, (channel_id, channel_id))


def org_label(ctx: Context, org_id: str) -> tuple[str, str]:
    return _table(ctx, "org_tree", "org_id").get(org_id, (org_id, org_id))


def product_label(ctx: Context, product_id: str) -> tuple[str, str]:
    return _table(ctx, "guidance_products", "product_id").get(product_id, (product_id, product_id))


_REFERENCE = {
    "org": ("org_tree", "org_id"),
    "channel": ("channels", "channel_id"),
    "campaign": ("guidance_campaigns", "campaign_id"),
    "product": ("guidance_products", "product_id"),
}


def named(ctx: Context, df: pd.DataFrame, col: str, kind: str = "org") -> pd.DataFrame:
    """`df` with `name_zh` / `name_en` columns naming the ids in `col`, so evidence charts label bars by name
    (an id without a name keeps its id)."""
    name, key = _REFERENCE[kind]
    table = _table(ctx, name, key)
    ids = df[col].astype(str)
    return df.assign(
        name_zh=[table.get(i, (i, i))[0] for i in ids], name_en=[table.get(i, (i, i))[1] for i in ids]
    )
