"""Persistence through SQLAlchemy: SQLite by default, any SQLAlchemy URL (PostgreSQL) by config."""
