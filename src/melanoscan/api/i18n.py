"""The request's language: `?lang=ko|en`, else the best match of `Accept-Language`, else English.

The texts themselves live in melanoscan.texts (no Flask), re-exported here for the API's modules.
"""

from __future__ import annotations

from flask import request

from melanoscan.texts import DEFAULT_LANG, EN, KO, LANGS, MESSAGES, error_text, label_name, text

__all__ = ["DEFAULT_LANG", "EN", "KO", "LANGS", "MESSAGES", "error_text", "label_name", "request_lang", "text"]


def request_lang() -> str:
    """`?lang=` if it names a supported language, else Accept-Language's best match, else English.
    Never raises: outside a request, or with a header too broken to parse, the answer is English."""
    try:
        asked = (request.args.get("lang") or "").strip().lower()[:2]
        if asked in MESSAGES:
            return asked
        return request.accept_languages.best_match(LANGS) or DEFAULT_LANG
    except Exception:
        return DEFAULT_LANG
