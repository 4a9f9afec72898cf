"""Subscriptions: an org node's report (PDF or Excel) or a digest of new insights, sent on a schedule.

Each recipient (an email address or a WeCom group-robot webhook URL) is bound to a user, and what they
receive is governed by that user's scope, whoever created the subscription: the node is delivered only if
it lies in the recipient's scope; otherwise the recipient's own nodes inside it are delivered instead; and
if there are none, nothing is sent and the delivery log says why (cockpit/delivery/send.py). The subscribed
node
must also stay inside the creator's scope, so a subscription never carries more than its creator may see.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from cockpit.state import appstate, auth
from cockpit.warehouse.layer import Warehouse

KINDS = ("pdf", "xlsx", "digest")
FREQUENCIES = ("daily", "weekly", "monthly")
LANGS = ("zh", "en")

DDL = """
create table if not exists subscriptions (
  id integer primary key autoincrement,
  created_by text not null,
  created_at text not null,
  org_id text not null,
  kind text not null,
  frequency text not null,
  lang text not null default 'zh',
  active integer not null default 1
);
create table if not exists subscription_recipients (
  id integer primary key autoincrement,
  subscription_id integer not null references subscriptions(id),
  address text not null,
  channel text not null,
  username text not null
);
create table if not exists delivery_log (
  id integer primary key autoincrement,
  at text not null,
  subscription_id integer not null,
  recipient_id integer,
  address text not null,
  username text not null,
  org_id text,
  status text not null,
  attempts integer not null default 0,
  files text not null default '',
  detail text not null default ''
);
"""

_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
_URL = re.compile(r"https?://[^\s]+")


class SubscriptionError(ValueError):
    """A subscription request was refused; the message says why."""


@dataclass(frozen=True)
class Recipient:
    id: int
    address: str
    channel: str  # email | wecom
    username: str


@dataclass(frozen=True)
class Subscription:
    id: int
    created_by: str
    created_at: str
    org_id: str
    kind: str
    frequency: str
    lang: str
    active: bool
    recipients: tuple[Recipient, ...]


@contextmanager
def connect() -> Iterator[sqlite3.Connection]:
    with appstate.connect(DDL) as con:
        yield con


_SECRET_QUERY = re.compile(r"([?&](?:key|token|access_token|secret|sig|signature)=)([^&#]*)", re.I)


def mask(address: str) -> str:
    """An address as it may be written to a log or the audit: a webhook's key (the robot's only credential)
    cut to its last 4 characters; email addresses unchanged."""
    return _SECRET_QUERY.sub(lambda m: m.group(1) + "…" + m.group(2)[-4:], address)


def channel_of(address: str) -> str:
    """email for an address, wecom for a webhook URL; anything else is refused."""
    a = address.strip()
    if _URL.fullmatch(a):
        return "wecom"
    if _EMAIL.fullmatch(a):
        return "email"
    raise SubscriptionError(
        f"{mask(a)[:80]!r} is neither an email address nor a webhook URL (http:// or https://)"
    )


def create(
    wh: Warehouse,
    by: auth.User,
    org_id: str,
    kind: str,
    frequency: str,
    recipients: Sequence[tuple[str, str]],
    lang: str = "zh",
) -> Subscription:
    """A subscription of a node in the creator's scope; each recipient is (address, username)."""
    wh.check_org(by.scope, org_id)
    if kind not in KINDS:
        raise SubscriptionError(f"kind must be one of {', '.join(KINDS)}")
    if frequency not in FREQUENCIES:
        raise SubscriptionError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    if lang not in LANGS:
        raise SubscriptionError(f"language must be one of {', '.join(LANGS)}")
    if not recipients:
        raise SubscriptionError("a subscription needs at least one recipient")
    checked = []
    mine = wh.visible_orgs(by.scope)
    for address, username in recipients:
        try:
            user = auth.get_user(username)
        except auth.UserError:
            user = None
        # a recipient is the creator or someone inside the creator's scope; one answer otherwise, so the form
        # tells nobody which usernames exist
        if user is None or (user.username != by.username and not set(user.org_ids) <= mine):
            raise SubscriptionError(f"recipient {mask(address)}: {auth.NOT_ALLOWED}")
        checked.append((address.strip(), channel_of(address), user.username))
    with connect() as con:
        cur = con.execute(
            "insert into subscriptions (created_by, created_at, org_id, kind, frequency, lang) "
            "values (?, ?, ?, ?, ?, ?)",
            (by.username, dt.datetime.now().isoformat(timespec="seconds"), org_id, kind, frequency, lang),
        )
        sid = cur.lastrowid
        con.executemany(
            "insert into subscription_recipients (subscription_id, address, channel, username) "
            "values (?, ?, ?, ?)",
            [(sid, *r) for r in checked],
        )
    appstate.audit(
        by.username,
        "subscription_created",
        id=sid,
        org_id=org_id,
        kind=kind,
        frequency=frequency,
        recipients=[mask(r[0]) for r in checked],
    )
    return get(int(sid or 0))


def _load(con: sqlite3.Connection, row: sqlite3.Row) -> Subscription:
    rs = tuple(
        Recipient(r["id"], r["address"], r["channel"], r["username"])
        for r in con.execute(
            "select * from subscription_recipients where subscription_id = ? order by id", (row["id"],)
        )
    )
    return Subscription(
        row["id"],
        row["created_by"],
        row["created_at"],
        row["org_id"],
        row["kind"],
        row["frequency"],
        row["lang"],
        bool(row["active"]),
        rs,
    )


def get(sid: int) -> Subscription:
    with connect() as con:
        row = con.execute("select * from subscriptions where id = ?", (int(sid),)).fetchone()
        if row is None:
            raise SubscriptionError(f"there is no subscription #{sid}")
        return _load(con, row)


def all_subscriptions(active_only: bool = False) -> list[Subscription]:
    with connect() as con:
        rows = con.execute(
            "select * from subscriptions" + (" where active = 1" if active_only else "") + " order by id"
        ).fetchall()
        return [_load(con, r) for r in rows]


def mine(user: auth.User, wh: Warehouse | None = None) -> list[Subscription]:
    """The subscriptions a user created (admins see them all); given the warehouse, only those whose node the
    user may still see (checked when read: a creator who has moved loses sight of the old node's)."""
    subs = all_subscriptions()
    if user.role == "admin":
        return subs
    visible = wh.visible_orgs(user.scope) if wh is not None else None
    return [s for s in subs if s.created_by == user.username and (visible is None or s.org_id in visible)]


def set_active(by: auth.User, sid: int, active: bool) -> Subscription:
    sub = get(sid)
    if by.username != sub.created_by and by.role != "admin":
        raise SubscriptionError(f"subscription #{sid}: no such subscription or not allowed")
    with connect() as con:
        con.execute("update subscriptions set active = ? where id = ?", (int(active), int(sid)))
    appstate.audit(by.username, "subscription_" + ("resumed" if active else "paused"), id=sid)
    return get(int(sid or 0))


def log(
    sub: Subscription,
    recipient: Recipient,
    org_id: str | None,
    status: str,
    attempts: int = 0,
    files: Sequence[str] = (),
    detail: str = "",
) -> None:
    with connect() as con:
        con.execute(
            "insert into delivery_log (at, subscription_id, recipient_id, address, username, "
            "org_id, status, attempts,"
            " files, detail) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                dt.datetime.now().isoformat(timespec="seconds"),
                sub.id,
                recipient.id,
                mask(recipient.address),
                recipient.username,
                org_id,
                status,
                attempts,
                ", ".join(files),
                mask(detail)[:1000],
            ),
        )


def delivery_log(limit: int = 500) -> list[dict]:
    with connect() as con:
        return [dict(r) for r in con.execute("select * from delivery_log order by id desc limit ?", (limit,))]


def log_since(after_id: int) -> list[dict]:
    """The log rows written after row `after_id`, oldest first."""
    with connect() as con:
        return [
            dict(r) for r in con.execute("select * from delivery_log where id > ? order by id", (after_id,))
        ]


def last_sent(sid: int) -> dt.datetime | None:
    with connect() as con:
        row = con.execute(
            "select max(at) from delivery_log where subscription_id = ? and status = 'sent'", (int(sid),)
        ).fetchone()
    return dt.datetime.fromisoformat(row[0]) if row and row[0] else None


def is_due(sub: Subscription, now: dt.datetime) -> bool:
    """Due when nothing was sent yet in the current day, ISO week or month."""
    last = last_sent(sub.id)
    if last is None:
        return True
    if sub.frequency == "daily":
        return last.date() < now.date()
    if sub.frequency == "weekly":
        return last.isocalendar()[:2] != now.isocalendar()[:2]
    return (last.year, last.month) != (now.year, now.month)
