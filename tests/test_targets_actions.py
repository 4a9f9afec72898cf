"""The targets page shows the open actions beside a lagging metric (the closed loop reaches the targets)."""

import datetime as dt

from cockpit.state import actions, auth


def test_lagging_metric_lists_its_open_actions(app, wh):
    head = auth.get_user("head_r02")
    a = actions.create(
        wh,
        head,
        title="追回存款缺口 deposit gap plan",
        owner="head_r02",
        due=dt.date(2026, 11, 30),
        org_id="R02",
        metric="deposits",
    )
    at = app("head_r02")
    at.switch_page("pages/targets.py").run()
    assert not at.exception
    at.selectbox(key="tg_metric").set_value("deposits").run()
    assert not at.exception
    frames = [d for d in at.dataframe if "追回存款缺口" in d.value.to_string()]
    assert frames, "the open action is not shown beside the red deposits metric"
    actions.update(wh, head, a.id, a.version, status="dismissed", reason="test over")
    at.run()
    assert not [d for d in at.dataframe if "追回存款缺口" in d.value.to_string()]
    others = actions.open_for(wh, head.scope, "R02", "deposits")  # open actions other tests may have left
    if others.empty:
        assert any("no action is open" in i.value for i in at.info)
    else:
        assert any(str(others.iloc[0]["title"])[:20] in d.value.to_string() for d in at.dataframe)
