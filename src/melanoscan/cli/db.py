"""melanoscan db: manage the database schema (Alembic, no alembic.ini) and the hospital table.

melanoscan db upgrade [--revision head]   migrate the schema
melanoscan db init                        upgrade, then load the hospital table if empty
melanoscan db downgrade --revision REV    migrate back (e.g. `base`)
melanoscan db current                     print the current and the newest revision
"""

from __future__ import annotations

import argparse
import sys

from melanoscan.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="melanoscan db", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["init", "upgrade", "downgrade", "current"])
    parser.add_argument("--revision", default=None, help="target revision (upgrade: head)")
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: SQLite in --data-dir)")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    from melanoscan.storage import migrate
    from melanoscan.storage.db import make_engine, make_session_factory

    settings = Settings.from_env(database_url=args.database_url, data_dir=args.data_dir)
    engine = make_engine(settings.resolved_database_url)
    try:
        if args.action in ("init", "upgrade"):
            migrate.upgrade(engine, args.revision or "head")
            print(f"schema at {migrate.current_revision(engine)}")
        if args.action == "init":
            from melanoscan.hospitals.loader import ensure_loaded

            print(f"hospitals loaded: {ensure_loaded(make_session_factory(engine))} new rows")
        if args.action == "downgrade":
            if not args.revision:
                print("melanoscan db downgrade: --revision is required (e.g. base)", file=sys.stderr)
                return 2
            migrate.downgrade(engine, args.revision)
            print(f"schema at {migrate.current_revision(engine)}")
        if args.action == "current":
            print(f"current: {migrate.current_revision(engine)}  head: {migrate.head_revision()}")
    finally:
        engine.dispose()
    return 0
