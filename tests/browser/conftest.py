"""A real cockpit server on 127.0.0.1 and a headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cockpit.app import server as cockpit_server
from cockpit.ops.loadtest import CHROMIUM
from cockpit.ops.loadtest import CHROMIUM_ARGS as ARGS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def start_server(bank: Path, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    return cockpit_server.start(bank, bank / "warehouse.duckdb", extra_env, timeout=120)


@pytest.fixture(scope="session")
def server(bank):
    proc, url = start_server(bank)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`.ci/run` does) to run the browser journeys"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    yield pg
    ctx.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
