"""Status drawn by the app as coloured pills (the one palette of cockpit.domain.status), not as emoji:
a machine without an emoji font shows 🟢🟡🔴 as empty boxes."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pandas.io.formats.style import Styler

from cockpit.domain.status import COLOURS, text_colour


def css(status: str) -> str:
    """The cell style of one status: its colour as the background, readable text on it."""
    colour = COLOURS.get(status, COLOURS["no_target"])
    return f"background-color: {colour}; color: {text_colour(status)}; font-weight: 600; border-radius: 10px"


def table(frame: pd.DataFrame, column: str, statuses: Sequence[str]) -> Styler:
    """`frame` for st.dataframe with `column` drawn as pills coloured by `statuses` (one code per row)."""
    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
    styles[column] = [css(s) for s in statuses]
    return frame.style.apply(lambda _: styles, axis=None)


def badge_colour(status: str) -> str:
    """The st.badge colour of a status."""
    return {"green": "green", "amber": "orange", "red": "red"}.get(status, "gray")
