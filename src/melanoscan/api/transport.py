"""Errors of the request body's transport become our JSON errors, not 500s with a traceback.

    app.wsgi_app = transport.BodyErrors(app.wsgi_app)

The server reads the body while Werkzeug parses the form. A malformed chunked body (gunicorn raises
InvalidChunkSize or ChunkMissingTerminator from inside that read), a client that stops sending (a read
timeout, see melanoscan.serving.worker) or one that disconnects would otherwise escape as an unexpected
exception: a 500 and a traceback per request. Here every failure of a read becomes a Werkzeug HTTP error
(400, or 408 for a timeout) that the API's error handlers answer in JSON. (gunicorn then fails to drain
the rest of the body and closes the connection, so nothing after the bad chunk is read as a request.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, cast

from werkzeug.exceptions import BadRequest, HTTPException, RequestTimeout


class _GuardedInput:
    """wsgi.input whose read errors surface as Werkzeug HTTP errors."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _guard(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._stream, method)(*args)
        except HTTPException:
            raise
        except TimeoutError as exc:
            raise RequestTimeout("The upload arrived too slowly; the connection was closed.") from exc
        except Exception as exc:
            raise BadRequest(f"The request body is malformed or incomplete ({type(exc).__name__}).") from exc

    def read(self, *args: Any) -> bytes:
        return cast(bytes, self._guard("read", *args))

    def readline(self, *args: Any) -> bytes:
        return cast(bytes, self._guard("readline", *args))

    def readlines(self, *args: Any) -> list[bytes]:
        return cast(list[bytes], self._guard("readlines", *args))

    def __iter__(self) -> Any:
        return iter(self.readline, b"")


class BodyErrors:
    """WSGI middleware: guards wsgi.input, and lets at most `upload_slots` requests with a body run at once in
    this process. Threaded workers read many requests concurrently; each upload held in memory (the body and
    its copy, up to twice the upload limit) plus its decoding would add up, so requests with a body queue
    here, before their body is read, and a worker's memory grows by about `upload_slots` uploads at most.
    Requests without a body (/healthz, pages, hospitals) never wait."""

    def __init__(self, app: Callable[..., Iterable[bytes]], upload_slots: int = 1) -> None:
        self.app = app
        self.slots = threading.BoundedSemaphore(max(1, upload_slots))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if "wsgi.input" in environ:
            environ["wsgi.input"] = _GuardedInput(environ["wsgi.input"])
        if not _has_body(environ):
            return self.app(environ, start_response)
        with self.slots:
            response = self.app(environ, start_response)
            return list(response)  # produced while the slot is held (JSON answers are one small chunk)


def _has_body(environ: dict[str, Any]) -> bool:
    length = environ.get("CONTENT_LENGTH") or "0"
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked or (length.isdigit() and int(length) > 0)
