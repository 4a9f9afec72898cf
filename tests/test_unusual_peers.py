"""The peers' baseline of the unusual-change rule: each node's median is that of the OTHER nodes of its
level that week, computed in one sort per group; checked against the plain definition."""

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.guidance.unusual import _median_of_others

rates = st.lists(
    st.one_of(st.none(), st.sampled_from([0.0, 0.1, 0.25, 0.5]), st.floats(0, 1, allow_nan=False)),
    min_size=0,
    max_size=12,
)


def _plain(values: list[float | None]) -> list[float]:
    s = pd.Series(values, dtype=float)
    return [s.drop(i).median() if len(s) - 1 >= 2 else math.nan for i in range(len(s))]


@settings(max_examples=300, deadline=None)
@given(rates)
def test_median_of_others_equals_the_plain_definition(values):
    got = _median_of_others(pd.Series(values, dtype=float)).tolist()
    np.testing.assert_allclose(got, _plain(values), equal_nan=True)


def test_a_node_never_counts_itself():
    got = _median_of_others(pd.Series([0.0, 1.0, 1.0, 0.0, 100.0]))
    assert got.tolist() == [1.0, 0.5, 0.5, 1.0, 0.5]
