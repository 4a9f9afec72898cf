"""An empty app state for a test: a new SQLite file or a new database on the throwaway PostgreSQL
cluster, holding copies of the demo users (their hashes, so no bcrypt run per test)."""

from __future__ import annotations

from cockpit.state import auth, db, migrate, tables


def plant_demo_users(target: str) -> None:
    """Copy the demo users of the current state into the empty state `target` (and create its tables)."""
    demo = [auth.get_user(u) for u, *_ in auth.DEMO_USERS]
    with db.engine(target).connect() as con, con.begin():
        migrate.upgrade(con)
        con.execute(
            tables.users.insert(),
            [
                {
                    "username": u.username,
                    "name": u.name,
                    "role": u.role,
                    "org_ids": ",".join(u.org_ids),
                    "password_hash": u.password_hash,
                }
                for u in demo
            ],
        )
