"""The bomb corpus (tests/imaging/bomb_corpus.py) sent to a real server: each answer is a screening or our
JSON error with the security headers, and the server stays healthy. Files over the live server's 4 MiB
upload limit are covered in-process by tests/imaging/test_decode_bombs.py."""

from __future__ import annotations

import pytest
import requests
from bomb_corpus import BOMB_IDS, BOMBS, Bomb

from live_server import LIVE_MAX_UPLOAD
from melanoscan.api import SECURITY_HEADERS

SMALL = list(zip(BOMBS, BOMB_IDS, strict=True))


@pytest.mark.parametrize("bomb", [b for b, _ in SMALL], ids=[n for _, n in SMALL])
def test_bomb_over_http(live_server, bomb: Bomb):  # type: ignore[no-untyped-def]
    data = bomb.make()
    response = requests.post(
        f"{live_server.url}/api/v1/screenings",
        files={"image": (f"{bomb.name}.bin", data, "application/octet-stream")},
        timeout=60,
    )
    assert response.headers["Content-Type"].startswith("application/json")
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    if len(data) > LIVE_MAX_UPLOAD:
        assert (response.status_code, response.json()["error"]["code"]) == (413, "payload_too_large")
    elif bomb.status == 200:
        assert response.status_code == 200, response.text
        assert response.json()["status"] in ("ok", "retake")
    else:
        assert response.status_code == bomb.status, response.text
        assert response.json()["error"]["code"] == bomb.code
    assert requests.get(f"{live_server.url}/healthz", timeout=10).status_code == 200
