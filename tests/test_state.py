"""The app's state layer on both of its databases: an embedded SQLite file and a PostgreSQL server.

Each test gets an empty state (a new file, or a new database on the throwaway cluster of tests/pgcluster.py)
holding the demo users, and checks what it wrote by reading the tables back with plain SQL. Writes that
race (sign-in failures, action edits, delivery claims) are run from several threads at once: the database,
not the order of the threads, must decide.
"""

import datetime as dt
import json
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from cockpit.core import config
from cockpit.delivery import subscriptions as subs
from cockpit.state import actions, appstate, auth, db, migrate, sessions, tables

KEY = "k" * 40


def rows(sql: str, **params) -> list[dict]:
    with db.read() as con:
        return [dict(r) for r in con.execute(sa.text(sql), params).mappings()]


def test_the_state_is_where_cockpit_state_says(state):
    assert db.url() == (state if "://" in state else f"sqlite:///{state}")
    assert rows("select version from state_schema") == [{"version": migrate.LATEST}]
    assert {u.username for u in auth.list_users()} == {u for u, *_ in auth.DEMO_USERS}


def test_user_changes_are_stored_and_end_sessions(state):
    auth.add_user("clerk", "Clerk", "manager", ["R01B01T1M1"], "clerk-secret")
    with pytest.raises(auth.UserError, match="exists already"):
        auth.add_user("CLERK", "again", "manager", ["R01"], "another-secret")
    token = sessions.start("clerk", KEY)
    assert sessions.user_of(token, KEY) == "clerk" and sessions.open_count("clerk") == 1
    auth.set_password("clerk", "a-new-secret")
    assert sessions.user_of(token, KEY) is None
    assert rows("select ended_why from sessions where username = :u", u="clerk") == [
        {"ended_why": "password_changed"}
    ]
    auth.lock_user("clerk")
    assert auth.get_user("clerk").locked()
    auth.unlock_user("clerk")
    assert not auth.get_user("clerk").locked()
    assert auth.sign_in("clerk", "a-new-secret", "10.0.0.9").username == "clerk"
    auth.remove_user("clerk")
    assert rows("select username from users where username = 'clerk'") == []
    logged = [e["action"] for e in appstate.audit_entries(20)]
    assert logged[:6] == [
        "user_removed",
        "login",
        "user_unlocked",
        "user_locked",
        "password_set",
        "user_added",
    ]


def test_a_password_change_and_the_end_of_its_sessions_commit_together(state, monkeypatch):
    token, before = sessions.start("manager1", KEY), auth.get_user("manager1").password_hash

    def broken() -> None:
        raise RuntimeError("the server stops half-way")

    with monkeypatch.context() as m, pytest.raises(RuntimeError):
        m.setattr(sessions, "_now", broken)
        auth.set_password("manager1", "another-secret")
    assert auth.get_user("manager1").password_hash == before  # nothing half-done: the old password stands
    assert sessions.user_of(token, KEY) == "manager1"
    auth.set_password("manager1", "another-secret")
    assert sessions.user_of(token, KEY) is None


def test_sessions_end_one_or_all(state):
    a, b = sessions.start("exec", KEY), sessions.start("exec", KEY)
    sessions.end(a, KEY)
    assert (sessions.user_of(a, KEY), sessions.user_of(b, KEY)) == (None, "exec")
    assert sessions.end_all("exec", "locked") == 1 and sessions.open_count("exec") == 0


def test_flags_are_set_once(state):
    assert not appstate.flag("x")
    appstate.set_flag("x")
    appstate.set_flag("x")
    assert appstate.flag("x") and len(rows("select * from flags where name = 'x'")) == 1


def test_failures_sent_at_once_all_count(state, monkeypatch):
    """Wrong passwords from one address in parallel (as to several servers): none is lost."""
    monkeypatch.setenv("COCKPIT_LOCKOUT_ATTEMPTS", "100")
    threads, each = 4, 3

    def guess(_):
        for _ in range(each):
            with pytest.raises(auth.SignInRefused):
                auth.sign_in("head_r01", "wrong", "10.9.9.9")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(guess, range(threads)))
    assert rows("select failures from sign_in_failures where source = '10.9.9.9'") == [
        {"failures": threads * each}
    ]


def test_the_back_off_starts_at_the_limit(state):
    limit, minutes = int(config.get("COCKPIT_LOCKOUT_ATTEMPTS")), int(config.get("COCKPIT_LOCKOUT_MINUTES"))
    for _ in range(limit):
        with pytest.raises(auth.SignInRefused) as e:
            auth.sign_in("exec", "wrong", "10.1.1.1")
        assert e.value.kind == "failed"
    with pytest.raises(auth.SignInRefused) as e:
        auth.sign_in("exec", "exec-demo", "10.1.1.1")
    assert (e.value.kind, e.value.minutes) == ("wait", minutes)
    assert auth.sign_in("exec", "exec-demo", "10.1.1.2").username == "exec"  # another address


def test_two_edits_of_one_version_one_wins(state, wh, as_of):
    head = auth.get_user("head_r01")
    a = actions.create(wh, head, title="call", owner="manager1", due=as_of, org_id="R01B01T1M1")
    assert rows("select owner, version from actions where id = :i", i=a.id) == [
        {"owner": "manager1", "version": 1}
    ]
    barrier, results = threading.Barrier(2), []

    def edit(text):
        barrier.wait()
        try:
            actions.update(wh, head, a.id, 1, comment=text)
            results.append("saved")
        except actions.StaleEdit:
            results.append("stale")

    workers = [threading.Thread(target=edit, args=(t,)) for t in ("first", "second")]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(results) == ["saved", "stale"]
    assert rows("select version from actions where id = :i", i=a.id) == [{"version": 2}]
    assert len(rows("select * from action_events where action_id = :i and kind = 'comment'", i=a.id)) == 1
    assert actions.stamp() == max(r["id"] for r in rows("select id from action_events"))


def test_a_subscription_is_claimed_by_one_run_until_released_or_stale(state, wh):
    sub = subs.create(wh, auth.get_user("exec"), "R01", "digest", "weekly", [("e@bank.local", "exec")])
    with ThreadPoolExecutor(6) as pool:
        won = list(pool.map(lambda n: subs.claim(sub.id, f"run{n}"), range(6)))
    assert won.count(True) == 1
    holder = f"run{won.index(True)}"
    assert rows("select claimed_by from subscriptions where id = :i", i=sub.id) == [{"claimed_by": holder}]
    subs.release(sub.id, "someone else")  # only the holder gives it back
    assert not subs.claim(sub.id, "late")
    subs.release(sub.id, holder)
    assert subs.claim(sub.id, "crashed", at=dt.datetime.now() - dt.timedelta(minutes=31))
    assert subs.claim(sub.id, "next")  # the crashed run's claim is older than 30 minutes
    subs.log(sub, sub.recipients[0], "R01", "sent")
    assert subs.last_sent(sub.id) is not None and not subs.is_due(sub, dt.datetime.now())


OLD_DDL = """
create table users (username text primary key, name text not null, role text not null,
  org_ids text not null, password_hash text not null, failed_attempts integer not null default 0,
  locked_until text);
create table sign_in_failures (username text not null, source text not null, failures integer not null,
  locked_until text, primary key (username, source));
create table flags (name text primary key, set_at text not null);
create table audit_log (id integer primary key autoincrement, at text not null, username text not null,
  action text not null, detail text not null);
create table subscriptions (id integer primary key autoincrement, created_by text not null,
  created_at text not null, org_id text not null, kind text not null, frequency text not null,
  lang text not null default 'zh', active integer not null default 1);
create table subscription_recipients (id integer primary key autoincrement,
  subscription_id integer not null references subscriptions(id), address text not null,
  channel text not null, username text not null);
insert into users values ('old', 'Old', 'executive', 'HO', 'x', 0, null);
insert into flags values ('demo_users_created', '2026-01-01T00:00:00');
insert into audit_log (at, username, action, detail) values ('2026-01-01T00:00:00', 'old', 'login', '{}');
insert into subscriptions (created_by, created_at, org_id, kind, frequency)
  values ('old', '2026-01-01T00:00:00', 'HO', 'pdf', 'weekly');
insert into subscription_recipients (subscription_id, address, channel, username)
  values (1, 'o@bank.local', 'email', 'old');
"""  # the first release's tables (as its modules created them) and some rows


def test_a_state_file_of_the_first_release_is_upgraded_in_place(tmp_path, monkeypatch, bank):
    import sqlite3

    path = tmp_path / "state.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript(OLD_DDL)
    monkeypatch.setenv("COCKPIT_STATE", str(path))
    assert [u.username for u in auth.list_users()] == ["old"]
    assert appstate.flag("demo_users_created")
    assert [json.loads(e["detail"]) for e in appstate.audit_entries()] == [{}]
    sub = subs.get(1)
    assert (sub.org_id, [r.address for r in sub.recipients]) == ("HO", ["o@bank.local"])
    assert subs.claim(1, "run")  # the column this version added
    assert rows("select version from state_schema") == [{"version": migrate.LATEST}]
    assert {"actions", "sessions", "delivery_log"} <= set(sa.inspect(db.engine()).get_table_names())
    with db.write() as con:  # an id of the old file is never handed out again
        con.execute(sa.text("delete from subscriptions where id = 1"))
        new = con.execute(
            tables.subscriptions.insert()
            .values(created_by="old", created_at="x", org_id="HO", kind="pdf", frequency="weekly")
            .returning(tables.subscriptions.c.id)
        ).scalar_one()
    assert new == 2
    assert rows("pragma journal_mode") == [{"journal_mode": "wal"}]
    with db.write() as con:  # the WAL companions exist while a connection is open
        con.execute(sa.text("update flags set set_at = set_at"))
        for p in (path, path.with_name("state.sqlite-wal"), path.with_name("state.sqlite-shm")):
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


@pytest.mark.postgres
def test_a_sqlite_state_is_copied_whole_into_an_empty_postgresql(
    bank, tmp_path, monkeypatch, wh, as_of, pg_url
):
    from pgcluster import fresh_database
    from states import plant_demo_users

    from cockpit.ops import cli

    source = str(tmp_path / "single.sqlite")
    plant_demo_users(source)
    monkeypatch.setenv("COCKPIT_STATE", source)
    head = auth.get_user("head_r01")
    first = actions.create(wh, head, title="call", owner="manager1", due=as_of, org_id="R01B01T1M1")
    actions.update(wh, head, first.id, 1, comment="done soon")
    subs.create(wh, head, "R01", "xlsx", "monthly", [("h@bank.local", "head_r01")])
    token = sessions.start("head_r01", KEY)
    before = {
        t: rows(f"select * from {t} order by 1, 2") for t in tables.metadata.tables if t != "state_schema"
    }

    target = fresh_database(pg_url)
    assert cli.main(["state", "copy", "--to", target]) == 0
    assert cli.main(["state", "copy", "--to", target]) == 2  # never into a state that holds rows
    monkeypatch.setenv("COCKPIT_STATE", target)
    after = {t: rows(f"select * from {t} order by 1, 2") for t in before}
    assert after == before and sum(map(len, after.values())) > 10
    assert sessions.user_of(token, KEY) == "head_r01"  # signed in on the new state as on the old
    second = actions.create(wh, head, title="next", owner="manager1", due=as_of, org_id="R01B01T1M1")
    assert second.id == first.id + 1  # the id sequence was moved past the copied rows
    db.engine(target).dispose()


def _pooled_in_child() -> tuple[int, int]:
    pooled = db.engine().pool.checkedin()
    appstate.audit("child", "forked")
    return pooled, len([e for e in appstate.audit_entries() if e["action"] == "forked"])


def test_a_forked_worker_opens_its_own_connections(state):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    appstate.audit("parent", "before")
    assert db.engine().pool.checkedin() >= 1  # the parent keeps a connection in its pool
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        assert pool.submit(_pooled_in_child).result() == (0, 1)  # none of the parent's, and it can write
    assert [e["username"] for e in appstate.audit_entries(2)] == ["child", "parent"]
