"""Every table of the app's own state, declared once: SQLite and PostgreSQL get the same schema from it.

Times are ISO text (as the first release stored them), so a state file written then is read unchanged.
cockpit/state/migrate.py creates these tables and moves an older schema to this one.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, Table, Text, text

metadata = MetaData()


def _id() -> Column:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _text(name: str, default: str | None = None, nullable: bool = False) -> Column:
    server_default = text(f"'{default}'") if default is not None else None
    return Column(name, Text, nullable=nullable, server_default=server_default)


# autoincrement ids are never reused, as in the first release
state_schema = Table("state_schema", metadata, Column("version", Integer, nullable=False))

users = Table(
    "users",
    metadata,
    Column("username", Text, primary_key=True),
    _text("name"),
    _text("role"),
    _text("org_ids"),
    _text("password_hash"),
    Column("failed_attempts", Integer, nullable=False, server_default=text("0")),
    _text("locked_until", nullable=True),
)

sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("username", Text, primary_key=True),
    Column("source", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    _text("locked_until", nullable=True),
)

flags = Table("flags", metadata, Column("name", Text, primary_key=True), _text("set_at"))

audit_log = Table(
    "audit_log",
    metadata,
    _id(),
    _text("at"),
    _text("username"),
    _text("action"),
    _text("detail"),
    sqlite_autoincrement=True,
)

sessions = Table(
    "sessions",
    metadata,
    Column("sid_hash", Text, primary_key=True),
    _text("username"),
    _text("created_at"),
    _text("expires_at"),
    _text("ended_at", nullable=True),
    _text("ended_why", nullable=True),
    Index("sessions_user", "username"),
)

actions = Table(
    "actions",
    metadata,
    _id(),
    _text("title"),
    _text("insight_type"),
    _text("org_id"),
    _text("metric", nullable=True),
    _text("owner"),
    _text("created_by"),
    _text("created_at"),
    _text("due_date"),
    _text("status", default="open"),
    _text("reason", nullable=True),
    _text("done_on", nullable=True),
    _text("detail", default="{}"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    _text("updated_by"),
    _text("updated_at"),
    sqlite_autoincrement=True,
)

action_customers = Table(
    "action_customers",
    metadata,
    Column("action_id", Integer, ForeignKey("actions.id"), primary_key=True),
    Column("customer_id", Integer, primary_key=True),
)

action_events = Table(
    "action_events",
    metadata,
    _id(),
    Column("action_id", Integer, ForeignKey("actions.id"), nullable=False),
    _text("at"),
    _text("username"),
    _text("kind"),
    _text("detail"),
    Column("version", Integer, nullable=False),
    Index("action_events_action", "action_id"),
    sqlite_autoincrement=True,
)

subscriptions = Table(
    "subscriptions",
    metadata,
    _id(),
    _text("created_by"),
    _text("created_at"),
    _text("org_id"),
    _text("kind"),
    _text("frequency"),
    _text("lang", default="zh"),
    Column("active", Integer, nullable=False, server_default=text("1")),
    # a `cockpit deliver` run holds the subscription while it sends (schema version 2)
    _text("claimed_by", nullable=True),
    _text("claimed_at", nullable=True),
    sqlite_autoincrement=True,
)

subscription_recipients = Table(
    "subscription_recipients",
    metadata,
    _id(),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id"), nullable=False),
    _text("address"),
    _text("channel"),
    _text("username"),
    sqlite_autoincrement=True,
)

delivery_log = Table(
    "delivery_log",
    metadata,
    _id(),
    _text("at"),
    Column("subscription_id", Integer, nullable=False),
    Column("recipient_id", Integer),
    _text("address"),
    _text("username"),
    _text("org_id", nullable=True),
    _text("status"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    _text("files", default=""),
    _text("detail", default=""),
    sqlite_autoincrement=True,
)
