"""Actions: from an insight to done, assignment within the subtree, history, and concurrent edits without
loss.
"""

import datetime as dt
import threading

import pytest

from cockpit import guidance
from cockpit.core.periods import Period
from cockpit.state import actions, auth
from cockpit.warehouse.layer import Scope


@pytest.fixture(scope="module")
def people(bank):
    """A manager inside R02 (head_r02's subtree) next to the demo users."""
    for name, org in (("mgr_r02", "R02B01T1M1"), ("mgr_r02b", "R02B01T1M2")):
        try:
            auth.get_user(name)
        except auth.UserError:
            auth.add_user(name, name, "manager", [org], f"{name}-demo")
    return {u: auth.get_user(u) for u in ("exec", "head_r02", "head_r01", "manager1", "mgr_r02", "mgr_r02b")}


def customers_of(wh, org_like, n=3):
    return [
        int(c)
        for c in wh.sql(
            "select customer_id from customers where org_id = :o order by customer_id limit :n",
            {"o": org_like, "n": n},
        ).customer_id
    ]


def test_an_action_lives_from_insight_to_done_with_its_history(wh, as_of, people):
    head, mgr = people["head_r02"], people["mgr_r02"]
    found = guidance.generate(wh, head.scope, "R02", Period.containing("month", as_of, as_of))
    assert found, "the lagging region should produce insights"
    above = next(i for i in found if not i.org_id.startswith(mgr.org_ids[0]))  # not the manager's own node
    with pytest.raises(actions.ActionError, match=f"org {above.org_id} is outside the owner's scope"):
        actions.create_from_insight(wh, head, above, owner="mgr_r02", due=as_of, lang="en")
    # the region's insight stays with its head; the manager gets the insights about their own portfolio
    period = Period.containing("month", as_of, as_of)
    insight = guidance.generate(wh, head.scope, "R02B01T1M1", period)[0]
    custs = customers_of(wh, "R02B01T1M1")
    a = actions.create_from_insight(
        wh, head, insight, owner="mgr_r02", due=as_of + dt.timedelta(days=14), customers=custs, lang="en"
    )
    assert (a.status, a.owner, a.created_by, a.version, a.insight_type) == (
        "open",
        "mgr_r02",
        "head_r02",
        1,
        insight.type,
    )
    assert a.customers == sorted(custs) and insight.title("en") in a.title
    assert a.id in [x.id for x in actions.visible(wh, mgr, mine_only=True)]
    assert a.id in [x.id for x in actions.visible(wh, head)]
    assert a.id not in [x.id for x in actions.visible(wh, people["head_r01"])]
    a = actions.update(wh, mgr, a.id, a.version, status="in_progress", comment="called two of them")
    a = actions.update(
        wh, mgr, a.id, a.version, status="done", done_on=as_of - dt.timedelta(days=40), comment="all reached"
    )
    assert (a.status, a.version, a.done_on) == ("done", 3, as_of - dt.timedelta(days=40))
    h = actions.history(a.id)
    assert list(h.kind) == ["created", "status", "comment", "status", "comment"]
    assert [c["text"] for c in actions.comments(a.id)] == ["called two of them", "all reached"]


def test_branch_heads_assign_only_within_their_subtree(wh, as_of, people):
    due = as_of + dt.timedelta(days=7)
    with pytest.raises(actions.ActionError, match="owner 'manager1': no such user or not allowed"):
        actions.create(wh, people["head_r02"], title="x", owner="manager1", due=due, org_id="R02")
    with pytest.raises(actions.ActionError, match="owner 'mgr_r02b': no such user or not allowed"):
        actions.create(wh, people["mgr_r02"], title="x", owner="mgr_r02b", due=due, org_id="R02B01T1M1")
    with pytest.raises(actions.ActionError, match="outside your scope or the owner's"):
        actions.create(
            wh,
            people["head_r02"],
            title="x",
            owner="mgr_r02",
            due=due,
            org_id="R02B01T1M1",
            customers=customers_of(wh, "R02B01T1M2"),
        )
    own = actions.create(
        wh, people["mgr_r02"], title="call back", owner="mgr_r02", due=due, org_id="R02B01T1M1"
    )
    assert own.owner == "mgr_r02"
    with pytest.raises(actions.ActionError, match="no such action or not allowed"):
        actions.update(wh, people["mgr_r02b"], own.id, own.version, status="done")
    with pytest.raises(actions.ActionError, match="reason is required"):
        actions.update(wh, people["mgr_r02"], own.id, own.version, status="dismissed")
    with pytest.raises(actions.ActionError, match="status must be one of"):
        actions.update(wh, people["mgr_r02"], own.id, own.version, status="bogus")
    d = actions.update(
        wh, people["head_r02"], own.id, own.version, status="dismissed", reason="customer moved away"
    )
    assert (d.status, d.reason, d.updated_by) == ("dismissed", "customer moved away", "head_r02")
    with pytest.raises(actions.ActionError, match="dismissed cannot become done"):
        actions.update(wh, people["mgr_r02"], own.id, d.version, status="done")
    with pytest.raises(actions.ActionError, match="may not reassign"):
        actions.update(wh, people["mgr_r02"], own.id, d.version, owner="mgr_r02b")


def test_two_concurrent_edits_lose_nothing(wh, as_of, people):
    head, mgr = people["head_r02"], people["mgr_r02"]
    a = actions.create(wh, head, title="concurrent", owner="mgr_r02", due=as_of, org_id="R02B01T1M1")
    barrier, results = threading.Barrier(2), {}

    def edit(user, **change):
        seen = actions.get(a.id)  # both read version 1 before either writes
        barrier.wait()
        try:
            results[user.username] = actions.update(wh, user, a.id, seen.version, **change)
        except actions.StaleEdit as e:
            results[user.username] = e

    threads = [
        threading.Thread(target=edit, args=(mgr,), kwargs={"status": "in_progress", "comment": "on it"}),
        threading.Thread(
            target=edit, args=(head,), kwargs={"due": as_of + dt.timedelta(days=30), "comment": "more time"}
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stale = [u for u, r in results.items() if isinstance(r, actions.StaleEdit)]
    assert len(stale) == 1
    winner = ({"mgr_r02", "head_r02"} - set(stale)).pop()
    msg = str(results[stale[0]])
    assert f"changed by {winner} at " in msg and "; reload" in msg
    fresh = actions.get(a.id)
    assert fresh.version == 2
    loser = people[stale[0]]
    retry = {
        "mgr_r02": {"status": "in_progress", "comment": "on it"},
        "head_r02": {"due": as_of + dt.timedelta(days=30), "comment": "more time"},
    }[loser.username]
    final = actions.update(wh, loser, a.id, fresh.version, **retry)
    assert (final.status, final.due_date, final.version) == ("in_progress", as_of + dt.timedelta(days=30), 3)
    assert sorted(c["text"] for c in actions.comments(a.id)) == ["more time", "on it"]
    with pytest.raises(actions.StaleEdit, match="changed by"):
        actions.update(wh, mgr, a.id, 1, comment="from an old page")


def test_open_actions_are_found_beside_a_lagging_metric(wh, as_of, people):
    a = actions.create(
        wh,
        people["head_r02"],
        title="lift deposits",
        owner="mgr_r02",
        due=as_of,
        org_id="R02B01T1M1",
        metric="deposits",
    )
    found = actions.open_for(wh, people["exec"].scope, "R02", "deposits")
    assert a.id in set(found.id)
    assert a.id not in set(actions.open_for(wh, people["exec"].scope, "R01", "deposits").id)
    assert a.id not in set(actions.open_for(wh, people["exec"].scope, "R02", "aum").id)
    from cockpit.warehouse.layer import ScopeError

    with pytest.raises(ScopeError):
        actions.open_for(wh, people["head_r01"].scope, "R02", "deposits")


def test_bound_rows_are_validated_and_scoped(wh):
    from cockpit.warehouse.layer import QueryError

    ids = customers_of(wh, "R02B01T1M1") + customers_of(wh, "R01B01T1M1")
    seen = wh.run("action_loop_customers", Scope("h", "branch_head", ("R02",)), rows=[(c,) for c in ids])
    assert set(seen.customer_id) == set(ids[:3])
    assert wh.run("action_loop_customers", Scope("h", "branch_head", ("R02",))).empty
    with pytest.raises(QueryError, match="must be a bigint"):
        wh.run("action_loop_customers", Scope("h", "branch_head", ("R02",)), rows=[("1 or 1=1",)])
    with pytest.raises(QueryError, match="takes no rows"):
        wh.run("org_tree", Scope("h", "branch_head", ("R02",)), rows=[(1,)])
    with pytest.raises(QueryError, match="expected 1"):
        wh.run("action_loop_customers", Scope("h", "branch_head", ("R02",)), rows=[(1, 2)])


PAGE_ROLES = {
    "exec": ["pages/actions.py", "pages/subscriptions.py"],
    "head_r02": ["pages/actions.py", "pages/subscriptions.py"],
    "manager1": ["pages/actions.py", "pages/subscriptions.py"],
    "admin": ["pages/subscriptions.py", "pages/admin_delivery.py"],
}


@pytest.mark.parametrize("username", sorted(PAGE_ROLES))
def test_loop_pages_run_for_each_role(app, people, username):
    at = app(username)
    for page in PAGE_ROLES[username]:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert at.title[0].value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_manager_without_actions_is_told_where_actions_are_made_and_given_the_link(app, bank, lang):
    from cockpit.core import i18n

    if "mgr_none" not in {u.username for u in auth.list_users()}:
        auth.add_user("mgr_none", "mgr_none", "manager", ["R02B01T1M2"], "mgr_none-demo")
    assert not [a for a in actions.all_actions() if a.owner == "mgr_none"]
    at = app("mgr_none", lang=lang)
    at.switch_page("pages/actions.py").run()
    assert not at.exception
    page, button = i18n.t("guidance.page", lang), i18n.t("loop.make_action", lang)
    told = [i.value for i in at.info if button in i.value and page in i.value]
    assert told, [i.value for i in at.info]
    links = [x for x in at.page_link if x.proto.page.endswith("guidance")]
    assert links and page in links[0].value, [(x.proto.page, x.value) for x in at.page_link]


def test_a_stale_edit_on_the_page_is_refused_with_the_message(app, wh, as_of, people):
    a = actions.create(
        wh, people["head_r02"], title="page edit", owner="mgr_r02", due=as_of, org_id="R02B01T1M1"
    )
    at = app("mgr_r02")
    at.switch_page("pages/actions.py").run()
    at.selectbox(key="mine_pick").select(a.id).run()
    actions.update(
        wh, people["head_r02"], a.id, a.version, comment="changed meanwhile"
    )  # someone else saves first
    at.selectbox(key="mine_status").select("in_progress")
    at.text_area(key="mine_comment").input("my change")
    next(b for b in at.button if b.label in ("Save", "保存")).click().run()
    assert any("changed by head_r02" in e.value and "reload" in e.value for e in at.error)
    assert actions.get(a.id).status == "open"
    at.selectbox(key="mine_status").select("in_progress")
    next(b for b in at.button if b.label in ("Save", "保存")).click().run()
    assert actions.get(a.id).status == "in_progress"


def test_the_guidance_page_turns_an_insight_into_my_action(app):
    before = {a.id for a in actions.all_actions()}
    at = app("manager1")
    at.switch_page("pages/guidance.py").run()
    buttons = [b for b in at.button if b.key and b.key.startswith("to_action_")]
    assert buttons, "the guidance page should offer to make an insight an action"
    buttons[0].click().run()
    assert not at.exception
    made = [a for a in actions.all_actions() if a.id not in before]
    assert len(made) == 1 and made[0].owner == "manager1" and made[0].created_by == "manager1"
    assert any(f"#{made[0].id}" in s.value for s in at.success)
    key = next(b.key for b in buttons)
    at.run()  # the next look at the page: the same insight now links to its action instead
    assert key not in [b.key for b in at.button], "a second press must not make a second action"
    assert any(f"#{made[0].id}" in c.value and "already" in c.value for c in at.caption)
    assert [a.id for a in actions.all_actions() if a.id not in before] == [made[0].id]
    at.query_params["action"] = str(made[0].id)  # where the link leads: the actions page, that action open
    at.switch_page("pages/actions.py").run()
    assert not at.exception and at.selectbox(key="mine_pick").value == made[0].id


def test_one_insight_makes_one_open_action(wh, as_of, people):
    head = people["head_r02"]
    insight = guidance.generate(wh, head.scope, "R02B01T1M1", Period.containing("month", as_of, as_of))[0]
    first = actions.create_from_insight(wh, head, insight, owner="mgr_r02", due=as_of, lang="en")
    count = len(actions.all_actions())
    again = actions.create_from_insight(wh, head, insight, owner="mgr_r02", due=as_of, lang="zh")
    assert again.id == first.id and len(actions.all_actions()) == count
    assert actions.for_insight(wh, people["mgr_r02"], insight, owner="mgr_r02").id == first.id
    assert actions.for_insight(wh, people["head_r01"], insight, owner="mgr_r02") is None  # not theirs to see
    other = next(
        i
        for i in guidance.generate(wh, head.scope, "R02B01T1M1", Period.containing("month", as_of, as_of))
        if actions.insight_key(i) != actions.insight_key(insight)
    )
    assert actions.create_from_insight(wh, head, other, owner="mgr_r02", due=as_of).id != first.id
    actions.update(wh, head, first.id, first.version, status="done", done_on=as_of)
    anew = actions.create_from_insight(wh, head, insight, owner="mgr_r02", due=as_of)
    assert anew.id != first.id and anew.status == "open"  # the finding came back after the work was done
