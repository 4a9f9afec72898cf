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


def command(port: int, address: str = "127.0.0.1") -> list[str]:
    """The Streamlit command line that serves the cockpit on address:port, headless, without telemetry."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
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
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    home: Path, warehouse: Path | str, extra_env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[subprocess.Popen, str]:
    """Start a demo-mode server in the background and wait until it answers its health check.

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
    proc = subprocess.Popen(command(port), cwd=APP.parent, env=env, stdout=log, stderr=subprocess.STDOUT)
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
