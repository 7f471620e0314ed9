"""Transport errors against a real `melanoscan serve` (gunicorn) process: every answer is ours.

Malformed requests that gunicorn refuses before the app (header and URL limits, bad Content-Length or
Transfer-Encoding) and body errors raised while the app reads the upload (a bad chunk size, a client that
stops sending) must all get the API's JSON error with its security headers; the log holds neither a
traceback nor the client's address; a few stalled clients do not keep /healthz from answering.
"""

from __future__ import annotations

import json
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from live_server import LiveServer
from melanoscan.api import SECURITY_HEADERS

TINY = sorted((Path(__file__).resolve().parents[1] / "data" / "isic" / "tiny").glob("*.jpg"))
SCREENINGS = "/api/v1/screenings"
READ_TIMEOUT = 2  # the server's client read timeout in these tests (seconds)

MULTIPART = b"Content-Type: multipart/form-data; boundary=b\r\n"
MALFORMED: dict[str, tuple[bytes, int, str]] = {
    "chunk_size_not_hex": (
        b"POST "
        + SCREENINGS.encode()
        + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        + MULTIPART
        + b"\r\nzz\r\nabc\r\n0\r\n\r\n",
        400,
        "bad_request",
    ),
    "chunk_size_bad_after_a_good_chunk": (
        b"POST "
        + SCREENINGS.encode()
        + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        + MULTIPART
        + b"\r\n5\r\n--b\r\n\r\n-7\r\nabc\r\n0\r\n\r\n",
        400,
        "bad_request",
    ),
    "duplicate_content_length": (
        b"POST "
        + SCREENINGS.encode()
        + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
        400,
        "bad_request",
    ),
    "negative_content_length": (
        b"POST " + SCREENINGS.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        400,
        "bad_request",
    ),
    "content_length_with_transfer_encoding": (
        b"POST " + SCREENINGS.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        "bad_request",
    ),
    "header_of_9_kb": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
        431,
        "header_fields_too_large",
    ),
    "100_headers": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(100)) + b"\r\n",
        431,
        "header_fields_too_large",
    ),
    "url_of_20_kb": (b"GET /healthz?" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
    "declared_body_over_the_limit": (
        b"POST " + SCREENINGS.encode() + b" HTTP/1.1\r\nHost: x\r\n" + MULTIPART + b"Content-Length: 999999999\r\n\r\n",
        413,
        "payload_too_large",
    ),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    live = LiveServer(
        tmp_path_factory.mktemp("transport"),
        env={"MELANOSCAN_CLIENT_READ_TIMEOUT": str(READ_TIMEOUT), "MELANOSCAN_RATELIMIT_ENABLED": "1"},
    )
    try:
        live.wait_ready()
        yield live
    finally:
        live.stop()


def send_raw(server: LiveServer, request: bytes, timeout: float = 15.0) -> bytes:
    """Send bytes as they are and read until the server closes the connection or the answer is complete."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while True:
            try:
                data = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not data:
                break
            answer += data
            if _complete(answer):
                break
        return answer


def _complete(answer: bytes) -> bool:
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_requests_get_our_json_error(server: LiveServer, name: str):
    request, expected_status, expected_code = MALFORMED[name]
    status, headers, body = parse(send_raw(server, request))
    assert status == expected_status
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["code"] == expected_code and error["message"]
    for header, value in SECURITY_HEADERS.items():
        assert headers[header.lower()] == value
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_a_well_formed_chunked_upload_is_screened(server: LiveServer):
    photo = TINY[0].read_bytes()
    body = b"--b\r\nContent-Disposition: form-data; name=image; filename=a.jpg\r\n\r\n" + photo + b"\r\n--b--\r\n"
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 4000]), body[i : i + 4000]) for i in range(0, len(body), 4000)
    )
    request = (
        b"POST "
        + SCREENINGS.encode()
        + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
        + MULTIPART
        + b"\r\n"
        + chunks
        + b"0\r\n\r\n"
    )
    status, _, answer = parse(send_raw(server, request))
    assert status == 200, answer
    assert json.loads(answer)["status"] in ("ok", "retake")


def test_a_stalled_upload_gets_a_408_after_the_read_timeout(server: LiveServer):
    request = (
        b"POST "
        + SCREENINGS.encode()
        + b" HTTP/1.1\r\nHost: x\r\n"
        + MULTIPART
        + b"Content-Length: 5000\r\n\r\n--b\r\n"
    )
    started = time.monotonic()
    status, headers, body = parse(send_raw(server, request, timeout=READ_TIMEOUT + 10))
    assert status == 408
    assert json.loads(body)["error"]["code"] == "request_timeout"
    assert headers["x-content-type-options"] == "nosniff"
    assert READ_TIMEOUT - 0.5 <= time.monotonic() - started < READ_TIMEOUT + 8


def test_stalled_clients_do_not_starve_healthz(server: LiveServer):
    """Six clients declare a body and never send it, two never finish their headers; /healthz keeps
    answering meanwhile, and every stalled connection is closed by the server within the read timeout."""
    stalled: list[socket.socket] = []
    try:
        for _ in range(6):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            sock.sendall(
                b"POST "
                + SCREENINGS.encode()
                + b" HTTP/1.1\r\nHost: x\r\n"
                + MULTIPART
                + b"Content-Length: 100000\r\n\r\n"
            )
            stalled.append(sock)
        for _ in range(2):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            stalled.append(sock)
        time.sleep(0.5)
        for _ in range(5):
            assert requests.get(f"{server.url}/healthz", timeout=3).status_code == 200
        deadline = time.monotonic() + READ_TIMEOUT + 15
        for sock in stalled:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
            assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]
    finally:
        for sock in stalled:
            sock.close()


def test_the_log_has_no_client_address_and_no_traceback(server: LiveServer):
    for request, _, _ in MALFORMED.values():
        send_raw(server, request)
    time.sleep(0.5)
    log = server.log_path.read_text(errors="replace")
    assert "refused a malformed request" in log  # the cases above were logged, without their source
    assert "Traceback" not in log
    for line in log.splitlines():
        if "127.0.0.1" in line:
            assert "Listening at:" in line, line  # the server's own bind address, nothing else


def test_the_rate_limit_secret_is_random_and_kept_in_the_data_dir(server: LiveServer):
    key = server.data_dir / "ratelimit.key"
    assert key.exists()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32


def test_the_secret_survives_restarts_and_differs_per_installation(tmp_path: Path):
    from melanoscan.api.ratelimit import installation_secret

    first = installation_secret(tmp_path / "a")
    assert installation_secret(tmp_path / "a") == first  # a restart reads the same key
    assert installation_secret(tmp_path / "b") != first
    assert not list((tmp_path / "a").glob(".ratelimit.key.*"))  # no temporary file left behind


def test_gunicorn_log_lines_lose_every_address():
    from melanoscan.serving.glogging import redact

    assert redact("Invalid request from ip=203.0.113.77: bad") == "Invalid request from ip=<ip>: bad"
    assert redact("peer 2001:db8::1 and ::ffff:10.0.0.1 left") == "peer <ip> and <ip> left"
    assert redact("from fe80:0:0:0:202:b3ff:fe1e:8329 now") == "from <ip> now"
    kept = "worker 1234 booted at 05:04:33 in 0.5 s, version 1.2.3"
    assert redact(kept) == kept
