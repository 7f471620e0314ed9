"""Browser tests: real `melanoscan serve` processes driven by Debian's chromium through Playwright.

Two servers start together (session scope): threshold 0.34 (the top class of three is always
reported) and threshold 1.0 (always "retake"). Requests to any host but the local server are
aborted in every browser context, so map tiles fail as they would offline.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "melanoscan.onnx"
TINY = ROOT / "tests" / "data" / "isic" / "tiny"
SCREENS = ROOT / "test-artifacts" / "screens"
CHROMIUM = os.environ.get("MELANOSCAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
NOT_LOCAL = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One `python -m melanoscan.cli serve` process on a free port with its own data dir."""

    def __init__(self, data_dir: Path, threshold: float) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        self.database = data_dir / "data" / "melanoscan.db"
        env = {**os.environ, "MELANOSCAN_ORT_THREADS": "1", "MELANOSCAN_RATELIMIT_ENABLED": "0",
               "MELANOSCAN_WORKERS": "1"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        command = [sys.executable, "-m", "melanoscan.cli", "serve", "--port", str(self.port),
                   "--data-dir", str(data_dir / "data"), "--model", str(MODEL), "--workers", "1",
                   "--threshold", str(threshold)]
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120.0) -> None:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"server not up after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (Debian package `chromium`; `make test` / "
                    "scripts/install-system-deps.sh install it; no browser is ever downloaded)")
    pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def servers(tmp_path_factory, chromium_path) -> Iterator[dict[str, Server]]:  # type: ignore[no-untyped-def]
    if not MODEL.exists():
        pytest.skip(f"model missing: {MODEL}")
    started = {
        "ok": Server(tmp_path_factory.mktemp("web-ok"), 0.34),
        "retake": Server(tmp_path_factory.mktemp("web-retake"), 1.0),
    }
    try:
        for server in started.values():
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(scope="session")
def server_ok(servers) -> Server:  # type: ignore[no-untyped-def]
    return servers["ok"]


@pytest.fixture(scope="session")
def server_retake(servers) -> Server:  # type: ignore[no-untyped-def]
    return servers["retake"]


@pytest.fixture(scope="session")
def browser(chromium_path):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser):  # type: ignore[no-untyped-def]
    """Factory of phone-sized contexts (Korean by default); external hosts are blocked (offline tiles)."""
    contexts = []

    def make(**options):  # type: ignore[no-untyped-def]
        merged = {**PHONE, "locale": "ko-KR", "service_workers": "block", **options}
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
