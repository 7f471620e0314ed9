"""Structured logs: one JSON line per request, a request id echoed to the client, JSON app logs.

    request_log.init_app(app)

Every request gets an id: the client's `X-Request-ID` when it is a short safe token (letters, digits,
`-_.:`, at most 64 characters; a proxy or the web client may set it to follow one request across
systems), else a fresh random one. It is echoed in the `X-Request-ID` response header and put on
every log line written while the request is handled.

The access line (logger `melanoscan.access`) holds: ts, level, logger, msg, request_id, method, path,
status, duration_ms, bytes_in, bytes_out, and `lang` when the query asks for one of the known
languages. Deliberately never: the client's IP address, the image or any other body, headers, the
query string (beyond lang). Logs go to stderr (gunicorn passes that to its error log / journald).

Level: Settings.log_level (MELANOSCAN_LOG_LEVEL, default INFO; WARNING silences the access lines).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

ACCESS_LOGGER = "melanoscan.access"
REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_LANGS = frozenset({"ko", "en"})
# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def current_request_id() -> str | None:
    if has_request_context():
        request_id: str | None = g.get("request_id")
        return request_id
    return None


class JsonFormatter(logging.Formatter):
    """A log record -> one JSON object per line: ts, level, logger, msg, request_id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _install_handler(logger: logging.Logger, level: int) -> None:
    """Give `logger` one JSON handler on stderr (idempotent: one per process, however many apps)."""
    logger.setLevel(level)
    if not any(getattr(h, "_melanoscan_json", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._melanoscan_json = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.propagate = False


def _request_id_from_client() -> str | None:
    value = request.headers.get(REQUEST_ID_HEADER, "")
    return value if _SAFE_ID.match(value) else None


def init_app(app: Flask, log_level: str = "INFO") -> None:
    named = logging.getLevelName(log_level.upper())
    level = named if isinstance(named, int) else logging.INFO
    # The app's own logger and the package's (melanoscan.*) write JSON; so does the access log.
    app.logger.removeHandler(default_handler)  # Flask's plain-text handler: one format, not two
    for logger in (app.logger, logging.getLogger("melanoscan")):
        _install_handler(logger, level)
    access = logging.getLogger(ACCESS_LOGGER)
    _install_handler(access, level)

    @app.before_request
    def _start() -> None:
        g.request_id = _request_id_from_client() or uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        # A before_request hook that answered first (e.g. the rate limiter's 429) skipped _start.
        request_id = g.get("request_id") or _request_id_from_client() or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        fields: dict[str, Any] = {
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            "bytes_in": request.content_length or 0,
            "bytes_out": response.calculate_content_length(),
        }
        lang = request.args.get("lang", "")
        if lang in _LANGS:
            fields["lang"] = lang
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        access.log(level, "%s %s %s", request.method, request.path, response.status_code, extra=fields)
        return response
