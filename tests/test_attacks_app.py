"""A branch head tries to reach another branch through the app: URL, widget state, crafted values, cache."""

import threading

import pytest


def _visible_orgs(at) -> list[str]:
    """The org ids the org picker offers. Its labels are names (parents added where a name repeats), unique
    within the user's own tree: each maps back to one node of it, and a label from elsewhere fails here."""
    from cockpit.app import ui
    from cockpit.core import config
    from cockpit.display import names
    from cockpit.state.auth import get_user
    from cockpit.warehouse.layer import open_warehouse

    scope = get_user(at.session_state["username"]).scope
    wh = open_warehouse(config.warehouse_target())
    tree = wh.run("org_tree", scope)
    reader = names.from_frames(tree, wh.run("channels", scope), at.session_state["lang"])
    by_label = {label.strip(ui.TREE_INDENT + "└ "): o for o, label in ui.org_options(tree, reader).items()}
    box = next(s for s in at.selectbox if s.key == "f_org")
    ids = [by_label[o.strip(ui.TREE_INDENT + "└ ")] for o in box.options]
    assert len(set(ids)) == len(ids)
    return ids


def test_url_query_param_for_another_branch_is_refused(app, attacks):
    at = app(None)
    at.query_params["org"] = "R01"
    at.text_input[0].input("head_r02")
    at.text_input[1].input("head_r02-demo")
    at.button[0].click().run()
    attacks.append("url query param")
    assert not at.exception
    assert any("R01" in e.value and "outside your scope" in e.value for e in at.error)
    assert at.session_state["f_org"] == "R02"
    assert all(o.startswith("R02") for o in _visible_orgs(at))


def _signed_in_asking_for(app, username: str, org: str, lang: str = "en"):
    at = app(None, lang=lang)
    at.query_params["org"] = org
    at.text_input[0].input(username)
    at.text_input[1].input(f"{username}-demo")
    at.button[0].click().run()
    assert not at.exception
    return at


@pytest.mark.parametrize("lang,said", [("en", "Unknown org: R99"), ("zh", "找不到该机构：R99")])
def test_the_executive_asking_for_a_missing_org_hears_that_it_does_not_exist(app, attacks, lang, said):
    """The executive sees the whole tree, so naming a node as missing reveals nothing to them."""
    at = _signed_in_asking_for(app, "exec", "R99", lang)
    attacks.append("url query param, missing node")
    errors = [e.value for e in at.error]
    assert any(said in e for e in errors), errors
    assert not any("outside your scope" in e or "权限范围" in e for e in errors), errors
    assert at.session_state["f_org"] == "HO"
    crafted = app("exec", state={"f_org": "R99"})  # the same node planted in the widget state
    assert (
        any("Unknown org: R99" in e.value for e in crafted.error) and crafted.session_state["f_org"] == "HO"
    )


@pytest.mark.parametrize("org", ["R99", "R01"])
def test_a_branch_head_hears_outside_your_scope_for_a_missing_node_and_another_branch_alike(
    app, attacks, org
):
    """Whether a node outside a branch head's subtree exists is not theirs to learn: one message for both."""
    at = _signed_in_asking_for(app, "head_r02", org)
    attacks.append("url query param, probing for a node")
    errors = [e.value for e in at.error]
    assert errors == [f"Not allowed: Org {org} is outside your scope; your own org is shown instead."], errors
    assert at.session_state["f_org"] == "R02"


@pytest.mark.parametrize("crafted", ["R01", "HO", "R01B02", "R02' OR '1'='1", "../R01", ""])
def test_crafted_org_in_widget_state_is_refused(app, attacks, crafted):
    at = app("head_r02", state={"f_org": crafted})
    attacks.append("widget state")
    assert not at.exception
    assert at.session_state["f_org"] == "R02"
    if crafted:
        assert any("outside your scope" in e.value for e in at.error)


@pytest.mark.parametrize(
    "key,value",
    [("f_kind", "decade"), ("lang", "fr"), ("f_period", "1999-01"), ("f_group", "'; drop table events; --")],
)
def test_crafted_filter_values_fall_back_safely(app, attacks, key, value):
    at = app("head_r02", state={key: value})
    attacks.append("crafted filter value")
    assert not at.exception
    assert at.session_state[key] != value


def test_org_picker_lists_only_the_users_subtree(app):
    at = app("head_r01b02")
    orgs = _visible_orgs(at)
    assert orgs and all(o.startswith("R01B02") for o in orgs)


def test_two_users_one_after_another_get_their_own_numbers(app, attacks):
    """The query cache is shared by all sessions: the scope must be part of every key."""
    seen = {}
    for user in ("head_r01", "head_r02", "head_r01"):
        at = app(user)
        attacks.append("cache collision")
        orgs = _visible_orgs(at)
        assert orgs and all(o.startswith(user[-3:].upper()) for o in orgs)
        seen.setdefault(user, []).append([m.value for m in at.metric])
    assert seen["head_r01"][0] == seen["head_r01"][1] != seen["head_r02"][0]


def test_cached_queries_from_many_threads_never_cross_scopes(bank, attacks):
    from cockpit.app import ui
    from cockpit.core import config
    from cockpit.state.auth import get_user

    scopes = {u: get_user(u).scope.key for u in ("head_r01", "head_r02", "head_r01b02", "manager1")}
    errors = []

    def ask(user: str) -> None:
        for _ in range(5):
            df = ui._cached_query(config.warehouse_target(), "org_tree", scopes[user], ())
            root = scopes[user][2][0]
            if not (len(df) and df.path.str.contains(f"/{root}/").all()):
                errors.append(user)

    threads = [threading.Thread(target=ask, args=(u,)) for u in scopes for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    attacks.extend(["concurrent cache"] * len(threads) * 5)
    assert not errors
