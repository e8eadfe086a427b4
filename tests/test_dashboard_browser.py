"""``cxsim dashboard`` in a real browser: Debian's chromium driven by Python Playwright
(no browser download). Start the command on a free port, press Step a few times, check
that a plot changed and that the page logged no errors, save a screenshot.

Outside CI the test is skipped when chromium (or npm, to fetch solara's browser assets
when the CDN cannot be reached: ``tests/solara_assets.py``) is missing; in CI
(``CI=true``) it fails instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from solara_assets import ensure_assets

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic"]
IN_CI = os.environ.get("CI", "").lower() == "true"
#: Seconds the server may take to answer (imports are slow on a loaded machine).
START_TIMEOUT = 240


def missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} (CI=true: the browser test must run)")
    pytest.skip(what)


def artifacts_directory() -> Path:
    directory = Path(os.environ.get("CI_ARTIFACTS") or Path(__file__).parent / "artifacts")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dashboard_url():
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        ensure_assets()
    except RuntimeError as error:
        missing(str(error))
    port = free_port()
    log = (artifacts_directory() / "dashboard-server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "cxsim.interfaces.cli", "dashboard",
                               "p13_cx_in_support", "--port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert server.poll() is None, "cxsim dashboard exited; see dashboard-server.log"
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no answer from {url} in {START_TIMEOUT} s"
            time.sleep(1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def chart_image(page) -> bytes:
    """A screenshot of the first chart (CSAT and FCR); vega replaces the element when
    the chart's data change, so a capture that catches the swap is taken again."""
    from playwright.sync_api import Error

    for _ in range(10):
        try:
            return page.locator(".vega-embed").first.screenshot(timeout=10_000)
        except Error:
            page.wait_for_timeout(500)
    raise AssertionError("the first chart never held still for a screenshot")


def test_step_in_a_real_browser_changes_the_plots_without_errors(dashboard_url):
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.on("console", lambda message: problems.append(f"console: {message.text}")
                    if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.goto(dashboard_url, timeout=120_000)
            step = page.get_by_role("button", name="Step")
            step.wait_for(timeout=120_000)
            page.locator(".vega-embed").first.wait_for(timeout=60_000)
            page.get_by_text("Day 0 of").wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            before = chart_image(page)
            for expected in (1, 2, 3, 4):
                step.click()
                page.get_by_text(f"Day {expected} of").wait_for(timeout=60_000)
            page.wait_for_timeout(1500)  # let vega draw the last day
            after = chart_image(page)
            page.screenshot(path=str(artifacts_directory() / "dashboard.png"), full_page=True)
            network = page.locator(".vega-embed").nth(6)
            network.scroll_into_view_if_needed()
            network.screenshot(path=str(artifacts_directory() / "dashboard-network.png"))
        finally:
            browser.close()
    assert before != after, "the CSAT/FCR chart did not change after four steps"
    assert not problems, "\n".join(problems)
