"""The hospitals migration with the loader, on SQLite and on PostgreSQL (`database_url`)."""

from __future__ import annotations

from sqlalchemy import inspect, select

from melanoscan.hospitals.loader import ensure_loaded, read_table
from melanoscan.storage import migrate
from melanoscan.storage.db import make_engine, make_session_factory
from melanoscan.storage.models import Hospital

SHIPPED_ROWS = len(read_table())


def test_migration_creates_the_table_then_loader_fills_it(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    assert inspect(engine).has_table("hospitals")
    assert ensure_loaded(make_session_factory(engine)) == SHIPPED_ROWS
    migrate.downgrade(engine, "0001_screenings")
    assert not inspect(engine).has_table("hospitals")
    engine.dispose()


def test_migration_adopts_a_table_the_loader_created(database_url):
    engine = make_engine(database_url)
    assert ensure_loaded(make_session_factory(engine)) == SHIPPED_ROWS  # fallback create_all, no Alembic yet
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert ensure_loaded(make_session_factory(engine)) == 0
    engine.dispose()


def test_phone_migration_repairs_a_table_loaded_from_the_first_csv(database_url):
    """A database loaded before the repair: numbers as the source wrote them and one hospital twice."""
    engine = make_engine(database_url)
    migrate.upgrade(engine, "0002_hospitals")
    factory = make_session_factory(engine)
    ensure_loaded(factory)
    with factory() as session:  # put back what the first CSV had, plus an operator's own row
        busan = session.scalars(select(Hospital).where(Hospital.name == "부산대학교병원")).one()
        busan.phone = "240-7000"
        first_csv = dict(kind="hospital", dermatology=True, address="전라남도 순천시 팔마로 212 (풍덕동)")
        session.add(Hospital(name="청연우리병원", phone="746-2400", lat=34.940623, lon=127.509113, **first_csv))
        own = dict(kind="clinic", dermatology=True, address="서울특별시", lat=37.5, lon=127.0)
        session.add(Hospital(name="우리 동네 피부과", phone="123-4567", **own))
        session.commit()
    migrate.upgrade(engine)
    with factory() as session:
        assert session.scalars(select(Hospital.phone).where(Hospital.name == "부산대학교병원")).one() == "051-240-7000"
        assert session.scalars(select(Hospital.phone).where(Hospital.name == "청연우리병원")).all() == ["061-746-2400"]
        assert session.scalars(select(Hospital.phone).where(Hospital.name == "우리 동네 피부과")).one() == "123-4567"
        assert len(session.scalars(select(Hospital.id)).all()) == SHIPPED_ROWS + 1
    engine.dispose()


def test_military_migration_removes_only_the_shipped_armed_forces_rows(database_url):
    """A database loaded before the 2026-12 correction still lists armed-forces hospitals; 0006 removes them
    and leaves an operator's own rows, even one with a military-sounding name elsewhere."""
    engine = make_engine(database_url)
    migrate.upgrade(engine, "0005_screening_carcinoma_alert")
    factory = make_session_factory(engine)
    ensure_loaded(factory)
    old = dict(kind="hospital", dermatology=True, address="경기도", phone="031-000-0000")
    with factory() as session:  # what the earlier table had, plus two rows of the operator's
        session.add(Hospital(name="국군고양병원", lat=37.718913, lon=126.896992, **old))
        session.add(Hospital(name="해군해양의료원", lat=35.14627, lon=128.712924, **old))
        session.add(Hospital(name="국군고양병원", lat=37.7, lon=126.9, **old))  # not a shipped row: stays
        session.add(Hospital(name="우리 동네 피부과", lat=37.5, lon=127.0, **old))
        session.commit()
    migrate.upgrade(engine)
    with factory() as session:
        names = session.scalars(select(Hospital.name)).all()
        assert "해군해양의료원" not in names
        assert session.scalars(select(Hospital.lat).where(Hospital.name == "국군고양병원")).all() == [37.7]
        assert "우리 동네 피부과" in names
        assert len(names) == SHIPPED_ROWS + 2
    engine.dispose()
