"""Browser tests: real `melanoscan serve` processes driven by Debian's chromium through Playwright.

Two servers start together (session scope): threshold 0.34 (the top class of three is always
reported) and threshold 1.0 (always "retake"). Requests to any host but the local server are
aborted in every browser context, so map tiles fail as they would offline.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_server import MODEL, LiveServer

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "isic" / "tiny"
SCREENS = ROOT / "test-artifacts" / "screens"
CHROMIUM = os.environ.get("MELANOSCAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
NOT_LOCAL = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"{CHROMIUM} not installed (Debian package `chromium`; `make test` / "
            "scripts/install-system-deps.sh install it; no browser is ever downloaded)"
        )
    pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def servers(tmp_path_factory, chromium_path) -> Iterator[dict[str, LiveServer]]:  # type: ignore[no-untyped-def]
    if not MODEL.exists():
        pytest.skip(f"model missing: {MODEL}")
    started = {
        "ok": LiveServer(tmp_path_factory.mktemp("web-ok"), "--threshold", "0.34"),
        "retake": LiveServer(tmp_path_factory.mktemp("web-retake"), "--threshold", "1.0"),
    }
    try:
        for server in started.values():
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(scope="session")
def server_ok(servers) -> LiveServer:  # type: ignore[no-untyped-def]
    return servers["ok"]


@pytest.fixture(scope="session")
def server_retake(servers) -> LiveServer:  # type: ignore[no-untyped-def]
    return servers["retake"]


@pytest.fixture(scope="session")
def playwright_driver(chromium_path):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver, chromium_path):  # type: ignore[no-untyped-def]
    browser = playwright_driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser):  # type: ignore[no-untyped-def]
    """Factory of phone-sized contexts (Korean by default); external hosts are blocked (offline tiles).

    The page's Content-Security-Policy forbids eval, which Playwright's wait_for_function needs, so contexts
    bypass it by default; test_content_security_policy_holds_in_a_real_session runs with it enforced."""
    contexts = []

    def make(**options):  # type: ignore[no-untyped-def]
        merged = {**PHONE, "locale": "ko-KR", "service_workers": "block", "bypass_csp": True, **options}
        context = browser.new_context(**merged)
        context.set_default_timeout(20_000)
        context.route(NOT_LOCAL, lambda route: route.abort())
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screens() -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS


@pytest.fixture(scope="session")
def lesion() -> Path:
    return TINY / "ISIC_0012258.jpg"


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.exists():
        pytest.skip(f"{AXE} missing (axe-core from npm, pinned in package-lock.json: `npm ci`, run by `make test`)")
    return AXE


@pytest.fixture(scope="session")
def camera_browser(playwright_driver, chromium_path):  # type: ignore[no-untyped-def]
    """A second Chromium whose camera is Chromium's own test pattern (no device, no permission prompt)."""
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    browser = playwright_driver.chromium.launch(executable_path=chromium_path, args=args)
    yield browser
    browser.close()
