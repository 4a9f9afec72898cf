"""Settings: one registry with defaults and help text, read from the environment.

Every setting can come from an environment variable; the Streamlit app also reads
`.streamlit/secrets.toml` for the cookie key. tests/test_docs.py checks that every
setting is documented in the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# A fixed key that is public (it is in this file). It is only accepted when the instance runs as a demo.
COOKIE_NAME = "beidou_cockpit"  # the sign-in cookie the browser keeps
DEMO_COOKIE_KEY = "beidou-demo-cookie-key-not-secret-0123456789"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "COCKPIT_HOME",
        "./data",
        "Data folder: the app's own state (users, audit log) and the default DuckDB warehouse.",
    ),
    Setting(
        "COCKPIT_WAREHOUSE",
        "",
        "Warehouse: a DuckDB file path or any SQLAlchemy URL. Default: $COCKPIT_HOME/warehouse.duckdb.",
    ),
    Setting(
        "COCKPIT_STATE",
        "",
        "The app's own state (users, sessions, audit log, actions, subscriptions): a SQLite file path or "
        "a PostgreSQL URL (postgresql+psycopg://...) that several servers share. "
        "Default: $COCKPIT_HOME/state.sqlite.",
    ),
    Setting(
        "COCKPIT_COOKIE_KEY",
        "",
        "Secret (>= 32 bytes) that signs the login cookie. Required unless COCKPIT_DEMO=1.",
    ),
    Setting(
        "COCKPIT_DEMO",
        "0",
        "1 runs the instance as a demo: demo users and the public demo cookie key are accepted, "
        "and pages say it is a demo.",
    ),
    Setting(
        "COCKPIT_LOCKOUT_ATTEMPTS",
        "5",
        "Wrong passwords in a row for one username from one address before that address must wait.",
    ),
    Setting(
        "COCKPIT_LOCKOUT_MINUTES",
        "15",
        "Minutes that address waits, doubled by each further failure (at most a day).",
    ),
    Setting(
        "COCKPIT_TRUSTED_PROXIES",
        "",
        "Reverse proxies in front of the servers (addresses, comma-separated; `local` for one on the same "
        "machine): their X-Real-IP header names the client for the sign-in back-off. Empty: the "
        "connection's own address.",
    ),
    Setting(
        "COCKPIT_SMTP_HOST",
        "",
        "SMTP server that `cockpit deliver` sends subscribed reports through; empty: email "
        "deliveries fail and are logged.",
    ),
    Setting("COCKPIT_SMTP_PORT", "25", "SMTP port (STARTTLS is used when the server offers it)."),
    Setting("COCKPIT_SMTP_USER", "", "SMTP login; empty: no login."),
    Setting("COCKPIT_SMTP_PASSWORD", "", "SMTP password (a secret: set it in the environment)."),
    Setting("COCKPIT_SMTP_FROM", "cockpit@localhost", "Sender address of delivered reports."),
    Setting("COCKPIT_DELIVERY_ATTEMPTS", "3", "Attempts per delivery before it is logged as failed."),
    Setting(
        "COCKPIT_DELIVERY_BACKOFF",
        "5",
        "Seconds before the first retry of a failed delivery; doubled after each attempt.",
    ),
    Setting(
        "COCKPIT_DELIVERY_CLAIM_MINUTES",
        "30",
        "Minutes a `cockpit deliver` run holds a subscription it is sending; after that another run may "
        "take it (the first one crashed).",
    ),
    Setting(
        "COCKPIT_BUILD_MEMORY",
        "8GB",
        "DuckDB memory limit while `cockpit build` (and seed or import) writes the marts, e.g. 8GB, shared "
        "out among the stored guidance's processes; beyond it DuckDB spills to disk.",
    ),
    Setting(
        "COCKPIT_BUILD_THREADS",
        "",
        "DuckDB threads for building the marts, and the stored guidance's processes; empty: one per core.",
    ),
    Setting(
        "COCKPIT_ANONYMISE_PEERS",
        "0",
        "1 hides peers' names in rankings: branch heads see 'Peer 1', 'Peer 2' with their scores and ranks.",
    ),
)


def private_files() -> None:
    """Files this process creates from now on (app state, warehouse, reports, logs) are readable and writable
    by their owner only (mode 600, folders 700): they hold password hashes, sessions and the bank's data."""
    os.umask(0o077)


def get(name: str) -> str:
    """The value of a registered setting: the environment first, then the default."""
    for s in SETTINGS:
        if s.name == name:
            return os.environ.get(name, s.default)
    raise KeyError(f"unknown setting {name}")


def home() -> Path:
    """The data folder, created on first use."""
    p = Path(get("COCKPIT_HOME")).expanduser()
    p.mkdir(parents=True, exist_ok=True)
    return p


def warehouse_target(db: str | None = None) -> str:
    """The warehouse as given (--db, then COCKPIT_WAREHOUSE), or the default DuckDB file."""
    return db or get("COCKPIT_WAREHOUSE") or str(home() / "warehouse.duckdb")


def is_demo() -> bool:
    return get("COCKPIT_DEMO").strip().lower() in {"1", "true", "yes"}


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the message says which and what to do."""


def cookie_key(secret_from_app: str | None = None) -> str:
    """The cookie-signing key. The public demo key is refused unless the instance is a demo."""
    key = secret_from_app or get("COCKPIT_COOKIE_KEY")
    if not key:
        if is_demo():
            return DEMO_COOKIE_KEY
        raise ConfigError(
            "No cookie key: set COCKPIT_COOKIE_KEY (32+ random bytes) or run as a demo with COCKPIT_DEMO=1."
        )
    if key == DEMO_COOKIE_KEY and not is_demo():
        raise ConfigError(
            "The demo cookie key is public and refused outside a demo: set COCKPIT_COOKIE_KEY to a secret."
        )
    if len(key.encode()) < 32:
        raise ConfigError("COCKPIT_COOKIE_KEY is shorter than 32 bytes: use a longer random secret.")
    return key
