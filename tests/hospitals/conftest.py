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
    """The core app when it registers the hospitals blueprint, else a bare app with just ours;
    on SQLite and on PostgreSQL (`database_url`, tests/databases.py)."""
    settings = Settings.from_env(data_dir=str(tmp_path), database_url=database_url)
    try:
        from melanoscan.api import create_app

        app = create_app(settings)
    except Exception:  # the core app may not be able to start here (e.g. no model): test ours alone
        app = Flask("hospitals-test")
        app.config["MELANOSCAN"] = settings
    if "hospitals" not in app.blueprints:
        from melanoscan.hospitals.api import bp

        app.register_blueprint(bp)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()
