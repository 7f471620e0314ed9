"""Every error leaves as `{"error": {"code": str, "message": str}}` with its status; never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from melanoscan.api import i18n
from melanoscan.errors import MelanoscanError

log = logging.getLogger("melanoscan.api")

# Stable codes for the HTTP errors Werkzeug raises.
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_content_type",
    500: "internal_error",
}


def error_response(code: str, message: str, status: int) -> tuple[Response, int]:
    lang = i18n.request_lang()
    response = jsonify({"error": {"code": code, "message": i18n.error_text(lang, code, message)}})
    response.headers["Content-Language"] = lang
    return response, status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(MelanoscanError)
    def _answered(exc: MelanoscanError) -> tuple[Response, int]:
        """Every error raised on purpose (a bad upload, a bad query): its code, message and status."""
        return error_response(exc.code, exc.message, exc.status)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        status = exc.code or 500
        code = _HTTP_CODES.get(status, exc.name.lower().replace(" ", "_"))
        message = exc.description or exc.name
        if status == 413:
            limit = current_app.config.get("MAX_CONTENT_LENGTH")
            declared = request.content_length
            if limit and (declared is None or declared > limit):  # None: chunked, cut off at the limit
                message = f"The upload is too large; the limit is {limit / 2**20:g} MiB."
            else:  # a small body with too many form parts or too large a text field (Werkzeug's form limits)
                message = "The form has too many parts or too large a field; send just the photo as 'image'."
        response, status = error_response(code, message, status)
        for name, value in exc.get_headers():  # e.g. Allow on a 405
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        # A bug: log it with its traceback on our side, answer a plain JSON 500 to the client.
        log.exception("unhandled error: %s", type(exc).__name__)
        return error_response("internal_error", "Something went wrong on our side. Please try again.", 500)
