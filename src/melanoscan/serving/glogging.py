"""gunicorn's logger without client addresses: the promise that no IP address is logged covers its lines too.

    logger_class = "melanoscan.serving.glogging.PrivateLogger"   (gunicorn.conf.py)

gunicorn and its workers write addresses in a few messages (`Invalid request from ip=...`, proxy and SSL
errors) and, when an access log is turned on, in its `%(h)s` field. Every error-log record passes a filter
that replaces IPv4 and IPv6 addresses with `<ip>`; the access log's format has no address field.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn import glogging

ACCESS_LOG_FORMAT = '"%(r)s" %(s)s %(b)s %(L)ss "%(a)s"'  # no %(h)s: the client's address
_V4 = r"(?:\d{1,3}\.){3}\d{1,3}"
_IPV4 = rf"(?<![\w.]){_V4}(?![\w.])"
# Compressed (with "::") or full eight-group IPv6, optionally ending in an IPv4 part; not a time like 05:04:33.
_IPV6 = (
    rf"(?<![\w:])(?:(?=[0-9A-Fa-f:.]*::)(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}(?:{_V4}|[0-9A-Fa-f]{{0,4}})"
    rf"|(?:[0-9A-Fa-f]{{1,4}}:){{7}}[0-9A-Fa-f]{{1,4}}|(?:[0-9A-Fa-f]{{1,4}}:){{6}}{_V4})(?![\w:.])"
)
_ADDRESS = re.compile(f"{_IPV4}|{_IPV6}")


def redact(text: str) -> str:
    return _ADDRESS.sub("<ip>", text)


class RedactAddresses(logging.Filter):
    """Rewrites a record's message with every IP address replaced by <ip>."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Listening at:"):  # the server's own address, not a client's
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class PrivateLogger(glogging.Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactAddresses) for f in logger.filters):
                logger.addFilter(RedactAddresses())
