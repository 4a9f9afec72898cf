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
