"""Behaviour under trouble: a clear message, never a traceback, when the
warehouse is missing or unreachable.
"""

import pytest


@pytest.mark.parametrize(
    "target,expect",
    [
        ("/nonexistent/folder/warehouse.duckdb", "cockpit seed"),
        ("postgresql+psycopg://app@127.0.0.1:9/cockpit", "could not be reached"),
    ],
)
def test_unreachable_warehouse_shows_a_message_not_a_traceback(app, monkeypatch, target, expect):
    monkeypatch.setenv("COCKPIT_WAREHOUSE", target)
    at = app("exec")
    assert not at.exception
    assert any(expect in e.value for e in at.error), [e.value for e in at.error]
    assert not at.metric


def test_cli_query_on_a_missing_warehouse_says_what_to_do(tmp_path):
    import contextlib
    import io

    from cockpit.ops.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = main(["--db", str(tmp_path / "none.duckdb"), "query", "org_tree", "--as", "exec"])
    assert rc == 2 and "cockpit seed" in err.getvalue()


def test_demo_cookie_key_is_refused_outside_a_demo(monkeypatch):
    from cockpit.core import config

    monkeypatch.setenv("COCKPIT_DEMO", "0")
    monkeypatch.delenv("COCKPIT_COOKIE_KEY", raising=False)
    with pytest.raises(config.ConfigError, match="COCKPIT_COOKIE_KEY"):
        config.cookie_key()
    monkeypatch.setenv("COCKPIT_COOKIE_KEY", config.DEMO_COOKIE_KEY)
    with pytest.raises(config.ConfigError, match="public"):
        config.cookie_key()
    monkeypatch.setenv("COCKPIT_COOKIE_KEY", "short")
    with pytest.raises(config.ConfigError, match="32 bytes"):
        config.cookie_key()


def test_app_outside_a_demo_without_a_key_explains_instead_of_starting(app, monkeypatch):
    monkeypatch.setenv("COCKPIT_DEMO", "0")
    monkeypatch.delenv("COCKPIT_COOKIE_KEY", raising=False)
    at = app(None)
    assert not at.exception
    assert any("COCKPIT_COOKIE_KEY" in e.value for e in at.error)
    assert not at.text_input  # no login form without a safe key
