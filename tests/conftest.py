"""Shared fixtures: the xs demo bank built once per test session, and signed-in AppTest runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def bank(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the xs demo bank and the demo users; the environment points at it. With
    COCKPIT_TEST_STATE=postgres the app state of the whole run is a database on the throwaway cluster."""
    home = tmp_path_factory.mktemp("cockpit_home")
    os.environ["COCKPIT_HOME"] = str(home)
    os.environ.pop("COCKPIT_STATE", None)
    if os.environ.get("COCKPIT_TEST_STATE") == "postgres":
        from pgcluster import fresh_database

        os.environ["COCKPIT_STATE"] = fresh_database(request.getfixturevalue("pg_url"))
    os.environ["COCKPIT_WAREHOUSE"] = str(home / "warehouse.duckdb")
    os.environ["COCKPIT_DEMO"] = "1"
    os.environ.pop("COCKPIT_COOKIE_KEY", None)
    from cockpit.state import auth
    from seed.demo import bank as demo_bank

    demo_bank.build(home / "warehouse.duckdb", "xs", 42)
    auth.ensure_demo_users()
    return home


@pytest.fixture(scope="session")
def pg_url():
    """The URL of a throwaway PostgreSQL cluster's database, one cluster per test run (tests/pgcluster.py)."""
    from pgcluster import cluster

    with cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state(request, bank, tmp_path, monkeypatch):
    """An empty app state holding the demo users, on SQLite and on PostgreSQL; COCKPIT_STATE points at it."""
    yield from _new_state(request, tmp_path, monkeypatch, request.param)


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def pg_state(request, bank, tmp_path, monkeypatch):
    """The same on PostgreSQL only (servers sharing one state); a test using it is marked `postgres`."""
    yield from _new_state(request, tmp_path, monkeypatch, "postgres")


def _new_state(request, tmp_path, monkeypatch, kind: str):
    from pgcluster import fresh_database
    from states import plant_demo_users

    from cockpit.state import db

    target = str(tmp_path / "state.sqlite")
    if kind == "postgres":
        target = fresh_database(request.getfixturevalue("pg_url"))
    plant_demo_users(target)
    monkeypatch.setenv("COCKPIT_STATE", target)
    yield target
    db.engine(target).dispose()


@pytest.fixture(scope="session")
def wh(bank: Path):
    from cockpit.warehouse.layer import open_warehouse

    return open_warehouse(str(bank / "warehouse.duckdb"))


@pytest.fixture(scope="session")
def as_of(wh):
    import pandas as pd

    return pd.Timestamp(wh.sql("select as_of from warehouse_info")["as_of"].iloc[0]).date()


def scope_of(username: str):
    from cockpit.state import auth

    return auth.get_user(username).scope


@pytest.fixture
def app(bank: Path):
    """A factory: an AppTest of the entrypoint, signed in as `username` (or logged out with None)."""
    from streamlit.testing.v1 import AppTest

    def make(
        username: str | None = None, password: str | None = None, lang: str = "en", state: dict | None = None
    ):
        """`state`: session values planted before signing in (as a crafted client could)."""
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.secrets["test_mode"] = True
        at.session_state["lang"] = lang
        for key, value in (state or {}).items():
            at.session_state[key] = value
        at.run()
        if username:
            at.text_input[0].input(username)
            at.text_input[1].input(password or f"{username}-demo")
            at.button[0].click().run()
        return at

    return make


ATTACK_ATTEMPTS: list[str] = []


@pytest.fixture
def attacks() -> list[str]:
    """Attack tests append one entry per attempt; the run's summary prints how many were made."""
    return ATTACK_ATTEMPTS


def pytest_terminal_summary(terminalreporter) -> None:
    if ATTACK_ATTEMPTS:
        kinds = sorted(set(ATTACK_ATTEMPTS))
        terminalreporter.write_line(
            f"access attacks attempted: {len(ATTACK_ATTEMPTS)} ({', '.join(kinds)}), all refused"
        )
