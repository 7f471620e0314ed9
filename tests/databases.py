"""`database_url`: the same test on SQLite and on PostgreSQL (the root conftest imports these fixtures).

`database_url` gives each test its own empty database: a SQLite file, or a fresh database on a PostgreSQL
server. The server is the one named by MELANOSCAN_TEST_POSTGRES_URL (.ci/run starts one), else a
throwaway cluster that scripts/postgres-for-tests.sh starts once per session on 127.0.0.1 (and
stops at the end). Without PostgreSQL server binaries the postgresql variant is skipped, saying why.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "postgres-for-tests.sh"
NO_SERVER = 3  # the script's exit code when no PostgreSQL server binaries are installed


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The admin URL of a PostgreSQL server for tests (skips when none can be had)."""
    configured = os.environ.get("MELANOSCAN_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[dev]')")
    workdir = tempfile.mkdtemp(prefix="melanoscan-pg-")
    proc = subprocess.run(
        ["bash", str(SCRIPT), "start", workdir], capture_output=True, text=True, timeout=180, check=False
    )
    if proc.returncode == NO_SERVER:
        subprocess.run(["bash", str(SCRIPT), "stop", workdir], check=False)
        pytest.skip(f"no PostgreSQL server here ({proc.stderr.strip()}); bash scripts/install-system-deps.sh")
    if proc.returncode != 0:
        subprocess.run(["bash", str(SCRIPT), "stop", workdir], check=False)
        pytest.fail(f"scripts/postgres-for-tests.sh start failed ({proc.returncode}):\n{proc.stderr}")
    try:
        yield proc.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", workdir], check=False, timeout=120)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, as a SQLAlchemy URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'melanoscan.db'}"
        return
    admin_url = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
