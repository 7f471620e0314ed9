from __future__ import annotations

import pytest
from flask import Flask

from melanoscan.config import Settings
from melanoscan.hospitals.loader import read_table
from melanoscan.hospitals.ranking import HospitalIndex


@pytest.fixture(scope="session")
def table() -> list[dict]:
    return read_table()


@pytest.fixture(scope="session")
def index(table) -> HospitalIndex:
    return HospitalIndex(table)


@pytest.fixture
def app(tmp_path, database_url) -> Flask:
    """The real app on SQLite and on PostgreSQL (`database_url`, tests/databases.py)."""
    from melanoscan.api import create_app

    app = create_app(Settings.from_env(data_dir=str(tmp_path), database_url=database_url, ort_threads=1))
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()
