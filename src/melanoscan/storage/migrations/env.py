"""Alembic environment for melanoscan, configured programmatically (see melanoscan.storage.migrate)."""

from __future__ import annotations

from typing import Any

from alembic import context

import melanoscan.storage.models  # noqa: F401  # registers the screenings and hospitals tables
from melanoscan.storage.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _configure(**kwargs: Any) -> None:
    context.configure(target_metadata=target_metadata, compare_type=True, **kwargs)


def run_offline() -> None:
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = config.attributes.get("engine") or make_engine(str(config.get_main_option("sqlalchemy.url")))
    with engine.connect() as connection:
        _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
