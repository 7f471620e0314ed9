"""The one error type the service answers on purpose: a stable code, an HTTP status and a message.

At the bottom of the package (imports nothing of ours), so every part can raise it: imaging refuses an
upload, the API a malformed request, hospitals a bad coordinate. The API turns it into
`{"error": {"code": ..., "message": ...}}` with its status in one handler (melanoscan.api.errors).
"""

from __future__ import annotations


class MelanoscanError(Exception):
    """An error answered on purpose (as opposed to a bug). `code` is stable and machine-readable."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
