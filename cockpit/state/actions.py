"""Actions: guidance turned into assigned work, kept in the app's own state with its whole history.

An insight or an action-list entry becomes an action with an owner, a due date, a status, comments and
the customers it concerns. Rules:
- anyone may create an action for themselves; executives and branch heads may assign one to a user whose
  org nodes all lie inside their own scope (`Warehouse.paths`), and only for customers that both
  the assigner and the owner may see;
- the owner updates their action; an assigner whose scope covers the owner may update or reassign it;
- status moves open → in_progress → done, or to dismissed with a reason; done or dismissed may be reopened;
- every change is an `action_events` row, and every update carries the version it was based on: a stale
  version is refused ("changed by X at T; reload"), so two people editing at once never overwrite each other.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, RowMapping, func, select

from cockpit.state import appstate, auth, db
from cockpit.state.tables import action_customers, action_events
from cockpit.state.tables import actions as table
from cockpit.warehouse.layer import Scope, Warehouse

STATUSES = ("open", "in_progress", "done", "dismissed")
OPEN_STATUSES = ("open", "in_progress")
ASSIGNER_ROLES = ("executive", "branch_head")
DEFAULT_DUE = dt.timedelta(days=14)  # an action made in one click from an insight is due two weeks later
MOVES = {
    "open": {"in_progress", "done", "dismissed"},
    "in_progress": {"open", "done", "dismissed"},
    "done": {"open"},
    "dismissed": {"open"},
}


class ActionError(ValueError):
    """An action request was refused: wrong input or outside the user's rights. The message says why."""


class StaleEdit(ActionError):
    """The action changed since the caller read it; nothing was written."""


@dataclass
class Action:
    id: int
    title: str
    insight_type: str
    org_id: str
    metric: str | None
    owner: str
    created_by: str
    created_at: str
    due_date: dt.date
    status: str
    reason: str | None
    done_on: dt.date | None
    detail: dict[str, Any]
    version: int
    updated_by: str
    updated_at: str
    customers: list[int] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


_now = appstate.now
connect = appstate.connect  # a write transaction on the state, for callers that plant or repair rows


def _action(con: Connection, row: RowMapping) -> Action:
    custs = list(
        con.execute(
            select(action_customers.c.customer_id)
            .where(action_customers.c.action_id == row["id"])
            .order_by(action_customers.c.customer_id)
        ).scalars()
    )
    return Action(
        row["id"],
        row["title"],
        row["insight_type"],
        row["org_id"],
        row["metric"],
        row["owner"],
        row["created_by"],
        row["created_at"],
        dt.date.fromisoformat(row["due_date"]),
        row["status"],
        row["reason"],
        dt.date.fromisoformat(row["done_on"]) if row["done_on"] else None,
        json.loads(row["detail"]),
        row["version"],
        row["updated_by"],
        row["updated_at"],
        custs,
    )


def get(action_id: int) -> Action:
    with db.read() as con:
        row = con.execute(select(table).where(table.c.id == int(action_id))).mappings().first()
        if row is None:
            raise ActionError(f"there is no action #{action_id}")
        return _action(con, row)


def get_for(wh: Warehouse, user: auth.User, action_id: int) -> Action:
    """An action for a reader: refused with one message whether it does not exist or lies outside their
    scope."""
    try:
        action = get(action_id)
    except ActionError:
        action = None
    if action is None or not readable(wh, user, action):
        raise ActionError(f"action #{action_id}: no such action or not allowed")
    return action


def _covers(wh: Warehouse, by: auth.User, owner: auth.User) -> bool:
    """True when every org node of `owner` lies inside `by`'s scope."""
    return all(wh.sees(by.scope, o) for o in owner.org_ids)


def _check_owner(wh: Warehouse, by: auth.User, owner_name: str) -> auth.User:
    """The owner `by` may assign to; one message for an unknown user and one outside `by`'s scope, so the
    refusal tells nobody which usernames exist or where others sit."""
    try:
        owner = auth.get_user(owner_name)
    except auth.UserError:
        raise ActionError(f"owner '{str(owner_name)[:40]}': {auth.NOT_ALLOWED}") from None
    if owner.username == by.username:
        return owner
    if by.role not in ASSIGNER_ROLES or not _covers(wh, by, owner):
        raise ActionError(f"owner '{owner.username}': {auth.NOT_ALLOWED}")
    return owner


def readable(wh: Warehouse, user: auth.User, action: Action) -> bool:
    """Whether `user` may read `action` now: its org node lies inside their scope. Checked on every read, so
    an action made for another branch's node, or one whose reader has since moved, shows nothing of it."""
    return wh.sees(user.scope, action.org_id)


def _check_customers(wh: Warehouse, customers: Sequence[int], *users: auth.User) -> list[int]:
    ids = sorted({int(c) for c in customers})
    if not ids:
        return []
    for u in users:
        seen = set(wh.run("action_loop_customers", u.scope, rows=[(c,) for c in ids]).customer_id.astype(int))
        missing = [c for c in ids if c not in seen]
        if missing:
            raise ActionError(
                f"{len(missing)} of the {len(ids)} customers are outside your scope or the owner's: "
                "pick customers of the owner's portfolio"
            )
    return ids


def create(
    wh: Warehouse,
    by: auth.User,
    *,
    title: str,
    owner: str,
    due: dt.date,
    org_id: str,
    insight_type: str = "manual",
    metric: str | None = None,
    customers: Sequence[int] = (),
    detail: dict[str, Any] | None = None,
) -> Action:
    """A new open action, checked against the assigner's and the owner's scope."""
    if not title.strip():
        raise ActionError("an action needs a title")
    if not isinstance(due, dt.date):
        raise ActionError("an action needs a due date")
    wh.check_org(by.scope, org_id)
    owner_user = _check_owner(wh, by, owner)
    if not wh.sees(owner_user.scope, org_id):
        raise ActionError(f"org {org_id} is outside the owner's scope: pick a node the owner may see")
    ids = _check_customers(wh, customers, *{by.username: by, owner_user.username: owner_user}.values())
    now = _now()
    with db.write() as con:
        aid = con.execute(
            table.insert()
            .values(
                title=title.strip()[:300],
                insight_type=insight_type,
                org_id=org_id,
                metric=metric,
                owner=owner_user.username,
                created_by=by.username,
                created_at=now,
                due_date=due.isoformat(),
                detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
                updated_by=by.username,
                updated_at=now,
            )
            .returning(table.c.id)
        ).scalar_one()
        if ids:
            con.execute(action_customers.insert(), [{"action_id": aid, "customer_id": c} for c in ids])
        _event(
            con,
            aid,
            by.username,
            "created",
            1,
            owner=owner_user.username,
            due=due.isoformat(),
            customers=len(ids),
        )
    appstate.audit(by.username, "action_created", action_id=aid, owner=owner_user.username, org_id=org_id)
    return get(aid)


def _event(con: Connection, action_id: int, username: str, kind: str, version: int, **detail: Any) -> None:
    con.execute(
        action_events.insert().values(
            action_id=action_id,
            at=_now(),
            username=username,
            kind=kind,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
            version=version,
        )
    )


def create_from_insight(
    wh: Warehouse,
    by: auth.User,
    insight: Any,
    *,
    owner: str,
    due: dt.date,
    customers: Sequence[int] = (),
    lang: str = "zh",
    org_id: str | None = None,
) -> Action:
    """An action from a guidance insight (cockpit.guidance.Insight): its title, text, suggested action and
    baseline are kept with it, so the outcome can be read per insight type. An insight about a slice that is
    not an org node (a channel, a segment) is filed under `org_id`, the node the guidance was asked for."""
    node = _insight_node(wh, by, insight, org_id)
    existing = for_insight(wh, by, insight, owner=owner, org_id=org_id)
    if existing is not None:  # one insight, one open action per owner: a second click opens the first
        return existing
    return create(
        wh,
        by,
        title=f"{insight.title(lang)}: {insight.action(lang)}",
        owner=owner,
        due=due,
        org_id=node,
        insight_type=insight.type,
        metric=insight.metric_id(),
        customers=customers,
        detail={
            "text": insight.text(lang),
            "baseline": insight.baseline(lang),
            "severity": insight.severity,
            "insight": insight_key(insight),
        },
    )


def _insight_node(wh: Warehouse, by: auth.User, insight: Any, org_id: str | None) -> str:
    """The node an insight's action is filed under: its own, or `org_id` when it is not a visible node."""
    if org_id is None or insight.org_id == org_id:
        return insight.org_id
    return insight.org_id if wh.sees(by.scope, insight.org_id) else org_id


def insight_key(insight: Any) -> str:
    """What makes two insights the same finding (cockpit.guidance.Insight.key: type, node, series, direction,
    week), as text: the same finding next week is a new one, the same finding seen again is not."""
    return json.dumps([str(k) for k in (insight.key or (insight.type, insight.org_id))], ensure_ascii=False)


def for_insight(
    wh: Warehouse, by: auth.User, insight: Any, *, owner: str, org_id: str | None = None
) -> Action | None:
    """The open action already made from this insight for `owner`, or None; only one `by` may read. A done
    or dismissed one does not count: the finding came back, so it is new work."""
    node = _insight_node(wh, by, insight, org_id)
    key = insight_key(insight)
    with db.read() as con:
        rows = (
            con.execute(
                select(table)
                .where(
                    table.c.owner == owner,
                    table.c.insight_type == insight.type,
                    table.c.org_id == node,
                    table.c.status.in_(OPEN_STATUSES),
                )
                .order_by(table.c.id)
            )
            .mappings()
            .all()
        )
        # the insight's key is inside the detail JSON, read here rather than with a dialect's JSON operator
        row = next((r for r in rows if json.loads(r["detail"] or "{}").get("insight") == key), None)
        found = _action(con, row) if row is not None else None
    return found if found is not None and readable(wh, by, found) else None


def create_from_list(
    wh: Warehouse,
    by: auth.User,
    entries: pd.DataFrame,
    reason: str,
    *,
    owner: str,
    due: dt.date,
    org_id: str,
    title: str,
) -> Action:
    """An action from action-list entries (rows with customer_id): one action for the picked customers."""
    return create(
        wh,
        by,
        title=title,
        owner=owner,
        due=due,
        org_id=org_id,
        insight_type=reason,
        customers=list(entries.customer_id.astype(int)),
        detail={"source": "action_list"},
    )


def can_edit(wh: Warehouse, by: auth.User, action: Action) -> bool:
    if not readable(wh, by, action):
        return False
    if by.username == action.owner:
        return True
    if by.role not in ASSIGNER_ROLES:
        return False
    try:
        return _covers(wh, by, auth.get_user(action.owner))
    except auth.UserError:
        return by.username == action.created_by


def update(
    wh: Warehouse,
    by: auth.User,
    action_id: int,
    version: int,
    *,
    status: str | None = None,
    reason: str | None = None,
    comment: str | None = None,
    done_on: dt.date | None = None,
    due: dt.date | None = None,
    owner: str | None = None,
) -> Action:
    """Change an action if `version` is still current; otherwise StaleEdit, and nothing is written."""
    current = get(action_id)
    if not can_edit(wh, by, current):
        raise ActionError(f"action #{action_id}: no such action or not allowed")
    changes: dict[str, Any] = {}
    if status is not None and status != current.status:
        if status not in STATUSES:
            raise ActionError(f"status must be one of {', '.join(STATUSES)}")
        if status not in MOVES[current.status]:
            raise ActionError(f"an action that is {current.status} cannot become {status}")
        if status == "dismissed" and not (reason or "").strip():
            raise ActionError("say why the action is dismissed (a reason is required)")
        changes.update(
            status=status,
            reason=(reason or "").strip()[:500] if status == "dismissed" else None,
            done_on=(done_on or dt.date.today()).isoformat() if status == "done" else None,
        )
    if due is not None and due != current.due_date:
        changes["due_date"] = due.isoformat()
    if owner is not None and owner != current.owner:
        if by.role not in ASSIGNER_ROLES:
            raise ActionError(f"{by.username} ({by.role}) may not reassign actions")
        new_owner = _check_owner(wh, by, owner)
        if not readable(wh, new_owner, current):
            raise ActionError(
                f"org {current.org_id} is outside the owner's scope: pick a node the owner may see"
            )
        _check_customers(wh, current.customers, new_owner)
        changes["owner"] = new_owner.username
    note = (comment or "").strip()[:2000]
    if not changes and not note:
        return current
    with db.write() as con:  # the row stays locked until the end (`for update`; SQLite: the write lock)
        row = (
            con.execute(
                select(table.c.version, table.c.updated_by, table.c.updated_at)
                .where(table.c.id == int(action_id))
                .with_for_update()
            )
            .mappings()
            .one()
        )
        if row["version"] != version:
            raise StaleEdit(
                f"Action #{action_id} was changed by {row['updated_by']} at {row['updated_at']}; reload "
                "to see the change, then apply yours again. Nothing was saved."
            )
        new_version, now = version + 1, _now()
        con.execute(
            table.update()
            .where(table.c.id == int(action_id), table.c.version == version)
            .values(**changes, version=new_version, updated_by=by.username, updated_at=now)
        )
        before = {"status": current.status, "due_date": current.due_date.isoformat(), "owner": current.owner}
        for k, v in changes.items():
            if k in before:
                _event(
                    con,
                    action_id,
                    by.username,
                    k,
                    new_version,
                    before=before[k],
                    after=v,
                    **({"reason": changes["reason"]} if k == "status" and v == "dismissed" else {}),
                )
        if note:
            _event(con, action_id, by.username, "comment", new_version, text=note)
    appstate.audit(
        by.username,
        "action_updated",
        action_id=action_id,
        **{k: v for k, v in changes.items() if k != "reason"},
    )
    return get(action_id)


def history(action_id: int) -> pd.DataFrame:
    """Every change and comment of an action, oldest first."""
    e = action_events.c
    with db.read() as con:
        rows = [
            dict(r)
            for r in con.execute(
                select(e.at, e.username, e.kind, e.detail, e.version)
                .where(e.action_id == int(action_id))
                .order_by(e.id)
            ).mappings()
        ]
    return pd.DataFrame(rows, columns=["at", "username", "kind", "detail", "version"])


def comments(action_id: int) -> list[dict[str, Any]]:
    h = history(action_id)
    return [
        {"at": r.at, "username": r.username, "text": json.loads(r.detail)["text"]}
        for r in h[h.kind == "comment"].itertuples()
    ]


def stamp() -> int:
    """The latest action event's id: it moves whenever any action changes, so it can key a cache."""
    with db.read() as con:
        return int(con.execute(select(func.coalesce(func.max(action_events.c.id), 0))).scalar_one())


def all_actions() -> list[Action]:
    with db.read() as con:
        return [_action(con, r) for r in con.execute(select(table).order_by(table.c.id)).mappings().all()]


def visible(wh: Warehouse, user: auth.User, mine_only: bool = False) -> list[Action]:
    """The user's own actions, or also their team's: those whose owner lies inside the user's scope; only
    actions whose org node the user may see now (checked on read, whatever was checked when written)."""
    every = all_actions()
    owners = {u.username: set(u.org_ids) for u in auth.list_users()}
    # the nodes these actions and their owners stand on, looked up in the scope (not the whole subtree)
    orgs = set(
        wh.paths(user.scope, {a.org_id for a in every} | {o for a in every for o in owners.get(a.owner, ())})
    )
    acts = [a for a in every if a.org_id in orgs]
    if mine_only:
        return [a for a in acts if a.owner == user.username]
    return [
        a
        for a in acts
        if a.owner == user.username
        or a.created_by == user.username
        or (owners.get(a.owner) and owners[a.owner] <= orgs)
    ]


def frame(actions: list[Action]) -> pd.DataFrame:
    cols = [
        "id",
        "title",
        "insight_type",
        "org_id",
        "metric",
        "owner",
        "created_by",
        "due_date",
        "status",
        "reason",
        "done_on",
        "customers",
        "version",
        "updated_by",
        "updated_at",
    ]
    return pd.DataFrame(
        [{c: (len(a.customers) if c == "customers" else getattr(a, c)) for c in cols} for a in actions],
        columns=cols,
    )


def open_for(wh: Warehouse, scope: Scope, org_id: str, metric: str | None = None) -> pd.DataFrame:
    """Open actions on `org_id` or below (about `metric` when given), for the targets page beside a lagging
    metric.
    """
    wh.check_org(scope, org_id)
    wanted = [a for a in all_actions() if a.is_open and (metric is None or a.metric == metric)]
    # inside the scope (checked above): the actions' nodes under org_id, looked up by node
    below = wh.paths(Scope(scope.username, scope.role, (org_id,)), {a.org_id for a in wanted})
    return frame([a for a in wanted if a.org_id in below])


def assignable_owners(wh: Warehouse, by: auth.User) -> list[str]:
    """The users `by` may assign an action to: themselves, and for assigners every user inside their scope."""
    if by.role not in ASSIGNER_ROLES:
        return [by.username]
    users = [u for u in auth.list_users() if u.username != by.username and u.role != "admin"]
    orgs = wh.paths(by.scope, {o for u in users for o in u.org_ids})  # the users' nodes, not the subtree
    return [by.username] + [u.username for u in users if set(u.org_ids) <= set(orgs)]


CUSTOMERS_LIMIT = 50  # customers an action made from an insight offers at most
REASONS = ("dormant_high_value", "lifecycle_unreached", "referral_overdue")  # of queries/action_customers.sql


def reason_of(insight: Any) -> str | None:
    """The action-list reason an insight is about, or None when its customers are not on the action list:
    pages ask `action_customers` for that reason's first CUSTOMERS_LIMIT customers only."""
    reason = {"referrals_overdue": "referral_overdue"}.get(insight.type, insight.type)
    return reason if reason in REASONS else None


def customers_for(insight: Any, action_list: pd.DataFrame, limit: int = CUSTOMERS_LIMIT) -> list[int]:
    """The action-list customers an insight is about (same reason as the
    insight's type), most urgent first.
    """
    if action_list.empty or "reason" not in action_list:
        return []
    picked = action_list[action_list.reason == reason_of(insight)]
    return [int(c) for c in picked.customer_id.drop_duplicates().head(limit)]
