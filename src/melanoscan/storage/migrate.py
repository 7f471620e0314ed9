"""Alembic, driven from Python: no alembic.ini. `melanoscan db upgrade` and app start call upgrade().

Revisions live in `migrations/versions/`, one file per revision, each naming its `down_revision`.
To write a new one from a checkout: `python -m melanoscan.storage.migrate revision -m "add x"`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def main(argv: list[str] | None = None) -> int:  # developer helper: write a new revision file
    from alembic.config import CommandLine

    CommandLine(prog="python -m melanoscan.storage.migrate").main(argv or sys.argv[1:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
