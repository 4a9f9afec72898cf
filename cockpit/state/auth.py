"""Users, roles, org scopes and sign-in rules. Passwords are stored only as bcrypt hashes.

Roles: executive (the whole bank), branch_head (their org subtree), manager (their own
portfolio node), admin (settings; sees the whole bank). Each user is bound to one or more org
nodes; the scope of every query is the union of their subtrees.

Sign-in takes the same time whether or not the username exists (bcrypt runs against a stand-in hash),
and says the same thing. Wrong passwords slow down the source they come from, per username and source,
doubling the wait each time: an attacker elsewhere cannot lock the executive out. Only an admin locks an
account (`cockpit users lock`); a lock, a password change and a removal end every session of the user.
Every failed sign-in, back-off and user change is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import bcrypt
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cockpit.core import config
from cockpit.state import appstate, db, sessions
from cockpit.state.tables import sign_in_failures as failures_table
from cockpit.state.tables import users as users_table
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


class SignInRefused(PermissionError):
    """A sign-in was refused: `kind` is 'failed' (wrong username or password, or a locked account: the same
    answer) or 'wait' (too many failures from this source: `minutes` until it may try again)."""

    def __init__(self, kind: str, minutes: int = 0):
        super().__init__(kind)
        self.kind, self.minutes = kind, minutes


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
    return bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt()).decode()  # bcrypt reads 72 bytes


@lru_cache(maxsize=1)
def _stand_in_hash() -> bytes:
    """A hash of the same cost as real ones, checked for unknown usernames so they take as long."""
    return bcrypt.hashpw(b"no such user", bcrypt.gensalt())


def _check_username(username: str) -> str:
    u = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9_.-]{2,40}", u):
        raise UserError(f"username {username!r} must be 2-40 characters of a-z, 0-9, _ . -")
    return u


def add_user(username: str, name: str, role: str, org_ids: list[str], password: str, by: str = "cli") -> User:
    u = _check_username(username)
    if role not in ROLES:
        raise UserError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not org_ids:
        raise UserError("a user needs at least one org node (--org)")
    if len(password) < 8:
        raise UserError("the password must have at least 8 characters")
    hashed = hash_password(password)  # bcrypt outside the write lock
    try:
        with db.write() as con:
            con.execute(
                users_table.insert().values(
                    username=u, name=name or u, role=role, org_ids=",".join(org_ids), password_hash=hashed
                )
            )
    except IntegrityError:  # the key decides, so two servers adding the same name at once cannot both
        raise UserError(f"user '{u}' exists already") from None
    appstate.audit(by, "user_added", user=u, role=role, orgs=list(org_ids))
    return get_user(u)


def get_user(username: str) -> User:
    with db.read() as con:
        row = (
            con.execute(select(users_table).where(users_table.c.username == str(username).strip().lower()))
            .mappings()
            .first()
        )
    if row is None:
        raise UserError(f"{NOT_ALLOWED}: '{str(username)[:40]}'")
    return _user(row)


def _user(row: Any) -> User:
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
    """Every user, in one read (pages name the users of actions and logs on every run)."""
    with db.read() as con:
        rows = con.execute(select(users_table).order_by(users_table.c.username)).mappings().all()
    return [_user(r) for r in rows]


def set_password(username: str, password: str, by: str = "cli") -> None:
    """A new password; every open session of the user ends in the same transaction (a stolen cookie stops
    working with it, never after it)."""
    if len(password) < 8:
        raise UserError("the password must have at least 8 characters")
    u, hashed = get_user(username).username, hash_password(password)  # bcrypt outside the write lock
    with db.write() as con:
        con.execute(users_table.update().where(users_table.c.username == u).values(password_hash=hashed))
        con.execute(failures_table.delete().where(failures_table.c.username == u))
        ended = sessions.end_all(u, "password_changed", con)
    appstate.audit(by, "password_set", user=u, sessions_ended=ended)


def remove_user(username: str, by: str = "cli") -> None:
    u = get_user(username).username
    with db.write() as con:
        con.execute(users_table.delete().where(users_table.c.username == u))
        ended = sessions.end_all(u, "removed", con)
    appstate.audit(by, "user_removed", user=u, sessions_ended=ended)


LOCKED_FOREVER = "9999-12-31T00:00:00"


def lock_user(username: str, by: str = "cli") -> None:
    """An admin's lock: the account cannot sign in until unlocked, and its open sessions end now."""
    u = get_user(username).username
    with db.write() as con:
        con.execute(
            users_table.update().where(users_table.c.username == u).values(locked_until=LOCKED_FOREVER)
        )
        ended = sessions.end_all(u, "locked", con)
    appstate.audit(by, "user_locked", user=u, sessions_ended=ended)


def unlock_user(username: str, by: str = "cli") -> None:
    """Lift an admin's lock and every source's back-off for the user."""
    u = get_user(username).username
    with db.write() as con:
        con.execute(
            users_table.update()
            .where(users_table.c.username == u)
            .values(locked_until=None, failed_attempts=0)
        )
        con.execute(failures_table.delete().where(failures_table.c.username == u))
    appstate.audit(by, "user_unlocked", user=u)


def ensure_demo_users() -> list[str]:
    """Create the demo users once per data folder; returns the names created. A demo user removed later
    stays removed: the data folder remembers that they were created."""
    if appstate.flag("demo_users_created"):
        return []
    existing = {u.username for u in list_users()}
    made = []
    for username, name, role, orgs in DEMO_USERS:
        if username not in existing:
            add_user(username, name, role, orgs, f"{username}-demo", by="demo")
            made.append(username)
    appstate.set_flag("demo_users_created")
    return made


def _backoff_minutes(failures: int) -> int:
    """Minutes a source waits after `failures` wrong passwords in a row for one username: none below the
    limit, then COCKPIT_LOCKOUT_MINUTES, doubled by every further failure (at most a day)."""
    limit = int(config.get("COCKPIT_LOCKOUT_ATTEMPTS"))
    if failures < limit:
        return 0
    return min(int(config.get("COCKPIT_LOCKOUT_MINUTES")) * 2 ** min(failures - limit, 10), 24 * 60)


def _failures_of(username: str, source: str) -> Any:
    return (failures_table.c.username == username) & (failures_table.c.source == source)


def _wait(username: str, source: str, now: dt.datetime) -> int:
    with db.read() as con:
        until = con.execute(
            select(failures_table.c.locked_until).where(_failures_of(username, source))
        ).scalar()
    if not until:
        return 0
    left = (dt.datetime.fromisoformat(until) - now).total_seconds()
    return max(0, -int(-left // 60))


def _record_failure(username: str, source: str, now: dt.datetime) -> int:
    """Count a wrong password from `source`; returns the minutes it must now wait (0: none).

    The count is raised in the database (`failures + 1` under the row's lock), so failures sent at once
    to several servers sharing the state all count."""
    with db.write() as con:
        appstate.insert_ignore(con, failures_table, username=username, source=source, failures=0)
        failures = con.execute(
            failures_table.update()
            .where(_failures_of(username, source))
            .values(failures=failures_table.c.failures + 1)
            .returning(failures_table.c.failures)
        ).scalar_one()
        minutes = _backoff_minutes(failures)
        until = (now + dt.timedelta(minutes=minutes)).isoformat(timespec="seconds") if minutes else None
        con.execute(failures_table.update().where(_failures_of(username, source)).values(locked_until=until))
    return minutes


def source_of(peer: str | None, real_ip: str | None) -> str:
    """The client address a sign-in is counted under: the connection's peer (`local` when on this machine),
    or, when that peer is a proxy listed in COCKPIT_TRUSTED_PROXIES, the X-Real-IP it set. A header from
    anyone else is ignored, so a client cannot pick the address its failures are counted under."""
    peer = peer or "local"
    trusted = {p.strip() for p in config.get("COCKPIT_TRUSTED_PROXIES").split(",") if p.strip()}
    if peer not in trusted or not real_ip:
        return peer
    try:
        return str(ipaddress.ip_address(real_ip.strip()))
    except ValueError:
        return peer


def sign_in(username: str, password: str, source: str) -> User:
    """The user for a username and password from `source` (the client's address), or SignInRefused.

    bcrypt runs for every attempt, against a stand-in hash for an unknown username, so the time taken does
    not tell which users exist; a wrong password, an unknown user and a locked account get one answer."""
    typed = str(username).strip().lower()[:40]
    source = str(source or "unknown")[:64]
    now = dt.datetime.now()
    waiting = _wait(typed, source, now)
    if waiting:
        appstate.audit(typed or "-", "login_refused_backoff", source=source, minutes=waiting)
        raise SignInRefused("wait", waiting)
    try:
        user: User | None = get_user(typed)
    except UserError:
        user = None
    stored = user.password_hash.encode() if user else _stand_in_hash()
    good = bcrypt.checkpw(str(password).encode()[:72], stored) and user is not None
    if good and user is not None and not user.locked(now):
        with db.write() as con:
            con.execute(failures_table.delete().where(_failures_of(typed, source)))
        appstate.audit(user.username, "login", source=source)
        return user
    minutes = _record_failure(typed, source, now)
    appstate.audit(
        typed or "-",
        "login_failed",
        source=source,
        known=user is not None,
        locked=bool(user and user.locked(now)),
    )
    if minutes:
        appstate.audit(typed or "-", "login_backoff", source=source, minutes=minutes)
    raise SignInRefused("failed")
