"""The demo bank is deterministic and carries every documented storyline."""

import hashlib

import pandas as pd
import pytest

from cockpit.warehouse import schema
from seed.demo import bank as demo_bank
from seed.demo import storylines as sl


def _fingerprint(path) -> dict[str, str]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for t in schema.tables():
            if t == "warehouse_info":
                continue
            cols = ", ".join(schema.column_names(t))
            df = con.execute(f"select {cols} from {t} order by all").df()
            out[t] = hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes()).hexdigest()
        return out
    finally:
        con.close()


def test_same_seed_gives_identical_data_and_another_seed_differs(tmp_path, bank):
    a = demo_bank.build(tmp_path / "a.duckdb", "xs", 7)
    demo_bank.build(tmp_path / "b.duckdb", "xs", 7)
    demo_bank.build(tmp_path / "c.duckdb", "xs", 8)
    fa, fb, fc = (_fingerprint(tmp_path / f"{x}.duckdb") for x in "abc")
    assert fa == fb
    assert fa["events"] != fc["events"] and fa["customers"] != fc["customers"]
    assert 9_000 <= a["events"] <= 15_000


def test_unknown_size_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown size"):
        demo_bank.build(tmp_path / "x.duckdb", "xxl", 1)


def test_lagging_region_is_furthest_behind_its_deposit_target(wh):
    df = wh.sql("""
      with bal as (select c.ancestor_id org_id, sum(b.balance) v from balances_daily b
                   join org_closure c on c.descendant_id = b.org_id
                   where b.category = 'deposit' and b.balance_date = date '2026-10-31' group by 1)
      select o.org_id, bal.v / t.target_value as achievement from orgs o join bal using (org_id)
      join targets t on t.org_id = o.org_id and t.metric = 'deposits' and t.period_type = 'month' and
      t.period_start = date '2026-10-01'
      where o.level = 1 order by achievement""")
    assert df.org_id.iloc[0] == sl.LAGGING_REGION
    assert df.achievement.iloc[0] < 0.95 and df.achievement.iloc[1:].min() > df.achievement.iloc[0] + 0.05


def test_stalled_route_follows_up_far_less_in_its_month(wh):
    df = wh.sql(
        """
      select date_trunc('month', created_at) = :m as stalled,
             avg(case when followed_up_at is not null and followed_up_at <= created_at + sla_hours * interval
             1 hour then 1.0 else 0 end) as on_time
      from referrals where from_channel_id = :f and to_channel_id = :t group by 1""",
        {"m": sl.STALLED_MONTH, "f": sl.STALLED_FROM, "t": sl.STALLED_TO},
    ).set_index("stalled")
    assert df.loc[True, "on_time"] < 0.5 * df.loc[False, "on_time"]


def test_star_campaign_converts_far_above_the_rest(wh):
    df = wh.sql("""
      select campaign_id, count(distinct customer_id) filter (where stage = 'A') * 1.0
             / nullif(count(distinct customer_id) filter (where stage = 'I'), 0) as conv
      from events where campaign_id is not null group by 1 order by conv desc""")
    assert df.campaign_id.iloc[0] == sl.STAR_CAMPAIGN
    assert df.conv.iloc[0] > 2 * df.conv.iloc[1]


def test_dormant_high_value_cohort_exists(wh, as_of):
    df = wh.sql(
        """select count(*) n from customers where tier >= 4 and lifecycle_state = 'dormant'
                   and (last_active_date is null or last_active_date < :cut)""",
        {"cut": as_of - pd.Timedelta(days=sl.DORMANT_DAYS)},
    )
    assert df.n.iloc[0] >= 10


def test_sub_branch_connect_to_action_drops_in_its_week(wh):
    df = wh.sql(
        """
      select date_trunc('week', event_date) = :w as drop_week,
             count(*) filter (where stage = 'A') * 1.0 / nullif(count(*) filter (where stage = 'C'), 0) as
             a_per_c
      from events where org_id like :org || '%' and event_date between :w - interval 8 week and :w + interval
      7 day
      group by 1""",
        {"w": sl.DROP_WEEK_START, "org": sl.DROP_SUB_BRANCH},
    ).set_index("drop_week")
    assert df.loc[True, "a_per_c"] < 0.5 * df.loc[False, "a_per_c"]
