"""Operator tools: the `cockpit` command line, the benchmark and load test, targets workbooks."""
