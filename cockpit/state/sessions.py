"""Sign-in sessions with a server-side record, so that a session can be ended.

The browser's cookie carries a signed token holding only a random session id and its expiry; the app
state keeps a hash of that id, the user, and whether the session has ended. Every run of the app looks
the session up again, so a password change, a sign-out, a lock or a removal ends every open session of
that user at once, in every browser, whatever cookie was copied. A token that does not decode (forged,
wrong key, `alg=none`, another algorithm) is simply no session: the visitor gets the login form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import jwt
from sqlalchemy import Connection, func, select

from cockpit.state import db
from cockpit.state.tables import sessions as table

ALGORITHM = "HS256"  # the only algorithm accepted when a token is read
DAYS = 1.0  # how long a session lasts without signing in again


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now()


def start(username: str, key: str, days: float = DAYS) -> str:
    """A new session for `username`; returns the token for the cookie (the id itself is never stored)."""
    sid = secrets.token_urlsafe(32)
    now = _now()
    expires = now + dt.timedelta(days=days)
    with db.write() as con:
        con.execute(
            table.insert().values(
                sid_hash=_hash(sid),
                username=username,
                created_at=now.isoformat(timespec="seconds"),
                expires_at=expires.isoformat(timespec="seconds"),
            )
        )
    return jwt.encode({"sid": sid, "exp": int(expires.timestamp())}, key, algorithm=ALGORITHM)


def _sid(token: str | None, key: str) -> str | None:
    """The session id in a token, or None for anything that is not a valid token signed with `key`."""
    if not token or len(token) > 2000:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sid"]})
    except Exception:  # every malformed, forged or expired token is no session, never a traceback
        return None
    sid = claims.get("sid")
    return sid if isinstance(sid, str) else None


def user_of(token: str | None, key: str) -> str | None:
    """The username of a live session (not ended, not expired), or None."""
    sid = _sid(token, key)
    if sid is None:
        return None
    with db.read() as con:
        row = (
            con.execute(
                select(table.c.username, table.c.expires_at).where(
                    table.c.sid_hash == _hash(sid), table.c.ended_at.is_(None)
                )
            )
            .mappings()
            .first()
        )
    if row is None or dt.datetime.fromisoformat(row["expires_at"]) <= _now():
        return None
    return str(row["username"])


def end(token: str | None, key: str, why: str = "signed_out") -> None:
    """End the session of one token (sign-out)."""
    sid = _sid(token, key)
    if sid is not None:
        with db.write() as con:
            con.execute(
                table.update()
                .where(table.c.sid_hash == _hash(sid), table.c.ended_at.is_(None))
                .values(ended_at=_now().isoformat(timespec="seconds"), ended_why=why)
            )


def end_all(username: str, why: str, con: Connection | None = None) -> int:
    """End every open session of a user (password change, lock, removal); returns how many were open.
    Given `con`, inside that transaction: the change that ends them and the ending commit together."""
    if con is None:
        with db.write() as own:
            return end_all(username, why, own)
    cur = con.execute(
        table.update()
        .where(table.c.username == username, table.c.ended_at.is_(None))
        .values(ended_at=_now().isoformat(timespec="seconds"), ended_why=why)
    )
    return int(cur.rowcount)


def open_count(username: str) -> int:
    with db.read() as con:
        return int(
            con.execute(
                select(func.count()).where(
                    table.c.username == username,
                    table.c.ended_at.is_(None),
                    table.c.expires_at > _now().isoformat(timespec="seconds"),
                )
            ).scalar_one()
        )
