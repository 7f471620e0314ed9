"""Storage, Alembic and the hospital table against both SQLite and PostgreSQL (same tests)."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from melanoscan.storage import migrate
from melanoscan.storage.db import Base, make_engine, make_session_factory
from melanoscan.storage.repository import ScreeningRepository

PROBS = {"melanoma": 0.7, "nevus": 0.2, "seborrheic_keratosis": 0.1}


def _record(repo: ScreeningRepository, **changes):  # type: ignore[no-untyped-def]
    values = dict(
        id=uuid.uuid4().hex, status="ok", label="melanoma", probabilities=PROBS, model_name="melanoscan",
        model_version="0.0.1-dev", image_width=4000, image_height=3000, image_bytes=2_500_000,
        latency_ms=41.5, lang="ko",
    )
    values.update(changes)
    return repo.add(**values)


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
    import melanoscan.storage.models

    with contextlib.suppress(ImportError):
        import melanoscan.hospitals.models  # noqa: F401
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


def test_repository_round_trip(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    repo = ScreeningRepository(make_session_factory(engine))
    repo.ping()
    first = _record(repo)
    _record(repo, status="retake", label=None, lang="en")
    assert repo.count() == 2
    stored = repo.get(first.id)
    assert stored is not None
    assert stored.label == "melanoma" and stored.status == "ok"
    assert stored.p_melanoma == pytest.approx(0.7)
    assert stored.image_width == 4000 and stored.model_version == "0.0.1-dev"
    assert repo.get("no-such-id") is None
    engine.dispose()


def test_hospital_table_loads_on_both(database_url: str) -> None:
    loader = pytest.importorskip("melanoscan.hospitals.loader")
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    loaded = loader.ensure_loaded(factory)
    assert loaded == len(loader.read_table()) > 0
    assert loader.ensure_loaded(factory) == 0  # idempotent
    engine.dispose()


def test_screening_through_the_api_is_recorded_on_both(database_url: str, tmp_path, monkeypatch) -> None:
    """The whole app on each database: migrate on start, answer, record, /readyz ready."""
    import io
    from pathlib import Path

    from melanoscan.api import create_app

    monkeypatch.setenv("MELANOSCAN_RATELIMIT_ENABLED", "0")
    app = create_app(data_dir=str(tmp_path), database_url=database_url, ort_threads=1, load_hospitals=False)
    client = app.test_client()
    photo = sorted((Path(__file__).resolve().parents[1] / "data" / "isic" / "tiny").glob("*.jpg"))[0]
    response = client.post("/api/v1/screenings?lang=en",
                           data={"image": (io.BytesIO(photo.read_bytes()), "photo.jpg")})
    assert response.status_code == 200
    body = response.get_json()
    assert client.get("/readyz").status_code == 200
    state = app.extensions["melanoscan"]
    row = state.repository.get(body["screening_id"])
    assert row is not None and row.status == body["status"] and row.lang == "en"
    assert state.engine.dialect.name == make_engine(database_url).dialect.name
    state.engine.dispose()
