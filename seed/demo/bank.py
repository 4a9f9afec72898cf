"""The demo bank: a deterministic, realistic bank generated into a DuckDB warehouse.

Same size and seed give identical data. Everything is drawn with numpy from
`numpy.random.default_rng([seed, part, slice])` on integer codes (org, channel, stage...), never
Python objects per row, and written to DuckDB as Arrow dictionary columns. Events are generated a
week of journey starts at a time; each event lands in the bucket of the week it happens in, and a
week is sorted and appended once no later week can add to it, so the events table is written in
time order without a global sort and memory stays bounded by the weeks in flight. The storylines
in seed/demo/storylines.py are planted on purpose (seed/demo/STORYLINES.md).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import holidays
import numpy as np
import pandas as pd
import pyarrow as pa

from cockpit.domain.channels import SUITABLE_CHANNEL  # the demo's linkage touches follow the bank's rule
from cockpit.warehouse import schema
from cockpit.warehouse.duck import one_row
from seed import reference as ref
from seed.demo import storylines as sl


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
STAGE_GROUP_W = {
    "S": (0.75, 0.2, 0.05),
    "I": (0.5, 0.35, 0.15),
    "C": (0.1, 0.55, 0.35),
    "A": (0.5, 0.1, 0.4),
    "H": (0.45, 0.5, 0.05),
}
# How much each segment likes each channel group.
SEGMENT_GROUP_W = {
    "mass": (1.0, 0.6, 1.0),
    "young": (1.8, 0.5, 0.3),
    "affluent": (0.8, 1.2, 1.2),
    "sme_owner": (0.7, 1.3, 1.0),
    "private": (0.4, 1.3, 1.8),
}
SERVICE_CHANNELS = {
    "call_in": (30, 0.82),
    "video": (45, 0.88),
    "wecom_1to1": (240, 0.85),
    "app": (60, 0.78),
    "counter": (420, 0.93),
    "wealth_room": (300, 0.95),
    "lobby": (180, 0.9),
}
# Referral routes: (from, to, weight, sla hours, median follow-up hours).
ROUTES = [
    ("app", "wealth_room", 3, 48, 20),
    ("app", "call_out", 3, 24, 6),
    ("wecom_1to1", "wealth_room", 2, 48, 30),
    ("counter", "app", 2, 72, 24),
    ("call_in", "wecom_1to1", 2, 24, 10),
    ("wechat_oa", "lobby", 1, 48, 36),
    ("lobby", "wecom_1to1", 2, 24, 8),
    ("partner", "call_out", 1, 24, 12),
]
BALANCE_SPLIT = {"deposit": 0.48, "wealth": 0.25, "fund": 0.12, "insurance": 0.08}
LOAN_RATIO = {"mass": 0.3, "young": 0.6, "affluent": 0.2, "sme_owner": 1.2, "private": 0.05}


def _days() -> pd.DatetimeIndex:
    return pd.date_range(sl.START, sl.AS_OF, freq="D")


def _day_weights(days: pd.DatetimeIndex) -> np.ndarray:
    """Activity by day: weekdays busier, month and quarter ends spike, a yearly cycle, slow growth."""
    dow = np.array([1.15, 1.1, 1.05, 1.05, 1.1, 0.6, 0.5])[days.day_of_week]
    month_end = np.where(days.is_month_end | (days.day >= days.days_in_month - 2), 1.35, 1.0)
    quarter_end = np.where(
        days.is_quarter_end | (days.month.isin([3, 6, 9, 12]) & (days.day >= 25)), 1.3, 1.0
    )
    cycle = 1 + 0.15 * np.cos(2 * np.pi * (days.day_of_year - 15) / 365.25)
    growth = np.linspace(1.0, 1.25, len(days))
    w = np.asarray(dow * month_end * quarter_end * cycle * growth, dtype=float)
    return w / w.sum()


def build_orgs(size: Size) -> pd.DataFrame:
    """The org tree: head office, regions, sub-branches, teams, account managers."""
    rows: list[tuple[str, str | None, int, str, str]] = [("HO", None, 0, "总行", "Head office")]
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
                    sur, given = ref.SURNAMES[k % len(ref.SURNAMES)], ref.GIVEN[(k // 7) % len(ref.GIVEN)]
                    name_en = f"{ref.PINYIN[sur]} {ref.PINYIN[given]}"
                    rows.append((mid, tid, 4, f"客户经理{sur}{given}", f"Manager {name_en}"))
    df = pd.DataFrame(rows, columns=["org_id", "parent_id", "level", "name_zh", "name_en"])
    parent = {o: p for o, p, *_ in rows}

    def path(o: str) -> str:
        chain = []
        node: str | None = o
        while node is not None:
            chain.append(node)
            node = parent[node]
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


SEGMENT_BOOST = {"private": 1.3, "affluent": 1.15, "young": 0.85}
GROUPS = ("online", "remote", "offline")
# Outreach kinds: sms, app push, WeCom 1-to-1, WeCom group / Moments.
OUT_SHARE = (0.35, 0.3, 0.25, 0.10)
OUT_CHANNEL = ("sms", "app", "wecom_1to1", "wecom_group")
OUT_SENT = ("sms_sent", "push_sent", "wecom_msg_sent", "group_message")
OUT_OPEN = ("sms_open", "push_open", "wecom_msg_open", "moments_like")
OUT_OPEN_P = (0.08, 0.12, 0.55, 0.3)
LIFECYCLE = ("new", "growing", "mature", "dormant", "churned", "won_back")
NEXT_STATE = {
    "new": "growing",
    "growing": "mature",
    "mature": "dormant",
    "dormant": "churned",
    "churned": "won_back",
}
REACH_P = {"new": 0.75, "growing": 0.6, "mature": 0.5, "dormant": 0.35, "churned": 0.25, "won_back": 0.7}
OUTCOMES = ("converted", "declined", "pending")
WEEK = 7 * 86400


def _codes(names) -> dict[str, int]:
    return {n: i for i, n in enumerate(names)}


CH = _codes(ref.CHANNEL_IDS)
ETYPES = [t for s in STAGES for t in EVENT_TYPES[s]] + list(OUT_SENT) + list(OUT_OPEN) + ["wecom_reply"]
ET = _codes(ETYPES)
ET_OFFSET = np.array([ET[EVENT_TYPES[s][0]] for s in STAGES])
ET_COUNT = np.array([len(EVENT_TYPES[s]) for s in STAGES])
SEG_MED = np.array(ref.SEGMENT_AUM_MEDIAN, dtype=float)
SEG_BOOST = np.array([SEGMENT_BOOST.get(s, 1.0) for s in ref.SEGMENTS])
FEE = np.array([p[4] for p in ref.PRODUCTS] + [0.0])  # index -1 (no product) earns nothing
# Channel choice: P(group | stage, segment) as cumulative bounds, then a channel uniformly inside the group.
_GW = np.array(
    [[np.array(STAGE_GROUP_W[s]) * np.array(SEGMENT_GROUP_W[g]) for g in ref.SEGMENTS] for s in STAGES]
)
GROUP_CUM = np.cumsum(_GW / _GW.sum(axis=2, keepdims=True), axis=2)
_IN_GROUP = [[CH[c] for c in ref.CHANNEL_IDS if ref.CHANNEL_GROUP[c] == g and c != "sms"] for g in GROUPS]
GROUP_N = np.array([len(c) for c in _IN_GROUP])
GROUP_CHANNELS = np.array([c + [c[0]] * (GROUP_N.max() - len(c)) for c in _IN_GROUP])


def _dictionary(codes: np.ndarray, names: pa.Array) -> pa.DictionaryArray:
    """An Arrow dictionary column from integer codes (-1 is null) and the names they stand for."""
    codes = np.asarray(codes, dtype=np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), names)


@dataclass
class Bank:
    """The generated bank held as integer codes: the org tree and the customers."""

    org_ids: np.ndarray  # org code -> org_id
    org_names: pa.Array
    parent: np.ndarray  # org code -> parent code (-1 for the root)
    lag_org: np.ndarray  # org code -> in the lagging region
    drop_org: np.ndarray  # org code -> in the sub-branch whose Connect -> Action drops for a week
    cust_org: np.ndarray
    cust_mgr: np.ndarray  # -1 when unassigned
    seg: np.ndarray
    tier: np.ndarray
    aum: np.ndarray
    opened: np.ndarray  # datetime64[D]
    unified: np.ndarray
    dormant: np.ndarray
    awake: np.ndarray  # indexes of customers who are not dormant

    @property
    def n(self) -> int:
        return len(self.seg)


def _bank(size: Size, orgs: pd.DataFrame, rng: np.random.Generator) -> Bank:
    ids = orgs.org_id.to_numpy(dtype=object)
    code = _codes(ids)
    parent = np.array([code.get(p, -1) for p in orgs.parent_id], dtype=np.int32)
    level = orgs.level.to_numpy()
    n = size.customers
    managers = np.nonzero(level == 4)[0]
    # Branches differ in size: a lognormal weight per sub-branch, shared by its managers.
    sub_of_mgr = parent[parent[managers]]
    subs = np.unique(sub_of_mgr)
    mw = rng.lognormal(0, 0.45, len(subs))[np.searchsorted(subs, sub_of_mgr)]
    seg = rng.choice(len(ref.SEGMENTS), n, p=ref.SEGMENT_SHARE).astype(np.int8)
    mgr = managers[rng.choice(len(managers), n, p=mw / mw.sum())].astype(np.int32)
    assigned = (seg >= 2) | (rng.random(n) < 0.5)
    aum = SEG_MED[seg] * rng.lognormal(0, 1.0, n)
    aum = np.round(aum * (1 + rng.pareto(3.0, n) * 0.3), 2)
    tier = (np.searchsorted([50_000, 300_000, 1_000_000, 6_000_000], aum, side="right") + 1).astype(np.int32)
    days_total = (sl.AS_OF - sl.START).days
    new = rng.random(n) < 0.3
    opened_offset = np.where(new, rng.integers(0, days_total + 1, n), -rng.integers(30, 3650, n))
    dormant = (tier >= 4) & (rng.random(n) < sl.DORMANT_SHARE_OF_HIGH_TIER) & ~new
    young = seg == ref.SEGMENTS.index("young")
    unified = rng.random(n) < np.where(young, 0.7, 0.88)
    prefix = lambda p: np.char.startswith(ids.astype(str), p)  # noqa: E731
    return Bank(
        ids,
        pa.array(ids.astype(str)),
        parent,
        prefix(sl.LAGGING_REGION),
        prefix(sl.DROP_SUB_BRANCH),
        np.where(assigned, mgr, parent[mgr]).astype(np.int32),
        np.where(assigned, mgr, -1).astype(np.int32),
        seg,
        tier,
        aum,
        np.datetime64(sl.START) + opened_offset.astype("timedelta64[D]"),
        unified,
        dormant,
        np.nonzero(~dormant)[0],
    )


def _ndays() -> int:
    return (sl.AS_OF - sl.START).days + 1


def _end_second() -> int:
    """The last second of the as-of day, in seconds since the start."""
    return _ndays() * 86400 - 1


def _quiet_cutoff() -> int:
    """Dormant customers have no journeys or messages starting after this day index."""
    return _ndays() - 1 - sl.DORMANT_DAYS - 60


def _who(bank: Bank, day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A customer per row; dormant ones are swapped for awake ones after they went quiet."""
    ci = rng.integers(0, bank.n, len(day))
    late = bank.dormant[ci] & (day > _quiet_cutoff())
    ci[late] = bank.awake[rng.integers(0, len(bank.awake), int(late.sum()))]
    return ci


def _pick_channels(rng: np.random.Generator, stage: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """A channel code per row: the stage's preferred group times the segment's taste, then a channel in it."""
    cum = GROUP_CUM[stage, seg]
    u = rng.random(len(stage))
    g = (u >= cum[:, 0]).astype(np.int8) + (u >= cum[:, 1])
    k = (rng.random(len(stage)) * GROUP_N[g]).astype(np.int8)
    return GROUP_CHANNELS[g, k].astype(np.int8)


def _events(
    t, cust, org, chan, stage, etype, camp=None, staff=None, prod=None, amount=None
) -> dict[str, np.ndarray]:
    n = len(t)
    full = lambda v, dtype: np.full(n, v, dtype=dtype)  # noqa: E731
    return {
        "t": t.astype(np.int64),
        "cust": cust.astype(np.int64),
        "org": org.astype(np.int32),
        "chan": np.broadcast_to(chan, n).astype(np.int8),
        "stage": np.broadcast_to(stage, n).astype(np.int8),
        "etype": np.broadcast_to(etype, n).astype(np.int8),
        "camp": full(-1, np.int16) if camp is None else camp.astype(np.int16),
        "staff": full(-1, np.int32) if staff is None else staff.astype(np.int32),
        "prod": full(-1, np.int16) if prod is None else prod.astype(np.int16),
        "amount": full(0.0, np.float64) if amount is None else amount,
    }


def _journeys(bank: Bank, day: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Customer journeys through SICAS starting on the given days (one per entry), one row per event."""
    n = len(day)
    ci = _who(bank, day, rng)
    seg, org, mgr = bank.seg[ci], bank.cust_org[ci], bank.cust_mgr[ci]
    start = day.astype(np.int64) * 86400 + rng.integers(8 * 3600, 21 * 3600, n)
    # Campaigns: 35% of journeys belong to one running at the start.
    product = rng.integers(0, len(ref.PRODUCT_IDS), n).astype(np.int16)
    camp = np.full(n, -1, dtype=np.int16)
    in_camp = rng.random(n) < 0.35
    for k, (_, _, _, pid, cs, ce) in enumerate(ref.CAMPAIGNS):
        m = in_camp & (camp < 0) & (day >= (cs - sl.START).days) & (day <= (ce - sl.START).days)
        m &= rng.random(n) < 0.6
        camp[m] = k
        product[m] = ref.PRODUCT_IDS.index(pid)
    # How far each journey goes.
    p = STEP_P[None, :] * SEG_BOOST[seg][:, None]
    star = camp == [c[0] for c in ref.CAMPAIGNS].index(sl.STAR_CAMPAIGN)
    p[star, 1] = 0.85
    p[star, 2] = 0.85
    p[bank.lag_org[org], 2] *= 0.8
    gaps = rng.lognormal(np.log(GAP_HOURS), 0.8, (n, 4))
    ts = np.empty((n, 5), dtype=np.int64)
    ts[:, 0] = start
    ts[:, 1:] = start[:, None] + np.cumsum((gaps * 3600).astype(np.int64), axis=1)
    # The week's Connect -> Action drop at one sub-branch, for actions that would fall in that week.
    wk0 = (sl.DROP_WEEK_START - sl.START).days * 86400
    drop = bank.drop_org[org] & (ts[:, 3] >= wk0) & (ts[:, 3] < wk0 + WEEK)
    p[drop, 2] *= sl.DROP_FACTOR
    go_on = rng.random((n, 4)) < np.clip(p, 0, 0.97)
    depth = np.cumprod(go_on, axis=1).sum(axis=1)  # 0..4: index of the last stage reached
    end = _end_second()
    reach = (np.arange(5)[None, :] <= depth[:, None]) & (ts <= end)
    rep = reach & (rng.random((n, 5)) < 0.2)  # some stages are repeated (a second visit, another chat)
    j1, k1 = np.nonzero(reach)
    j2, k2 = np.nonzero(rep)
    j, stage = np.concatenate([j1, j2]), np.concatenate([k1, k2]).astype(np.int8)
    t = ts[j, stage] + np.concatenate([np.zeros(len(j1), np.int64), rng.integers(600, 20 * 3600, len(j2))])
    keep = t <= end
    j, stage, t = j[keep], stage[keep], t[keep]
    n_events = len(j)
    cust = ci[j].astype(np.int64) + 1
    unrecognised = (
        (stage == 0) & (rng.random(n_events) < 0.12) & ~bank.unified[ci[j]]
    )  # visitors not recognised on a first touch
    cust[unrecognised] = -1
    etype = ET_OFFSET[stage] + (rng.random(n_events) * ET_COUNT[stage]).astype(np.int64)
    amount = np.zeros(n_events)
    act = stage == 3
    amount[act] = np.round(SEG_MED[seg[j[act]]] * 0.25 * rng.lognormal(0, 0.9, int(act.sum())), 2)
    later = stage >= 2
    return _events(
        t,
        cust,
        org[j],
        _pick_channels(rng, stage, seg[j]),
        stage,
        etype,
        camp[j],
        np.where(later, mgr[j], -1),
        np.where(later, product[j], -1),
        amount,
    )


def _outreach(bank: Bank, day: np.ndarray, rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    """Messages sent by SMS, app push and WeCom, some opened and replied to;
    WeCom group and Moments activity.
    """
    n = len(day)
    ci = _who(bank, day, rng)
    kind = np.searchsorted(np.cumsum(OUT_SHARE), rng.random(n), side="right").clip(0, 3)
    t = day.astype(np.int64) * 86400 + rng.integers(9 * 3600, 20 * 3600, n)
    chan = np.array([CH[c] for c in OUT_CHANNEL])[kind]
    opened = rng.random(n) < np.array(OUT_OPEN_P)[kind]
    replied = opened & (rng.random(n) < np.where(kind == 2, 0.35, 0.05))
    chan_open = np.where(kind == 3, CH["wecom_moments"], chan)
    cust, org = ci.astype(np.int64) + 1, bank.cust_org[ci]
    staff = np.where(kind >= 2, bank.cust_mgr[ci], -1)
    d = rng.integers(60, 6 * 3600, n)
    sent_t, open_t = np.array([ET[e] for e in OUT_SENT])[kind], np.array([ET[e] for e in OUT_OPEN])[kind]
    o, r = opened, replied
    return [
        _events(t, cust, org, chan, 0, sent_t, staff=staff),
        _events(t[o] + d[o], cust[o], org[o], chan_open[o], 1, open_t[o], staff=staff[o]),
        _events(t[r] + 2 * d[r], cust[r], org[r], chan[r], 1, ET["wecom_reply"], staff=staff[r]),
    ]


def _lifecycle(bank: Bank, rng: np.random.Generator) -> tuple[pa.Table, np.ndarray, dict[str, np.ndarray]]:
    """State changes over the window, the final state per customer, and the linkage touches that followed."""
    n = bank.n
    days_total = (sl.AS_OF - sl.START).days
    idx = np.nonzero(rng.random(n) < 0.4)[0]
    lc = _codes(LIFECYCLE)
    frm = np.array([lc[s] for s in ("growing", "mature", "dormant", "churned", "new")])[
        rng.choice(5, len(idx), p=[0.3, 0.3, 0.2, 0.1, 0.1])
    ]
    nxt = np.array([lc[NEXT_STATE.get(s, "won_back")] for s in LIFECYCLE])
    low = np.isin(frm, [lc["dormant"], lc["churned"]])
    to = np.where(rng.random(len(idx)) < 0.7, nxt[frm], np.where(low, lc["won_back"], lc["dormant"]))
    cday = rng.integers(0, days_total + 1, len(idx))
    names = pa.array(list(LIFECYCLE))
    changes = pa.table(
        {
            "customer_id": pa.array(idx.astype(np.int64) + 1),
            "org_id": _dictionary(bank.cust_org[idx], bank.org_names),
            "change_date": pa.array(np.datetime64(sl.START) + cday.astype("timedelta64[D]")),
            "from_state": _dictionary(frm, names),
            "to_state": _dictionary(to, names),
        }
    )
    state = np.where(rng.random(n) < 0.45, lc["growing"], lc["mature"])
    state[idx] = to
    state[bank.opened >= np.datetime64(sl.AS_OF) - np.timedelta64(90, "D")] = lc["new"]
    state[bank.dormant] = lc["dormant"]
    # Linkage: a suitable channel reaches the customer within days, more often for some states.
    reached = rng.random(len(idx)) < np.array([REACH_P[s] for s in LIFECYCLE])[to]
    t = cday * 86400 + (rng.exponential(3.0, len(idx)) * 86400 + 9 * 3600).astype(np.int64)
    ok = reached & (t <= days_total * 86400)
    ok &= ~(bank.dormant[idx] & (t // 86400 > _quiet_cutoff()))
    i = idx[ok]
    touches = _events(
        t[ok],
        i.astype(np.int64) + 1,
        bank.cust_org[i],
        np.array([CH[SUITABLE_CHANNEL[s]] for s in LIFECYCLE])[to[ok]],
        2,
        ET["chat"],
        staff=bank.cust_mgr[i],
    )
    return changes, state, touches


def _referrals(n: int, bank: Bank, day_w: np.ndarray, rng: np.random.Generator) -> pa.Table:
    days = _days()
    ci = rng.integers(0, bank.n, n)
    w = np.array([r[2] for r in ROUTES], dtype=float)
    ri = rng.choice(len(ROUTES), n, p=w / w.sum())
    frm = np.array([CH[r[0]] for r in ROUTES])[ri]
    to = np.array([CH[r[1]] for r in ROUTES])[ri]
    sla = np.array([r[3] for r in ROUTES])[ri]
    med = np.array([r[4] for r in ROUTES], dtype=float)[ri]
    day = rng.choice(len(days), n, p=day_w)
    created = day.astype(np.int64) * 86400 + rng.integers(8 * 3600, 20 * 3600, n)
    in_month = np.asarray((days.year == sl.STALLED_MONTH.year) & (days.month == sl.STALLED_MONTH.month))
    stalled = (frm == CH[sl.STALLED_FROM]) & (to == CH[sl.STALLED_TO]) & in_month[day]
    med = np.where(stalled, med * 12, med)
    accepted = rng.random(n) < np.where(stalled, 0.55, 0.9)
    acc_at = created + (rng.lognormal(np.log(2.0), 0.8, n) * 3600).astype(np.int64)
    fu = accepted & (rng.random(n) < np.where(stalled, 0.45, 0.92))
    fu_at = acc_at + (rng.lognormal(np.log(med), 0.7) * 3600).astype(np.int64)
    end = _end_second()
    accepted &= acc_at <= end
    fu &= accepted & (fu_at <= end)
    on_time = fu & ((fu_at - created) <= sla * 3600)
    conv_p = np.where(on_time, 0.35, np.where(fu, 0.15, 0.0))
    u = rng.random(n)
    outcome = np.where(u < conv_p, 0, np.where(fu | (created < end - 30 * 86400), 1, 2))
    ts = lambda s, null=None: pa.array((np.datetime64(sl.START, "s") + s.astype("timedelta64[s]")), mask=null)  # noqa: E731
    channels = pa.array(ref.CHANNEL_IDS)
    return pa.table(
        {
            "referral_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "customer_id": pa.array(ci.astype(np.int64) + 1),
            "org_id": _dictionary(bank.cust_org[ci], bank.org_names),
            "from_channel_id": _dictionary(frm, channels),
            "to_channel_id": _dictionary(to, channels),
            "created_at": ts(created),
            "accepted_at": ts(acc_at, ~accepted),
            "followed_up_at": ts(fu_at, ~fu),
            "outcome": _dictionary(outcome, pa.array(list(OUTCOMES))),
            "sla_hours": pa.array(sla.astype(np.int32)),
        }
    )


def _service(n: int, bank: Bank, day_w: np.ndarray, rng: np.random.Generator) -> pa.Table:
    days = _days()
    ci = rng.integers(0, bank.n, n)
    chans = list(SERVICE_CHANNELS)
    k = rng.integers(0, len(chans), n)
    med = np.array([SERVICE_CHANNELS[c][0] for c in chans], dtype=float)[k]
    resolved = rng.random(n) < np.array([SERVICE_CHANNELS[c][1] for c in chans])[k]
    sat = np.clip(np.round(rng.normal(np.where(resolved, 4.4, 2.8), 0.7)), 1, 5)
    rated = rng.random(n) < 0.6
    complaint = rng.random(n) < np.where(resolved, 0.01, 0.08)
    day = rng.choice(len(days), n, p=day_w)
    return pa.table(
        {
            "record_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "record_date": pa.array(np.datetime64(sl.START) + day.astype("timedelta64[D]")),
            "org_id": _dictionary(bank.cust_org[ci], bank.org_names),
            "channel_id": _dictionary(np.array([CH[c] for c in chans])[k], pa.array(ref.CHANNEL_IDS)),
            "customer_id": pa.array(ci.astype(np.int64) + 1),
            "response_seconds": pa.array(np.round(rng.lognormal(np.log(med), 0.6), 1)),
            "resolved": pa.array(resolved),
            "satisfaction": pa.array(sat.astype(np.int32), mask=~rated),
            "complaint": pa.array(complaint),
        }
    )


def _balances(bank: Bank, rng: np.random.Generator, nodes_per_chunk: int = 2000, days_per_write: int = 31):
    """Daily balances by owning org node and category: a growth path per node, month/quarter-end spikes,
    noise.

    Paths are drawn a chunk of nodes at a time, then yielded as Arrow tables a month of days at a time,
    so the table is stored in date order and a query for one day reads only that day's row groups."""
    days = _days()
    nd = len(days)
    loan_ratio = np.array([LOAN_RATIO[s] for s in ref.SEGMENTS])
    norg = len(bank.org_ids)
    aum = np.bincount(bank.cust_org, weights=bank.aum, minlength=norg)
    loan = np.bincount(bank.cust_org, weights=bank.aum * loan_ratio[bank.seg], minlength=norg)
    owners = np.nonzero(np.bincount(bank.cust_org, minlength=norg))[0]
    t = np.arange(nd) / 365.25
    spike = np.asarray(
        1 + 0.012 * (days.is_month_end | (days.day >= days.days_in_month - 1)) + 0.025 * days.is_quarter_end,
        dtype=float,
    )
    share = np.array([*BALANCE_SPLIT.values(), 0.0])
    paths = np.empty((nd, len(owners), 5))
    for c0 in range(0, len(owners), nodes_per_chunk):
        nodes = owners[c0 : c0 + nodes_per_chunk]
        k = len(nodes)
        level = np.where(np.arange(5)[None, :] == 4, loan[nodes, None], aum[nodes, None] * share[None, :])
        g = rng.normal(0.11, 0.03, (k, 5))
        g[bank.lag_org[nodes], 0] = sl.LAGGING_DEPOSIT_GROWTH
        noise = np.cumsum(rng.normal(0, 0.002, (k, 5, nd)), axis=2)
        path = (
            (level / (1 + g) ** (nd / 365.25))[:, :, None]
            * (1 + g[:, :, None]) ** t[None, None, :]
            * np.exp(noise)
        )
        path[:, 0, :] *= spike
        paths[:, c0 : c0 + k, :] = np.round(path, 2).transpose(2, 0, 1)
    cats = pa.array([*BALANCE_SPLIT, "loan"])
    per_day = len(owners) * 5
    for d0 in range(0, nd, days_per_write):
        d1 = min(nd, d0 + days_per_write)
        yield pa.table(
            {
                "balance_date": pa.array(
                    np.repeat(np.datetime64(sl.START) + np.arange(d0, d1).astype("timedelta64[D]"), per_day)
                ),
                "org_id": _dictionary(np.tile(np.repeat(owners, 5), d1 - d0), bank.org_names),
                "category": _dictionary(np.tile(np.arange(5), len(owners) * (d1 - d0)), cats),
                "balance": pa.array(paths[d0:d1].ravel()),
            }
        )


def _calendar() -> pd.DataFrame:
    days = pd.date_range(dt.date(sl.START.year - 1, 1, 1), dt.date(sl.AS_OF.year + 1, 12, 31), freq="D")
    cn = holidays.country_holidays("CN", years=range(sl.START.year - 1, sl.AS_OF.year + 2))
    return pd.DataFrame(
        {
            "cal_date": days.date,
            "is_workday": [cn.is_working_day(d) for d in days.date],
            "holiday_name": [cn.get(d) for d in days.date],
        }
    )


class _EventWriter:
    """Collects events in buckets by the week they happen in and appends whole weeks, sorted, in time order.

    Event ids are handed out in that order, so they increase with time and the table is stored by date."""

    BATCH_ROWS = 2_000_000

    def __init__(self, con: duckdb.DuckDBPyConnection, bank: Bank):
        if len(bank.org_ids) >= 1 << 17:
            raise ValueError("too many org nodes for the event sort key")
        self.con, self.bank = con, bank
        self.buckets: dict[int, list[dict[str, np.ndarray]]] = defaultdict(list)
        self.next_id = 1
        self.pending: list[
            pa.Table
        ] = []  # sorted weeks not yet appended: DuckDB appends big batches far faster
        self.pending_rows = 0
        self.pool = ThreadPoolExecutor(1)
        self.appending: Future | None = None
        self.last_day = np.full(bank.n, -1, dtype=np.int32)
        self.names = {
            "chan": pa.array(ref.CHANNEL_IDS),
            "stage": pa.array(STAGES),
            "etype": pa.array(ETYPES),
            "camp": pa.array([c[0] for c in ref.CAMPAIGNS]),
            "prod": pa.array(ref.PRODUCT_IDS),
        }

    def add(self, part: dict[str, np.ndarray]) -> None:
        if (
            part["t"] > _end_second()
        ).any():  # nothing happens after the as-of day (late replies to late messages)
            keep = part["t"] <= _end_second()
            part = {c: v[keep] for c, v in part.items()}
        week = (part["t"] // WEEK).astype(np.int16)
        order = np.argsort(week, kind="stable")  # a radix sort on 16-bit keys
        week = week[order]
        ordered = {c: v[order] for c, v in part.items()}
        cuts = np.flatnonzero(np.diff(week)) + 1
        for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(week)]])):
            if b > a:  # copies, so a long-tail piece does not keep the whole slice alive
                self.buckets[int(week[a])].append({c: v[a:b].copy() for c, v in ordered.items()})

    def flush(self, before_week: int) -> int:
        """Append every complete week before `before_week`; returns the rows written."""
        rows = 0
        for w in sorted(w for w in self.buckets if w < before_week):
            rows += self._write(self.buckets.pop(w))
        if self.pending and (self.pending_rows >= self.BATCH_ROWS or before_week >= 1 << 30):
            self.wait()
            # DuckDB compresses and writes in its own threads while numpy draws the next weeks.
            self.appending = self.pool.submit(_append, self.con, "events", pa.concat_tables(self.pending))
            self.pending, self.pending_rows = [], 0
        return rows

    def wait(self) -> None:
        """Let the append in flight finish (at most one, so memory stays bounded)."""
        if self.appending is not None:
            self.appending.result()
            self.appending = None

    def _write(self, parts: list[dict[str, np.ndarray]]) -> int:
        ev = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
        key = (
            (ev["t"] << 37)
            | (ev["org"].astype(np.int64) << 20)
            | (ev["chan"].astype(np.int64) << 15)
            | (ev["stage"].astype(np.int64) << 12)
            | (ev["etype"].astype(np.int64) << 6)
        )
        order = np.argsort(key, kind="stable")
        ev = {c: v[order] for c, v in ev.items()}
        n = len(order)
        day = (ev["t"] // 86400).astype(np.int32)
        known = ev["cust"] > 0
        np.maximum.at(self.last_day, ev["cust"][known] - 1, day[known])
        fee = np.round(ev["amount"] * FEE[ev["prod"]], 2)
        names, orgs = self.names, self.bank.org_names
        table = pa.table(
            {
                "event_id": pa.array(np.arange(self.next_id, self.next_id + n, dtype=np.int64)),
                "event_date": pa.array(np.datetime64(sl.START) + day.astype("timedelta64[D]")),
                "event_ts": pa.array(np.datetime64(sl.START, "s") + ev["t"].astype("timedelta64[s]")),
                "customer_id": pa.array(ev["cust"], mask=~known),
                "org_id": _dictionary(ev["org"], orgs),
                "channel_id": _dictionary(ev["chan"], names["chan"]),
                "stage": _dictionary(ev["stage"], names["stage"]),
                "event_type": _dictionary(ev["etype"], names["etype"]),
                "campaign_id": _dictionary(ev["camp"], names["camp"]),
                "staff_id": _dictionary(ev["staff"], orgs),
                "product_id": _dictionary(ev["prod"], names["prod"]),
                "amount": pa.array(ev["amount"]),
                "fee_income": pa.array(fee),
            }
        )
        self.pending.append(table)
        self.pending_rows += n
        self.next_id += n
        return n


TARGET_SQL = """
-- Targets: stock metrics follow the bank's plan of +{g:.0%} a year from each node's balance on the first day;
-- flow metrics ask each node for a little more than its own average pace (a factor per node and metric).
insert into targets
with periods as (
  select 'month' as period_type, cast(m as date) as period_start, cast(m + interval 1 month - interval 1 day
    as date) as period_end
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
), own_flows as (
  select org_id, count(*) filter (where stage = 'A') as actions, sum(amount) as sales, sum(fee_income) as fees
  from events group by org_id
), flows as (
  select c.ancestor_id as org_id, sum(f.actions) / {ndays} as actions, sum(f.sales) / {ndays} as sales,
         sum(f.fees) / {ndays} as fees
  from own_flows f join org_closure c on c.descendant_id = f.org_id group by 1
), own_news as (
  select org_id, count(*) as n from customers where opened_date >= date '{start}' group by org_id
), news as (
  select c.ancestor_id as org_id, sum(k.n) / {ndays} as new_customers
  from own_news k join org_closure c on c.descendant_id = k.org_id group by 1
), factors as (
  select n.org_id, 0.95 + (hash(n.org_id, {seed}) % 1000) / 1000.0 * 0.25 as f from nodes n
)
select org_id, metric, period_type, period_start,
  -- counts (actions, new customers) are whole: a node's target is rounded up, so any expected flow asks for 1
  (case when metric in ('actions', 'new_customers') then ceil(raw) else raw end) as target_value
from (select n.org_id, m.metric, p.period_type, p.period_start,
  round(case m.metric
    when 'deposits' then coalesce(s.deposits, 0) * pow(1 + {g}, date_diff('day', date '{start}',
    p.period_end) / 365.25)
    when 'aum' then coalesce(s.aum, 0) * pow(1 + {g}, date_diff('day', date '{start}', p.period_end) / 365.25)
    when 'actions' then coalesce(fl.actions, 0) * fa.f * (date_diff('day', p.period_start, p.period_end) + 1)
    when 'sales' then coalesce(fl.sales, 0) * fa.f * (date_diff('day', p.period_start, p.period_end) + 1)
    when 'fee_income' then coalesce(fl.fees, 0) * fa.f * (date_diff('day', p.period_start, p.period_end) + 1)
    when 'new_customers' then coalesce(nw.new_customers, 0) * fa.f * (date_diff('day', p.period_start,
    p.period_end) + 1)
  end, 2) as raw
from nodes n
cross join (values ('deposits'), ('aum'), ('actions'), ('sales'), ('fee_income'), ('new_customers')) m(metric)
cross join periods p
left join start_bal s on s.org_id = n.org_id
left join flows fl on fl.org_id = n.org_id
left join news nw on nw.org_id = n.org_id
join factors fa on fa.org_id = n.org_id
) n
"""


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in schema.tables():
        con.execute(f"drop table if exists {table}")
        con.execute(schema.ddl(table))


def _append(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table | pd.DataFrame) -> None:
    """Insert a table's columns into a documented table by name (missing columns stay null)."""
    given = data.column_names if isinstance(data, pa.Table) else list(data.columns)
    cols = ", ".join(c for c in schema.column_names(table) if c in given)
    con.register("_frame", data)
    con.execute(f"insert into {table} ({cols}) select {cols} from _frame")
    con.unregister("_frame")


def _per_day(total: int, day_w: np.ndarray) -> np.ndarray:
    """How many items start on each day: `total` spread by the day weights, rounded without drift."""
    return np.diff(np.round(np.cumsum(day_w) * total).astype(np.int64), prepend=0)


def _reference(con: duckdb.DuckDBPyConnection, orgs: pd.DataFrame) -> None:
    _append(con, "orgs", orgs)
    _append(con, "org_closure", closure(orgs))
    mgrs = orgs[orgs.level == 4]
    _append(
        con,
        "staff",
        pd.DataFrame(
            {
                "staff_id": mgrs.org_id,
                "org_id": mgrs.org_id,
                "name": mgrs.name_zh,
                "invitation_code": [f"INV-{o}" for o in mgrs.org_id],
            }
        ),
    )
    _append(
        con,
        "channels",
        pd.DataFrame(ref.CHANNELS, columns=["channel_id", "channel_group", "name_zh", "name_en"]),
    )
    _append(
        con,
        "products",
        pd.DataFrame([p[:4] for p in ref.PRODUCTS], columns=["product_id", "category", "name_zh", "name_en"]),
    )
    _append(
        con,
        "campaigns",
        pd.DataFrame(
            ref.CAMPAIGNS,
            columns=["campaign_id", "name_zh", "name_en", "product_id", "start_date", "end_date"],
        ),
    )
    _append(con, "calendar", _calendar())


def _customers_table(bank: Bank, state: np.ndarray, last_day: np.ndarray) -> pa.Table:
    return pa.table(
        {
            "customer_id": pa.array(np.arange(1, bank.n + 1, dtype=np.int64)),
            "org_id": _dictionary(bank.cust_org, bank.org_names),
            "manager_id": _dictionary(bank.cust_mgr, bank.org_names),
            "segment": _dictionary(bank.seg, pa.array(ref.SEGMENTS)),
            "lifecycle_state": _dictionary(state, pa.array(list(LIFECYCLE))),
            "tier": pa.array(bank.tier),
            "aum": pa.array(bank.aum),
            "opened_date": pa.array(bank.opened),
            "last_active_date": pa.array(
                np.datetime64(sl.START) + last_day.astype("timedelta64[D]"), mask=last_day < 0
            ),
            "unified_id": pa.array(bank.unified),
        }
    )


def build(
    path: str | Path, size: str = "xs", seed: int = 42, progress: Callable[[str, float], None] | None = None
) -> dict[str, float]:
    """Generate the demo bank into a DuckDB file, replacing what was there, then build its marts.

    Returns row counts, seconds and the event rate."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    from cockpit.warehouse import marts

    sz = SIZES[size]
    say = progress or (lambda msg, frac: None)
    t0, cpu0 = time.perf_counter(), time.process_time()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("set enable_progress_bar = false")
        _create_tables(con)
        rng = lambda part, chunk=0: np.random.default_rng([seed, part, chunk])  # noqa: E731
        say("org tree and reference data", 0.01)
        orgs = build_orgs(sz)
        _reference(con, orgs)
        say("customers", 0.02)
        bank = _bank(sz, orgs, rng(1))
        changes, state, touches = _lifecycle(bank, rng(2))
        day_w = _day_weights(_days())
        # Events: journeys (about 2.4 events each), outreach messages (about 1.3 each) and linkage touches.
        n_out = int(sz.events * 0.18 / 1.3)
        n_j = int((sz.events - n_out * 1.3 - len(touches["t"])) / 2.4)
        journeys, messages = _per_day(n_j, day_w), _per_day(n_out, day_w)
        writer = _EventWriter(con, bank)
        writer.add(touches)
        n_slices = -(-_ndays() // 7)
        done, t_ev = 0, time.perf_counter()
        for s in range(n_slices):
            week = np.arange(7 * s, min(7 * s + 7, _ndays()))
            writer.add(_journeys(bank, np.repeat(week, journeys[week]), rng(3, s)))
            for part in _outreach(bank, np.repeat(week, messages[week]), rng(4, s)):
                writer.add(part)
            done += writer.flush(s + 1)
            say(
                f"events {done:,} ({done / (time.perf_counter() - t_ev):,.0f}/s)",
                0.03 + 0.8 * (s + 1) / n_slices,
            )
        done += writer.flush(1 << 30)
        writer.wait()
        _append(con, "customers", _customers_table(bank, state, writer.last_day))
        _append(con, "lifecycle_changes", changes)
        say("referrals and service records", 0.85)
        _append(con, "referrals", _referrals(max(200, sz.events // 25), bank, day_w, rng(5)))
        _append(con, "service_records", _service(max(500, sz.events // 12), bank, day_w, rng(6)))
        say("balances", 0.88)
        for chunk in _balances(bank, rng(7)):
            _append(con, "balances_daily", chunk)
        say("targets", 0.92)
        ndays = _ndays()
        con.execute(
            TARGET_SQL.format(
                g=sl.PLANNED_GROWTH,
                start=sl.START,
                end=dt.date(sl.AS_OF.year + 1, 1, 1),
                ndays=ndays,
                seed=seed,
            )
        )
        con.execute(
            "insert into warehouse_info values ('demo', ?, ?, ?, current_timestamp)", [size, seed, sl.AS_OF]
        )
        gen_secs, gen_cpu = time.perf_counter() - t0, time.process_time() - cpu0
        say("marts", 0.95)
        t_m = time.perf_counter()
        marts.build(con)
        mart_secs = time.perf_counter() - t_m
        counts = {t: one_row(con, f"select count(*) from {t}")[0] for t in schema.tables()}
        con.execute("checkpoint")
    finally:
        con.close()
    tmp.replace(path)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    secs = time.perf_counter() - t0
    say("done", 1.0)
    return {
        **counts,
        "seconds": secs,
        "generate_seconds": gen_secs,
        "mart_seconds": mart_secs,
        "generate_cpu_seconds": gen_cpu,
        "events_per_second": counts["events"] / secs,
        "generate_events_per_second": counts["events"] / gen_secs,
    }
