"""Shared fixtures: the shipped model, the real test images, and real server processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
MODEL = ROOT / "models" / "melanoscan.onnx"
TINY = TESTS / "data" / "isic" / "tiny"
# The hostile/awkward image corpus is shared by tests/imaging and tests/api.
sys.path.insert(0, str(TESTS / "imaging"))

# Upload limit of the live servers: small, so the "body too large" case stays cheap to send.
LIVE_MAX_UPLOAD = 4 * 1024 * 1024
# Low enough that the top class of three (always >= 1/3) is reported: exercises the "ok" path
# whatever the model says.
LOW_THRESHOLD = 0.34


@pytest.fixture(scope="session")
def model_path() -> Path:
    assert MODEL.exists(), f"shipped model missing: {MODEL}"
    return MODEL


@pytest.fixture(scope="session")
def tiny_images() -> list[Path]:
    paths = sorted(TINY.glob("*.jpg"))
    assert len(paths) >= 5
    return paths


@pytest.fixture(scope="session")
def classifier(model_path):  # type: ignore[no-untyped-def]
    from melanoscan.inference.engine import Classifier

    return Classifier(model_path, threads=1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """`melanoscan serve` (gunicorn, one worker) in its own process, on a free port, with its own data dir."""

    def __init__(self, data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        child_env = {
            **os.environ,
            "MELANOSCAN_ORT_THREADS": "1",
            "MELANOSCAN_MAX_UPLOAD_BYTES": str(LIVE_MAX_UPLOAD),
            "MELANOSCAN_RATELIMIT_ENABLED": "0",  # the corpus sends far more than a person would
            **(env or {}),
        }
        child_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        command = [sys.executable, "-m", "melanoscan.cli", "serve", "--port", str(self.port),
                   "--data-dir", str(data_dir), "--model", str(MODEL), "--workers", "1", *extra]
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=child_env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=10).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not up after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def _serve(tmp_path_factory: pytest.TempPathFactory, name: str, *extra: str) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp(name), *extra)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The service as shipped (threshold 0.5), a real gunicorn process on a free port."""
    yield from _serve(tmp_path_factory, "live")


@pytest.fixture(scope="session")
def live_server_ok(tmp_path_factory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """Same, with a threshold low enough that every valid photo gets a reported label."""
    yield from _serve(tmp_path_factory, "live-ok", "--threshold", str(LOW_THRESHOLD))


def make_app(**overrides):  # type: ignore[no-untyped-def]
    """create_app with one ORT thread and no rate limit (tests send many screenings from one client)."""
    from melanoscan.api import create_app

    saved = os.environ.get("MELANOSCAN_RATELIMIT_ENABLED")
    os.environ["MELANOSCAN_RATELIMIT_ENABLED"] = "0"
    try:
        return create_app(**{"ort_threads": 1, **overrides})
    finally:
        if saved is None:
            os.environ.pop("MELANOSCAN_RATELIMIT_ENABLED", None)
        else:
            os.environ["MELANOSCAN_RATELIMIT_ENABLED"] = saved


@pytest.fixture(scope="session")
def app(tmp_path_factory):  # type: ignore[no-untyped-def]
    """One in-process app for Flask test-client tests (threshold 0.5, SQLite in a temp dir)."""
    return make_app(data_dir=str(tmp_path_factory.mktemp("app")))


@pytest.fixture()
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture(scope="session")
def app_factory():  # type: ignore[no-untyped-def]
    """make_app, for tests that need an app with their own settings."""
    return make_app
