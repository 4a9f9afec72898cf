"""The frontline action list as a manager reads it on screen: codes by name, assets in one money unit stated
in the header like every other table's money column, the channel's conversion as a percentage and no channel
code (the exports, cockpit.guidance.actions, keep codes and raw yuan)."""

from __future__ import annotations

import pandas as pd

from cockpit.core import i18n
from cockpit.display import labels
from cockpit.display.tables import Col, cells
from cockpit.guidance import actions

AUM = Col("aum", "money", "action.col.aum_shown")


def for_display(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The rows of `df` (an action list) for the page's table, headers in the reader's language."""
    aum, unit = cells(AUM, df.aum, lang, None)
    shown = df.drop(columns="channel_id").assign(
        segment=[labels.label("segment", v, lang) for v in df.segment],
        lifecycle_state=[labels.label("lifecycle", v, lang) for v in df.lifecycle_state],
        stage=[labels.label("stage", v, lang) for v in df.stage],
        aum=aum,
        channel_conversion=[i18n.pct(v, lang) for v in df.channel_conversion],
    )
    return shown.rename(columns={**actions.headers(lang), "aum": AUM.title(lang, unit)})
