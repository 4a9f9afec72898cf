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
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, RowMapping, func, select

from cockpit.core import config
from cockpit.state import appstate, auth, db
from cockpit.state.tables import delivery_log as log_table
from cockpit.state.tables import subscription_recipients as recipients_table
from cockpit.state.tables import subscriptions as table
from cockpit.warehouse.layer import Warehouse

KINDS = ("pdf", "xlsx", "digest")
FREQUENCIES = ("daily", "weekly", "monthly")
LANGS = ("zh", "en")

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


connect = appstate.connect  # a write transaction on the state, for callers that plant or repair rows

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
    with db.write() as con:
        sid = con.execute(
            table.insert()
            .values(
                created_by=by.username,
                created_at=appstate.now(),
                org_id=org_id,
                kind=kind,
                frequency=frequency,
                lang=lang,
            )
            .returning(table.c.id)
        ).scalar_one()
        con.execute(
            recipients_table.insert(),
            [{"subscription_id": sid, "address": a, "channel": c, "username": u} for a, c, u in checked],
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
    return get(int(sid))


def _load(con: Connection, row: RowMapping) -> Subscription:
    r = recipients_table.c
    rs = tuple(
        Recipient(x["id"], x["address"], x["channel"], x["username"])
        for x in con.execute(
            select(r.id, r.address, r.channel, r.username)
            .where(r.subscription_id == row["id"])
            .order_by(r.id)
        ).mappings()
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
    with db.read() as con:
        row = con.execute(select(table).where(table.c.id == int(sid))).mappings().first()
        if row is None:
            raise SubscriptionError(f"there is no subscription #{sid}")
        return _load(con, row)


def all_subscriptions(active_only: bool = False) -> list[Subscription]:
    query = select(table).order_by(table.c.id)
    with db.read() as con:
        rows = con.execute(query.where(table.c.active == 1) if active_only else query).mappings().all()
        return [_load(con, r) for r in rows]


def mine(user: auth.User, wh: Warehouse | None = None) -> list[Subscription]:
    """The subscriptions a user created (admins see them all); given the warehouse, only those whose node the
    user may still see (checked when read: a creator who has moved loses sight of the old node's)."""
    subs = all_subscriptions()
    if user.role == "admin":
        return subs
    subs = [s for s in subs if s.created_by == user.username]
    visible = wh.paths(user.scope, {s.org_id for s in subs}) if wh is not None else None  # their nodes only
    return [s for s in subs if visible is None or s.org_id in visible]


def set_active(by: auth.User, sid: int, active: bool) -> Subscription:
    sub = get(sid)
    if by.username != sub.created_by and by.role != "admin":
        raise SubscriptionError(f"subscription #{sid}: no such subscription or not allowed")
    with db.write() as con:
        con.execute(table.update().where(table.c.id == int(sid)).values(active=int(active)))
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
    with db.write() as con:
        con.execute(
            log_table.insert().values(
                at=appstate.now(),
                subscription_id=sub.id,
                recipient_id=recipient.id,
                address=mask(recipient.address),
                username=recipient.username,
                org_id=org_id,
                status=status,
                attempts=attempts,
                files=", ".join(files),
                detail=mask(detail)[:1000],
            )
        )


def delivery_log(limit: int = 500) -> list[dict]:
    with db.read() as con:
        return [
            dict(r)
            for r in con.execute(select(log_table).order_by(log_table.c.id.desc()).limit(limit)).mappings()
        ]


def log_since(after_id: int) -> list[dict]:
    """The log rows written after row `after_id`, oldest first."""
    query = select(log_table).where(log_table.c.id > after_id).order_by(log_table.c.id)
    with db.read() as con:
        return [dict(r) for r in con.execute(query).mappings()]


def last_sent(sid: int) -> dt.datetime | None:
    with db.read() as con:
        at = con.execute(
            select(func.max(log_table.c.at)).where(
                log_table.c.subscription_id == int(sid), log_table.c.status == "sent"
            )
        ).scalar()
    return dt.datetime.fromisoformat(at) if at else None


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


def claim(sid: int, by: str, at: dt.datetime | None = None) -> bool:
    """Take subscription `sid` for the delivery run `by`: True for the one run that got it. A claim older
    than COCKPIT_DELIVERY_CLAIM_MINUTES is taken again (its run crashed). One conditional update decides, so
    two runs started at the same moment, on one machine or on two, never both send."""
    at = at or dt.datetime.now()
    stale = (at - dt.timedelta(minutes=float(config.get("COCKPIT_DELIVERY_CLAIM_MINUTES")))).isoformat(
        timespec="seconds"
    )
    with db.write() as con:
        taken = con.execute(
            table.update()
            .where(table.c.id == int(sid), (table.c.claimed_by.is_(None)) | (table.c.claimed_at < stale))
            .values(claimed_by=by, claimed_at=at.isoformat(timespec="seconds"))
        )
        return taken.rowcount == 1


def release(sid: int, by: str) -> None:
    """Give back a claim (only the run that holds it can)."""
    with db.write() as con:
        con.execute(
            table.update()
            .where(table.c.id == int(sid), table.c.claimed_by == by)
            .values(claimed_by=None, claimed_at=None)
        )
