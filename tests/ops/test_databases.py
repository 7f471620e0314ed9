"""Alembic migrations against both SQLite and PostgreSQL (same tests, `database_url`: tests/databases.py).

The storage and hospital tests (tests/storage, tests/hospitals) run on both databases themselves;
what is here is only the schema: upgrading an empty database, downgrading, and schema == models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from melanoscan.storage import migrate
from melanoscan.storage.db import Base, make_engine


def test_alembic_upgrades_an_empty_database_to_head(database_url: str) -> None:
    engine = make_engine(database_url)
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"screenings", "alembic_version"} <= tables
    engine.dispose()


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    """What the migrations build is what the SQLAlchemy models describe (no missing/extra columns)."""
    import melanoscan.storage.models  # noqa: F401  # screenings and hospitals

    engine = make_engine(database_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    # Index naming may differ per backend; tables and columns must not.
    structural = [d for d in diff if d[0] in ("add_table", "remove_table", "add_column", "remove_column")]
    assert structural == []
    engine.dispose()


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert not inspect(engine).has_table("screenings")
    migrate.upgrade(engine)
    assert inspect(engine).has_table("screenings")
    engine.dispose()
