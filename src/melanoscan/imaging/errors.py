"""Why an upload could not be used, with the HTTP status the API answers it with."""

from __future__ import annotations


class ImageRejected(Exception):
    """An upload that is not a usable photo. `code` is stable and machine-readable."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
