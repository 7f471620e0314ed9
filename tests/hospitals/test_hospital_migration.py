"""The hospitals migration with the loader, on SQLite and on PostgreSQL (`database_url`)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from melanoscan.hospitals.loader import ensure_loaded
from melanoscan.storage.db import make_engine, make_session_factory

migrate = pytest.importorskip("melanoscan.storage.migrate")


def test_migration_creates_the_table_then_loader_fills_it(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    assert inspect(engine).has_table("hospitals")
    assert ensure_loaded(make_session_factory(engine)) == 649
    migrate.downgrade(engine, "0001_screenings")
    assert not inspect(engine).has_table("hospitals")
    engine.dispose()


def test_migration_adopts_a_table_the_loader_created(database_url):
    engine = make_engine(database_url)
    assert ensure_loaded(make_session_factory(engine)) == 649  # fallback create_all, no Alembic yet
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert ensure_loaded(make_session_factory(engine)) == 0
    engine.dispose()
