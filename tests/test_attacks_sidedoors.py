"""Doors 2-4: another branch's content carried by an action, a staff join without scope, messages that name
other users' scopes or confirm which usernames exist. Each test plays the attacker (or the executive whose
mistake the attacker would profit from) and checks what head_r02 or manager1 gets back."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from sqlalchemy import text

from cockpit.delivery import send as delivery
from cockpit.delivery import subscriptions as subs
from cockpit.state import actions, appstate, auth
from cockpit.warehouse.layer import Scope, ScopeError, UnknownOrgError, open_warehouse

R01_TEXT = "Beijing deposits 12% behind: call the R01 private-banking list"


def _plant_action(org_id: str, owner: str, title: str) -> int:
    """An action row as an older version wrote it (no check that the owner may see its node)."""
    with actions.connect() as con:
        return con.execute(
            text(
                "insert into actions (title, insight_type, org_id, metric, owner, created_by, created_at, "
                "due_date, detail, updated_by, updated_at) values (:t, 'manual', :o, null, :w, 'exec', "
                "'2026-01-01T00:00:00', '2026-12-31', '{}', 'exec', '2026-01-01T00:00:00') returning id"
            ),
            {"t": title, "o": org_id, "w": owner},
        ).scalar_one()


def test_an_action_on_another_branch_cannot_be_assigned_to_a_branch_head(wh, as_of, attacks):
    boss, head = auth.get_user("exec"), auth.get_user("head_r02")
    with pytest.raises(actions.ActionError, match="outside the owner's scope"):
        actions.create(wh, boss, title=R01_TEXT, owner="head_r02", due=as_of, org_id="R01")
    attacks.append("action across branches")
    assert all(R01_TEXT not in a.title for a in actions.visible(wh, head))


def test_a_stored_action_of_another_branch_is_refused_when_read(wh, attacks):
    head = auth.get_user("head_r02")
    aid = _plant_action("R01B01", "head_r02", R01_TEXT)
    attacks.extend(["stored action read"] * 3)
    assert aid not in [a.id for a in actions.visible(wh, head, mine_only=True)]
    assert aid not in [a.id for a in actions.visible(wh, head)]
    with pytest.raises(actions.ActionError, match=f"action #{aid}: no such action or not allowed"):
        actions.get_for(wh, head, aid)
    with pytest.raises(actions.ActionError, match="no such action or not allowed"):
        actions.update(wh, head, aid, 1, comment="what is this?")
    assert actions.get(aid).version == 1


def test_staff_attribution_never_names_staff_outside_the_scope(bank, tmp_path, as_of, attacks):
    """One event at R02B01T1M1 carrying R01B01T1M1's invitation code: head_r02's attribution names nobody of
    R01, in staff or team mode."""
    copy = tmp_path / "planted.duckdb"
    shutil.copy(bank / "warehouse.duckdb", copy)
    rw = open_warehouse(str(copy), read_only=False)
    with rw.engine.begin() as conn:
        conn.exec_driver_sql(
            "insert into events select * replace ((select max(event_id) from events) + 1 as event_id, "
            "'R02B01T1M1' as org_id, 'R01B01T1M1' as staff_id) "
            "from events where stage = 'A' and event_date <= ? order by event_date desc limit 1",
            (as_of,),
        )
    rw.engine.dispose()
    planted = open_warehouse(str(copy))
    head = auth.get_user("head_r02").scope
    r01 = planted.sql("select name, invitation_code from staff where staff_id = 'R01B01T1M1'").iloc[0]
    window = {"org_id": "R02", "start": as_of - dt.timedelta(days=400), "end": as_of}
    for by in ("staff", "team"):
        df = planted.run("attribution_staff", head, {**window, "by": by})
        attacks.append("staff join")
        text = df.astype(str).to_string()
        assert "R01" not in text and r01["name"] not in text and r01["invitation_code"] not in text, by
    as_exec = planted.run("attribution_staff", auth.get_user("exec").scope, {**window, "org_id": "R02"})
    assert "R01B01T1M1" in set(as_exec.credited_to), "the planted event should be credited for the executive"


def test_refusals_name_neither_another_users_scope_nor_whether_a_user_exists(wh, as_of, attacks):
    head, boss = auth.get_user("head_r02"), auth.get_user("exec")
    messages = []
    for owner in ("manager1", "nosuchuser"):  # one outside head_r02's subtree, one that does not exist
        with pytest.raises(actions.ActionError) as e:
            actions.create(wh, head, title="x", owner=owner, due=as_of, org_id="R02")
        messages.append(str(e.value))
    assert messages[0].replace("manager1", "U") == messages[1].replace("nosuchuser", "U")
    for username in ("nosuchuser", "manager1"):
        with pytest.raises(subs.SubscriptionError) as e:
            subs.create(wh, head, "R02", "digest", "weekly", [("a@bank.local", username)])
        messages.append(str(e.value))
    assert messages[2] == messages[3]
    sub = subs.create(wh, boss, "R01", "digest", "weekly", [("c@bank.local", "head_r02")])
    messages += [p["note"] for p in delivery.preview(wh, sub)]
    with appstate.connect() as con:  # the recipient leaves: previews and the log must not confirm who existed
        con.execute(
            text("update subscription_recipients set username = 'ghost' where subscription_id = :s"),
            {"s": sub.id},
        )
    messages += [p["note"] for p in delivery.preview(wh, subs.get(sub.id))]
    attacks.extend(["message leak"] * len(messages))
    joined = "\n".join(messages)
    assert "no such user or not allowed" in joined and "outside the recipient's scope" in joined
    for leak in ("R01B01T1M1", "(R01)", "(R02)", "head_r01", "unknown user", "exists", "ghost'"):
        assert leak not in joined, (leak, joined)


def test_a_subscription_of_a_node_the_creator_no_longer_sees_is_not_listed(wh):
    head = auth.get_user("head_r02")
    sub = subs.create(wh, head, "R02B01", "digest", "weekly", [("h@bank.local", "head_r02")])
    assert sub.id in [s.id for s in subs.mine(head, wh)]
    with appstate.connect() as con:  # as if head_r02 had moved, or the row came from an older version
        con.execute(text("update subscriptions set org_id = 'R01B01' where id = :s"), {"s": sub.id})
    assert sub.id not in [s.id for s in subs.mine(head, wh)]


def test_a_scope_refusal_does_not_list_the_callers_nodes(wh):
    with pytest.raises(Exception) as e:
        wh.check_org(auth.get_user("head_r02").scope, "R01")
    assert str(e.value) == "Org 'R01' is outside your scope; nothing is shown."


def test_a_node_that_does_not_exist_is_named_so_only_to_who_sees_the_whole_tree(wh):
    """Whether a node exists is itself a fact about other branches: a branch head hears the same refusal
    for R99 (no such node) as for R01 (another branch); only a user who sees every node is told it is
    unknown."""
    for missing in ("R99", "R01"):
        with pytest.raises(ScopeError) as refused:
            wh.check_org(auth.get_user("head_r02").scope, missing)
        assert not isinstance(refused.value, UnknownOrgError)
        assert str(refused.value) == f"Org '{missing}' is outside your scope; nothing is shown."
    with pytest.raises(UnknownOrgError) as unknown:
        wh.check_org(auth.get_user("exec").scope, "R99")
    assert str(unknown.value) == "Org 'R99' does not exist in this warehouse."
    wh.check_org(auth.get_user("exec").scope, "R01")  # a node that exists passes


def test_a_scope_of_no_nodes_sees_nothing_and_is_refused_every_node(wh):
    """A user whose nodes were all taken away holds an empty scope: every node is refused as outside it,
    none is said to exist or not, and the one-node check answers no rather than failing on an empty list."""
    empty = Scope("nobody", "branch_head", ())
    assert not wh.sees(empty, "R01")
    assert wh.visible_orgs(empty) == set()
    for node in ("R01", "R99"):
        with pytest.raises(ScopeError) as refused:
            wh.check_org(empty, node)
        assert not isinstance(refused.value, UnknownOrgError)
        assert str(refused.value) == f"Org '{node}' is outside your scope; nothing is shown."
    assert wh.sees(auth.get_user("head_r01").scope, "R01")
    assert not wh.sees(auth.get_user("head_r01").scope, "R02")


def test_the_paths_of_named_nodes_leave_out_every_node_outside_the_scope(wh, monkeypatch):
    """`Warehouse.paths` (the scorecard's follow-through reads the nodes of the actions due, not the whole
    tree) answers only for nodes inside the scope, crafted ids included, in chunks of bound ids."""
    from cockpit.warehouse import layer

    every = list(wh.sql("select org_id, path from orgs").itertuples(index=False))
    head = auth.get_user("head_r02").scope
    mine = wh.visible_orgs(head)
    asked = [o for o, _ in every] + ["R01' or '1'='1", "%", None]
    monkeypatch.setattr(layer, "ID_CHUNK", 7)  # several statements even for the xs tree
    got = wh.paths(head, asked)
    assert set(got) == mine and len(mine) < len(every)
    assert all(got[o] == p for o, p in every if o in mine)
    assert set(wh.paths(auth.get_user("exec").scope, asked)) == {o for o, _ in every}


def test_webhook_keys_never_reach_the_delivery_log_or_the_audit(wh, monkeypatch, attacks):
    key = "5f3a9c2e-7b1d-4e8a-9c6f-0123456789ab"
    url = f"http://127.0.0.1:9/cgi-bin/webhook/send?key={key}"
    sub = subs.create(wh, auth.get_user("exec"), "R01", "digest", "daily", [(url, "head_r01")])
    delivery.deliver(now=True, dry_run=True, wh=wh)
    attacks.append("secret in log")
    logged = [r for r in subs.delivery_log() if r["subscription_id"] == sub.id]
    assert logged and all(key not in str(r) for r in logged)
    assert all(key not in str(e) for e in appstate.audit_entries())
    assert logged[0]["address"].endswith("key=…89ab")


def test_a_node_moved_out_of_a_branch_is_refused_at_once_though_answers_are_kept(bank, tmp_path, attacks):
    """`Warehouse.paths` remembers its answers per scope and node; a warehouse written again (a new import of
    the org tree) is asked afresh, so a node moved to another branch is refused on the next query."""
    import duckdb

    from cockpit.warehouse.layer import Warehouse

    path = tmp_path / "moved.duckdb"
    shutil.copy(bank / "warehouse.duckdb", path)
    head = auth.get_user("head_r01").scope
    wh = Warehouse(str(path))
    assert wh.sees(head, "R01B01") and wh.sees(head, "R01B01")  # the second answer is remembered
    wh.engine.dispose()
    con = duckdb.connect(str(path))
    con.execute(
        "update org_closure set ancestor_id = 'R02' where ancestor_id = 'R01' "
        "and descendant_id in (select descendant_id from org_closure where ancestor_id = 'R01B01')"
    )
    con.execute("checkpoint")
    con.close()
    attacks.append("node moved out of the branch")
    with pytest.raises(ScopeError):
        wh.check_org(head, "R01B01")
    assert wh.sees(auth.get_user("head_r02").scope, "R01B01")
