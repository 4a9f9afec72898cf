"""Charts built once for the same inputs, shared by every session.

Building a Plotly figure (traces validated, layout merged) was the largest part of a warm page run: a third of
the SICAS page's. Streamlit runs the whole page again on every click, with the same cached query answers, so
`chart(build, *args)` keeps the figure `build(*args)` gave for those exact inputs: frames compared by their
whole content, the rest by value. `build` is a function of `cockpit.charts` and gets everything it draws
through its arguments (words in the reader's language included), so equal inputs mean an equal chart,
whoever asks. The figure is shared: nothing may change it after (titles go through `titles`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from cockpit.charts.sicas import titled

SIMPLE = (str, int, float, bool, type(None), dt.date)


def chart(build: Callable[..., Any], *args: Any, titles: tuple[str, ...] = ()) -> Any:
    """`build(*args)`, then `titled(figure, *titles)` when titles are given, built once per set of inputs."""
    if not build.__module__.startswith("cockpit.charts.") or build.__closure__ is not None:
        raise TypeError(f"{build.__qualname__}: only functions of cockpit.charts draw cached charts")
    digest = hashlib.sha256(f"{build.__module__}.{build.__qualname__}".encode())
    for value in (*args, titles):
        _feed(digest, value)
    return _built(digest.hexdigest(), build, args, titles)


@st.cache_resource(show_spinner=False, ttl=3600, max_entries=2000)
def _built(key: str, _build: Callable[..., Any], _args: tuple, _titles: tuple[str, ...]) -> Any:
    figure = _build(*_args)
    return titled(figure, *_titles) if _titles else figure


def forget() -> None:
    _built.clear()


def _feed(digest: Any, value: Any) -> None:
    """Add a value to the digest: its type, then its content (a frame whole, never a sample)."""
    digest.update(type(value).__name__.encode())
    if isinstance(value, (pd.DataFrame, pd.Series)):
        frame = value.to_frame() if isinstance(value, pd.Series) else value
        digest.update(repr((list(frame.columns), [str(t) for t in frame.dtypes], frame.shape)).encode())
        try:
            digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        except TypeError:  # cells holding lists
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
