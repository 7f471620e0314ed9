"""Load the shipped hospital table into the service database, once.

`ensure_loaded(session_factory)` is called by `create_app` on start (when `Settings.load_hospitals`),
by `melanoscan db init`, and lazily by the API on its first request. It inserts the CSV rows only
when the `hospitals` table is empty, so it is idempotent; two processes starting together cannot
double the table because (name, lat, lon) is unique: the loser's insert fails and is rolled back.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import cast

from sqlalchemy import Table, func, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from melanoscan.hospitals import TABLE_PATH
from melanoscan.storage.models import Hospital

log = logging.getLogger(__name__)
HOSPITALS = cast(Table, Hospital.__table__)  # a declared table (typed FromClause by SQLAlchemy)


def read_table(path: str | Path = TABLE_PATH) -> list[dict]:
    """The shipped CSV as dicts with typed values (bool dermatology, float lat/lon)."""
    rows = []
    with Path(path).open(encoding="utf-8", newline="") as fh:
        for raw in csv.DictReader(fh):
            rows.append(
                {
                    "name": raw["name"],
                    "kind": raw["kind"],
                    "dermatology": raw["dermatology"] == "true",
                    "address": raw["address"],
                    "phone": raw["phone"],
                    "lat": float(raw["lat"]),
                    "lon": float(raw["lon"]),
                }
            )
    return rows


def _ensure_table(session_factory: sessionmaker) -> None:
    """Create the hospitals table when no migration has (fallback for a database without Alembic)."""
    engine = session_factory.kw["bind"]
    if not inspect(engine).has_table(Hospital.__tablename__):
        Hospital.metadata.create_all(engine, tables=[HOSPITALS], checkfirst=True)


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Hospital)) or 0)


def ensure_loaded(session_factory: sessionmaker, path: str | Path = TABLE_PATH) -> int:
    """Load `path` into an empty hospitals table; return the rows inserted (0 when already loaded)."""
    _ensure_table(session_factory)
    with session_factory() as session:
        if count(session):
            return 0
        rows = read_table(path)
        try:
            session.execute(HOSPITALS.insert(), rows)
            session.commit()
        except (IntegrityError, OperationalError) as exc:
            # Another process loaded it at the same moment (unique (name, lat, lon)), or holds the lock.
            session.rollback()
            if count(session):
                log.info("hospital table loaded by another process")
                return 0
            raise exc
    log.info("loaded %d hospitals from %s", len(rows), path)
    return len(rows)
