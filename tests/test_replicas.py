"""Two replicas on one state: what one writes the other sees, failures from one address add up across
them, and two `cockpit deliver` runs started at the same moment send each subscription once.

A replica is a process of its own (tests/replica.py) on the state of COCKPIT_STATE; the PostgreSQL cases
use the throwaway cluster of tests/pgcluster.py. The delivery case also runs on one SQLite file, where
two runs on one machine share it.
"""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from pgcluster import fresh_database
from test_delivery import smtp  # noqa: F401 (a fixture: an SMTP sink on 127.0.0.1)

from cockpit.core import config
from cockpit.delivery import subscriptions as subs
from cockpit.state import actions, auth, db, migrate

ROOT = Path(__file__).resolve().parent.parent
KEY = "replica-test-cookie-key-0123456789abcdef"


class Replica:
    """A state-layer process answering one JSON request per line."""

    def __init__(self, bank: Path, log: Path):
        self.log = log
        env = dict(os.environ, COCKPIT_HOME=str(bank), PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "replica.py"), str(bank / "warehouse.duckdb")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            env=env,
        )
        assert self.answer() == "ready"

    def send(self, op: str, **request) -> None:
        self.proc.stdin.write(json.dumps({"op": op, **request}) + "\n")
        self.proc.stdin.flush()

    def answer(self):
        line = self.proc.stdout.readline()
        if not line:
            pytest.fail(f"the replica stopped: {self.log.read_text()[-2000:]}")
        return json.loads(line)

    def __call__(self, op: str, **request):
        self.send(op, **request)
        return self.answer()

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture
def pair(pg_state, bank, tmp_path):
    a, b = Replica(bank, tmp_path / "a.log"), Replica(bank, tmp_path / "b.log")
    yield a, b
    a.stop()
    b.stop()


def test_an_action_made_on_one_replica_is_seen_and_guarded_on_the_other(pair, as_of):
    a, b = pair
    aid = a("create_action", by="head_r01", owner="manager1", org="R01B01T1M1", title="call", due=str(as_of))
    assert b("get_action", id=aid) == {"title": "call", "owner": "manager1", "status": "open", "version": 1}
    a.send("update_action", by="head_r01", id=aid, version=1, status="in_progress")
    b.send("update_action", by="manager1", id=aid, version=1, status="done")
    answers = {"a": a.answer(), "b": b.answer()}
    assert sorted(answers.values()) == ["saved", "stale"]
    status = "in_progress" if answers["a"] == "saved" else "done"
    assert a("get_action", id=aid)["status"] == b("get_action", id=aid)["status"] == status
    assert actions.get(aid).version == 2  # read here, a third process


def test_failures_from_one_address_add_up_across_replicas(pair):
    a, b = pair
    limit, minutes = int(config.get("COCKPIT_LOCKOUT_ATTEMPTS")), int(config.get("COCKPIT_LOCKOUT_MINUTES"))
    assert limit == 5
    wrong = {"user": "head_r01", "password": "guess", "source": "10.5.5.5"}
    assert a("sign_in", times=2, **wrong) + b("sign_in", times=2, **wrong) == ["failed:0"] * 4
    assert a("sign_in", **wrong) == ["failed:0"]  # the fifth, on the other replica than the fourth
    right = {**wrong, "password": "head_r01-demo"}
    assert b("sign_in", **right) == a("sign_in", **right) == [f"wait:{minutes}"]
    assert b("sign_in", **{**right, "source": "10.5.5.6"}) == ["ok:head_r01"]


def test_failures_sent_to_both_replicas_at_once_are_all_counted(pair):
    a, b = pair
    wrong = {"user": "head_r02", "password": "guess", "source": "10.6.6.6", "times": 4}
    a.send("sign_in", **wrong)
    b.send("sign_in", **wrong)
    answers = a.answer() + b.answer()
    failed = answers.count("failed:0")
    assert failed >= 5 and len(answers) == 8
    assert all(x == "failed:0" or x.startswith("wait:") for x in answers)
    with db.read() as con:
        stored = con.execute(sa.text("select failures from sign_in_failures where source = '10.6.6.6'"))
        assert stored.scalar_one() == failed  # no failure answered is missing from the count


def test_a_session_started_on_one_replica_ends_on_both(pair):
    a, b = pair
    token = a("start_session", user="exec", key=KEY)
    assert b("user_of", token=token, key=KEY) == "exec"
    b("end_session", token=token, key=KEY)
    assert a("user_of", token=token, key=KEY) is None


def _deliver(bank: Path) -> subprocess.Popen:
    env = dict(os.environ, COCKPIT_HOME=str(bank), PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "cockpit.ops.cli", "deliver", "--db", str(bank / "warehouse.duckdb")]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def test_two_deliver_runs_started_at_once_send_each_subscription_once(state, wh, bank, smtp):
    boss, two = auth.get_user("exec"), [("ho@bank.local", "exec"), ("h1@bank.local", "head_r01")]
    made = [
        subs.create(wh, boss, "R01", "digest", "weekly", [("r01@bank.local", "head_r01")]),
        subs.create(wh, boss, "R02", "digest", "weekly", [("r02@bank.local", "head_r02")]),
        subs.create(wh, boss, "HO", "digest", "daily", two),
    ]
    crashed = subs.create(wh, boss, "R01B02", "digest", "weekly", [("zs@bank.local", "head_r01b02")])
    busy = subs.create(wh, boss, "R02", "digest", "weekly", [("busy@bank.local", "head_r02")])
    assert subs.claim(crashed.id, "crashed-run", at=dt.datetime.now() - dt.timedelta(minutes=40))
    assert subs.claim(busy.id, "running-elsewhere")
    runs = [_deliver(bank), _deliver(bank)]
    outputs = [r.communicate(timeout=600)[0] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outputs
    expected = sorted(r.address for s in [*made, crashed] for r in s.recipients)
    assert sorted(m["To"] for m in smtp.messages) == expected, outputs
    sent = [row for row in subs.delivery_log() if row["status"] == "sent"]
    assert sorted(row["address"] for row in sent) == expected
    reported = sum(int(o.rsplit("sent ", 1)[1].split(",")[0]) for o in outputs)
    assert reported == len(expected), outputs
    with db.read() as con:  # every claim given back, but the one another run holds
        held = con.execute(sa.text("select id, claimed_by from subscriptions where claimed_by is not null"))
        assert [tuple(r) for r in held] == [(busy.id, "running-elsewhere")]


@pytest.mark.postgres
def test_two_replicas_starting_on_an_empty_database_create_it_once(pg_url, bank, tmp_path, monkeypatch):
    target = fresh_database(pg_url)
    monkeypatch.setenv("COCKPIT_STATE", target)
    a, b = Replica(bank, tmp_path / "a.log"), Replica(bank, tmp_path / "b.log")
    wrong = {"user": "exec", "password": "guess", "source": "10.8.8.8"}
    a.send("sign_in", **wrong)  # the first request of each creates the tables, both at once
    b.send("sign_in", **wrong)
    assert a.answer() + b.answer() == ["failed:0", "failed:0"]  # nobody exists in an empty state
    a.stop()
    b.stop()
    with db.read() as con:
        versions = con.execute(sa.text("select version from state_schema")).scalars().all()
        assert versions == [migrate.LATEST]
        assert con.execute(sa.text("select failures from sign_in_failures")).scalar_one() == 2
    db.engine(target).dispose()
