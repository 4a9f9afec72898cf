"""Why an indicator of the scorecard earned nothing, in one line: a 0 out of 12 beside a 99% completion
reads as an error unless the rule that gave it is said (cockpit/domain/scorecard.py has the rules)."""

from __future__ import annotations

import pandas as pd

from cockpit.core import i18n
from cockpit.domain import metrics
from cockpit.domain.scorecard import Config


def zero_reasons(detail: pd.DataFrame, cfg: Config, lang: str = "zh") -> list[str]:
    """One line per indicator of `detail` (scorecard.breakdown) that scored 0 of a positive maximum. Under
    the capped rule nothing is earned when nothing was done: for a balance, when it is not above the
    period's opening (what counts is the increase); under bands, when the value is at or short of the
    floor."""
    rules = {i.metric: i for i in cfg.indicators}
    out = []
    for row in detail.itertuples():
        ind = rules.get(row.indicator)
        if ind is None or not row.max_points or row.points != 0 or pd.isna(row.norm):
            continue
        m = metrics.get(ind.metric)
        if ind.rule == "bands":
            key, floor = "scorecard.why_zero.bands", m.fmt(ind.floor, lang)
        else:
            key, floor = f"scorecard.why_zero.{'stock' if m.is_stock else 'flow'}", ""
        out.append(
            i18n.t(
                key,
                lang,
                metric=m.name(lang),
                max=i18n.fmt(row.max_points, "score", lang),
                value=m.fmt(row.value, lang),
                due=m.fmt(row.due_value, lang),
                floor=floor,
            )
        )
    return out
