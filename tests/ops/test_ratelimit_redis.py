"""Rate limits shared through a real Redis server, as several gunicorn workers or hosts share them.

Each test starts its own redis-server (Debian package `redis-server`, installed by
scripts/install-system-deps.sh) on 127.0.0.1 and a free port, with no persistence. Two app instances stand
for two workers: with Redis the client's limit is counted once across both.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_server import free_port
from melanoscan.api import create_app

redis = pytest.importorskip("redis", reason="the redis client (dev extra) is not installed")

SCREENINGS = "/api/v1/screenings"
PHOTO = sorted((Path(__file__).resolve().parents[1] / "data" / "isic" / "tiny").glob("*.jpg"))[0].read_bytes()
CLIENT_IP = "198.51.100.23"


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed (Debian package `redis-server`; scripts/install-system-deps.sh)")
    port = free_port()
    args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    server = subprocess.Popen([*args, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def worker(tmp_path: Path, name: str, storage_url: str, secret: str = "shared-by-every-host"):  # type: ignore[no-untyped-def]
    """One worker with its own data dir. Separate data dirs stand for separate hosts: sharing one Redis, they
    share the key secret (deploy.md); secret="" is an installation with no configured secret."""
    (tmp_path / name).mkdir()
    limits = {"ratelimit_enabled": True, "ratelimit_screenings": "3/minute", "ratelimit_storage_url": storage_url}
    settings = {"ratelimit_key_secret": secret, "trusted_proxies": 0, **limits}
    return create_app(data_dir=str(tmp_path / name), ort_threads=1, **settings).test_client()


def screen(client) -> int:  # type: ignore[no-untyped-def]
    data = {"image": (io.BytesIO(PHOTO), "photo.jpg")}
    return client.post(SCREENINGS, data=data, environ_base={"REMOTE_ADDR": CLIENT_IP}).status_code


def test_two_workers_share_one_limit_through_redis(tmp_path, redis_url):  # type: ignore[no-untyped-def]
    first, second = (worker(tmp_path, name, redis_url) for name in ("w1", "w2"))
    assert [screen(first), screen(second), screen(first)] == [200, 200, 200]
    assert screen(second) == 429  # the 4th request in the minute, whichever worker gets it
    assert screen(first) == 429
    # Redis holds counters under a keyed hash of the client, never the address itself.
    keys = b" ".join(redis.Redis.from_url(redis_url).keys("*"))
    assert keys and CLIENT_IP.encode() not in keys


def test_with_memory_storage_each_worker_counts_alone(tmp_path):  # type: ignore[no-untyped-def]
    """The documented default's limit: N workers let a client through up to N times the limit."""
    first, second = (worker(tmp_path, name, "memory://") for name in ("w1", "w2"))
    assert [screen(first) for _ in range(3)] == [200, 200, 200]
    assert screen(first) == 429 and screen(second) == 200


def test_screenings_go_on_when_redis_goes_away(tmp_path, redis_url):  # type: ignore[no-untyped-def]
    client = worker(tmp_path, "w1", redis_url)
    assert screen(client) == 200
    redis.Redis.from_url(redis_url).shutdown(nosave=True)
    assert screen(client) == 200  # fails open to in-memory counting, never a 500


def test_without_a_configured_secret_each_installation_hashes_clients_differently(tmp_path, redis_url):  # type: ignore[no-untyped-def]
    """The default secret is random per installation (data dir): two installations sharing one Redis do not
    share counters unless given the same MELANOSCAN_RATELIMIT_KEY_SECRET, and no key is a constant's HMAC."""
    first, second = (worker(tmp_path, name, redis_url, secret="") for name in ("j1", "j2"))
    assert [screen(first) for _ in range(3)] == [200, 200, 200]
    assert screen(second) == 200  # counted under another installation's key
    assert screen(first) == 429
    assert (tmp_path / "j1" / "ratelimit.key").read_bytes() != (tmp_path / "j2" / "ratelimit.key").read_bytes()
