"""`cockpit bench`: how fast the cockpit is on a demo bank of a given size, and what the marts buy.

It prints, in one run:
1. demo generation rate and the time of `cockpit build` for one new day (the marts, then the stored
   guidance);
2. every registered page run as an executive and as a branch head through Streamlit's AppTest: server-side
   run time with a cold and a warm cache, the SQL statements it ran and the rows they returned, peak Python
   memory (tracemalloc, in a run of its own), and whether the page is within its goal (PAGE_GOALS);
3. headline figures (overview tiles and distinct customers by org x stage for a period) computed three
   ways, each in a fresh process so peak memory is its own: the marts (the overview's named query), the
   raw events in DuckDB through the same warehouse layer (the overview as it was before the marts), and a
   naive dashboard that loads the events into pandas and groups in Python; with ratios, and whether the
   three give the same figures;
4. the SICAS funnel as the page asks for it (this period, the previous one, a breakdown), read from the rows
   `cockpit build` stored and computed from the events, as an executive and as a branch head, with the
   ratio and whether both give the same figures;
5. a bounded load test of one server on 127.0.0.1 pinned to a core of its own: 1, 10 and N simultaneous
   signed-in sessions speaking Streamlit's websocket protocol (cockpit/ops/loadtest.py), with the server's
   CPU time per page view, page views per second per core, p50 and p95 per page, errors and resident
   memory; what limits one server and what N of them buy; the first page views after a restart and the CPU
   per view for the cockpit's warm start against plain `streamlit run`.
Figures are printed, never asserted: they depend on the machine (also printed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# The same headline figures three ways. Each snippet sets `result` (small DataFrames) from `start`, `end`,
# `prev_start`, `prev_end`, with `wh` (the warehouse layer, user `s`) and `con` (DuckDB) already open.
WAYS = {
    "marts": """
window = dict(org_id="HO", start=start, end=end, prev_start=prev_start, prev_end=prev_end)
kpi = wh.run("overview_kpis", s, window)
stages = wh.sql("select m.org_id, m.stage, m.customers from mart_org_period m "
                "join orgs o on o.org_id = m.org_id where m.period_type = 'month' "
                "and m.period_start = :start and o.level <= 2 and m.stage <> '*'", {"start": start})
k = kpi.set_index("metric")
figures = {"active": [int(k.current_value["active_customers"]), int(k.previous_value["active_customers"])],
           "actions": [int(k.current_value["actions"]), int(k.previous_value["actions"])]}
result = (kpi, stages)
""",
    "raw DuckDB": """
window = dict(org_id="HO", start=start, end=end, prev_start=prev_start, prev_end=prev_end)
kpi = wh.sql(raw_overview(), window)
stages = wh.sql('''
  select c.ancestor_id as org_id, e.stage, count(distinct e.customer_id) as customers
  from events e join org_closure c on c.descendant_id = e.org_id join orgs o on o.org_id = c.ancestor_id
  where e.event_date between :start and :end and o.level <= 2 and e.customer_id is not null
  group by c.ancestor_id, e.stage''', {"start": start, "end": end})
k = kpi.set_index("metric")
figures = {"active": [int(k.current_value["active_customers"]), int(k.previous_value["active_customers"])],
           "actions": [int(k.current_value["actions"]), int(k.previous_value["actions"])]}
result = (kpi, stages)
""",
    "pandas": """
import pandas as pd
ev = con.execute("select event_date, customer_id, org_id, stage from events").df()
orgs = con.execute("select org_id, level, path from orgs").df()
ev["event_date"] = pd.to_datetime(ev.event_date)
cur = ev[(ev.event_date >= pd.Timestamp(start)) & (ev.event_date <= pd.Timestamp(end))]
prev = ev[(ev.event_date >= pd.Timestamp(prev_start)) & (ev.event_date <= pd.Timestamp(prev_end))]
kpi = pd.DataFrame({"active_cur": [cur.customer_id.nunique()], "active_prev": [prev.customer_id.nunique()],
                    "actions_cur": [(cur.stage == "A").sum()], "actions_prev": [(prev.stage == "A").sum()]})
paths = dict(zip(orgs.org_id, orgs.path.str.strip("/").str.split("/")))
up = pd.DataFrame([(o, a) for o, chain in paths.items() for a in chain[:3]], columns=["org_id", "ancestor"])
m = cur.dropna(subset=["customer_id"]).merge(up, on="org_id")
stages = m.groupby(["ancestor", "stage"]).customer_id.nunique().reset_index()
stages.columns = ["org_id", "stage", "customers"]
figures = {"active": [int(kpi.active_cur[0]), int(kpi.active_prev[0])],
           "actions": [int(kpi.actions_cur[0]), int(kpi.actions_prev[0])]}
result = (kpi, stages)
""",
}

# The overview tiles as they were computed before the marts: the overview's own query with its activity
# figures counted from the raw events (for an executive, so the scope is every node). A benchmark reference.
RAW_ACTIVITY = """activity as (
  select
    count(distinct case when e.event_date between :start and :end then e.customer_id end) as active_cur,
    count(distinct case when e.event_date between :prev_start and :prev_end then e.customer_id end)
      as active_prev,
    count(case when e.stage = 'A' and e.event_date between :start and :end then 1 end) as actions_cur,
    count(case when e.stage = 'A' and e.event_date between :prev_start and :prev_end then 1 end)
      as actions_prev
  from events e
  join node_orgs n on n.org_id = e.org_id
  where e.event_date between :prev_start and :end
),
"""


def raw_overview() -> str:
    """queries/overview_kpis.sql with the marts taken out: its `deep` ... `activity` CTEs replaced by
    RAW_ACTIVITY.
    """
    from cockpit.warehouse import queries
    from cockpit.warehouse.layer import NODE_ORGS_SQL

    head, rest = queries.get("overview_kpis").sql.split("deep as (", 1)
    ctes = f"with scope_orgs as (select org_id from orgs),\nnode_orgs as ({NODE_ORGS_SQL}),\n"
    return (
        re.sub(r"^with ", lambda _: ctes, head, count=1, flags=re.M)
        + RAW_ACTIVITY
        + rest[rest.index("final as (") :]
    )


_RUNNER = """
import json, sys, time, datetime as dt
def hwm():  # peak resident memory of this process in kB (VmHWM; ru_maxrss would carry the parent's over exec)
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
way, target = sys.argv[1:3]
start, end, prev_start, prev_end = [dt.date.fromisoformat(a) for a in sys.argv[3:7]]
import duckdb, pandas, cockpit.warehouse.layer  # imports and connections are not part of the figure
if way != "pandas":
    from cockpit.ops.bench import raw_overview
    from cockpit.warehouse.layer import Warehouse, Scope
    wh = Warehouse(target)
    s = Scope("bench", "executive", ("HO",))
    wh.sql("select 1")
    try:  # the query text is parsed and transpiled once per process; the app has it warm
        cockpit.warehouse.layer.render("overview_kpis", 1, wh.dialect)
    except TypeError:
        cockpit.warehouse.layer.render("overview_kpis", 1, wh.dialect, 0)
else:
    con = duckdb.connect(target, read_only=True)
base = hwm()
t0 = time.perf_counter()
exec(sys.stdin.read())
secs = time.perf_counter() - t0
peak = hwm()
rows = sum(len(r) for r in result)
by_stage = result[1][["org_id", "stage", "customers"]].astype(str)
figures["stages"] = sorted(map(list, by_stage.itertuples(index=False)))
print(json.dumps({"seconds": secs, "peak_mb": max(peak - base, 0) / 1024, "rows": rows, "figures": figures}))
"""


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb

    python = platform.python_version()
    return f"{os.cpu_count()} cores ({cpu}), {ram:.0f} GB RAM, Python {python}, DuckDB {duckdb.__version__}"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in r] for r in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return (
            "| "
            + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
            + " |"
        )

    return "\n".join(
        [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells[1:])]
    )


def _bank(size: str, home: Path) -> tuple[Path, dict[str, float] | None]:
    """The bench's demo bank: reused when it exists (sizes m and l take a while), else generated and timed."""
    from seed.demo import bank as demo_bank

    path = home / f"bench-{size}.duckdb"
    if path.exists():
        return path, None
    return path, demo_bank.build(path, size, 42)


def _one_day(path: Path) -> tuple[dt.date, float]:
    """Time `cockpit build --day` the way it runs each night: the marts run through yesterday, today's events
    arrive.

    The last day's events are taken out, the marts brought back to the day before (not timed), and the events
    put back; then the one-day build is timed. The bank ends as it began."""
    import duckdb

    from cockpit.warehouse import marts
    from cockpit.warehouse.duck import one_row

    con = duckdb.connect(str(path))
    try:
        day = one_row(con, "select max(event_date) from events")[0]
        con.execute("create temp table held as select * from events where event_date = ?", [day])
        con.execute("delete from events where event_date = ?", [day])
        marts.build(con, day - dt.timedelta(days=1))
        con.execute("insert into events select * from held")
        return day, marts.build(con, day)["seconds"]
    finally:
        con.close()


class _Recorder:
    """Counts the SQL statements a page runs and the rows they return (wrapping the warehouse layer's one
    exit).
    """

    def __init__(self) -> None:
        from cockpit.warehouse import layer as warehouse

        self.queries = self.rows = 0
        self._orig = warehouse.Warehouse._frame
        rec = self

        def frame(wh, sql, params):
            df = rec._orig(wh, sql, params)
            rec.queries += 1
            rec.rows += len(df)
            return df

        warehouse.Warehouse._frame = frame  # type: ignore[method-assign]

    def reset(self) -> None:
        self.queries = self.rows = 0

    def close(self) -> None:
        from cockpit.warehouse import layer as warehouse

        warehouse.Warehouse._frame = self._orig  # type: ignore[method-assign]


def _signed_in(username: str = "exec"):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.secrets["test_mode"] = True
    at.session_state["lang"] = "en"
    with contextlib.redirect_stdout(io.StringIO()):  # the login widget prints a harmless cookie notice
        at.run()
        at.text_input[0].input(username)
        at.text_input[1].input(f"{username}-demo")
        at.button[0].click().run()
    return at


# Who the pages are timed as: the whole bank and one branch.
READERS = (("exec", "executive", "an executive"), ("head_r01", "branch_head", "a branch head"))

# The goals a page is held to at a real bank's size (printed beside the figures, never asserted).
PAGE_GOALS = {"cold_ms": 300, "warm_ms": 100, "rows": 20_000}


def _pages(username: str = "exec", role: str = "executive") -> list[list[Any]]:
    """Every page of a role: server-side time cold (caches emptied, the sidebar worked out as a server start
    does) and warm, with the SQL statements and the rows they returned cold; then one more run under
    tracemalloc for peak Python memory (timed apart, as tracing slows Python)."""

    from cockpit.app import navigation, serve, ui

    rec = _Recorder()
    rows = []
    try:
        at = _signed_in(username)
        serve.warm()  # what a server start does before its first visitor (cockpit/app/serve.py)
        for spec in navigation.pages_for(role):
            timings = []
            for cache in ("cold", "warm"):
                if cache == "cold":  # as on a server just started after a build (cockpit/app/serve.py)
                    ui.forget_figures()
                    ui.forget_tree()
                    serve.warm_sidebars()
                rec.reset()
                t0 = time.perf_counter()
                at.switch_page(spec.path).run()
                timings.append((time.perf_counter() - t0) * 1000)
                if cache == "cold":
                    queries, returned = rec.queries, rec.rows
            tracemalloc.start()
            at.switch_page(spec.path).run()
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            errors = len(at.exception) + len(at.error)
            within = (
                timings[0] <= PAGE_GOALS["cold_ms"]
                and timings[1] <= PAGE_GOALS["warm_ms"]
                and returned <= PAGE_GOALS["rows"]
            )
            rows.append(
                [
                    spec.url_path,
                    queries,
                    f"{returned:,}",
                    f"{timings[0]:.0f}",
                    f"{timings[1]:.0f}",
                    f"{peak:.1f}",
                    "ok" if not errors else f"{errors} error(s)",
                    "yes" if within else "no",
                ]
            )
    finally:
        rec.close()
    return rows


def _three_ways(path: Path, as_of: dt.date) -> tuple[list[list[Any]], dict[str, dict]]:
    from cockpit.core.periods import Period

    p = Period.containing("month", as_of, as_of)
    prev = p.previous()
    args = [str(path), p.start.isoformat(), p.to_date.isoformat(), prev[0].isoformat(), prev[1].isoformat()]
    out = {}
    for way, code in WAYS.items():
        proc = subprocess.run(
            [sys.executable, "-c", _RUNNER, way, *args],
            input=code,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if proc.returncode:
            raise RuntimeError(f"bench way {way!r} failed: {proc.stderr.strip().splitlines()[-1:]}")
        out[way] = json.loads(proc.stdout.strip().splitlines()[-1])
    m = out["marts"]
    rows = []
    for way, r in out.items():
        same = "yes" if r["figures"] == m["figures"] else "NO"
        rows.append(
            [
                way,
                f"{r['seconds'] * 1000:.0f}",
                f"{r['peak_mb']:.0f}",
                f"{r['rows']:,}",
                f"{r['seconds'] / m['seconds']:.1f}x",
                f"{r['peak_mb'] / max(m['peak_mb'], 1):.1f}x",
                same,
            ]
        )
    return rows, out


def _stored_funnel(as_of: dt.date) -> list[list[Any]]:
    """The SICAS page's funnel queries, stored against computed from the events, per role (warm engine)."""
    from cockpit.core.periods import Period
    from cockpit.state import auth
    from cockpit.warehouse.layer import open_warehouse

    wh = open_warehouse(config_target())
    p = Period.containing("month", as_of, as_of)
    prev = p.previous()
    asks: list[dict[str, Any]] = [
        {"start": p.start, "end": p.to_date},
        {"start": prev[0], "end": prev[1]},
        {"start": p.start, "end": p.to_date, "by": "channel"},
    ]
    rows = []
    for username, org in (("exec", "HO"), ("head_r01", "R01")):
        scope = auth.get_user(username).scope
        times, same = {}, True
        for stored in (True, False):
            t0 = time.perf_counter()
            got = [wh.run("sicas_funnel", scope, {"org_id": org, **a}, use_stored=stored) for a in asks]
            times[stored] = (time.perf_counter() - t0) * 1000
            if stored:
                first = got
            else:
                same = all(_same_frame(a, b) for a, b in zip(first, got))
        rows.append(
            [
                f"{username} ({org})",
                f"{times[True]:.0f}",
                f"{times[False]:.0f}",
                f"{times[True] / times[False]:.3f}",
                "yes" if same else "NO",
            ]
        )
    return rows


def _same_frame(a: Any, b: Any) -> bool:
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    except AssertionError:
        return False
    return True


def config_target() -> str:
    from cockpit.core import config

    return config.warehouse_target()


def _cores() -> tuple[set[int] | None, set[int] | None]:
    """A core for the server and the others for the load test's client, when this machine has two or more."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None, None
    return {cores[0]}, set(cores[1:])


@contextlib.contextmanager
def _server(path: Path, warm: bool = True, flags: tuple[str, ...] = ()):
    """A cockpit server on its own core for the duration; yields (process, url, seconds until it answered)."""
    from cockpit.app import server

    server_cores, _ = _cores()
    t0 = time.perf_counter()
    proc, url = server.start(
        Path(os.environ["COCKPIT_HOME"]), path, timeout=180, warm=warm, cpus=server_cores, flags=flags
    )
    try:
        yield proc, url, time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wave_row(r: Any) -> list[str]:
    return [
        str(r.sessions),
        str(r.views),
        str(len(r.errors)),
        f"{r.runs / max(r.views + len(r.errors), 1):.2f}",
        f"{r.seconds:.1f}",
        f"{r.views / r.seconds:.2f}" if r.seconds else "-",
        f"{r.server_cpu_seconds / r.seconds:.0%}" if r.seconds else "-",
        f"{r.cpu_ms_per_view:,.0f}",
        f"{r.views_per_core_second:.2f}",
        f"{r.server_rss_before_mb:,.0f} → {r.server_rss_peak_mb:,.0f}",
    ]


WAVE_HEADERS = [
    "sessions",
    "views",
    "errors",
    "runs/view",
    "wall s",
    "views/s",
    "server busy",
    "server CPU ms/view",
    "views/s per core",
    "server MB (before → peak)",
]

# How each server start is compared: the cockpit's own (cockpit/app/serve.py) and plain `streamlit run`.
# The cockpit's .streamlit/config.toml turns off Streamlit's full collection after every run; plain
# `streamlit run` is timed with Streamlit's own default.
STARTS = {
    "cockpit (warm start, gc.freeze, no post-run collection)": (True, ()),
    "plain streamlit run": (False, ("--runner.postScriptGC", "true")),
    "cockpit with the post-run gc.collect": (True, ("--runner.postScriptGC", "true")),
}


def _restart(path: Path) -> list[list[str]]:
    """Per way of starting: seconds until the server answers, the first page view after it, a second one."""
    from cockpit.ops import loadtest

    rows = []
    for name, (warm, flags) in STARTS.items():
        with _server(path, warm, flags) as (proc, url, up):
            first = loadtest.run(url, proc.pid, 1, ("sicas", "overview"))
            again = loadtest.run(url, proc.pid, 1, ("sicas",))
        rows.append(
            [
                name,
                f"{up:.1f}",
                f"{first.percentile(50, 'sicas'):,.0f}",
                f"{first.percentile(50, 'overview'):,.0f}",
                f"{again.percentile(50, 'sicas'):,.0f}",
                f"{first.runs}",
                str(len(first.errors) + len(again.errors)),
            ]
        )
    return rows


def _load(path: Path, sessions: int) -> list[str]:
    """The server under 1, 10 and `sessions` simultaneous sessions (cockpit/ops/loadtest.py), pinned to a
    core of its own, and what each way of starting it costs per page view."""
    from cockpit.ops import loadtest

    why = loadtest.missing()
    if why:
        return [f"load test not run: {why}"]
    server_cores, client_cores = _cores()
    pinned = (
        f"server pinned to core {sorted(server_cores)}, this client to {sorted(client_cores)}"
        if server_cores and client_cores
        else "one core: server and client share it"
    )
    out = [
        f"load test: Streamlit's websocket protocol without a browser, {pinned}; each view a fresh page load "
        f"signed in by cookie, each session opening {', '.join(loadtest.PAGES)} as one of "
        f"{', '.join(loadtest.USERS)}; the machine may be shared: wall times are noisy, CPU ms per view less"
    ]
    before = os.sched_getaffinity(0)
    if client_cores:
        os.sched_setaffinity(0, client_cores)
    try:
        waves, tables = [], []
        with _server(path) as (proc, url, _):
            loadtest.run(url, proc.pid, len(loadtest.USERS))  # every page once per user: warm caches
            for n in sorted({1, min(10, sessions), sessions}):
                r = loadtest.run(url, proc.pid, n)
                waves.append(r)
                tables.append(f"\n{n} session(s) at once, page times (ms, connection to script finished):")
                tables.append(_table(["page", "views", "p50", "p95", "mean"], loadtest.summary(r)))
                tables += [f"  error: {e}" for e in r.errors[:10]]
        out.append(_table(WAVE_HEADERS, [_wave_row(r) for r in waves]))
        out += tables
        out += _limits(waves[-1])
        out.append("\nafter a restart, per way of starting the server (sicas then overview as exec):")
        out.append(
            _table(
                [
                    "start",
                    "answers after s",
                    "first sicas ms",
                    "then overview ms",
                    "sicas again ms",
                    "runs",
                    "errors",
                ],
                _restart(path),
            )
        )
        n = min(10, sessions)
        out.append(f"\nserver CPU per page view by way of starting it ({n} sessions, warm caches):")
        rows = []
        for name, (warm, flags) in STARTS.items():
            with _server(path, warm, flags) as (proc, url, _):
                loadtest.run(url, proc.pid, len(loadtest.USERS))
                rows.append([name, *_wave_row(loadtest.run(url, proc.pid, n))])
        out.append(_table(["start", *WAVE_HEADERS], rows))
    finally:
        os.sched_setaffinity(0, before)
    return out


def _limits(r: Any) -> list[str]:
    """What limits one server, and what more of them buy, from the largest wave."""
    per_core = r.views_per_core_second
    cores = os.cpu_count() or 1
    return [
        f"\nwhat limits it: Streamlit runs every session's script in the one server process, and page runs "
        f"take turns on its one interpreter lock, so a server uses at most about one core however many "
        f"sessions it has (busy {r.server_cpu_seconds / r.seconds:.0%} of a core at {r.sessions} sessions). "
        f"One core serves {per_core:.2f} page views/s ({r.cpu_ms_per_view:,.0f} ms of server CPU each); "
        f"N servers behind a proxy with sticky sessions serve about N × {per_core:.2f} views/s while each "
        f"has a core of its own: {cores} cores here ≈ {cores * per_core:.1f} views/s, 16 cores ≈ "
        f"{16 * per_core:.0f} views/s, if the warehouse and the app state keep up."
    ]


def _browser(path: Path, loads: int) -> list[str]:
    """The pages in Chromium (cockpit/ops/browser_timing.py) as an executive and a branch head, one server."""
    from cockpit.core.config import DEMO_COOKIE_KEY
    from cockpit.ops import browser_timing

    why = browser_timing.unavailable()
    if why or not loads:
        return [f"pages in Chromium: not timed ({why or 'asked for no loads'})"]
    out = []
    with _server(path) as (_, url, _up):
        for username, role, who in READERS:
            rows = browser_timing.time_pages(url, username, role, DEMO_COOKIE_KEY, loads)
            out.append(
                f"pages in Chromium as {who} ({username}; one signed-in session, warm, median of {loads}; "
                f"drawn = script finished, no placeholder left, every chart drawn; goal <= "
                f"{browser_timing.GOAL_MS:,} ms):"
            )
            out += [_table(browser_timing.HEADERS, rows), ""]
    return out


def main(size: str = "xs", sessions: int = 50, browser_loads: int = 3) -> int:
    """Run the benchmark and print its tables. The bank lives in $COCKPIT_HOME/bench-<size>.duckdb."""
    from cockpit.core import config
    from cockpit.state import auth

    home = Path(os.environ.get("COCKPIT_HOME") or tempfile.mkdtemp(prefix="cockpit-bench-"))
    os.environ["COCKPIT_HOME"] = str(home)
    os.environ["COCKPIT_DEMO"] = "1"
    from streamlit import logger

    logger.set_log_level("error")
    print(f"machine: {machine()}")
    path, stats = _bank(size, config.home())
    os.environ["COCKPIT_WAREHOUSE"] = str(path)
    auth.ensure_demo_users()
    if stats:
        print(
            f"demo bank {size}: {stats['events']:,} events in {stats['generate_seconds']:.1f} s = "
            f"{stats['generate_events_per_second']:,.0f} events/s generated "
            f"({stats['events'] / stats['generate_cpu_seconds']:,.0f} per CPU-second, all "
            f"threads); marts {stats['mart_seconds']:.1f} s; "
            f"total {stats['seconds']:.1f} s"
        )
    else:
        print(f"demo bank {size}: reused {path} (delete it to time the generation)")
    day, secs = _one_day(path)
    print(f"cockpit build --day {day}: marts {secs:.2f} s")
    from cockpit.ops.cli import build_stored

    for line in build_stored(str(path), day):
        print(f"cockpit build --day {day}: {line}")
    goals = (
        f"goal: cold <= {PAGE_GOALS['cold_ms']} ms, warm <= {PAGE_GOALS['warm_ms']} ms, "
        f"<= {PAGE_GOALS['rows']:,} rows"
    )
    headers = ["page", "SQL runs", "rows returned", "cold ms", "warm ms", "peak MB", "status", "within goal"]
    for username, role, who in READERS:
        print(f"\npages as {who} ({username}; AppTest, server side; peak = Python allocations; {goals}):")
        print(_table(headers, _pages(username, role)))
    print("\n" + "\n".join(_browser(path, browser_loads)))
    print(
        f"\nheadline figures three ways (overview tiles + distinct customers by org x stage, month of {day}):"
    )
    rows, _ = _three_ways(path, day)
    print(_table(["way", "ms", "peak MB", "rows", "time vs marts", "memory vs marts", "same figures"], rows))
    print(f"\nSICAS funnel, this month, the previous one and by channel ({day:%Y-%m}):")
    print(
        _table(["as", "stored ms", "from events ms", "stored / events", "same figures"], _stored_funnel(day))
    )
    if sessions:
        print("\n" + "\n".join(_load(path, sessions)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "xs"))
