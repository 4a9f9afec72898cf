"""Charts and page figures built once for the same inputs, shared by every session.

Building a Plotly figure (traces validated, layout merged) was the largest part of a warm page run: a third of
the SICAS page's. Streamlit runs the whole page again on every click, with the same cached query answers, so
`chart(build, *args)` keeps the figure `build(*args)` gave for those exact inputs: frames compared by their
whole content, the rest by value. `build` is a function of `cockpit.charts` and gets everything it draws
through its arguments (words in the reader's language included), so equal inputs mean an equal chart,
whoever asks. The figure is shared: nothing may change it after (titles go through `titles`).

`derived(compute, *args)` does the same for what a page works out from its query answers before laying it
out (the landing board, the targets table, the scorecard's ranking): a function of `cockpit.domain`,
`cockpit.display` or `cockpit.core`, pure in its arguments. A frame or series it gives is copied for the
caller; anything else is shared and only read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import pickle
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from cockpit.charts.sicas import titled

SIMPLE = (str, int, float, bool, type(None), dt.date)
T = TypeVar("T")
PURE = ("cockpit.domain.", "cockpit.display.", "cockpit.core.")  # what `derived` may keep


def _key(fn: Callable[..., Any], modules: tuple[str, ...], values: tuple) -> str:
    if not fn.__module__.startswith(modules) or getattr(fn, "__closure__", None) is not None:
        raise TypeError(f"{fn.__qualname__}: only functions of {', '.join(modules)} are kept")
    digest = hashlib.sha256(f"{fn.__module__}.{fn.__qualname__}".encode())
    for value in values:
        _feed(digest, value)
    return digest.hexdigest()


def chart(build: Callable[..., Any], *args: Any, titles: tuple[str, ...] = ()) -> Any:
    """`build(*args)`, then `titled(figure, *titles)` when titles are given, built once per set of inputs."""
    return _built(_key(build, ("cockpit.charts.",), (*args, titles)), build, args, titles)


def derived(compute: Callable[..., T], *args: Any) -> T:
    """`compute(*args)`, worked out once per set of inputs (see the module's docstring)."""
    kept = _computed(_key(compute, PURE, args), compute, args)
    return kept.copy() if isinstance(kept, (pd.DataFrame, pd.Series)) else kept


@st.cache_resource(show_spinner=False, ttl=3600, max_entries=2000)
def _computed(key: str, _compute: Callable[..., Any], _args: tuple) -> Any:
    return _compute(*_args)


@st.cache_resource(show_spinner=False, ttl=3600, max_entries=2000)
def _built(key: str, _build: Callable[..., Any], _args: tuple, _titles: tuple[str, ...]) -> Any:
    figure = _build(*_args)
    return titled(figure, *_titles) if _titles else figure


def forget() -> None:
    _built.clear()
    _computed.clear()


def _feed(digest: Any, value: Any) -> None:
    """Add a value to the digest: its type, then its content (a frame whole, never a sample)."""
    digest.update(type(value).__name__.encode())
    if isinstance(value, (pd.DataFrame, pd.Series)):
        frame = value.to_frame() if isinstance(value, pd.Series) else value
        # the frame's pickle holds every cell, its columns, index and types: six times cheaper than
        # hash_pandas_object on Arrow-backed text (a frame laid out otherwise is only a miss)
        digest.update(pickle.dumps(frame, pickle.HIGHEST_PROTOCOL))
    elif isinstance(value, dict):
        for k, v in value.items():
            _feed(digest, k)
            _feed(digest, v)
    elif isinstance(value, (list, tuple)):
        digest.update(str(len(value)).encode())
        for v in value:
            _feed(digest, v)
    elif isinstance(value, (*SIMPLE, np.generic)):
        digest.update(repr(value).encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):  # a forecast, a progress
        _feed(digest, {f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    else:
        raise TypeError(f"a cached chart takes frames, text, numbers, dates, lists and records: {value!r}")
