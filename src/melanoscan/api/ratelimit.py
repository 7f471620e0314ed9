"""Per-client rate limits on the screening endpoint (Flask-Limiter), answered with 429 JSON.

One line in the app factory wires it in, whatever order the blueprints are registered in:

    ratelimit.init_app(app, settings)

Only `POST /api/v1/screenings` is limited (the one expensive endpoint); health, readiness, metrics,
the OpenAPI document, hospitals and static files never are. Configuration (melanoscan.config.Settings,
from these environment variables):

    MELANOSCAN_RATELIMIT_SCREENINGS   limits per client, ';'-separated (default "30/minute;500/day");
                                      "" or "off": none
    MELANOSCAN_RATELIMIT_STORAGE_URL  where counters live (default "memory://"); shared by several
                                      workers/hosts: "redis://host:6379/0" (needs the `redis` extra)
    MELANOSCAN_RATELIMIT_ENABLED      "0" turns every limit off (benchmarks, tests); default "1"
    MELANOSCAN_TRUSTED_PROXIES        reverse proxies in front of the app (default 0). N > 0 takes the
                                      client address from the N-th X-Forwarded-For entry from the right
                                      (werkzeug ProxyFix). Leave 0 when clients connect directly: the
                                      header is then ignored, as anyone can forge it.

With `memory://` each gunicorn worker counts on its own, so a client gets up to workers x the limit;
use Redis when the limit has to be exact across workers and hosts. If the storage is unreachable the
limiter fails open (requests are served, counted in memory) rather than taking the service down.

Privacy: the limiter's key is an HMAC of the client address, so neither memory nor Redis ever holds a raw
IP address. Its secret is MELANOSCAN_RATELIMIT_KEY_SECRET when set; otherwise 32 random bytes made once per
installation and kept in `<data_dir>/ratelimit.key` (mode 0600), so counters survive restarts and the hashed
keys cannot be reversed by hashing the whole IPv4 space with a known constant. Several hosts sharing one
Redis need the same secret: set the variable on each (or copy the file).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from flask import Flask, current_app, jsonify, request
from flask_limiter import Limiter
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from melanoscan.api import i18n
from melanoscan.config import Settings

SCREENINGS_RULE = "/api/v1/screenings"
SCREENINGS_METHOD = "POST"
EXTENSION_KEY = "melanoscan_limiter"
SECRET_FILE = "ratelimit.key"


def installation_secret(data_dir: Path) -> bytes:
    """This installation's random HMAC secret: read from data_dir, or made there once (0600).
    Several workers may start at once: the file is written aside and linked into place, so one wins."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".{SECRET_FILE}.{os.getpid()}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip().encode()


def client_key() -> str:
    """The limiter's key: a keyed hash of the client address (never the address itself)."""
    address = request.remote_addr or "unknown"
    secret = current_app.extensions[EXTENSION_KEY + "_secret"]
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]


def is_screening_request() -> bool:
    rule = request.url_rule
    if rule is None or request.method != SCREENINGS_METHOD:
        return False
    return rule.rule.rstrip("/") == SCREENINGS_RULE


def _rate_limited(exc: TooManyRequests):  # type: ignore[no-untyped-def]
    # The limit itself is in the X-RateLimit-Limit header; the message (from i18n) says when to retry.
    retry_after = _retry_after_seconds()
    lang = i18n.request_lang()
    message = i18n.error_text(lang, "rate_limited", retry_after=retry_after)
    response = jsonify({"error": {"code": "rate_limited", "message": message}})
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Content-Language"] = lang
    return response


def _retry_after_seconds() -> int:
    limiter: Limiter | None = current_app.extensions.get(EXTENSION_KEY)
    try:
        current = limiter.current_limit if limiter is not None else None
        if current is not None:
            return max(1, int(current.reset_at - time.time()))
    except Exception:  # a storage hiccup must not turn a 429 into a 500
        pass
    return 60


def _retry_after_only_on_429(response):  # type: ignore[no-untyped-def]
    if response.status_code != 429:
        response.headers.pop("Retry-After", None)
    return response


def init_app(app: Flask, settings: Settings) -> Limiter | None:
    """Install the limiter on `app`. Returns it (None when limits are turned off)."""
    trusted = settings.trusted_proxies
    if trusted and not isinstance(app.wsgi_app, ProxyFix):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)  # type: ignore[method-assign]

    limits = settings.ratelimit_screenings.strip()
    enabled = settings.ratelimit_enabled and limits.lower() not in ("", "off", "none", "0")
    app.register_error_handler(429, _rate_limited)
    if not enabled:
        return None

    configured = settings.ratelimit_key_secret
    secret = configured.encode() if configured else installation_secret(Path(settings.data_dir))
    app.extensions[EXTENSION_KEY + "_secret"] = secret
    # Registered before the limiter's own hook, so it runs after it: Retry-After only on a 429.
    app.after_request(_retry_after_only_on_429)
    limiter = Limiter(
        client_key,
        app=app,
        # "Default" limits apply to every route without its own; exempting every request but a
        # screening makes them the screening endpoint's limits, with no decorator in the API's code.
        default_limits=[limits],
        default_limits_exempt_when=lambda: not is_screening_request(),
        storage_uri=settings.ratelimit_storage_url,
        strategy="moving-window",
        headers_enabled=True,
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        key_prefix="melanoscan",
    )
    app.extensions[EXTENSION_KEY] = limiter
    return limiter
