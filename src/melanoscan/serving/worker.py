"""gunicorn worker for melanoscan: threads for slow clients, read timeouts, and transport errors answered as ours.

    worker_class = "melanoscan.serving.worker.ThreadWorker"   (gunicorn.conf.py)

Why not gunicorn's stock workers:
- sync workers serve one connection at a time: two clients that declare a body and never send it hold both
  workers until the worker timeout, and /healthz goes unanswered. Threads read uploads concurrently (the
  decoding itself runs one at a time per process, see imaging.decode), and every client socket gets a read
  timeout (Settings.client_read_timeout), so a stalled client frees its thread after that many seconds.
- gunicorn answers a request it cannot parse (a 9 KB header, 100 headers, a 20 KB URL, duplicate or negative
  Content-Length, Content-Length with Transfer-Encoding, a bad chunk size) with its own HTML page and logs
  `Invalid request from ip=...`. Here the answer is the API's JSON error with its security headers, and the
  log line names the error class only.
"""

from __future__ import annotations

import errno
import json
import socket
from typing import Any

from gunicorn.http import errors as http_errors
from gunicorn.workers import gthread

from melanoscan.config import Settings

# gunicorn's parse errors -> (HTTP status, reason, our error code). Anything else a client sent: 400.
_CLIENT_ERRORS: list[tuple[type[BaseException], int, str, str]] = [
    (http_errors.LimitRequestLine, 414, "URI Too Long", "uri_too_long"),
    (http_errors.LimitRequestHeaders, 431, "Request Header Fields Too Large", "header_fields_too_large"),
    (http_errors.ExpectationFailed, 417, "Expectation Failed", "bad_request"),
    (http_errors.UnsupportedTransferCoding, 501, "Not Implemented", "bad_request"),
    (http_errors.ForbiddenProxyRequest, 403, "Forbidden", "bad_request"),
]
_APP_ERRORS = (http_errors.InvalidResponseHeader, http_errors.InvalidResponseHeaderName)


class ClientReadTimeout(http_errors.NoMoreData, TimeoutError):
    """A client sent nothing for the read timeout. gunicorn treats it as a disconnect while it reads headers;
    inside the app (the upload) it is a TimeoutError, which the API answers with 408."""


class _ReadTimeoutSocket(socket.socket):
    """A client socket whose blocking reads and writes give up after `read_timeout` seconds."""

    __slots__ = ()
    read_timeout: float = 10.0

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(self.read_timeout)
        else:
            super().setblocking(False)

    def recv(self, *args: Any) -> bytes:
        try:
            return super().recv(*args)
        except TimeoutError:
            raise ClientReadTimeout(b"") from None

    def sendall(self, *args: Any) -> None:
        try:
            super().sendall(*args)
        except TimeoutError:  # a client that does not read its answer: gunicorn drops it quietly
            raise BrokenPipeError(errno.EPIPE, "client stopped reading") from None


def bound_malloc() -> None:
    """glibc gives each thread its own malloc arena and keeps freed heap memory per arena, and it raises its
    mmap threshold after big frees, so a threaded worker's RSS ratchets up with every big upload a new thread
    handles (measured: +569 MB after a burst of hostile uploads). One arena and a fixed 1 MiB mmap threshold
    (buffers above it are mapped and unmapped, returned to the system when freed) keep the worker's RSS at
    its requests' own peak. A no-op where glibc's mallopt is not available."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_arena_max, m_mmap_threshold = -8, -3
    mallopt(m_arena_max, 1)
    mallopt(m_mmap_threshold, 1 << 20)


class ThreadWorker(gthread.ThreadWorker):
    """gunicorn's gthread worker with read timeouts and JSON transport errors (see the module docstring)."""

    def init_process(self) -> None:
        bound_malloc()
        _ReadTimeoutSocket.read_timeout = float(Settings.from_env().client_read_timeout)
        super().init_process()

    def enqueue_req(self, conn: Any) -> None:
        if type(conn.sock) is socket.socket:
            conn.sock.__class__ = _ReadTimeoutSocket
        super().enqueue_req(conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if isinstance(exc, _APP_ERRORS) or not isinstance(exc, (http_errors.ParseException, OSError)):
            super().handle_error(req, client, ("", -1), exc)  # a bug of ours: gunicorn's 500, no address
            return
        status, reason, code = 400, "Bad Request", "bad_request"
        for kind, kind_status, kind_reason, kind_code in _CLIENT_ERRORS:
            if isinstance(exc, kind):
                status, reason, code = kind_status, kind_reason, kind_code
                break
        self.log.warning("refused a malformed request: %s -> %d", type(exc).__name__, status)
        try:
            client.sendall(error_response(status, reason, code))
        except OSError:
            self.log.debug("could not send the error answer")


def error_response(status: int, reason: str, code: str) -> bytes:
    """A complete HTTP/1.1 response carrying the API's error JSON and security headers; the connection closes."""
    from melanoscan.api import SECURITY_HEADERS
    from melanoscan.texts import error_text

    body = json.dumps({"error": {"code": code, "message": error_text("en", code)}}).encode()
    headers = {
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "Content-Language": "en",
        "Cache-Control": "no-store",
        "Connection": "close",
        **SECURITY_HEADERS,
    }
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("latin-1") + body
