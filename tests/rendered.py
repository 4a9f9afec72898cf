"""What a reader must never see in rendered text: a raw org or manager id, a snake_case code, None / nan,
and in the Chinese interface English words other than the proper names and abbreviations below."""

from __future__ import annotations

import re

RAW_ID = re.compile(r"(?<![A-Za-z0-9])(?:HO|R\d{2}(?:B\d{2})?(?:T\d+)?(?:M\d+)?)(?![A-Za-z0-9])")
SNAKE = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")
BLANKS = re.compile(r"(?<![A-Za-z])(?:None|nan|NaN|NaT|null|undefined)(?![A-Za-z])")
EXAMPLES = re.compile(r"\S+@\S+|https?://\S+")  # an address or a web hook: written as it is
# Streamlit's markdown directives around what the reader sees: :red-badge[落后], :material/flag:
MARKUP = re.compile(r":[a-z]+-(?:badge|background)\[|:material/[a-z_]+:")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'-]+")
# Proper names and abbreviations a Chinese banker reads as they are.
ALLOWED_IN_ZH = {"SICAS", "AUM", "App", "SLA", "KPI", "ID", "UCI", "English", "min", "max"}
ALLOWED_IN_ZH |= {"PDF", "Excel", "CSV", "TXT", "TSV", "Parquet", "xlsx", "MB"}  # file formats, sizes


def problems(text: str, lang: str, allowed: set[str] = frozenset()) -> list[str]:
    """Every offending token of `text` (empty when it reads clean), each with a little context."""
    found = []
    text = MARKUP.sub(" ", EXAMPLES.sub(" ", text))

    def note(m: re.Match) -> None:
        if m.group() in allowed:
            return
        found.append(text[max(0, m.start() - 20) : m.end() + 20].replace("\n", " "))

    for pattern in (RAW_ID, SNAKE, BLANKS):
        for m in pattern.finditer(text):
            note(m)
    if lang == "zh":
        for m in LATIN_WORD.finditer(text):
            if m.group() not in ALLOWED_IN_ZH:
                note(m)
    return found


def _strings(node) -> list[str]:
    """The visible strings of one AppTest element (labels, values, options, table headers and cells)."""
    import pandas as pd

    out: list[str] = []
    # a widget with options shows its options (formatted); its value is the internal code behind them
    attrs = ("label", "options", "placeholder") if hasattr(node, "options") else ("label", "value", "body")
    for attr in attrs:
        try:
            v = getattr(node, attr)
        except Exception:  # an element without that attribute, or one that needs a session to read it
            continue
        if isinstance(v, pd.DataFrame):
            out += [str(c) for c in v.columns]
            out += [str(x) for x in v.astype(str).to_numpy().ravel()]
        elif isinstance(v, str):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            out += [str(x) for x in v if isinstance(x, str)]
    return out


def app_text(at) -> str:
    """Every string an AppTest run shows, main area and sidebar, one per line."""
    seen: list[str] = []

    def walk(node) -> None:
        children = getattr(node, "children", None)
        if isinstance(children, dict) and children:
            for child in children.values():
                walk(child)
        else:
            seen.extend(_strings(node))

    walk(at._tree)
    return "\n".join(seen)


def each_tab(at, key: str = "ch_tab"):
    """The page as it is, then, when it draws its tabs lazily (`st.tabs(key=key, on_change="rerun")`: only the
    open tab's content), run once with each of them open: what a reader sees tab by tab."""
    yield at
    if key not in at.session_state:
        return
    labels = [t.label for t in at.tabs]
    for label in labels[1:]:
        at.session_state[key] = label
        at.run()
        yield at
    at.session_state[key] = labels[0]
    at.run()
