"""Starting the cockpit's Streamlit server on 127.0.0.1: one command line for `cockpit run`, the browser
tests and the load test, so all three serve the app the same way."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def command(
    port: int, address: str = "127.0.0.1", warm: bool = True, flags: tuple[str, ...] = ()
) -> list[str]:
    """The command line that serves the cockpit on address:port, headless, without telemetry: through
    cockpit/app/serve.py (imports, warehouse and collector settled at start), or with `warm=False` as plain
    `streamlit run` (the benchmark's comparison)."""
    head = ["-m", "cockpit.app.serve"] if warm else ["-m", "streamlit", "run", str(APP)]
    return [
        sys.executable,
        *head,
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        *flags,
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    home: Path,
    warehouse: Path | str,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60,
    warm: bool = True,
    cpus: set[int] | None = None,
    flags: tuple[str, ...] = (),
) -> tuple[subprocess.Popen, str]:
    """Start a demo-mode server in the background and wait until it answers its health check; `cpus` pins it
    (and every thread it starts) to those cores.

    Its output goes to `home/server-PORT.log`; raises RuntimeError naming that log if it does not come up.
    """
    port = free_port()
    env = dict(
        os.environ,
        COCKPIT_HOME=str(home),
        COCKPIT_WAREHOUSE=str(warehouse),
        COCKPIT_DEMO="1",
        **(extra_env or {}),
    )
    log = open(Path(home) / f"server-{port}.log", "w")  # noqa: SIM115 (the server writes it until stopped)
    proc = subprocess.Popen(
        command(port, warm=warm, flags=flags),
        cwd=APP.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"the cockpit server did not start; see {log.name}")


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
