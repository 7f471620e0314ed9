"""The hospital table loader, on SQLite and on PostgreSQL (`database_url`, tests/databases.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from melanoscan.hospitals.loader import ensure_loaded, read_table
from melanoscan.storage.db import make_engine, make_session_factory
from melanoscan.storage.models import Hospital


def _factory(database_url):
    return make_session_factory(make_engine(database_url))


def test_ensure_loaded_is_idempotent(database_url):
    factory = _factory(database_url)
    assert ensure_loaded(factory) == 633
    assert ensure_loaded(factory) == 0
    assert ensure_loaded(_factory(database_url)) == 0  # a second process on the same database
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Hospital)) == 633
        seoul = session.scalars(select(Hospital).where(Hospital.name == "서울대학교병원")).one()
        assert seoul.kind == "tertiary_hospital" and seoul.dermatology is True
        assert 37.5 < seoul.lat < 37.6 and 126.9 < seoul.lon < 127.1


def test_never_touches_a_loaded_table(database_url):
    factory = _factory(database_url)
    ensure_loaded(factory)
    with factory() as session:
        session.query(Hospital).filter(Hospital.kind == "hospital").delete()
        session.commit()
        remaining = session.scalar(select(func.count()).select_from(Hospital))
    assert ensure_loaded(factory) == 0
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Hospital)) == remaining


def test_shipped_table_round_trips(database_url):
    rows = read_table()
    factory = _factory(database_url)
    ensure_loaded(factory)
    with factory() as session:
        stored = [h.to_dict() for h in session.scalars(select(Hospital).order_by(Hospital.id))]
    assert stored == rows
