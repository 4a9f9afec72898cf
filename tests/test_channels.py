"""Channel coordination: attribution credits add up, referral SLA edge cases, figures against independent
pandas computations, the stalled referral route, empty states and the page for each role."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import scope_of
from test_sicas import hand_made, storyline_bank  # noqa: F401  (storyline_bank: a session fixture shared with the SICAS tests)

from cockpit.domain import channels as rules
from cockpit.warehouse import marts
from cockpit.warehouse.layer import Scope, Warehouse
from seed.demo import storylines as sl
from tests.rendered import each_tab

HO = Scope("t", "executive", ("HO",))
YEAR = {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 11, 20)}


def subtree_events(wh, org: str) -> pd.DataFrame:
    return wh.sql(
        """select e.*, ch.channel_group from events e join org_closure c on c.descendant_id = e.org_id
                     join channels ch on ch.channel_id = e.channel_id where c.ancestor_id = :o""",
        {"o": org},
    )


# ---------------------------------------------------------------- attribution
@pytest.mark.parametrize("org,lookback", [("HO", 30), ("R02", 1), ("R01B02", 90), ("R01B01T1M1", 30)])
def test_attribution_credits_add_up_to_the_number_of_actions_under_every_model(wh, org, lookback):
    df = wh.run("attribution_channels", HO, {"org_id": org, **YEAR, "lookback_days": lookback})
    ev = subtree_events(wh, org)
    day = pd.to_datetime(ev.event_date)
    actions = (
        (ev.stage == "A") & (day >= pd.Timestamp(YEAR["start"])) & (day <= pd.Timestamp(YEAR["end"]))
    ).sum()
    assert actions > 0
    for model in rules.ATTRIBUTION_MODELS:
        assert df[model].sum() == pytest.approx(actions), model


def test_first_touch_credits_equal_an_independent_computation(wh):
    ev = subtree_events(wh, "R01")
    ev["event_ts"] = pd.to_datetime(ev.event_ts)
    acts = ev[(ev.stage == "A") & (pd.to_datetime(ev.event_date) >= pd.Timestamp(YEAR["start"]))]
    touches = ev[ev.stage.isin(["S", "I", "C"])].sort_values(["event_ts", "event_id"])
    expected: dict[str, int] = {}
    for a in acts.itertuples():
        lo = pd.Timestamp(a.event_date) - pd.Timedelta(days=30)
        t = touches[
            (touches.customer_id == a.customer_id)
            & (touches.event_ts <= a.event_ts)
            & (pd.to_datetime(touches.event_date) >= lo)
        ]
        first = t.channel_id.iloc[0] if len(t) else a.channel_id
        expected[first] = expected.get(first, 0) + 1
    got = wh.run("attribution_channels", HO, {"org_id": "R01", **YEAR}).set_index("channel_id").first_touch
    assert got[got > 0].to_dict() == pytest.approx(expected)


# ---------------------------------------------------------------- referral SLA edge cases
@pytest.fixture(scope="module")
def referral_wh(tmp_path_factory) -> Warehouse:
    """Hand-made referrals on one route with a 24-hour SLA, created 2026-09-01 08:00."""
    path = Path(tmp_path_factory.mktemp("refs")) / "refs.duckdb"
    con = hand_made(path)
    rows = [  # id, accepted_at, followed_up_at, outcome
        (1, "2026-09-01 09:00", "2026-09-02 08:00:00", "declined"),  # follow-up exactly at the limit: on time
        (2, "2026-09-01 09:00", "2026-09-02 08:00:01", "declined"),  # one second late
        (3, None, None, "pending"),  # never accepted, never followed up
        (
            4,
            "2026-09-03 10:00",
            "2026-09-01 20:00:00",
            "converted",
        ),  # accepted after the follow-up that converted
        (5, "2026-09-05 10:00", None, "declined"),  # accepted late, never followed up
    ]
    for rid, acc, fu, outcome in rows:
        con.execute(
            "insert into referrals values (?, ?, 'HO', 'app', 'wealth_room', timestamp "
            "'2026-09-01 08:00', ?, ?, ?, 24)",
            [rid, rid, acc, fu, outcome],
        )
    con.close()
    return Warehouse(str(path))


def test_referral_sla_edge_cases(referral_wh):
    row = referral_wh.run(
        "referral_matrix", HO, {"org_id": "HO", "start": dt.date(2026, 9, 1), "end": dt.date(2026, 9, 30)}
    ).iloc[0]
    assert (row.created, row.accepted, row.on_time, row.converted) == (5, 4, 2, 1)
    # the median follow-up counts only the three referrals followed up at all: 24h, 24h+1s, 12h
    assert row.median_followup_hours == pytest.approx(24.0)
    assert row.on_time_rate == pytest.approx(2 / 5)
    grouped = referral_wh.run(
        "referral_matrix",
        HO,
        {"org_id": "HO", "start": dt.date(2026, 9, 1), "end": dt.date(2026, 9, 30), "level": "group"},
    ).iloc[0]
    assert (grouped.from_id, grouped.to_id, grouped.on_time) == ("online", "offline", 2)
    month = referral_wh.run(
        "referral_monthly", HO, {"org_id": "HO", "start": dt.date(2026, 9, 1), "end": dt.date(2026, 9, 30)}
    )
    assert month.on_time.sum() == 2


@pytest.mark.parametrize("bank_name", ["wh", "storyline_bank"])
def test_stalled_route_has_the_lowest_on_time_follow_up_in_its_month(request, bank_name):
    bank = request.getfixturevalue(bank_name)
    month = sl.STALLED_MONTH
    df = bank.run("referral_matrix", HO, {"org_id": "HO", "start": month, "end": dt.date(2026, 9, 30)})
    worst = df.sort_values(["on_time_rate", "created"], ascending=[True, False]).iloc[0]
    assert (worst.from_id, worst.to_id) == (sl.STALLED_FROM, sl.STALLED_TO)
    trend = bank.run(
        "referral_monthly", HO, {"org_id": "HO", "start": rules.route_trend_start(sl.AS_OF), "end": sl.AS_OF}
    )
    route = trend[(trend.from_channel_id == sl.STALLED_FROM) & (trend.to_channel_id == sl.STALLED_TO)]
    assert pd.Timestamp(route.sort_values("on_time_rate").month.iloc[0]).date() == month
    stalled = rules.stalled_route(trend)  # the route-month the page calls out
    assert (stalled.from_channel_id, stalled.to_channel_id, pd.Timestamp(stalled.month).date()) == (
        sl.STALLED_FROM,
        sl.STALLED_TO,
        month,
    )


# ---------------------------------------------------------------- other figures against pandas
def test_integration_service_linkage_and_open_rates_equal_independent_computations(wh):
    params = {"org_id": "R01", **YEAR}
    ev = subtree_events(wh, "R01")
    ev = ev[
        (pd.to_datetime(ev.event_date) >= pd.Timestamp(YEAR["start"]))
        & (pd.to_datetime(ev.event_date) <= pd.Timestamp(YEAR["end"]))
    ]
    ident = wh.run("channel_identity", HO, params).iloc[0]
    assert ident.known_share == pytest.approx(ev.customer_id.notna().mean())
    assert ident.customers == ev.customer_id.nunique()
    mix = wh.run("channel_mix", HO, params)
    n_channels = ev.dropna(subset=["customer_id"]).groupby("customer_id").channel_id.nunique()
    three_plus = mix[(mix.kind == "channels") & (mix.bucket == "3+")].customers.iloc[0]
    assert three_plus == (n_channels >= 3).sum()
    assert mix.groupby("kind").customers.sum().eq(ident.customers).all()

    svc = wh.run("channel_service", HO, params).set_index("channel_id")
    rec = wh.sql(
        """select r.* from service_records r join org_closure c on c.descendant_id = r.org_id
                    where c.ancestor_id = 'R01' and r.record_date between :s and :e""",
        {"s": YEAR["start"], "e": YEAR["end"]},
    )
    per = rec.groupby("channel_id").agg(
        resolution=("resolved", "mean"), response=("response_seconds", "median")
    )
    assert svc.resolution_rate.to_dict() == pytest.approx(per.resolution.to_dict())
    assert svc.spread_resolution.iloc[0] == pytest.approx(per.resolution.std(ddof=0) / per.resolution.mean())

    link = rules.linkage(wh.run("channel_linkage", HO, {**params, "days": 7})).set_index("to_state")
    ch = wh.sql(
        """select l.* from lifecycle_changes l join org_closure c on c.descendant_id = l.org_id
                   where c.ancestor_id = 'R01' and l.change_date between :s and :e and l.to_state =
                   'dormant'""",
        {"s": YEAR["start"], "e": YEAR["end"]},
    )
    allev = subtree_events(wh, "R01")
    allev["event_date"] = pd.to_datetime(allev.event_date)
    reached = sum(
        (
            (allev.customer_id == c.customer_id)
            & (allev.channel_id == rules.SUITABLE_CHANNEL["dormant"])
            & (allev.event_date >= pd.Timestamp(c.change_date))
            & (allev.event_date <= pd.Timestamp(c.change_date) + pd.Timedelta(days=7))
        ).any()
        for c in ch.itertuples()
    )
    assert link.loc["dormant", "changes"] == len(ch)
    assert link.loc["dormant", "reached_suitable"] == pytest.approx(reached / len(ch))
    assert link.loc["dormant", "suitable_channel"] == "call_out"

    tp = wh.run("wecom_touchpoints", HO, params).set_index("touchpoint")
    assert tp.loc["sms", "open_rate"] == pytest.approx(
        (ev.event_type == "sms_open").sum() / (ev.event_type == "sms_sent").sum()
    )


def test_staff_attribution_never_names_a_node_outside_the_users_scope(wh):
    user = scope_of("head_r01b02")
    visible = wh.visible_orgs(user)
    df = wh.run("attribution_staff", user, {"org_id": "R01B02", **YEAR})
    assert len(df) and set(df.org_id.dropna()) <= visible and set(df.team_org_id.dropna()) <= visible
    teams = wh.run("attribution_staff", user, {"org_id": "R01B02", **YEAR, "by": "team"})
    assert set(teams.credited_to) <= visible | {"-"}
    assert teams.actions.sum() == df.actions.sum() and teams.staff.sum() == len(df)


# ---------------------------------------------------------------- the page
def tab(section: str, lang: str = "en") -> str:
    """The label of a tab of the channels page (each is drawn when it is open)."""
    from cockpit.core import i18n

    return i18n.t(f"channels.tab.{section}", lang)


@pytest.mark.parametrize("username", ["exec", "head_r02", "manager1"])
def test_channels_page_runs_for_each_role(app, username):
    at = app(username, state={"f_kind": "year"})
    at.switch_page("pages/channels.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert not [r for r in at.radio if r.key == "ch_ref_level"]  # the referral tab is drawn when opened
    for section, kind, key, value in (
        ("referral", "radio", "ch_ref_level", "group"),
        ("linkage", "number_input", "ch_link_days", 30),
        ("attribution", "radio", "ch_staff_by", "team"),
    ):
        at.session_state["ch_tab"] = tab(section)
        at.run()
        getattr(at, kind)(key=key).set_value(value).run()
        assert not at.exception, (section, at.exception)
    at.session_state["ch_tab"] = tab("wecom")
    at.run()
    assert not at.exception, at.exception
    assert any(m.label == "WeCom contacts added" for m in at.metric)


def test_a_warehouse_without_referrals_says_so(app, bank, tmp_path, monkeypatch):
    copy = tmp_path / "no_referrals.duckdb"
    shutil.copy(bank / "warehouse.duckdb", copy)
    con = duckdb.connect(str(copy))
    con.execute("delete from referrals")
    marts.build(con)  # as an import of such a warehouse builds its marts
    con.close()
    monkeypatch.setenv("COCKPIT_WAREHOUSE", str(copy))
    at = app("exec", state={"ch_tab": tab("referral")})
    at.switch_page("pages/channels.py").run()
    assert not at.exception, at.exception
    assert any("No data" in i.value for i in at.info)


def test_channel_tables_read_as_formatted_figures_in_chinese(app):
    """Rates with one decimal (12.3%), counts with thousands separators, products per customer with two
    decimals.
    """
    import re

    from cockpit.core import i18n

    at = app("exec", lang="zh", state={"f_kind": "year"})
    at.switch_page("pages/channels.py").run()
    assert not at.exception, at.exception
    mix = at.dataframe[0].value  # the omnichannel mix: its shares are the query's, as one-decimal percentages
    frames = [d.value for view in each_tab(at) for d in view.dataframe]  # every tab's tables
    assert not at.exception, at.exception
    unit_of = {i18n.t(f"channels.col.{c}", "zh"): u for c, u in rules.UNITS.items()}
    pattern = {
        "pct": r"-?[\d,]+\.\d%",
        "count": r"-?\d{1,3}(,\d{3})*(\.\d)?",
        "decimal2": r"[\d,]+\.\d\d",
        "score": r"-?[\d,]+(\.\d)?",
        "money": r"[\d,.]+[万亿元]?",
    }
    seen = set()
    for frame in frames:
        for col in frame.columns:
            unit = unit_of.get(col)
            if unit is None:
                continue
            values = [v for v in frame[col] if v != "—"]
            assert all(isinstance(v, str) and re.fullmatch(pattern[unit], v) for v in values), (
                col,
                values[:5],
            )
            seen.add(unit)
    assert {"pct", "count", "decimal2"} <= seen
    share = i18n.t("channels.col.share", "zh")
    assert mix[share].str.rstrip("%").astype(float).sum() == pytest.approx(100, abs=0.1 * len(mix))


def test_table_formatting_puts_separators_in_counts_and_one_decimal_in_rates():
    from cockpit.core import i18n

    df = pd.DataFrame(
        {
            "created": [12345, 7],
            "on_time_rate": [0.12345, None],
            "products_per_customer": [1.5, 0.035],
            "channel_id": ["app", "lobby"],
        }
    )
    shown = i18n.table(df, rules.UNITS, "zh")
    assert list(shown.created) == ["12,345", "7"] and list(shown.on_time_rate) == ["12.3%", "—"]
    assert list(shown.products_per_customer) == ["1.50", "0.04"] and list(shown.channel_id) == [
        "app",
        "lobby",
    ]


def test_route_months_are_labels_not_english_dates_and_staff_teams_are_named(app, wh):
    from cockpit.charts import channels as charts
    from cockpit.core import i18n

    monthly = wh.run(
        "referral_monthly", HO, {"org_id": "HO", "start": dt.date(2026, 1, 1), "end": dt.date(2026, 11, 20)}
    )
    fig = charts.route_heatmap(monthly, {})
    assert fig.layout.xaxis.type == "category" and list(fig.data[0].x) == sorted(
        pd.to_datetime(monthly.month).dt.strftime("%Y-%m").unique()
    )
    at = app("exec", lang="zh", state={"f_kind": "year", "ch_tab": tab("attribution", "zh")})
    at.switch_page("pages/channels.py").run()
    team = i18n.t("channels.col.team_org_id", "zh")
    staff = next(d.value for d in at.dataframe if team in d.value.columns)
    from cockpit.display import names as display_names

    reader = display_names.for_reader(wh, HO, "zh")  # names, with parents where a team's name repeats
    assert len(staff) and set(staff[team]) <= set(reader.orgs.values())
    assert not staff[team].str.contains(r"R\d\d").any()


def test_the_staff_table_shows_the_first_rows_and_the_download_holds_them_all(app, wh, monkeypatch):
    """Above STAFF_PAGE staff the page sends the first rows (most actions first), says how many there are and
    offers the whole list as a download."""
    whole = wh.run("attribution_staff", HO, {"org_id": "HO", **YEAR})
    assert len(whole) > 3 and whole.listed.eq(len(whole)).all()
    first = wh.run("attribution_staff", HO, {"org_id": "HO", **YEAR, "max_rows": 3})
    pd.testing.assert_frame_equal(first, whole.head(3))
    monkeypatch.setattr(rules, "STAFF_PAGE", 3)
    at = app("exec", state={"f_kind": "year", "ch_tab": tab("attribution")})
    at.switch_page("pages/channels.py").run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Credited to" in d.value.columns)
    assert len(table) == 3
    from cockpit.core import i18n

    note = i18n.t("channels.staff_note", "en", n=i18n.count(len(whole), "en"), size="3")
    assert note in [c.value for c in at.caption]
    assert any(b.label == "Download them all (CSV)" for b in at.get("download_button"))


def test_a_tab_reads_and_draws_its_figures_when_it_is_opened(app, monkeypatch):
    from cockpit.app import ui

    asked: list[str] = []
    real = Warehouse.run

    def spy(self, name, *args, **kwargs):
        asked.append(name)
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(Warehouse, "run", spy)
    ui.forget_figures()  # nothing answered from an earlier test's cache
    at = app("exec")
    at.switch_page("pages/channels.py").run()
    assert not at.exception
    assert "channel_identity" in asked and not {"referral_matrix", "attribution_staff"} & set(asked)
    assert {c.key for c in at.get("plotly_chart")} == {"ch_mix_channels", "ch_mix_groups"}  # this tab's only
    asked.clear()
    at.session_state["ch_tab"] = tab("referral")
    at.run()
    assert not at.exception and "referral_matrix" in asked and "channel_identity" not in asked
    assert {c.key for c in at.get("plotly_chart")} == {"ch_ref_sankey", "ch_ref_heatmap"}
