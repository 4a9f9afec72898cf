"""Plotly figure builders, one module per page family. They take DataFrames and return figures, so
tests can assert on the figures and reports can render the same charts."""
