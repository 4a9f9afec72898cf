"""The demo bank: a deterministic, realistic bank generated into a DuckDB warehouse.

Same size and seed give identical data. Customers, journeys through the SICAS stages, outreach
messages, referrals, lifecycle changes, service records and daily balances are drawn with numpy
from `numpy.random.default_rng([seed, part, chunk])`, in chunks so memory stays bounded, and
appended to DuckDB; targets are derived in SQL from a plan. The storylines in
seed/storylines.py are planted on purpose (seed/STORYLINES.md).
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import holidays
import numpy as np
import pandas as pd

from cockpit import schema
from seed import reference as ref
from seed import storylines as sl


@dataclass(frozen=True)
class Size:
    regions: int
    subs: int  # sub-branches per region
    teams: int  # teams per sub-branch
    managers: int  # managers per team
    customers: int
    events: int


SIZES = {
    "xs": Size(3, 2, 2, 3, 2_000, 12_000),
    "s": Size(6, 5, 3, 4, 100_000, 1_000_000),
    "m": Size(12, 10, 3, 5, 1_000_000, 10_000_000),
    "l": Size(30, 34, 3, 5, 10_000_000, 100_000_000),
}

STAGES = ["S", "I", "C", "A", "H"]
# Base probability of going on from stage k to k+1.
STEP_P = np.array([0.55, 0.45, 0.40, 0.25])
# Median hours between stage k and k+1.
GAP_HOURS = np.array([20.0, 60.0, 110.0, 240.0])
EVENT_TYPES = {
    "S": ["exposure", "visit", "follow"],
    "I": ["click", "read", "consult", "join_group", "reply"],
    "C": ["add_wecom", "appointment", "chat", "lead"],
    "A": ["open_account", "purchase", "apply"],
    "H": ["refer_friend", "share_content", "review"],
}
# How strongly each stage prefers each channel group (online, remote, offline).
STAGE_GROUP_W = {"S": (0.75, 0.2, 0.05), "I": (0.5, 0.35, 0.15), "C": (0.1, 0.55, 0.35),
                 "A": (0.5, 0.1, 0.4), "H": (0.45, 0.5, 0.05)}
# How much each segment likes each channel group.
SEGMENT_GROUP_W = {"mass": (1.0, 0.6, 1.0), "young": (1.8, 0.5, 0.3), "affluent": (0.8, 1.2, 1.2),
                   "sme_owner": (0.7, 1.3, 1.0), "private": (0.4, 1.3, 1.8)}
SERVICE_CHANNELS = {"call_in": (30, 0.82), "video": (45, 0.88), "wecom_1to1": (240, 0.85), "app": (60, 0.78),
                    "counter": (420, 0.93), "wealth_room": (300, 0.95), "lobby": (180, 0.9)}
# Referral routes: (from, to, weight, sla hours, median follow-up hours).
ROUTES = [("app", "wealth_room", 3, 48, 20), ("app", "call_out", 3, 24, 6), ("wecom_1to1", "wealth_room", 2, 48, 30),
          ("counter", "app", 2, 72, 24), ("call_in", "wecom_1to1", 2, 24, 10), ("wechat_oa", "lobby", 1, 48, 36),
          ("lobby", "wecom_1to1", 2, 24, 8), ("partner", "call_out", 1, 24, 12)]
BALANCE_SPLIT = {"deposit": 0.48, "wealth": 0.25, "fund": 0.12, "insurance": 0.08}
LOAN_RATIO = {"mass": 0.3, "young": 0.6, "affluent": 0.2, "sme_owner": 1.2, "private": 0.05}


def _days() -> pd.DatetimeIndex:
    return pd.date_range(sl.START, sl.AS_OF, freq="D")


def _day_weights(days: pd.DatetimeIndex) -> np.ndarray:
    """Activity by day: weekdays busier, month and quarter ends spike, a yearly cycle, slow growth."""
    dow = np.array([1.15, 1.1, 1.05, 1.05, 1.1, 0.6, 0.5])[days.day_of_week]
    month_end = np.where(days.is_month_end | (days.day >= days.days_in_month - 2), 1.35, 1.0)
    quarter_end = np.where(days.is_quarter_end | (days.month.isin([3, 6, 9, 12]) & (days.day >= 25)), 1.3, 1.0)
    cycle = 1 + 0.15 * np.cos(2 * np.pi * (days.day_of_year - 15) / 365.25)
    growth = np.linspace(1.0, 1.25, len(days))
    w = np.asarray(dow * month_end * quarter_end * cycle * growth, dtype=float)
    return w / w.sum()


def build_orgs(size: Size) -> pd.DataFrame:
    """The org tree: head office, regions, sub-branches, teams, account managers."""
    rows = [("HO", None, 0, "总行", "Head office")]
    for r in range(size.regions):
        rid = f"R{r + 1:02d}"
        city_zh, city_en = ref.CITIES[r % len(ref.CITIES)]
        suffix = "" if r < len(ref.CITIES) else str(r // len(ref.CITIES) + 1)
        rows.append((rid, "HO", 1, f"{city_zh}{suffix}分行", f"{city_en}{suffix} Branch"))
        for b in range(size.subs):
            bid = f"{rid}B{b + 1:02d}"
            st_zh, st_en = ref.STREETS[b % len(ref.STREETS)]
            n = "" if b < len(ref.STREETS) else str(b // len(ref.STREETS) + 1)
            rows.append((bid, rid, 2, f"{city_zh}{st_zh}{n}支行", f"{city_en} {st_en}{n} Sub-branch"))
            for t in range(size.teams):
                tid = f"{bid}T{t + 1}"
                tz, te = ref.TEAMS[t % len(ref.TEAMS)]
                rows.append((tid, bid, 3, f"{st_zh}{n}{tz}", f"{st_en}{n} {te}"))
                for m in range(size.managers):
                    mid = f"{tid}M{m + 1}"
                    k = r * 7919 + b * 104729 + t * 31 + m * 17
                    name = ref.SURNAMES[k % len(ref.SURNAMES)] + ref.GIVEN[(k // 7) % len(ref.GIVEN)]
                    rows.append((mid, tid, 4, f"客户经理{name}", f"Manager {mid}"))
    df = pd.DataFrame(rows, columns=["org_id", "parent_id", "level", "name_zh", "name_en"])
    parent = {o: p for o, p, *_ in rows}

    def path(o: str) -> str:
        chain = []
        while o is not None:
            chain.append(o)
            o = parent[o]
        return "/" + "/".join(reversed(chain)) + "/"

    df["path"] = [path(o) for o in df.org_id]
    return df


def closure(orgs: pd.DataFrame) -> pd.DataFrame:
    """Every (ancestor, descendant, depth) pair, from the materialised paths."""
    anc, desc, depth = [], [], []
    for o, p in zip(orgs.org_id, orgs.path):
        chain = p.strip("/").split("/")
        for i, a in enumerate(chain):
            anc.append(a)
            desc.append(o)
            depth.append(len(chain) - 1 - i)
    return pd.DataFrame({"ancestor_id": anc, "descendant_id": desc, "depth": depth})


def _customers(size: Size, orgs: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = size.customers
    managers = orgs[orgs.level == 4].org_id.to_numpy()
    teams = orgs[orgs.level == 3].org_id.to_numpy()
    # Branches differ in size: a lognormal weight per sub-branch, shared by its managers.
    sub_of_mgr = np.array([m[:6] for m in managers])
    subs = np.unique(sub_of_mgr)
    sub_w = dict(zip(subs, rng.lognormal(0, 0.45, len(subs))))
    mw = np.array([sub_w[s] for s in sub_of_mgr])
    seg_idx = rng.choice(len(ref.SEGMENTS), n, p=ref.SEGMENT_SHARE)
    segment = np.array(ref.SEGMENTS)[seg_idx]
    mgr = managers[rng.choice(len(managers), n, p=mw / mw.sum())]
    assigned = (seg_idx >= 2) | (rng.random(n) < 0.5)
    team_of_mgr = np.array([m.rsplit("M", 1)[0] for m in mgr])
    org_id = np.where(assigned, mgr, team_of_mgr)
    manager_id = np.where(assigned, mgr, None)
    aum = np.array(ref.SEGMENT_AUM_MEDIAN)[seg_idx] * rng.lognormal(0, 1.0, n)
    aum = np.round(aum * (1 + rng.pareto(3.0, n) * 0.3), 2)
    tier = np.searchsorted([50_000, 300_000, 1_000_000, 6_000_000], aum, side="right") + 1
    days_total = (sl.AS_OF - sl.START).days
    new = rng.random(n) < 0.3
    opened_offset = np.where(new, rng.integers(0, days_total + 1, n), -rng.integers(30, 3650, n))
    opened = np.datetime64(sl.START) + opened_offset.astype("timedelta64[D]")
    dormant = (tier >= 4) & (rng.random(n) < sl.DORMANT_SHARE_OF_HIGH_TIER) & ~new
    unified = rng.random(n) < np.where(segment == "young", 0.7, 0.88)
    return pd.DataFrame({
        "customer_id": np.arange(1, n + 1, dtype=np.int64), "org_id": org_id, "manager_id": manager_id,
        "segment": segment, "tier": tier.astype(np.int32), "aum": aum, "opened_date": opened,
        "unified_id": unified, "dormant": dormant,
    })


def _pick_channels(rng: np.random.Generator, stage: str, seg: np.ndarray) -> np.ndarray:
    """A channel per row: the stage's preferred group times the segment's taste, then a channel in it."""
    groups = ["online", "remote", "offline"]
    out = np.empty(len(seg), dtype=object)
    for s in np.unique(seg):
        idx = np.nonzero(seg == s)[0]
        w = np.array(STAGE_GROUP_W[stage]) * np.array(SEGMENT_GROUP_W[s])
        g = rng.choice(3, len(idx), p=w / w.sum())
        for gi, gname in enumerate(groups):
            sel = idx[g == gi]
            chans = [c for c in ref.CHANNEL_IDS if ref.CHANNEL_GROUP[c] == gname and c != "sms"]
            out[sel] = np.array(chans)[rng.integers(0, len(chans), len(sel))]
    return out


def _journeys(n: int, cust: pd.DataFrame, day_w: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """n customer journeys through SICAS, flattened to one row per event."""
    days = _days()
    ci = rng.integers(0, len(cust), n)
    seg = cust.segment.to_numpy()[ci]
    org = cust.org_id.to_numpy()[ci]
    mgr = cust.manager_id.to_numpy()[ci]
    start_day = rng.choice(len(days), n, p=day_w)
    dormant = cust.dormant.to_numpy()[ci]
    # Dormant high-value customers went quiet: their journeys end long before the as-of date.
    cutoff = len(days) - 1 - sl.DORMANT_DAYS - 60
    start_day = np.where(dormant, np.minimum(start_day, rng.integers(0, cutoff, n)), start_day)
    start_ts = np.datetime64(sl.START, "s") + (start_day * 86400 + rng.integers(8 * 3600, 21 * 3600, n)).astype("timedelta64[s]")
    # Campaigns: 35% of journeys belong to one running at the start.
    camp = np.full(n, None, dtype=object)
    product = np.array(ref.PRODUCT_IDS)[rng.integers(0, len(ref.PRODUCT_IDS), n)].astype(object)
    start_date = np.datetime64(sl.START) + start_day.astype("timedelta64[D]")
    in_camp = rng.random(n) < 0.35
    for cid, _, _, pid, cs, ce in ref.CAMPAIGNS:
        m = in_camp & (camp == None) & (start_date >= np.datetime64(cs)) & (start_date <= np.datetime64(ce))  # noqa: E711
        m &= rng.random(n) < 0.6
        camp[m] = cid
        product[m] = pid
    # How far each journey goes.
    p = np.tile(STEP_P, (n, 1))
    seg_boost = np.select([seg == "private", seg == "affluent", seg == "young"], [1.3, 1.15, 0.85], 1.0)
    p *= seg_boost[:, None]
    star = camp == sl.STAR_CAMPAIGN
    p[star, 1] = 0.85
    p[star, 2] = 0.85
    lag = np.char.startswith(org.astype(str), sl.LAGGING_REGION)
    p[lag, 2] *= 0.8
    gaps = rng.lognormal(np.log(GAP_HOURS), 0.8, (n, 4))
    ts = np.empty((n, 5), dtype="datetime64[s]")
    ts[:, 0] = start_ts
    for k in range(4):
        ts[:, k + 1] = ts[:, k] + (gaps[:, k] * 3600).astype("timedelta64[s]")
    # The week's Connect -> Action drop at one sub-branch, for actions that would fall in that week.
    wk0 = np.datetime64(sl.DROP_WEEK_START, "s")
    in_week = (ts[:, 3] >= wk0) & (ts[:, 3] < wk0 + np.timedelta64(7, "D"))
    drop = np.char.startswith(org.astype(str), sl.DROP_SUB_BRANCH) & in_week
    p[drop, 2] *= sl.DROP_FACTOR
    go_on = rng.random((n, 4)) < np.clip(p, 0, 0.97)
    depth = np.cumprod(go_on, axis=1).sum(axis=1)  # 0..4: index of the last stage reached
    end = np.datetime64(sl.AS_OF, "s") + np.timedelta64(86399, "s")
    parts = []
    for k, stage in enumerate(STAGES):
        reach = (depth >= k) & (ts[:, k] <= end)
        # Some stages are repeated (a second visit, another chat).
        rep = reach & (rng.random(n) < 0.2)
        idx = np.concatenate([np.nonzero(reach)[0], np.nonzero(rep)[0]])
        t = ts[idx, k] + np.concatenate([np.zeros(reach.sum()), rng.integers(600, 20 * 3600, rep.sum())]).astype("timedelta64[s]")
        keep = t <= end
        idx, t = idx[keep], t[keep]
        m = len(idx)
        cust_id = cust.customer_id.to_numpy()[ci[idx]].astype("float64")
        if stage == "S":  # unrecognised visitors on the first touch
            cust_id[(rng.random(m) < 0.12) & ~cust.unified_id.to_numpy()[ci[idx]]] = np.nan
        etype = np.array(EVENT_TYPES[stage])[rng.integers(0, len(EVENT_TYPES[stage]), m)]
        amount = np.zeros(m)
        if stage == "A":
            med = np.array(ref.SEGMENT_AUM_MEDIAN)[[ref.SEGMENTS.index(s) for s in seg[idx]]] * 0.25
            amount = np.round(med * rng.lognormal(0, 0.9, m), 2)
        staff = np.where(np.isin(stage, ["C", "A", "H"]), mgr[idx], None)
        parts.append(pd.DataFrame({
            "event_ts": t, "customer_id": cust_id, "org_id": org[idx], "channel_id": _pick_channels(rng, stage, seg[idx]),
            "stage": stage, "event_type": etype, "campaign_id": camp[idx], "staff_id": staff,
            "product_id": np.where(k >= 2, product[idx], None), "amount": amount,
        }))
    return pd.concat(parts, ignore_index=True)


def _outreach(n: int, cust: pd.DataFrame, day_w: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Messages sent by SMS, app push and WeCom, some opened and replied to; WeCom group and Moments activity."""
    days = _days()
    ci = rng.integers(0, len(cust), n)
    kind = rng.choice(4, n, p=[0.35, 0.3, 0.25, 0.10])  # sms, push, wecom 1-to-1, wecom group/moments
    day = rng.choice(len(days), n, p=day_w)
    ts = np.datetime64(sl.START, "s") + (day * 86400 + rng.integers(9 * 3600, 20 * 3600, n)).astype("timedelta64[s]")
    chan = np.array(["sms", "app", "wecom_1to1", "wecom_group"], dtype=object)[kind]
    sent_t = np.array(["sms_sent", "push_sent", "wecom_msg_sent", "group_message"], dtype=object)[kind]
    open_p = np.array([0.08, 0.12, 0.55, 0.3])[kind]
    opened = rng.random(n) < open_p
    replied = opened & (rng.random(n) < np.where(kind == 2, 0.35, 0.05))
    open_t = np.array(["sms_open", "push_open", "wecom_msg_open", "moments_like"], dtype=object)[kind]
    chan_open = np.where(kind == 3, "wecom_moments", chan)
    cid = cust.customer_id.to_numpy()[ci].astype("float64")
    org = cust.org_id.to_numpy()[ci]
    mgr = cust.manager_id.to_numpy()[ci]
    staff = np.where(kind >= 2, mgr, None)
    d = rng.integers(60, 6 * 3600, n).astype("timedelta64[s]")
    frames = [
        pd.DataFrame({"event_ts": ts, "customer_id": cid, "org_id": org, "channel_id": chan, "stage": "S",
                      "event_type": sent_t, "staff_id": staff}),
        pd.DataFrame({"event_ts": ts[opened] + d[opened], "customer_id": cid[opened], "org_id": org[opened],
                      "channel_id": chan_open[opened], "stage": "I", "event_type": open_t[opened], "staff_id": staff[opened]}),
        pd.DataFrame({"event_ts": ts[replied] + 2 * d[replied], "customer_id": cid[replied], "org_id": org[replied],
                      "channel_id": chan[replied], "stage": "I", "event_type": "wecom_reply", "staff_id": staff[replied]}),
    ]
    out = pd.concat(frames, ignore_index=True)
    out["campaign_id"] = None
    out["product_id"] = None
    out["amount"] = 0.0
    return out[out.event_ts <= np.datetime64(sl.AS_OF, "s") + np.timedelta64(86399, "s")]


def _referrals(n: int, cust: pd.DataFrame, day_w: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    days = _days()
    ci = rng.integers(0, len(cust), n)
    w = np.array([r[2] for r in ROUTES], dtype=float)
    ri = rng.choice(len(ROUTES), n, p=w / w.sum())
    frm = np.array([r[0] for r in ROUTES], dtype=object)[ri]
    to = np.array([r[1] for r in ROUTES], dtype=object)[ri]
    sla = np.array([r[3] for r in ROUTES])[ri]
    med = np.array([r[4] for r in ROUTES], dtype=float)[ri]
    day = rng.choice(len(days), n, p=day_w)
    created = np.datetime64(sl.START, "s") + (day * 86400 + rng.integers(8 * 3600, 20 * 3600, n)).astype("timedelta64[s]")
    stalled = (frm == sl.STALLED_FROM) & (to == sl.STALLED_TO) & (days[day].to_period("M").start_time == pd.Timestamp(sl.STALLED_MONTH))
    med = np.where(stalled, med * 12, med)
    accepted = rng.random(n) < np.where(stalled, 0.55, 0.9)
    acc_at = created + (rng.lognormal(np.log(2.0), 0.8, n) * 3600).astype("timedelta64[s]")
    fu = accepted & (rng.random(n) < np.where(stalled, 0.45, 0.92))
    fu_at = acc_at + (rng.lognormal(np.log(med), 0.7) * 3600).astype("timedelta64[s]")
    end = np.datetime64(sl.AS_OF, "s") + np.timedelta64(86399, "s")
    accepted &= acc_at <= end
    fu &= accepted & (fu_at <= end)
    on_time = fu & ((fu_at - created) <= (sla * 3600).astype("timedelta64[s]"))
    conv_p = np.where(on_time, 0.35, np.where(fu, 0.15, 0.0))
    u = rng.random(n)
    outcome = np.where(u < conv_p, "converted", np.where(fu | (created < end - np.timedelta64(30, "D")), "declined", "pending"))
    return pd.DataFrame({
        "customer_id": cust.customer_id.to_numpy()[ci], "org_id": cust.org_id.to_numpy()[ci],
        "from_channel_id": frm, "to_channel_id": to, "created_at": created,
        "accepted_at": np.where(accepted, acc_at, np.datetime64("NaT")),
        "followed_up_at": np.where(fu, fu_at, np.datetime64("NaT")), "outcome": outcome, "sla_hours": sla.astype(np.int32),
    })


# Which channel suits a customer after a lifecycle change, for the linkage touch.
LINKAGE_CHANNEL = {"new": "wecom_1to1", "growing": "wecom_1to1", "mature": "wealth_room", "dormant": "call_out",
                   "churned": "call_out", "won_back": "app"}


def _lifecycle(cust: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """State changes over the window, the final state per customer, and the linkage touches that followed."""
    n = len(cust)
    days_total = (sl.AS_OF - sl.START).days
    k = rng.random(n) < 0.4
    idx = np.nonzero(k)[0]
    order = ["new", "growing", "mature", "dormant", "churned", "won_back"]
    frm = rng.choice(["growing", "mature", "dormant", "churned", "new"], len(idx), p=[0.3, 0.3, 0.2, 0.1, 0.1])
    nxt = {"new": "growing", "growing": "mature", "mature": "dormant", "dormant": "churned", "churned": "won_back"}
    to = np.array([nxt[f] if r < 0.7 else ("won_back" if f in ("dormant", "churned") else "dormant") for f, r in zip(frm, rng.random(len(idx)))])
    cdate = np.datetime64(sl.START) + rng.integers(0, days_total + 1, len(idx)).astype("timedelta64[D]")
    changes = pd.DataFrame({"customer_id": cust.customer_id.to_numpy()[idx], "org_id": cust.org_id.to_numpy()[idx],
                            "change_date": cdate, "from_state": frm, "to_state": to})
    state = np.array(rng.choice(["growing", "mature"], n, p=[0.45, 0.55]), dtype=object)
    state[idx] = to
    opened = cust.opened_date.to_numpy()
    state[opened >= np.datetime64(sl.AS_OF) - np.timedelta64(90, "D")] = "new"
    state[cust.dormant.to_numpy()] = "dormant"
    assert set(state) <= set(order)
    # Linkage: a suitable channel reaches the customer within days, more often for some states.
    reach_p = {"new": 0.75, "growing": 0.6, "mature": 0.5, "dormant": 0.35, "churned": 0.25, "won_back": 0.7}
    reached = rng.random(len(idx)) < np.array([reach_p[t] for t in to])
    lag_s = (rng.exponential(3.0, len(idx)) * 86400 + 9 * 3600).astype("timedelta64[s]")
    ts = cdate.astype("datetime64[s]") + lag_s
    ok = reached & (ts <= np.datetime64(sl.AS_OF, "s"))
    touches = pd.DataFrame({"event_ts": ts[ok], "customer_id": changes.customer_id.to_numpy()[ok].astype("float64"),
                            "org_id": changes.org_id.to_numpy()[ok],
                            "channel_id": [LINKAGE_CHANNEL[t] for t in to[ok]], "stage": "C", "event_type": "chat",
                            "campaign_id": None, "staff_id": cust.manager_id.to_numpy()[idx][ok], "product_id": None, "amount": 0.0})
    return changes, state, touches


def _service(n: int, cust: pd.DataFrame, day_w: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    days = _days()
    ci = rng.integers(0, len(cust), n)
    chans = list(SERVICE_CHANNELS)
    ch = np.array(chans, dtype=object)[rng.integers(0, len(chans), n)]
    med = np.array([SERVICE_CHANNELS[c][0] for c in ch], dtype=float)
    res_p = np.array([SERVICE_CHANNELS[c][1] for c in ch])
    resolved = rng.random(n) < res_p
    sat = np.clip(np.round(rng.normal(np.where(resolved, 4.4, 2.8), 0.7)), 1, 5)
    rated = rng.random(n) < 0.6
    complaint = rng.random(n) < np.where(resolved, 0.01, 0.08)
    return pd.DataFrame({
        "record_date": np.datetime64(sl.START) + rng.choice(len(days), n, p=day_w).astype("timedelta64[D]"),
        "org_id": cust.org_id.to_numpy()[ci], "channel_id": ch, "customer_id": cust.customer_id.to_numpy()[ci],
        "response_seconds": np.round(rng.lognormal(np.log(med), 0.6), 1), "resolved": resolved,
        "satisfaction": np.where(rated, sat, np.nan), "complaint": complaint,
    })


def _balances(cust: pd.DataFrame, orgs: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Daily balances by owning org node and category: a growth path per node, month/quarter-end spikes, noise."""
    days = _days()
    seg_loan = cust.segment.map(LOAN_RATIO).to_numpy()
    base = pd.DataFrame({"org_id": cust.org_id, "aum": cust.aum, "loan": cust.aum * seg_loan}).groupby("org_id").sum()
    t = np.arange(len(days)) / 365.25
    spike = 1 + 0.012 * (days.is_month_end | (days.day >= days.days_in_month - 1)) + 0.025 * days.is_quarter_end
    spike = np.asarray(spike, dtype=float)
    frames = []
    for org_id, row in base.iterrows():
        lag = org_id.startswith(sl.LAGGING_REGION)
        for cat, share in [*BALANCE_SPLIT.items(), ("loan", None)]:
            level = row.loan if share is None else row.aum * share
            g = rng.normal(0.11, 0.03)
            if lag and cat == "deposit":
                g = sl.LAGGING_DEPOSIT_GROWTH
            noise = np.cumsum(rng.normal(0, 0.002, len(days)))
            path = level / (1 + g) ** (len(days) / 365.25) * (1 + g) ** t * np.exp(noise - noise.mean() * 0)
            frames.append(pd.DataFrame({"balance_date": days.date, "org_id": org_id, "category": cat,
                                        "balance": np.round(path * (spike if cat == "deposit" else 1.0), 2)}))
    return pd.concat(frames, ignore_index=True)


def _calendar() -> pd.DataFrame:
    days = pd.date_range(dt.date(sl.START.year - 1, 1, 1), dt.date(sl.AS_OF.year + 1, 12, 31), freq="D")
    cn = holidays.country_holidays("CN", years=range(sl.START.year - 1, sl.AS_OF.year + 2))
    return pd.DataFrame({"cal_date": days.date, "is_workday": [cn.is_working_day(d) for d in days.date],
                         "holiday_name": [cn.get(d) for d in days.date]})


TARGET_SQL = """
-- Targets: stock metrics follow the bank's plan of +{g:.0%} a year from each node's balance on the first day;
-- flow metrics ask each node for a little more than its own average pace (a factor per node and metric).
insert into targets
with periods as (
  select 'month' as period_type, cast(m as date) as period_start, cast(m + interval 1 month - interval 1 day as date) as period_end
  from range(date '{start}', date '{end}', interval 1 month) t(m)
  union all
  select 'quarter', cast(q as date), cast(q + interval 3 month - interval 1 day as date)
  from range(date '{start}', date '{end}', interval 3 month) t(q)
  union all
  select 'year', cast(y as date), cast(y + interval 12 month - interval 1 day as date)
  from range(date '{start}', date '{end}', interval 12 month) t(y)
), nodes as (select org_id from orgs where level <= 4),
start_bal as (
  select c.ancestor_id as org_id,
         sum(case when b.category = 'deposit' then b.balance else 0 end) as deposits,
         sum(case when b.category <> 'loan' then b.balance else 0 end) as aum
  from balances_daily b join org_closure c on c.descendant_id = b.org_id
  where b.balance_date = date '{start}' group by 1
), flows as (
  select c.ancestor_id as org_id,
         count(*) filter (where e.stage = 'A') / {ndays} as actions,
         sum(e.amount) / {ndays} as sales,
         sum(e.fee_income) / {ndays} as fees
  from events e join org_closure c on c.descendant_id = e.org_id group by 1
), news as (
  select c.ancestor_id as org_id, count(*) / {ndays} as new_customers
  from customers k join org_closure c on c.descendant_id = k.org_id
  where k.opened_date >= date '{start}' group by 1
), factors as (
  select n.org_id, 0.95 + (hash(n.org_id, {seed}) % 1000) / 1000.0 * 0.25 as f from nodes n
)
select n.org_id, m.metric, p.period_type, p.period_start,
  round(case m.metric
    when 'deposits' then coalesce(s.deposits, 0) * pow(1 + {g}, date_diff('day', date '{start}', p.period_end) / 365.25)
    when 'aum' then coalesce(s.aum, 0) * pow(1 + {g}, date_diff('day', date '{start}', p.period_end) / 365.25)
    when 'actions' then coalesce(fl.actions, 0) * fa.f * (date_diff('day', p.period_start, p.period_end) + 1)
    when 'sales' then coalesce(fl.sales, 0) * fa.f * (date_diff('day', p.period_start, p.period_end) + 1)
    when 'fee_income' then coalesce(fl.fees, 0) * fa.f * (date_diff('day', p.period_start, p.period_end) + 1)
    when 'new_customers' then coalesce(nw.new_customers, 0) * fa.f * (date_diff('day', p.period_start, p.period_end) + 1)
  end, 2) as target_value
from nodes n
cross join (values ('deposits'), ('aum'), ('actions'), ('sales'), ('fee_income'), ('new_customers')) m(metric)
cross join periods p
left join start_bal s on s.org_id = n.org_id
left join flows fl on fl.org_id = n.org_id
left join news nw on nw.org_id = n.org_id
join factors fa on fa.org_id = n.org_id
"""


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in schema.tables():
        con.execute(f"drop table if exists {table}")
        con.execute(schema.ddl(table))


def _append(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    """Insert a frame's columns into a documented table by name (missing columns stay null)."""
    cols = [c for c in schema.column_names(table.removesuffix("_raw")) if c in df.columns]
    con.register("_frame", df[cols])
    con.execute(f"insert into {table} ({', '.join(cols)}) select {', '.join(cols)} from _frame")
    con.unregister("_frame")


def build(path: str | Path, size: str = "xs", seed: int = 42,
          progress: Callable[[str, float], None] | None = None) -> dict[str, float]:
    """Generate the demo bank into a DuckDB file, replacing what was there. Returns counts and rates."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    sz = SIZES[size]
    say = progress or (lambda msg, frac: None)
    t0 = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        _create_tables(con)
        rng = lambda part, chunk=0: np.random.default_rng([seed, part, chunk])  # noqa: E731
        say("org tree and reference data", 0.01)
        orgs = build_orgs(sz)
        _append(con, "orgs", orgs)
        _append(con, "org_closure", closure(orgs))
        mgrs = orgs[orgs.level == 4]
        _append(con, "staff", pd.DataFrame({"staff_id": mgrs.org_id, "org_id": mgrs.org_id, "name": mgrs.name_zh,
                                            "invitation_code": [f"INV-{o}" for o in mgrs.org_id]}))
        _append(con, "channels", pd.DataFrame(ref.CHANNELS, columns=["channel_id", "channel_group", "name_zh", "name_en"]))
        _append(con, "products", pd.DataFrame([p[:4] for p in ref.PRODUCTS], columns=["product_id", "category", "name_zh", "name_en"]))
        _append(con, "campaigns", pd.DataFrame(ref.CAMPAIGNS, columns=["campaign_id", "name_zh", "name_en", "product_id", "start_date", "end_date"]))
        _append(con, "calendar", _calendar())
        say("customers", 0.03)
        cust = _customers(sz, orgs, rng(1))
        changes, state, touches = _lifecycle(cust, rng(2))
        day_w = _day_weights(_days())
        # Events: journeys (about 2.4 events each), outreach messages (about 1.3 each) and linkage touches.
        n_events = sz.events
        n_out = int(n_events * 0.18 / 1.3)
        n_j = int((n_events - n_out * 1.3 - len(touches)) / 2.4)
        con.execute("create temp table events_raw as select * exclude (event_id, event_date) from events where false")
        chunk = 400_000
        n_chunks = max(1, -(-n_j // chunk))
        done = 0
        for c in range(n_chunks):
            nj = min(chunk, n_j - c * chunk)
            ev = _journeys(nj, cust, day_w, rng(3, c))
            no = int(n_out * nj / n_j)
            ev = pd.concat([ev, _outreach(no, cust, day_w, rng(4, c))], ignore_index=True)
            if c == 0:
                ev = pd.concat([ev, touches], ignore_index=True)
            fee_rate = dict((p[0], p[4]) for p in ref.PRODUCTS)
            ev["fee_income"] = np.round(ev.amount * ev.product_id.map(fee_rate).fillna(0).to_numpy(), 2)
            _append(con, "events_raw", ev)
            done += len(ev)
            say(f"events {done:,}", 0.05 + 0.75 * (c + 1) / n_chunks)
        say("sorting events by time", 0.82)
        con.execute("""insert into events select row_number() over (order by event_ts, org_id, channel_id, stage, event_type, customer_id, amount) as event_id,
                       cast(event_ts as date) as event_date, * from events_raw order by event_ts, org_id, channel_id, stage, event_type, customer_id, amount""")
        con.execute("drop table events_raw")
        last = con.execute("select customer_id, max(event_date) d from events where customer_id is not null group by 1").df()
        cust = cust.merge(last.rename(columns={"d": "last_active_date"}), on="customer_id", how="left")
        cust["lifecycle_state"] = state
        _append(con, "customers", cust)
        _append(con, "lifecycle_changes", changes)
        say("referrals and service records", 0.88)
        refs = _referrals(max(200, n_events // 25), cust, day_w, rng(5))
        refs.insert(0, "referral_id", np.arange(1, len(refs) + 1, dtype=np.int64))
        _append(con, "referrals", refs)
        svc = _service(max(500, n_events // 12), cust, day_w, rng(6))
        svc.insert(0, "record_id", np.arange(1, len(svc) + 1, dtype=np.int64))
        _append(con, "service_records", svc)
        say("balances", 0.92)
        _append(con, "balances_daily", _balances(cust, orgs, rng(7)))
        say("targets", 0.96)
        ndays = (sl.AS_OF - sl.START).days + 1
        con.execute(TARGET_SQL.format(g=sl.PLANNED_GROWTH, start=sl.START, end=dt.date(sl.AS_OF.year + 1, 1, 1),
                                      ndays=ndays, seed=seed))
        con.execute("insert into warehouse_info values ('demo', ?, ?, ?, current_timestamp)", [size, seed, sl.AS_OF])
        counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in schema.tables()}
        con.execute("checkpoint")
    finally:
        con.close()
    tmp.replace(path)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    secs = time.perf_counter() - t0
    say("done", 1.0)
    return {**counts, "seconds": secs, "events_per_second": counts["events"] / secs}
