"""Why an upload could not be used, with the HTTP status the API answers it with."""

from __future__ import annotations

from melanoscan.errors import MelanoscanError


class ImageRejected(MelanoscanError):
    """An upload that is not a usable photo (the CLI prints it per file; the API answers it like any
    MelanoscanError)."""
