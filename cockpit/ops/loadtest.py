"""A bounded load test of one cockpit server on 127.0.0.1: N sessions at once, speaking Streamlit's websocket
protocol the way the browser does, without a browser.

A page view is what a browser's page load asks of the server: a new websocket carrying the session cookie of a
demo user, one `rerun_script` message naming the page, then the server's messages until the run has finished.
Its time runs from the connection until the script has finished: what the server makes a user wait for,
without the browser's drawing. The server is meant to run on a core of its own (cockpit/ops/bench.py pins it
and this client to different cores), so its CPU time per page view, read from /proc, is the server's cost
whatever else runs on the machine. Used by `cockpit bench --sessions N`.
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"  # the browser tests' browser (tests/browser/)
# Without the background-networking flags Chromium keeps trying to reach Google's hosts on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
USERS = ("exec", "head_r01", "head_r02", "manager1")
PAGES = ("overview", "targets", "scorecard", "sicas", "channels")
LOGIN_LABELS = ("Username", "用户名")  # the login form's first field: a view that draws it was not signed in
FINISHED, RERUN = 0, 2  # ForwardMsg.ScriptFinishedStatus: finished successfully; stopped early for a rerun


def login_cookie(url: str, username: str, key: str, days: float = 1) -> dict:
    """The sign-in cookie the app sets after a login: a session opened for `username` in this data folder's
    app state (the server's, $COCKPIT_HOME), its token signed with `key` (a browser context can carry it)."""
    from cockpit.core.config import COOKIE_NAME
    from cockpit.state import sessions

    return {"name": COOKIE_NAME, "value": sessions.start(username, key, days), "url": url}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and all its threads have used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


@dataclass
class LoadResult:
    sessions: int
    times_ms: dict[str, list[float]] = field(default_factory=dict)  # page -> every view's time
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    runs: int = 0  # script runs the server did for the views (more than one a view: a rerun was asked for)
    server_rss_before_mb: float = 0.0
    server_rss_peak_mb: float = 0.0

    @property
    def views(self) -> int:
        return sum(len(v) for v in self.times_ms.values())

    @property
    def cpu_ms_per_view(self) -> float:
        """Server CPU time per page view (every view the server worked on, errors included)."""
        done = self.views + len(self.errors)
        return self.server_cpu_seconds * 1000 / done if done else float("nan")

    @property
    def views_per_core_second(self) -> float:
        """Page views one core serves per second running this server: the inverse of its CPU time per view."""
        return 1000 / self.cpu_ms_per_view if self.cpu_ms_per_view > 0 else float("nan")

    def percentile(self, q: float, page: str | None = None) -> float:
        """The q-th percentile (0..100) of page times, nearest rank; NaN when nothing loaded."""
        xs = sorted(self.times_ms.get(page, []) if page else [t for v in self.times_ms.values() for t in v])
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, max(0, math.ceil(q / 100 * len(xs)) - 1))]


def _rerun(url: str, page: str) -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    from cockpit.app.navigation import PAGES as REGISTERED

    msg = BackMsg()
    # st.navigation serves its first page (every role's overview) at the root URL, by the empty name.
    msg.rerun_script.page_name = "" if page == REGISTERED[0].url_path else page
    msg.rerun_script.query_string = ""
    msg.rerun_script.context_info.url = f"{url}/{page}"
    return msg.SerializeToString()


def _problem(msg) -> str | None:
    """What is wrong with a page that sends this message, or None: an exception or an error message, the
    login form, no page."""
    kind = msg.WhichOneof("type")
    if kind == "page_not_found":
        return "page not found"
    if kind != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return None
    element = msg.delta.new_element
    what = element.WhichOneof("type")
    if what == "exception":
        return f"an exception on the page: {element.exception.message[:100]}"
    if what == "alert" and element.alert.format == element.alert.ERROR:  # st.error: a demo page shows none
        return f"an error on the page: {element.alert.body[:100]}"
    if what == "text_input" and element.text_input.label in LOGIN_LABELS:
        return "the login page instead of the cockpit"
    return None


async def view(url: str, cookie: dict, page: str, timeout: float) -> tuple[float, int, str | None]:
    """One page load: its time in ms, the script runs it took and what went wrong (None when nothing did)."""
    import websockets
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    t0 = time.perf_counter()
    runs, problem = 0, None
    async with asyncio.timeout(timeout):
        async with websockets.connect(
            url.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers={"Cookie": f"{cookie['name']}={cookie['value']}"},
            max_size=None,
            open_timeout=timeout,  # a busy server may take longer than the library's 10 s to answer
        ) as ws:
            await ws.send(_rerun(url, page))
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(await ws.recv())
                problem = problem or _problem(msg)
                if msg.WhichOneof("type") == "script_finished":
                    runs += 1
                    if msg.script_finished != RERUN:
                        break
    return (time.perf_counter() - t0) * 1000, runs, problem


async def _session(
    url: str, username: str, key: str, pages: tuple[str, ...], result: LoadResult, timeout: float
) -> None:
    cookie = login_cookie(url, username, key)
    for name in pages:
        try:
            ms, runs, problem = await view(url, cookie, name, timeout)
            result.runs += runs
        except Exception as e:  # a timeout or a dropped connection is an error of the run, not of the test
            result.errors.append(f"{username} {name}: {type(e).__name__}: {str(e).splitlines()[:1]}")
            continue
        if problem:
            result.errors.append(f"{username} {name}: {problem}")
        else:
            result.times_ms.setdefault(name, []).append(ms)


def _sample_memory(pid: int, stop: threading.Event, result: LoadResult) -> None:
    from cockpit.app.server import rss_mb

    while not stop.is_set():
        result.server_rss_peak_mb = max(result.server_rss_peak_mb, rss_mb(pid))
        stop.wait(0.25)


async def _run(
    url: str, pid: int, sessions: int, key: str, pages: tuple[str, ...], timeout: float
) -> LoadResult:
    from cockpit.app.server import rss_mb

    result = LoadResult(sessions)
    result.server_rss_before_mb = result.server_rss_peak_mb = rss_mb(pid)
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_memory, args=(pid, stop, result), daemon=True)
    sampler.start()
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    try:
        await asyncio.gather(
            *(_session(url, USERS[i % len(USERS)], key, pages, result, timeout) for i in range(sessions))
        )
    finally:
        result.seconds = time.perf_counter() - t0
        result.server_cpu_seconds = cpu_seconds(pid) - cpu0
        stop.set()
        sampler.join()
    return result


def missing() -> str | None:
    """Why a load test cannot run here, or None."""
    try:
        import websockets  # noqa: F401
    except ImportError:
        return "websockets is not installed (pip install -e '.[test]')"
    return None


def run(
    url: str, server_pid: int, sessions: int, pages: tuple[str, ...] = PAGES, timeout: float = 600
) -> LoadResult:
    """Open `pages` one after another in each of `sessions` simultaneous signed-in sessions against the
    server at `url` (whose process is `server_pid`)."""
    from cockpit.core.config import DEMO_COOKIE_KEY

    return asyncio.run(_run(url, server_pid, sessions, DEMO_COOKIE_KEY, pages, timeout))


def summary(result: LoadResult) -> list[list[str]]:
    """Table rows: per page and overall, views, p50, p95 and mean in ms."""
    rows = []
    for name in [*result.times_ms, None]:
        xs = result.times_ms.get(name, []) if name else [t for v in result.times_ms.values() for t in v]
        rows.append(
            [
                name or "all pages",
                str(len(xs)),
                f"{result.percentile(50, name):,.0f}",
                f"{result.percentile(95, name):,.0f}",
                f"{statistics.fmean(xs):,.0f}" if xs else "-",
            ]
        )
    return rows
