"""Guidance finds every planted storyline at the right node with the right insight type, stays quiet on
healthy nodes, renders in both languages with its figures, and never leaves the user's scope.

The weekly, funnel and campaign rules need enough events per node-week to separate a planted change
from noise (the xs bank has two or three Actions a week per sub-branch, where a zero week is common),
so the storylines are checked on the s demo bank, built once for this module.
"""

import datetime as dt
import re

import pandas as pd
import pytest

from cockpit import guidance
from cockpit.core import i18n
from cockpit.core.periods import Period
from cockpit.domain import metrics, sicas
from cockpit.guidance import Context, actions, changes
from cockpit.warehouse.layer import Scope, ScopeError
from seed.demo import bank as demo_bank
from seed.demo import storylines as sl
from tests.conftest import scope_of

HO = Scope("exec", "executive", ("HO",))


@pytest.fixture(scope="module")
def big(tmp_path_factory, bank):
    from cockpit.warehouse.layer import open_warehouse

    path = tmp_path_factory.mktemp("bank_s") / "warehouse.duckdb"
    demo_bank.build(path, "s", 42)
    return open_warehouse(str(path))


@pytest.fixture(scope="module")
def now_ho(big):
    """Every insight at the head office for the as-of month on the s bank."""
    return guidance.generate(big, HO, "HO", Period.parse(sl.AS_OF.strftime("%Y-%m"), sl.AS_OF))


def of_type(found, kind):
    return [i for i in found if i.type == kind]


def test_weekly_connect_to_action_drop_is_found_at_its_sub_branch_and_week(now_ho):
    hits = of_type(now_ho, "unusual_change")
    week = sl.DROP_WEEK_START.isoformat()
    assert ("unusual_change", sl.DROP_SUB_BRANCH, "conversion", "C>A", "drop", week) in {i.key for i in hits}
    conversions = [i for i in hits if i.key[2] == "conversion" and i.key[3] == "C>A" and i.key[4] == "drop"]
    assert {i.org_id for i in conversions if len(i.org_id) == 6} == {sl.DROP_SUB_BRANCH}


def test_the_change_rule_flags_almost_no_weeks_at_healthy_sub_branches(big):
    ctx = Context(big, HO, "HO", Period.parse(sl.AS_OF.strftime("%Y-%m"), sl.AS_OF))
    scored = changes.scored(ctx)
    healthy = scored[(scored.level == 2) & (scored.org_id != sl.DROP_SUB_BRANCH)]
    assert len(healthy) > 3000
    assert (healthy.flag != 0).mean() < 0.002, healthy[healthy.flag != 0]
    assert {-1, 1} >= set(scored.flag) - {0}


def test_the_unusual_week_figures_equal_an_independent_count(big, now_ho):
    ins = next(i for i in of_type(now_ho, "unusual_change") if i.org_id == sl.DROP_SUB_BRANCH)
    ev = big.sql(
        "select stage from events where org_id like :o and event_date between :a and :b",
        {
            "o": sl.DROP_SUB_BRANCH + "%",
            "a": sl.DROP_WEEK_START,
            "b": sl.DROP_WEEK_START + dt.timedelta(days=6),
        },
    )
    week = ins.detail[ins.detail.week_start == pd.Timestamp(sl.DROP_WEEK_START)].iloc[0]
    assert week.den == (ev.stage == "C").sum() and week.num == (ev.stage == "A").sum()
    assert ins.figures["value"][0] == pytest.approx((ev.stage == "A").sum() / (ev.stage == "C").sum())
    before = big.sql(
        "select stage from events where org_id like :o and event_date between :a and :b",
        {
            "o": sl.DROP_SUB_BRANCH + "%",
            "a": sl.DROP_WEEK_START - dt.timedelta(weeks=12),
            "b": sl.DROP_WEEK_START - dt.timedelta(days=1),
        },
    )  # the pooled rate of the twelve weeks before
    assert ins.figures["baseline"][0] == pytest.approx(
        (before.stage == "A").sum() / (before.stage == "C").sum()
    )
    assert "个百分点" in ins.text("zh") and "points" in ins.text("en")


def test_the_same_week_scores_the_same_whoever_looks(big):
    p = Period.parse(sl.AS_OF.strftime("%Y-%m"), sl.AS_OF)
    region = sl.DROP_SUB_BRANCH[:3]
    head = Scope("head", "branch_head", (region,))
    cols = ["org_id", "kind", "member", "week_start", "z_own", "z_peer"]
    mine = changes.scored(Context(big, head, region, p))[cols]
    mine_b = changes.scored(Context(big, head, sl.DROP_SUB_BRANCH, p))[cols]
    ho = changes.scored(Context(big, HO, "HO", p))[cols]
    assert set(mine.org_id) == {o for o in ho.org_id if o.startswith(region)}  # no peer's rows
    both = mine.merge(ho, on=cols[:4], suffixes=("", "_ho")).merge(mine_b, on=cols[:4], suffixes=("", "_b"))
    assert len(both) == len(mine_b) > 0
    for col in ("z_own", "z_peer"):
        assert both[col].to_numpy() == pytest.approx(both[f"{col}_ho"].to_numpy(), nan_ok=True)
        assert both[col].to_numpy() == pytest.approx(both[f"{col}_b"].to_numpy(), nan_ok=True)


def test_a_branch_head_learns_no_peer_figure_from_the_change_query(big):
    head = Scope("head", "branch_head", ("R01",))
    df = big.run("guidance_changes", head, {"org_id": "R01", "end": sl.AS_OF})
    assert set(df.org_id) and all(o.startswith("R01") for o in df.org_id)
    with pytest.raises(ScopeError):
        big.run("guidance_changes", head, {"org_id": "R02", "end": sl.AS_OF})


def test_the_same_warehouse_gives_byte_identical_guidance(big):
    p = Period.parse(sl.AS_OF.strftime("%Y-%m"), sl.AS_OF)
    runs = [guidance.table(guidance.generate(big, HO, "HO", p), lang).to_csv() for lang in ("zh", "zh", "en")]
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_lagging_region_is_the_only_region_at_risk_on_deposits(big, now_ho):
    regions = {f"R{n:02d}" for n in range(1, 100)}
    risk = [
        i
        for i in of_type(now_ho, "target_risk")
        if i.labels["metric"][1] == "Deposits" and i.org_id in regions
    ]
    assert [i.org_id for i in risk] == [sl.LAGGING_REGION]
    bal = big.sql(
        """select sum(b.balance) v from balances_daily b where b.org_id like :o and b.category = 'deposit'
                     and b.balance_date = :d""",
        {"o": sl.LAGGING_REGION + "%", "d": sl.AS_OF},
    )
    assert risk[0].figures["actual"][0] == pytest.approx(bal.v.iloc[0])
    f = {k: v for k, (v, _unit) in risk[0].figures.items()}
    assert f["pace_needed"] == pytest.approx((f["target"] - f["actual"]) / f["remaining"])
    assert f["actual"] < f["target"] and f["pace"] < 0.9 * f["time_progress"]  # red under the status rule


def test_stalled_referral_route_is_found_in_its_month_and_no_other_route_is(big):
    month = Period.parse(sl.STALLED_MONTH.strftime("%Y-%m"), sl.AS_OF)
    found = of_type(guidance.generate(big, HO, "HO", month), "referrals_overdue")
    routes = {(i.labels["route_from"][1], i.labels["route_to"][1], i.labels["month"][0]) for i in found}
    assert ("Mobile app", "Wealth-management room", sl.STALLED_MONTH.strftime("%Y-%m")) in routes
    assert all(
        r[2] != sl.STALLED_MONTH.strftime("%Y-%m") or r[:2] == ("Mobile app", "Wealth-management room")
        for r in routes
    )
    ins = next(i for i in found if i.labels["month"][0] == sl.STALLED_MONTH.strftime("%Y-%m"))
    refs = big.sql(
        "select * from referrals where from_channel_id = :f and to_channel_id = :t",
        {"f": sl.STALLED_FROM, "t": sl.STALLED_TO},
    )
    refs = refs[pd.to_datetime(refs.created_at).dt.to_period("M") == pd.Period(sl.STALLED_MONTH, "M")]
    in_time = refs.followed_up_at.notna() & (
        refs.followed_up_at <= refs.created_at + pd.to_timedelta(refs.sla_hours, unit="h")
    )
    assert ins.figures["referrals"][0] == len(refs)
    assert ins.figures["missed"][0] == (~in_time).sum()


def test_star_campaign_is_the_only_outperformer(now_ho):
    found = of_type(now_ho, "campaign_outperformance")
    assert [i.labels["campaign_id"][0] for i in found] == [sl.STAR_CAMPAIGN]


def test_lagging_region_leaks_connect_to_action_against_its_peers_and_no_other_region_leaks(now_ho):
    leaks = of_type(now_ho, "funnel_leak")
    assert [(i.org_id, i.labels["to_stage"][1]) for i in leaks] == [(sl.LAGGING_REGION, "Action")]


def test_dormant_high_value_customers_are_counted_as_an_independent_query_counts(wh, as_of):
    found = of_type(
        guidance.generate(wh, HO, "HO", Period.parse(as_of.strftime("%Y-%m"), as_of)), "dormant_high_value"
    )
    cust = wh.sql("select * from customers where tier >= 4")
    last = pd.to_datetime(cust.last_active_date)
    dormant = cust[last.isna() | (last < pd.Timestamp(as_of - dt.timedelta(days=sl.DORMANT_DAYS)))]
    assert len(found) == 1 and found[0].org_id == "HO"
    assert found[0].figures["customers"][0] == len(dormant)
    assert found[0].figures["aum"][0] == pytest.approx(dormant.aum.sum())
    planted = cust[
        (cust.lifecycle_state == "dormant")
        & (last.isna() | (last < pd.Timestamp(as_of - dt.timedelta(days=sl.DORMANT_DAYS))))
    ]
    ctx = Context(wh, HO, "HO", Period.parse(as_of.strftime("%Y-%m"), as_of))
    listed = actions.action_list(ctx, "en")
    assert set(planted.customer_id) <= set(listed.customer_id)


def test_dormant_insight_states_the_share_and_the_assets_of_the_largest_dormant_customers(wh, as_of):
    from cockpit.guidance import dormant as rule

    ins = of_type(
        guidance.generate(wh, HO, "HO", Period.parse(as_of.strftime("%Y-%m"), as_of)), "dormant_high_value"
    )[0]
    cust = wh.sql("select * from customers where tier >= 4")
    last = pd.to_datetime(cust.last_active_date)
    dormant = cust[last.isna() | (last < pd.Timestamp(as_of - dt.timedelta(days=sl.DORMANT_DAYS)))]
    largest = dormant.nlargest(rule.TOP_N, "aum")
    assert ins.figures["share"][0] == pytest.approx(len(dormant) / len(cust))
    assert ins.figures["top_n"][0] == len(largest)
    assert ins.figures["top_n_aum"][0] == pytest.approx(largest.aum.sum())
    assert ins.figures["top_n_share"][0] == pytest.approx(largest.aum.sum() / dormant.aum.sum())
    assert i18n.pct(len(dormant) / len(cust), "zh") in ins.text("zh") and i18n.money(
        largest.aum.sum(), "en"
    ) in ins.text("en")
    listed = actions.action_list(Context(wh, HO, "HO", Period.parse(as_of.strftime("%Y-%m"), as_of)), "en")
    first = listed[listed.reason == i18n.t("action.reason.dormant_high_value", "en")].head(len(largest))
    assert set(first.customer_id) == set(largest.customer_id)  # the action list starts with them


def test_lifecycle_changes_nobody_reached_equal_an_independent_count(wh, as_of):
    p = Period.parse(as_of.strftime("%Y-%m"), as_of)
    ctx = Context(wh, HO, "HO", p)
    found = of_type(guidance.generate(wh, HO, "HO", p), "lifecycle_unreached")
    ch = wh.sql(
        "select * from lifecycle_changes where change_date between :a and :b",
        {"a": ctx.window_start, "b": p.to_date - dt.timedelta(days=7)},
    )
    ev = wh.sql("select customer_id, event_date from events where customer_id is not null")
    m = ch.merge(ev, on="customer_id", how="left")
    m["hit"] = (pd.to_datetime(m.event_date) >= pd.to_datetime(m.change_date)) & (
        pd.to_datetime(m.event_date) <= pd.to_datetime(m.change_date) + pd.Timedelta(days=7)
    )
    reached = m.groupby(["customer_id", "change_date"]).hit.any()
    assert found[0].figures["changes"][0] == len(reached)
    assert found[0].figures["unreached"][0] == (~reached).sum()


def test_insight_text_renders_in_both_languages_with_its_figures(now_ho):
    assert {i.type for i in now_ho} >= {
        "unusual_change",
        "target_risk",
        "referrals_overdue",
        "dormant_high_value",
        "lifecycle_unreached",
        "funnel_leak",
        "campaign_outperformance",
    }
    for ins in now_ho:
        zh, en = ins.text("zh"), ins.text("en")
        assert zh != en and re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[\u4e00-\u9fff]", en)
        for lang, text in (("zh", zh), ("en", en)):
            assert "[guidance." not in text and "[sicas." not in text
            assert "{" not in text and "{" not in ins.action(lang) and "{" not in ins.baseline(lang)
            shown = [
                i18n.fmt(v, unit, lang)
                for k, (v, unit) in ins.figures.items()
                if f"{{{k}}}" in i18n.catalogue()[f"guidance.{ins.type}.text"][lang]
            ]
            assert shown and all(s in text for s in shown), (ins.type, lang, text)


def test_news_comes_first_most_severe_first_standing_conditions_last(now_ho):
    sev = [(i.standing, -i.severity) for i in now_ho]
    assert sev == sorted(sev)


def test_a_branch_head_gets_no_insight_outside_their_branch_and_is_refused_another(wh, as_of):
    p = Period.parse(as_of.strftime("%Y-%m"), as_of)
    mine = guidance.generate(wh, scope_of("head_r01"), "R01", p)
    assert mine and all(i.org_id.startswith("R01") for i in mine)
    for ins in mine:
        if ins.detail is not None and "org_id" in ins.detail:
            assert all(str(o).startswith("R01") for o in ins.detail.org_id)
    with pytest.raises(ScopeError):
        guidance.generate(wh, scope_of("head_r01"), "R02", p)


def test_a_managers_action_list_holds_only_their_own_customers(wh, as_of):
    s = scope_of("manager1")
    me = s.org_ids[0]
    todo = actions.action_list(Context(wh, s, me, Period.parse(as_of.strftime("%Y-%m"), as_of)), "zh")
    assert not todo.empty
    assert set(todo.manager_id) == {me} and set(todo.org_id) == {me}
    own = wh.sql("select customer_id from customers where manager_id = :m", {"m": me})
    assert set(todo.customer_id) <= set(own.customer_id)
    assert todo.script.str.len().min() > 10 and todo.reason.notna().all()


def test_a_branch_heads_action_list_holds_only_their_branch(wh, as_of):
    s = scope_of("head_r01b02")
    todo = actions.action_list(Context(wh, s, "R01B02", Period.parse(as_of.strftime("%Y-%m"), as_of)), "en")
    assert not todo.empty and todo.org_id.str.startswith("R01B02").all()
    with pytest.raises(ScopeError):
        actions.action_list(Context(wh, s, "R01B01", Period.parse(as_of.strftime("%Y-%m"), as_of)), "en")


def test_next_best_channel_is_the_best_converting_outbound_channel_for_segment_and_stage(big):
    ctx = Context(big, HO, "R01", Period.parse(sl.AS_OF.strftime("%Y-%m"), sl.AS_OF))
    conv = ctx.run("action_channel_conversion", org_id="R01", as_of=sl.AS_OF)
    todo = actions.action_list(ctx, "en")
    assert todo.customer_id.is_unique and set(todo.channel_id) <= set(actions.OUTBOUND)
    checked = 0
    for row in todo.head(40).itertuples():
        stage_no = "SICAH".index(row.stage) + 1
        cell = conv[
            (conv.segment == row.segment)
            & (conv.stage_no == stage_no)
            & (conv.customers >= actions.MIN_BASE)
            & conv.channel_id.isin(actions.OUTBOUND)
        ]
        if cell.empty:
            continue
        best = cell.sort_values(
            ["conversion", "customers", "channel_id"], ascending=[False, False, True]
        ).iloc[0]
        assert row.channel_id == best.channel_id
        assert row.channel_conversion == pytest.approx(best.conversion)
        assert f"of {best.customers:,} customers of the same segment" in row.channel_basis
        checked += 1
    assert checked > 10


def test_one_customer_appears_once_with_every_reason_and_the_script_names_stage_and_last_contact(big):
    ctx = Context(big, HO, "R01", Period.parse(sl.AS_OF.strftime("%Y-%m"), sl.AS_OF))
    raw = ctx.run("action_customers", org_id="R01", as_of=sl.AS_OF)
    todo = actions.action_list(ctx, "zh").set_index("customer_id")
    assert len(todo) == raw.customer_id.nunique()
    many = raw.groupby("customer_id").reason.nunique()
    assert (many > 1).any()
    for cid in many[many > 1].index[:20]:
        for why in raw[raw.customer_id == cid].reason:
            assert i18n.t(f"action.reason.{why}", "zh") in todo.loc[cid, "reason"]
    for cid, row in todo.head(50).iterrows():
        last = raw[raw.customer_id == cid].iloc[0]
        assert i18n.t(f"sicas.stage.{sicas.stage(row.stage).key}", "zh") in row.script
        if pd.notna(last.last_contact_date):
            assert pd.Timestamp(last.last_contact_date).date().isoformat() in row.script


def test_action_list_exports_read_back_with_chinese_headers(wh, as_of):
    s = scope_of("manager1")
    todo = actions.action_list(
        Context(wh, s, s.org_ids[0], Period.parse(as_of.strftime("%Y-%m"), as_of)), "zh"
    )
    import io

    back = pd.read_excel(io.BytesIO(actions.to_xlsx(todo, "zh")), sheet_name="行动清单")
    assert list(back.columns) == [i18n.t(f"action.col.{c}", "zh") for c in actions.COLUMNS]
    assert list(back["客户号"]) == list(todo.customer_id)
    csv = pd.read_csv(io.BytesIO(actions.to_csv(todo, "zh")), encoding="utf-8-sig")
    assert list(csv["客户号"]) == list(todo.customer_id)


def test_guidance_page_shows_insights_and_the_managers_action_list(app):
    at = app("manager1")
    at.switch_page("pages/guidance.py").run()
    assert not at.exception
    assert len(at.expander) >= 1
    assert at.dataframe[0].value.shape[0] > 0
    listed = [d.value for d in at.dataframe if "Customer" in d.value.columns]  # the action list
    money = [c for c in listed[0].columns if c.startswith("AUM")]
    assert money and all(re.fullmatch(r"AUM \(CNY (thousand|million)\)", c) for c in money), money  # its unit
    at = app("head_r01")
    at.switch_page("pages/guidance.py").run()
    assert not at.exception and len(at.expander) >= 1 and len(at.dataframe) == 0


def test_top_contributors_split_the_change_as_an_independent_computation_does(wh, as_of):
    from cockpit.guidance import contributors

    p = Period.parse(as_of.strftime("%Y-%m"), as_of)
    prev_start, prev_end = p.previous()
    df = wh.run(
        "guidance_breakdown",
        HO,
        {
            "org_id": "HO",
            "start": p.start,
            "end": p.to_date,
            "prev_start": prev_start,
            "prev_end": prev_end,
            "metric": "sales",
        },
    )
    ev = wh.sql("select org_id, event_date, amount from events")
    day = pd.to_datetime(ev.event_date)
    ev["region"] = ev.org_id.str[:3]
    cur = ev[(day >= pd.Timestamp(p.start)) & (day <= pd.Timestamp(p.to_date))].groupby("region").amount.sum()
    prev = (
        ev[(day >= pd.Timestamp(prev_start)) & (day <= pd.Timestamp(prev_end))].groupby("region").amount.sum()
    )
    delta = cur.sub(prev, fill_value=0)
    org = df[df.dimension == "org"].set_index("member")
    for region, d in delta.items():
        assert org.loc[region, "delta"] == pytest.approx(d)
    tops = contributors.top_contributors(df).set_index("dimension")
    same_way = delta[delta * delta.sum() > 0]
    assert tops.loc["org", "member"] == same_way.abs().idxmax()
    assert tops.loc["org", "share"] == pytest.approx(
        same_way.abs().max() * (1 if delta.sum() > 0 else -1) / delta.sum()
    )


def test_concentration_names_the_child_carrying_most_of_a_result():
    from cockpit.guidance import contributors

    class Stub:
        memo: dict = {}

        def run(self, name, **params):
            if name == "org_tree":
                return pd.DataFrame(
                    {"org_id": ["A", "B", "C"], "name_zh": ["甲", "乙", "丙"], "name_en": ["a", "b", "c"]}
                )
            return pd.DataFrame(
                {
                    "dimension": ["org"] * 3,
                    "member": ["A", "B", "C"],
                    "cur": [80.0, 10.0, 10.0],
                    "prev": [70.0, 10.0, 10.0],
                    "delta": [10.0, 0.0, 0.0],
                }
            )

    stub = Stub()
    stub.org_id, stub.period = "P", Period.parse("2026-10", sl.AS_OF)
    import cockpit.guidance.contributors as mod

    orig = mod.org_label
    mod.org_label = lambda ctx, o: (o, o)
    try:
        found = contributors.find_concentration(stub)
    finally:
        mod.org_label = orig
    assert [i.labels["top"][0] for i in found] == ["A", "A"]  # both metrics of the stub
    assert found[0].figures["share"][0] == pytest.approx(0.8)


def test_evidence_charts_speak_the_readers_language(wh, as_of, now_ho):
    from cockpit.charts.guidance import evidence

    dormant = of_type(
        guidance.generate(wh, HO, "HO", Period.parse(as_of.strftime("%Y-%m"), as_of)), "dormant_high_value"
    )[0]
    zh, en = evidence(dormant, "zh"), evidence(dormant, "en")
    assert list(zh.data[0].y) == pytest.approx(
        [v / 1e8 for v in dormant.detail.dormant_aum]
    )  # 亿元 for Chinese readers
    assert "亿元" in zh.layout.yaxis.title.text and "yuan" in en.layout.yaxis.title.text
    weekly = of_type(now_ho, "unusual_change")[0]
    assert [t.name for t in evidence(weekly, "en").data] == ["This week", "Expected from its own history"]
    assert evidence(weekly, "zh").data[1].name == "按自身历史应有"


def test_evidence_bars_are_labelled_with_org_names_in_the_readers_language(wh, as_of, big, now_ho):
    from cockpit.charts.guidance import evidence

    checked = set()
    for bank, found in (
        (wh, guidance.generate(wh, HO, "HO", Period.parse(as_of.strftime("%Y-%m"), as_of))),
        (big, now_ho),
    ):
        tree = bank.sql("select org_id, name_zh, name_en from orgs").set_index("org_id")
        for ins in found:
            if ins.type not in (
                "target_risk",
                "dormant_high_value",
                "lifecycle_unreached",
                "funnel_leak",
                "concentration",
                "top_contributors",
            ):
                continue
            for lang in ("zh", "en"):
                axis = evidence(ins, lang).layout.xaxis
                assert len(axis.tickvals) and set(axis.tickvals) <= set(tree.index)
                assert list(axis.ticktext) == [tree.loc[o, f"name_{lang}"] for o in axis.tickvals]
            checked.add(ins.type)
    assert {"target_risk", "dormant_high_value", "lifecycle_unreached", "funnel_leak"} <= checked
    campaign = of_type(now_ho, "campaign_outperformance")[0]
    names = big.sql("select campaign_id, name_zh from campaigns").set_index("campaign_id").name_zh
    axis = evidence(campaign, "zh").layout.xaxis
    assert list(axis.ticktext) == [names[c] for c in axis.tickvals]


def test_evidence_date_axes_read_as_numbers_for_chinese_readers(now_ho):
    from cockpit.charts.guidance import evidence

    weekly = of_type(now_ho, "unusual_change")[0]
    axis = evidence(weekly, "zh").layout.xaxis
    first = pd.Timestamp(weekly.detail.week_start.iloc[0])
    assert (
        re.fullmatch(r"\d{4}-\d{2}-\d{2}", first.strftime(axis.tickformat))
        and axis.hoverformat == axis.tickformat
    )
    assert evidence(weekly, "en").layout.xaxis.tickformat is None
    for ins in of_type(now_ho, "referrals_overdue"):
        assert re.fullmatch(r"\d{4}-\d{2}", first.strftime(evidence(ins, "zh").layout.xaxis.tickformat))


def test_every_red_metric_is_a_target_risk_and_the_page_counts_what_it_does_not_show(big, now_ho):
    from cockpit.guidance import targets as risk

    ctx = Context(big, HO, "HO", Period.parse(sl.AS_OF.strftime("%Y-%m"), sl.AS_OF))
    table, _progress = risk.target_table(ctx)
    red = {(r.org_id, r.metric) for r in table[table.status == "red"].itertuples()}
    listed = {(i.org_id, i.key[2]) for i in of_type(now_ho, "target_risk")}
    assert red and red <= listed
    shown, more = guidance.page(now_ho, 5)
    assert len(shown) == 5 and more == len(now_ho) - 5
    assert f"另有 {more} 项" in i18n.t("guidance.more", "zh", n=more)


def test_a_target_missed_last_period_too_is_standing(big, now_ho):
    prev = Period.parse(sl.AS_OF.strftime("%Y-%m"), sl.AS_OF).shifted(-1)
    vals = big.run("metric_values", HO, {"start": prev.start, "end": prev.end, "parent": "HO"})
    tgt = big.run("target_values", HO, {"period_type": "month", "period_start": prev.start, "parent": "HO"})
    both = vals.merge(tgt, on=["org_id", "metric"])
    missed = {(r.org_id, r.metric) for r in both[both.value < both.target_value].itertuples()}
    risks = of_type(now_ho, "target_risk")
    assert any(i.standing for i in risks) and any(not i.standing for i in risks)
    for ins in risks:
        assert ins.standing == ((ins.org_id, ins.key[2]) in missed)
        assert ("持续状况" in ins.text("zh")) == ins.standing


def test_a_forecast_that_misses_is_a_risk_even_when_the_status_is_green(big, now_ho):
    for ins in of_type(now_ho, "target_risk"):
        f = {k: v for k, (v, _unit) in ins.figures.items()}
        if f["forecast"] == f["forecast"]:
            assert f["shortfall"] == pytest.approx(f["target"] - f["forecast"])
            if f["shortfall"] > 0:
                assert i18n.fmt(f["forecast"], ins.figures["forecast"][1], "en") in ins.text("en")
    closed = Period.parse("2026-10", sl.AS_OF)
    for ins in of_type(guidance.generate(big, HO, "HO", closed), "target_risk"):
        assert "工作日" not in ins.action("zh") and "per working day" not in ins.action("en")


def test_a_balance_held_near_its_opening_is_judged_on_the_balance_at_every_node(big):
    from cockpit.domain import targets
    from cockpit.guidance import targets as risk

    ctx = Context(big, HO, "HO", Period.parse(sl.AS_OF.strftime("%Y-%m"), sl.AS_OF))
    table, _ = risk.target_table(ctx)
    cur = big.run("metric_values", HO, {"start": ctx.period.start, "end": ctx.period.to_date, "parent": "HO"})
    rows = table.merge(cur[["org_id", "metric", "opening"]], on=["org_id", "metric"])
    stock = rows[rows.metric.map(lambda m: metrics.get(m).is_stock)]
    held = stock[stock.target - stock.opening < targets.MIN_PLANNED_INCREASE * stock.target]
    grow = stock.drop(held.index)
    assert len(held) and len(grow)
    assert list(held.pace) == pytest.approx(list(held.actual / held.target))
    assert list(grow.pace) == pytest.approx(list((grow.actual - grow.opening) / (grow.target - grow.opening)))


def test_money_contributions_are_drawn_in_wan_or_yi_and_texts_name_stages_in_chinese(now_ho):
    from cockpit.charts.guidance import evidence

    sales = [i for i in of_type(now_ho, "top_contributors") if i.figures["cur"][1] == "money"][0]
    zh = evidence(sales, "zh")
    unit = 1e4 if sales.detail.delta.abs().max() < 1e8 else 1e8
    assert list(zh.data[0].y) == pytest.approx(list(sales.detail.delta / unit))
    assert ("万元" if unit == 1e4 else "亿元") in zh.layout.yaxis.title.text
    assert "yuan" in evidence(sales, "en").layout.yaxis.title.text
    for ins in of_type(now_ho, "unusual_change") + of_type(now_ho, "campaign_outperformance"):
        assert not re.search(
            r"Connect|Action|Interest", ins.text("zh") + ins.baseline("zh") + ins.action("zh")
        )
    for ins in of_type(now_ho, "funnel_leak"):
        assert "低 -" not in ins.text("zh") and i18n.pct(-ins.figures["gap"][0], "zh") in ins.text("zh")


def test_target_risk_bars_stand_against_the_time_progress_line(now_ho):
    from cockpit.charts.guidance import evidence

    ins = of_type(now_ho, "target_risk")[0]
    fig = evidence(ins, "zh")
    line = fig.layout.shapes[0]
    assert line.y0 == line.y1 == pytest.approx(ins.figures["time_progress"][0])
    assert fig.layout.annotations[0].text == "时间进度"
    low, high = fig.layout.yaxis.range
    assert low <= min(0, ins.detail.pace.min()) and high >= max(
        ins.figures["time_progress"][0], ins.detail.pace.max()
    )


def test_contributors_at_a_leaf_node_name_only_the_dimensions_that_have_one(big, now_ho):
    leaf = big.sql("select org_id from orgs where level = 4 order by org_id limit 1").org_id.iloc[0]
    found = of_type(
        guidance.generate(big, HO, leaf, Period.parse(sl.AS_OF.strftime("%Y-%m"), sl.AS_OF)),
        "top_contributors",
    )
    assert found  # a manager's sales or actions move by 10% or more from one month to the next on the s bank
    for ins in found:
        for lang in ("zh", "en"):
            assert "—" not in ins.text(lang) and "—" not in ins.action(lang)
        assert "下级机构" not in ins.text("zh")
    ho = of_type(now_ho, "top_contributors")[0]  # at the head office every dimension is named, with its share
    assert all(
        i18n.pct(ho.figures[f"{d}_share"][0], "en") in ho.text("en")
        for d in ("org", "channel", "segment", "product")
    )
    assert ho.labels["org"][0] in ho.action("zh") and ho.labels["channel"][0] in ho.action("zh")


def test_managers_action_list_reads_in_words_and_scripts_never_name_a_missing_channel(wh, as_of):
    from cockpit.display.action_list import for_display
    from cockpit.domain import channels, sicas

    s = scope_of("manager1")
    todo = actions.action_list(
        Context(wh, s, s.org_ids[0], Period.parse(as_of.strftime("%Y-%m"), as_of)), "zh"
    )
    shown = for_display(todo, "zh")
    col = {c: i18n.t(f"action.col.{c}", "zh") for c in actions.COLUMNS}
    assert len(shown) == len(todo) and col["channel_id"] not in shown
    assert set(shown[col["lifecycle_state"]]) <= {
        i18n.t(f"channels.state.{x}", "zh") for x in channels.STATES
    }
    assert set(shown[col["segment"]]) <= {
        i18n.t(f"guidance.segment.{x}", "zh") for x in todo.segment.unique()
    }
    assert set(shown[col["stage"]]) <= {i18n.t(f"sicas.stage.{x.key}", "zh") for x in sicas.STAGES}
    yi = todo.aum.abs().max() >= 1e8  # the one unit of the column, stated in its header as on other tables
    aum = shown[f"资产余额（{'亿元' if yi else '万元'}）"]
    assert list(aum) == [f"{v / (1e8 if yi else 1e4):,.2f}" for v in todo.aum]
    en = for_display(todo, "en")
    assert "AUM (CNY thousand)" in en or "AUM (CNY million)" in en
    assert list(shown[col["channel_conversion"]]) == [i18n.pct(v, "zh") for v in todo.channel_conversion]
    assert not todo.script.str.contains("（—）").any()
    named = todo[todo.channel_id.notna()]
    assert all(sc.startswith(f"（通过{ch}联系）") for sc, ch in zip(named.script, named.channel))


def test_an_insights_customers_read_for_its_reason_alone_are_those_the_whole_list_gives(wh, as_of):
    """Pages ask action_customers for one reason's first customers only; the same customers come out as when
    they are picked from the node's whole list."""
    from types import SimpleNamespace

    from cockpit.state import actions as loop

    whole = wh.run("action_customers", HO, {"org_id": "HO", "as_of": as_of})
    found = 0
    for kind in ("dormant_high_value", "lifecycle_unreached", "referrals_overdue", "target_risk"):
        insight = SimpleNamespace(type=kind)
        reason = loop.reason_of(insight)
        if reason is None:
            assert kind == "target_risk"
            continue
        part = wh.run(
            "action_customers",
            HO,
            {"org_id": "HO", "as_of": as_of, "reason": reason, "max_rows": loop.CUSTOMERS_LIMIT},
        )
        assert len(part) <= loop.CUSTOMERS_LIMIT and set(part.reason) <= {reason}
        assert loop.customers_for(insight, part) == loop.customers_for(insight, whole)
        found += len(part)
    assert found > 0


def test_an_insights_evidence_chart_is_drawn_when_it_is_opened(app):
    """The first insight opens with its chart; another's is drawn when the reader opens it (a rerun)."""
    at = app("head_r01")
    at.switch_page("pages/guidance.py").run()
    boxes = list(at.expander)
    assert not at.exception and len(boxes) > 2
    assert [b.proto.expanded for b in boxes[:3]] == [True, False, False]
    assert len(at.get("plotly_chart")) <= 1  # only the open insight's evidence
    drawn = len(at.get("plotly_chart"))
    at.session_state[boxes[2].key] = True  # the reader opens the third insight
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) == drawn + 1
