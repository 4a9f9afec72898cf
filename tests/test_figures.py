"""Cached charts (cockpit/app/figures.py): the same inputs give the same figure, built once; any change in a
frame's content, a word or a number builds another; only chart functions taking everything as arguments are
cached."""

from __future__ import annotations

import pandas as pd
import plotly.io as pio
import pytest

from cockpit.app import figures
from cockpit.charts import channels as charts


def frame() -> pd.DataFrame:
    return pd.DataFrame({"bucket": ["1", "2", "3+"], "share": [0.5, 0.3, 0.2]})


def test_the_same_inputs_give_the_very_same_figure_and_it_is_the_built_one():
    figures.forget()
    first = figures.chart(charts.bars, frame(), "bucket", "share", {}, True, "Channels", titles=("T",))
    again = figures.chart(charts.bars, frame(), "bucket", "share", {}, True, "Channels", titles=("T",))
    assert again is first
    built = charts.titled(charts.bars(frame(), "bucket", "share", {}, True, "Channels"), "T")
    assert pio.to_json(first) == pio.to_json(built)


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.assign(share=[0.5, 0.3, 0.21]),  # one cell
        lambda f: f.iloc[::-1],  # the order of the rows
        lambda f: f.rename(columns={"share": "share"}).astype({"share": "float32"}),  # a type
    ],
)
def test_any_change_in_a_frame_builds_another_figure(change):
    figures.forget()
    first = figures.chart(charts.bars, frame(), "bucket", "share", {}, True, "Channels")
    other = figures.chart(charts.bars, change(frame()), "bucket", "share", {}, True, "Channels")
    assert other is not first


def test_another_word_or_title_builds_another_figure():
    figures.forget()
    zh = figures.chart(charts.bars, frame(), "bucket", "share", {}, True, "渠道")
    en = figures.chart(charts.bars, frame(), "bucket", "share", {}, True, "Channels")
    titled = figures.chart(charts.bars, frame(), "bucket", "share", {}, True, "Channels", titles=("T",))
    assert len({id(zh), id(en), id(titled)}) == 3


def test_only_chart_functions_given_all_they_draw_are_cached():
    word = "hidden"
    with pytest.raises(TypeError, match="only functions of cockpit.charts"):
        figures.chart(lambda f: charts.bars(f, "bucket", "share", {}, True, word), frame())
    with pytest.raises(TypeError, match="cached chart takes"):
        figures.chart(charts.bars, frame(), "bucket", "share", {}, True, object())


CALLS: list[str] = []


def counted_table(df, units, lang="zh"):
    """i18n.table, counting its calls (a function without closures, as `derived` keeps)."""
    from cockpit.core import i18n

    CALLS.append(lang)
    return i18n.table(df, units, lang)


counted_table.__module__ = "cockpit.core.i18n"  # kept as one of the modules `derived` serves


def test_a_derived_table_is_worked_out_once_and_each_caller_gets_its_own_copy():
    from cockpit.core import i18n

    figures.forget()
    CALLS.clear()
    expected = list(i18n.table(frame(), {"share": "pct"}, "en").share)
    first = figures.derived(counted_table, frame(), {"share": "pct"}, "en")
    assert list(first.share) == expected
    first["share"] = "changed by the page"  # the caller's copy: the kept one is untouched
    again = figures.derived(counted_table, frame(), {"share": "pct"}, "en")
    assert CALLS == ["en"] and list(again.share) == expected
    figures.derived(counted_table, frame().assign(share=[0.5, 0.3, 0.21]), {"share": "pct"}, "en")
    figures.derived(counted_table, frame(), {"share": "pct"}, "zh")
    assert CALLS == ["en", "en", "zh"]  # one changed cell, another language: worked out again


def test_only_pure_functions_of_the_domain_display_and_core_are_derived():
    with pytest.raises(TypeError, match="only functions of cockpit.domain"):
        figures.derived(charts.bars, frame(), "bucket", "share", {}, True, "Channels")
    units = {"share": "pct"}
    with pytest.raises(TypeError, match="only functions of"):
        figures.derived(lambda f: f.assign(**units), frame())
