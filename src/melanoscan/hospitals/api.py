"""`GET /api/v1/hospitals?lat=&lon=&limit=&dermatology=&order=` — hospitals to see a dermatologist at.

The table is read from the service database once per process (loading the shipped CSV into an empty
database first when `Settings.load_hospitals`), then answered from in-memory numpy arrays.

`order=dermatologist` (default): within distance bands, the kinds most likely to have a dermatologist first
(ranking.py says the rule); `order=distance`: nearest first. A position outside Korea (coverage.py) gets no
list and `coverage.covered = false` with a sentence saying the finder covers Korea only.
"""

from __future__ import annotations

import functools
import logging
import math
import threading

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from melanoscan.config import Settings
from melanoscan.errors import MelanoscanError
from melanoscan.hospitals import ATTRIBUTION, DATA_DATE
from melanoscan.hospitals.coverage import in_korea
from melanoscan.hospitals.loader import ensure_loaded, read_table
from melanoscan.hospitals.ranking import ORDERS, HospitalIndex
from melanoscan.storage.models import Hospital
from melanoscan.texts import DEFAULT_LANG, LANGS, text

log = logging.getLogger(__name__)
bp = Blueprint("hospitals", __name__)

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
_INDEX_KEY = "melanoscan.hospitals.index"
_lock = threading.Lock()


def _settings(app: Flask) -> Settings:
    return app.config["MELANOSCAN"]


def session_factory_for(app: Flask) -> sessionmaker:
    """The session factory create_app publishes for the blueprints."""
    return app.extensions["melanoscan.session_factory"]


@functools.cache
def shipped_index() -> HospitalIndex:
    """The shipped table, straight from its CSV: what a user in a hurry gets while the database is down."""
    return HospitalIndex(read_table())


def get_index(app: Flask) -> HospitalIndex:
    """Build (once per process and app) the in-memory index from the database.

    A person just told to see a dermatologist must still get a list when the database is down: then the
    shipped table answers, and the database is tried again on the next request."""
    index = app.extensions.get(_INDEX_KEY)
    if index is not None:
        return index
    with _lock:
        index = app.extensions.get(_INDEX_KEY)
        if index is None:
            factory = session_factory_for(app)
            try:
                if _settings(app).load_hospitals:
                    ensure_loaded(factory)
                with factory() as session:
                    rows = [h.to_dict() for h in session.scalars(select(Hospital).order_by(Hospital.id))]
            except SQLAlchemyError as exc:
                log.error("hospital table unreadable, answering from the shipped CSV: %s", type(exc).__name__)
                return shipped_index()
            index = HospitalIndex(rows)
            app.extensions[_INDEX_KEY] = index
    return index


def _coordinate(name: str, low: float, high: float) -> float:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        raise MelanoscanError("invalid_coordinates", f"`{name}` is required (decimal degrees, WGS84)", 422)
    try:
        value = float(raw)
    except ValueError:
        raise MelanoscanError("invalid_coordinates", f"`{name}` must be a number, got {raw!r}", 422) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise MelanoscanError("invalid_coordinates", f"`{name}` must be between {low:g} and {high:g}", 422)
    return value


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None or raw.strip() == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise MelanoscanError("invalid_limit", f"`limit` must be an integer from 1 to {MAX_LIMIT}", 422) from None
    if not 1 <= value <= MAX_LIMIT:
        raise MelanoscanError("invalid_limit", f"`limit` must be an integer from 1 to {MAX_LIMIT}", 422)
    return value


def _dermatology() -> bool:
    raw = request.args.get("dermatology")
    if raw is None or raw.strip() == "":
        return True
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise MelanoscanError("invalid_dermatology", "`dermatology` must be true or false", 422)


def _lang() -> str:
    """`?lang=` when it names a language, else Accept-Language's best match (as the API's other answers)."""
    asked = (request.args.get("lang") or "").strip().lower()[:2]
    if asked in LANGS:
        return asked
    return request.accept_languages.best_match(LANGS) or DEFAULT_LANG


def _order() -> str:
    raw = (request.args.get("order") or "").strip().lower()
    if not raw:
        return ORDERS[0]
    if raw not in ORDERS:
        raise MelanoscanError("invalid_order", f"`order` must be one of {', '.join(ORDERS)}", 422)
    return raw


@bp.get("/api/v1/hospitals")
def nearest_hospitals() -> Response:
    lat = _coordinate("lat", -90.0, 90.0)
    lon = _coordinate("lon", -180.0, 180.0)
    limit = _limit()
    dermatology = _dermatology()
    order = _order()
    covered = in_korea(lat, lon)
    found = []
    if covered:
        index = get_index(current_app._get_current_object())  # type: ignore[attr-defined]
        found = index.nearest(lat, lon, limit, dermatology=dermatology, order=order)
    response = jsonify(
        {
            "hospitals": [n.to_dict() for n in found],
            "query": {"lat": lat, "lon": lon, "limit": limit, "dermatology": dermatology, "order": order},
            "source": {"date": DATA_DATE, "attribution": ATTRIBUTION},
            "coverage": {
                "area": "KR",
                "covered": covered,
                "message": None if covered else text(_lang(), "hospitals_korea_only"),
            },
        }
    )
    # The URL carries the user's position: browsers may keep it briefly, shared caches must not.
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
