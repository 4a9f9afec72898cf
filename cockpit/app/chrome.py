"""Streamlit's own English words in the Chinese interface. Streamlit 1.67 has no parameter for the file
uploader's "Upload" button and "200MB per file" line, nor for the "Running... / Stop" status widget, so in
Chinese they are restyled here: the button reads 选择文件, the size line is hidden (the page's own label
states the file types and the limit), and the status widget is hidden (the entrypoint runs every page
under a spinner in the reader's language, and slow sections show their own). What has a parameter (a
multiselect's placeholder) uses it instead."""

from __future__ import annotations

import streamlit as st

ZH_CSS = """<style>
[data-testid="stStatusWidget"] { visibility: hidden; }
[data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] { display: none; }
[data-testid="stFileUploaderDropzone"] button [data-has-shortcut]::after { content: "选择文件"; }
</style>"""


def localise(lang: str) -> None:
    """Restyle Streamlit's untranslatable words for a Chinese reader (nothing to do in English)."""
    if lang == "zh":
        st.html(ZH_CSS)


def upload_limit_mb() -> int:
    """The largest file an uploader takes (Streamlit's server.maxUploadSize), for the uploader's own label."""
    return int(st.get_option("server.maxUploadSize"))


def _relabels(value: object) -> bool:
    """A value a selection widget shows by its label: a code or an id (bools are buttons and toggles, None an
    empty uploader, dicts a chart's or a table's selection: none of them may be set, none needs it)."""
    if isinstance(value, (list, tuple)):
        return all(_relabels(v) for v in value)
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def relabel_widgets(skip: str) -> None:
    """After a language switch, set every selection widget's value to itself. Streamlit 1.67's browser keeps
    showing a selectbox's old label (its value travels as that label) until the server sends the value
    again; setting it does that, so after 中文 → English a box reads "Daily", not 每日. Call it from the
    switch's callback."""
    for key in list(st.session_state.keys()):
        value = st.session_state[key]
        if key != skip and _relabels(value):
            st.session_state[key] = value
