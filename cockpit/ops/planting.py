"""Stories planted into a copy of a warehouse, to check that the guidance finds what happened.

Each story changes the detail tables of one healthy node (no finding of that kind before) in one recent
week or, for a balance, over the rest of the period, by a random size drawn from what the engine claims
to see: at least 1.5 times its threshold given that node's own volume and the spread of its level
(cockpit/guidance/changes.py states both). A story knows the insight key the engine should give for it.

Kinds: drop and surge (events of one SICAS stage), slow_route (on-time follow-up on a referral route),
campaign_collapse (Interest -> Connect of one campaign), balance_run_off (deposits running off from the
period's first week while the target stays), untouched_cohort (the touchpoints that followed a share of a
region's recent lifecycle changes removed, so nobody reached those customers), concentration (the sales
amounts of one region in the period multiplied until it carries CONCENTRATED of the bank's sales).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cockpit.guidance import changes
from cockpit.warehouse.duck import one_row

KINDS = (
    "drop",
    "surge",
    "slow_route",
    "campaign_collapse",
    "balance_run_off",
    "untouched_cohort",
    "concentration",
)
MARGIN = 1.5  # planted sizes start at MARGIN x the engine's threshold
CONCENTRATED = (0.6, 0.8)  # the share of the bank's sales a concentration story gives one region
SERIES = {"drop": "stage", "surge": "stage", "slow_route": "route", "campaign_collapse": "campaign"}


@dataclass(frozen=True)
class Story:
    kind: str
    org_id: str
    key: tuple  # the insight key the engine should give
    size: float  # share removed (drop, route, campaign, run-off, cohort) or the factor (surge)
    week: str = ""
    touched: frozenset[str] = field(default_factory=frozenset)  # the node, its ancestors and descendants


def _family(con: Any, org_id: str) -> frozenset[str]:
    rows = con.execute(
        "select descendant_id from org_closure where ancestor_id = ? union "
        "select ancestor_id from org_closure where descendant_id = ?",
        [org_id, org_id],
    ).fetchall()
    return frozenset(r[0] for r in rows)


def _region(org_id: str, parents: dict[str, str | None]) -> str:
    while parents.get(org_id) not in (None, "HO"):
        org_id = parents[org_id]  # type: ignore[assignment]
    return org_id


def _needed(row: pd.Series, kind: str) -> float | None:
    """The smallest share to remove (or factor to multiply by) that moves the score past MARGIN x the
    threshold against its own history and against its level that week (whose median score stays put)."""
    sign = 1 if kind == "surge" else -1
    phi = float(row.phi)
    if row.z_peer == row.z_peer:
        mid = phi * (row.z_own - row.z_peer)  # the level's median score that week
        z = max(MARGIN * changes.Z_OWN * phi, MARGIN * changes.Z_PEER * phi + sign * mid)
    else:
        z = MARGIN * changes.Z_ALONE * phi
    if row.num <= 0:
        return None
    if kind == "surge":
        goal = row.expected + z * math.sqrt(row.expected)
        return max(goal / row.num, 1.5)
    if kind == "drop":
        left = row.expected - z * math.sqrt(row.expected)
    else:
        p = float(row.base)
        left = row.den * p - z * math.sqrt(row.den * p * (1 - p))
    need = 1 - left / row.num
    return max(need, 0.5) if need <= 0.95 else None


def choose(
    scored: pd.DataFrame, baseline_keys: set[tuple], con: Any, rng: random.Random, as_of: dt.date
) -> list[Story]:
    """One story of every kind at a random healthy node, each in its own region, with a random size."""
    parents = dict(con.execute("select org_id, parent_id from orgs").fetchall())
    sick = {k[1] for k in baseline_keys if k and k[0] == "unusual_change"}
    recent = scored[
        scored.week_start > scored.week_start.max() - pd.Timedelta(weeks=changes.RECENT_WEEKS - 1)
    ]
    used: set[str] = set()
    stories = []
    for kind in KINDS:
        if kind in ("balance_run_off", "untouched_cohort", "concentration"):
            keys = {
                "balance_run_off": lambda o: ("target_risk", o, "deposits"),
                "untouched_cohort": lambda o: ("untouched_cohort", o),
                "concentration": lambda o: ("concentration", "HO", "sales", o),
            }[kind]
            regions = [  # sales amounts change nothing the other stories are found by: any region will do
                o
                for o, p in sorted(parents.items())
                if p == "HO" and (o not in used or kind == "concentration") and keys(o) not in baseline_keys
            ]
            if kind == "concentration" and any(k and k[0] == "concentration" for k in baseline_keys):
                regions = []  # the bank already depends on one region
            if regions:
                org = rng.choice(regions)
                if kind != "concentration":
                    used.add(org)
                low, high = {"balance_run_off": (0.06, 0.15), "untouched_cohort": (0.6, 0.95)}.get(
                    kind, CONCENTRATED
                )
                touched = _family(con, org) | ({"HO"} if kind == "concentration" else frozenset())
                stories.append(Story(kind, org, keys(org), round(rng.uniform(low, high), 3), touched=touched))
            continue
        rows = recent[(recent.kind == SERIES[kind]) & (recent.level >= 1) & (recent.flag == 0)]
        if kind in ("drop", "surge"):
            rows = rows[rows.member.isin(["S", "I", "C", "A"])]
        rows = rows[~rows.org_id.isin(sick) & ~rows.org_id.map(lambda o: _region(o, parents)).isin(used)]
        rows = rows.assign(need=[_needed(r, kind) for _, r in rows.iterrows()]).dropna(subset=["need"])
        if rows.empty:
            continue
        row = rows.sort_values(["org_id", "member", "week_start"]).iloc[rng.randrange(len(rows))]
        need = float(row.need)
        size = round(
            rng.uniform(need, need * 1.6) if kind == "surge" else rng.uniform(need, min(1.0, need + 0.3)), 3
        )
        week = row.week_start.date().isoformat()
        direction = "surge" if kind == "surge" else "drop"
        used.add(_region(row.org_id, parents))
        stories.append(
            Story(
                kind,
                row.org_id,
                ("unusual_change", row.org_id, row.kind, row.member, direction, week),
                size,
                week,
                _family(con, row.org_id),
            )
        )
    return stories


_SUBTREE = "select descendant_id from org_closure where ancestor_id = ?"


def plant(con: Any, story: Story, as_of: dt.date, period_start: dt.date, window_start: dt.date) -> None:
    """Write one story into the detail tables of a writable DuckDB copy."""
    if story.kind == "concentration":
        mine, rest = one_row(
            con,
            f"select sum(case when org_id in ({_SUBTREE}) then amount else 0 end), "
            f"sum(case when org_id in ({_SUBTREE}) then 0 else amount end) "
            "from events where stage = 'A' and event_date between ? and ?",
            [story.org_id, story.org_id, period_start, as_of],
        )
        factor = story.size * rest / ((1 - story.size) * mine) if mine else 1.0
        con.execute(
            f"update events set amount = amount * ? where stage = 'A' and event_date between ? and ? "
            f"and org_id in ({_SUBTREE})",
            [factor, period_start, as_of, story.org_id],
        )
        return
    if story.kind == "untouched_cohort":
        changes_ = con.execute(
            f"select customer_id, change_date from lifecycle_changes where org_id in ({_SUBTREE}) "
            "and change_date between ? and ? order by customer_id, change_date",
            [story.org_id, window_start, as_of - dt.timedelta(days=7)],
        ).fetchall()
        picked = changes_[: round(story.size * len(changes_))]
        con.executemany(
            "delete from events where customer_id = ? and event_date between ? and ? + 7",
            [(c, d, d) for c, d in picked],
        )
        return
    if story.kind == "balance_run_off":
        d0 = period_start + dt.timedelta(days=4)
        span = max((as_of - d0).days, 1)
        con.execute(
            f"update balances_daily set balance = balance * (1 - ? * date_diff('day', ?, balance_date) / ?) "
            f"where category = 'deposit' and balance_date between ? and ? and org_id in ({_SUBTREE})",
            [story.size, d0, span, d0, as_of, story.org_id],
        )
        return
    lo = dt.date.fromisoformat(story.week)
    hi = lo + dt.timedelta(days=6)
    member = story.key[3]
    if story.kind == "slow_route":
        frm, to = member.split(">")
        ids = con.execute(
            f"select r.referral_id from referrals r join channels f on f.channel_id = r.from_channel_id "
            f"join channels t on t.channel_id = r.to_channel_id "
            f"where f.channel_group = ? and t.channel_group = ? "
            f"and cast(r.created_at as date) between ? and ? and r.org_id in ({_SUBTREE}) "
            f"and r.followed_up_at is not null "
            f"and date_diff('second', r.created_at, r.followed_up_at) <= r.sla_hours * 3600 "
            f"order by r.referral_id",
            [frm, to, lo, hi, story.org_id],
        ).fetchall()
        chosen = [i for (i,) in ids[: round(story.size * len(ids))]]
        if chosen:
            con.execute(
                "update referrals set followed_up_at = created_at + interval 30 day "
                f"where referral_id in ({', '.join('?' * len(chosen))})",
                chosen,
            )
        return
    where = f"event_date between ? and ? and org_id in ({_SUBTREE})"
    args: list[Any] = [lo, hi, story.org_id]
    if story.kind == "campaign_collapse":
        where += " and stage = 'C' and campaign_id = ?"
        args.append(member)
    else:
        where += " and stage = ?"
        args.append(member)
    ids = [
        i
        for (i,) in con.execute(
            f"select event_id from events where {where} order by event_id", args
        ).fetchall()
    ]
    if story.kind == "surge":
        extra = round((story.size - 1) * len(ids))
        top = one_row(con, "select max(event_id) from events")[0]
        picks = [ids[i % len(ids)] for i in range(extra)]
        con.execute("create temp table if not exists planted_ids (n bigint, event_id bigint)")
        con.execute("delete from planted_ids")
        con.executemany("insert into planted_ids values (?, ?)", list(enumerate(picks)))
        cols = [c[0] for c in con.execute("select * from events limit 0").description]
        rest = ", ".join(f"e.{c}" for c in cols if c != "event_id")
        con.execute(
            f"insert into events ({', '.join(cols)}) select ? + p.n + 1, {rest} "
            f"from planted_ids p join events e on e.event_id = p.event_id",
            [top],
        )
        return
    chosen = ids[: round(story.size * len(ids))]
    if chosen:
        con.execute(f"delete from events where event_id in ({', '.join('?' * len(chosen))})", chosen)
