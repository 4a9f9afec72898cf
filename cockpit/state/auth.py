"""Users, roles, org scopes and login rules. Passwords are stored only as bcrypt hashes.

Roles: executive (the whole bank), branch_head (their org subtree), manager (their own
portfolio node), admin (settings; sees the whole bank). Each user is bound to one or more org
nodes; the scope of every query is the union of their subtrees.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import bcrypt

from cockpit.core import config
from cockpit.state import appstate
from cockpit.warehouse.layer import Scope

ROLES = ("executive", "branch_head", "manager", "admin")

# Demo users for the demo bank: (username, name, role, org nodes). Password: "<username>-demo".
DEMO_USERS = [
    ("exec", "行长 Executive", "executive", ["HO"]),
    ("head_r01", "北京分行行长 Head of Beijing", "branch_head", ["R01"]),
    ("head_r02", "上海分行行长 Head of Shanghai", "branch_head", ["R02"]),
    ("head_r01b02", "中山路支行行长 Head of Zhongshan Rd", "branch_head", ["R01B02"]),
    ("manager1", "客户经理 Account manager", "manager", ["R01B01T1M1"]),
    ("admin", "管理员 Admin", "admin", ["HO"]),
]


NOT_ALLOWED = "no such user or not allowed"  # one answer for both, so a refusal tells nobody who exists


class UserError(ValueError):
    """A user command was wrong: unknown user, bad role, weak password. The message says which."""


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    org_ids: tuple[str, ...]
    password_hash: str
    failed_attempts: int = 0
    locked_until: str | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.username, self.role, self.org_ids)

    def locked(self, now: dt.datetime | None = None) -> bool:
        return self.locked_until is not None and dt.datetime.fromisoformat(self.locked_until) > (
            now or dt.datetime.now()
        )


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def _check_username(username: str) -> str:
    u = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9_.-]{2,40}", u):
        raise UserError(f"username {username!r} must be 2-40 characters of a-z, 0-9, _ . -")
    return u


def add_user(username: str, name: str, role: str, org_ids: list[str], password: str) -> User:
    u = _check_username(username)
    if role not in ROLES:
        raise UserError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not org_ids:
        raise UserError("a user needs at least one org node (--org)")
    if len(password) < 8:
        raise UserError("the password must have at least 8 characters")
    with appstate.connect() as con:
        if con.execute("select 1 from users where username = ?", (u,)).fetchone():
            raise UserError(f"user '{u}' exists already")
        con.execute(
            "insert into users (username, name, role, org_ids, password_hash) values (?, ?, ?, ?, ?)",
            (u, name or u, role, ",".join(org_ids), hash_password(password)),
        )
    return get_user(u)


def get_user(username: str) -> User:
    with appstate.connect() as con:
        row = con.execute("select * from users where username = ?", (username.strip().lower(),)).fetchone()
    if row is None:
        raise UserError(f"{NOT_ALLOWED}: '{str(username)[:40]}'")
    return User(
        row["username"],
        row["name"],
        row["role"],
        tuple(o for o in row["org_ids"].split(",") if o),
        row["password_hash"],
        row["failed_attempts"],
        row["locked_until"],
    )


def list_users() -> list[User]:
    with appstate.connect() as con:
        names = [r[0] for r in con.execute("select username from users order by username")]
    return [get_user(n) for n in names]


def set_password(username: str, password: str) -> None:
    if len(password) < 8:
        raise UserError("the password must have at least 8 characters")
    get_user(username)
    with appstate.connect() as con:
        con.execute(
            "update users set password_hash = ?, failed_attempts = 0, locked_until = null where username = ?",
            (hash_password(password), username.lower()),
        )


def remove_user(username: str) -> None:
    get_user(username)
    with appstate.connect() as con:
        con.execute("delete from users where username = ?", (username.lower(),))


def ensure_demo_users() -> list[str]:
    """Create the demo users that do not exist yet; returns the names created."""
    existing = {u.username for u in list_users()}
    made = []
    for username, name, role, orgs in DEMO_USERS:
        if username not in existing:
            add_user(username, name, role, orgs, f"{username}-demo")
            made.append(username)
    return made


def record_failures(counts: dict[str, int]) -> None:
    """Persist failed-attempt counts; lock an account for a while when it reaches the limit."""
    limit = int(config.get("COCKPIT_LOCKOUT_ATTEMPTS"))
    minutes = int(config.get("COCKPIT_LOCKOUT_MINUTES"))
    with appstate.connect() as con:
        for username, n in counts.items():
            until = (
                (dt.datetime.now() + dt.timedelta(minutes=minutes)).isoformat(timespec="seconds")
                if n >= limit
                else None
            )
            con.execute(
                "update users set failed_attempts = ?, locked_until = ? where username = ?",
                (n, until, username),
            )


def reset_failures(username: str) -> None:
    """Clear a user's failed attempts after a good sign-in (a write only when there is something to clear)."""
    with appstate.connect() as con:
        row = con.execute(
            "select failed_attempts, locked_until from users where username = ?", (username,)
        ).fetchone()
        if row is not None and (row["failed_attempts"] or row["locked_until"]):
            con.execute(
                "update users set failed_attempts = 0, locked_until = null where username = ?", (username,)
            )


def credentials() -> dict:
    """The credentials dict for streamlit-authenticator, with lock state as failed attempts."""
    limit = int(config.get("COCKPIT_LOCKOUT_ATTEMPTS"))
    users = {}
    for u in list_users():
        failed = limit if u.locked() else (0 if u.locked_until else u.failed_attempts)
        users[u.username] = {
            "name": u.name,
            "password": u.password_hash,
            "roles": [u.role],
            "email": f"{u.username}@bank.local",
            "failed_login_attempts": failed,
            "logged_in": False,
        }
    return {"usernames": users}
