"""One replica of the cockpit's state layer in its own process, driven line by line over stdin/stdout:
the tests run two of them on one PostgreSQL state, as two servers behind a proxy would be.

Each request is a JSON object {"op": ..., ...}; each answer a JSON line. Run as `python tests/replica.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cockpit.state import actions, auth, sessions  # noqa: E402
from cockpit.warehouse.layer import open_warehouse  # noqa: E402


def sign_in(r: dict) -> str:
    try:
        return "ok:" + auth.sign_in(r["user"], r["password"], r["source"]).username
    except auth.SignInRefused as e:
        return f"{e.kind}:{e.minutes}"


def handle(r: dict, wh) -> object:
    op = r["op"]
    if op == "sign_in":
        return [sign_in(r) for _ in range(r.get("times", 1))]
    if op == "create_action":
        by = auth.get_user(r["by"])
        due = dt.date.fromisoformat(r["due"])
        return actions.create(wh, by, title=r["title"], owner=r["owner"], due=due, org_id=r["org"]).id
    if op == "get_action":
        a = actions.get(r["id"])
        return {"title": a.title, "owner": a.owner, "status": a.status, "version": a.version}
    if op == "update_action":
        try:
            actions.update(wh, auth.get_user(r["by"]), r["id"], r["version"], status=r["status"])
            return "saved"
        except actions.StaleEdit:
            return "stale"
    if op == "start_session":
        return sessions.start(r["user"], r["key"])
    if op == "user_of":
        return sessions.user_of(r["token"], r["key"])
    if op == "end_session":
        return sessions.end(r["token"], r["key"])
    raise ValueError(f"unknown op {op}")


def main() -> None:
    wh = open_warehouse(sys.argv[1])
    print(json.dumps("ready"), flush=True)
    for line in sys.stdin:
        print(json.dumps(handle(json.loads(line), wh)), flush=True)


if __name__ == "__main__":
    main()
