"""Shared fixtures: the shipped model, the real test images, real server processes, and databases
(`database_url`: each test once on SQLite and once on PostgreSQL, see tests/databases.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from databases import database_url, postgres_server  # noqa: F401  (fixtures, used by name)
from live_server import MODEL, LiveServer

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
TINY = TESTS / "data" / "isic" / "tiny"
# The hostile/awkward image corpus is shared by tests/imaging and tests/api.
sys.path.insert(0, str(TESTS / "imaging"))

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

    return create_app(**{"ort_threads": 1, "ratelimit_enabled": False, **overrides})


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
