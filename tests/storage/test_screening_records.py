"""Storage: what a screening leaves behind (and what it must not), and a database that breaks.

Tests that take `database_url` run once on SQLite and once on PostgreSQL (tests/databases.py).
A database that is down from the start (both kinds) is tests/ops/test_ratelimit_and_logs.py's
test_database_down_screening_still_answers, which also checks what gets logged."""

from __future__ import annotations

import ast
import io
import uuid
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, inspect, text
from sqlalchemy.engine import make_url

from melanoscan.cli import db as db_cli
from melanoscan.storage import migrate
from melanoscan.storage.db import make_engine, make_session_factory
from melanoscan.storage.models import Screening
from melanoscan.storage.repository import ScreeningRepository

COLUMNS = {
    "id",
    "created_at",
    "status",
    "label",
    "melanoma_alert",
    "retake_reason",
    "carcinoma_alert",
    "p_melanoma",
    "p_nevus",
    "p_seborrheic_keratosis",
    "model_name",
    "model_version",
    "image_width",
    "image_height",
    "image_bytes",
    "latency_ms",
    "lang",
}


def post(client, data: bytes, query: str = ""):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/screenings" + query, data={"image": (io.BytesIO(data), "photo.jpg")})


def test_the_table_has_no_room_for_a_photo_or_an_address():
    assert {column.name for column in Screening.__table__.columns} == COLUMNS
    assert not any(isinstance(column.type, LargeBinary) for column in Screening.__table__.columns)
    assert not any(word in name for name in COLUMNS for word in ("ip", "addr", "agent", "pixels", "blob"))


def test_a_screening_is_recorded_without_the_photo(app_factory, database_url, tmp_path, tiny_images):
    """The whole app on each database: migrate on start, answer, record (no photo), /readyz ready."""
    app = app_factory(database_url=database_url, data_dir=str(tmp_path), load_hospitals=False)
    client = app.test_client()
    data = tiny_images[1].read_bytes()
    body = post(client, data, "?lang=ko").get_json()
    state = app.extensions["melanoscan"]
    assert state.engine.dialect.name == make_url(database_url).get_backend_name()
    assert client.get("/readyz").status_code == 200
    row = state.repository.get(body["screening_id"])
    assert row is not None
    assert (row.status, row.label, row.lang) == (body["status"], body["label"], "ko")
    assert (row.melanoma_alert, row.retake_reason) == (body["melanoma_alert"], body["retake_reason"])
    assert row.carcinoma_alert is body["carcinoma_alert"] is False
    assert row.probabilities == body["probabilities"]
    assert (row.image_width, row.image_height, row.image_bytes) == (256, 256, len(data))
    assert (row.model_name, row.model_version) == (body["model"]["name"], body["model"]["version"])
    assert row.latency_ms > 0 and row.created_at is not None
    with state.engine.connect() as connection:
        assert migrate.current_revision(state.engine) == migrate.head_revision()
        rows = connection.execute(text("SELECT * FROM screenings")).all()
    assert rows and not any(isinstance(value, bytes | bytearray | memoryview) for row in rows for value in row)
    state.engine.dispose()


def test_repository_round_trip(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    repo = ScreeningRepository(make_session_factory(engine))
    repo.ping()
    values = dict(
        status="ok",
        label="melanoma",
        probabilities={"melanoma": 0.7, "nevus": 0.2, "seborrheic_keratosis": 0.1},
        melanoma_alert=True,
        retake_reason=None,
        model_name="melanoscan",
        model_version="0.0.1-dev",
        image_width=4000,
        image_height=3000,
        image_bytes=2_500_000,
        latency_ms=41.5,
        lang="ko",
    )
    first = repo.add(id=uuid.uuid4().hex, **values)
    blank = {**values, "status": "retake", "label": None, "melanoma_alert": False, "retake_reason": "blank_photo"}
    second = repo.add(id=uuid.uuid4().hex, **blank)
    assert repo.count() == 2
    assert (repo.get(second.id).melanoma_alert, repo.get(second.id).retake_reason) == (False, "blank_photo")
    stored = repo.get(first.id)
    assert stored is not None
    assert stored.label == "melanoma" and stored.status == "ok" and stored.melanoma_alert is True
    assert stored.p_melanoma == pytest.approx(0.7)
    assert stored.image_width == 4000 and stored.model_version == "0.0.1-dev"
    assert repo.get("no-such-id") is None
    engine.dispose()


def test_a_database_that_breaks_after_start_does_not_fail_the_screening(
    app_factory, database_url, tmp_path, tiny_images
):
    app = app_factory(database_url=database_url, data_dir=str(tmp_path), load_hospitals=False)
    engine = app.extensions["melanoscan"].engine
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE screenings"))
    client = app.test_client()
    assert post(client, tiny_images[0].read_bytes()).status_code == 200
    assert "melanoscan_screening_record_failures_total 1.0" in client.get("/metrics").get_data(as_text=True)
    app.extensions["melanoscan"].engine.dispose()


def test_db_cli_init_and_current(database_url, capsys):
    where = ["--database-url", database_url]
    assert db_cli.main(["init", *where]) == 0
    assert db_cli.main(["current", *where]) == 0
    out = capsys.readouterr().out
    assert f"current: {migrate.head_revision()}" in out
    assert "hospitals loaded: 633 new rows" in out
    engine = make_engine(database_url)
    assert "screenings" in inspect(engine).get_table_names()
    assert db_cli.main(["downgrade", "--revision", "base", *where]) == 0
    assert "screenings" not in inspect(engine).get_table_names()
    engine.dispose()


def test_db_cli_defaults_to_sqlite_in_the_data_dir(tmp_path):
    # SQLite only: what is checked is the default URL, a file in --data-dir.
    assert db_cli.main(["upgrade", "--data-dir", str(tmp_path)]) == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'melanoscan.db'}")
    assert "screenings" in inspect(engine).get_table_names()
    engine.dispose()


def test_revisions_form_one_chain_one_file_each():
    """Several people add migrations: every file is one revision, and they line up without branches."""
    revisions: dict[str, str | None] = {}
    for path in sorted(Path(migrate.MIGRATIONS_DIR, "versions").glob("*.py")):
        if path.name == "__init__.py":
            continue
        values = {
            target.id: node.value.value  # type: ignore[attr-defined]
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision")
        }
        assert values["revision"] not in revisions, f"duplicate revision in {path.name}"
        revisions[values["revision"]] = values.get("down_revision")
    assert revisions["0001_screenings"] is None
    children = [down for down in revisions.values() if down is not None]
    assert len(children) == len(set(children)), "two revisions share a parent: a branch"
    assert migrate.head_revision() in revisions


def test_rows_recorded_before_the_alert_columns_survive_the_upgrade(database_url):
    """Migration 0004 on a database with a row from before: the row stays, its new fields are unknown (NULL)."""
    engine = make_engine(database_url)
    migrate.upgrade(engine, "0003_hospital_phones")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO screenings (id, created_at, status, label, p_melanoma, p_nevus, p_seborrheic_keratosis,"
                " model_name, model_version, image_width, image_height, image_bytes, latency_ms, lang) VALUES"
                " ('old', CURRENT_TIMESTAMP, 'ok', 'nevus', 0.1, 0.8, 0.1, 'melanoscan', '1.0.0', 256, 256, 9000,"
                " 20.0, 'ko')"
            )
        )
    migrate.upgrade(engine)
    old = ScreeningRepository(make_session_factory(engine)).get("old")
    assert old is not None and old.label == "nevus"
    assert (old.melanoma_alert, old.retake_reason) == (None, None)
    migrate.downgrade(engine, "0003_hospital_phones")
    assert "retake_reason" not in {c["name"] for c in inspect(engine).get_columns("screenings")}
    engine.dispose()
