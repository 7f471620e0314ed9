"""Storage: what a screening leaves behind (and what it must not), and a database that is down."""

from __future__ import annotations

import ast
import io
from pathlib import Path

from sqlalchemy import LargeBinary, inspect, text

from melanoscan.cli import db as db_cli
from melanoscan.storage import migrate
from melanoscan.storage.db import make_engine
from melanoscan.storage.models import Screening

COLUMNS = {
    "id", "created_at", "status", "label", "p_melanoma", "p_nevus", "p_seborrheic_keratosis", "model_name",
    "model_version", "image_width", "image_height", "image_bytes", "latency_ms", "lang",
}


def post(client, data: bytes, query: str = ""):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/screenings" + query, data={"image": (io.BytesIO(data), "photo.jpg")})


def test_the_table_has_no_room_for_a_photo_or_an_address():
    assert {column.name for column in Screening.__table__.columns} == COLUMNS
    assert not any(isinstance(column.type, LargeBinary) for column in Screening.__table__.columns)
    assert not any(word in name for name in COLUMNS for word in ("ip", "addr", "agent", "pixels", "blob"))


def test_a_screening_is_recorded_without_the_photo(app, client, tiny_images):
    data = tiny_images[1].read_bytes()
    body = post(client, data, "?lang=ko").get_json()
    state = app.extensions["melanoscan"]
    row = state.repository.get(body["screening_id"])
    assert row is not None
    assert (row.status, row.label, row.lang) == (body["status"], body["label"], "ko")
    assert row.probabilities == body["probabilities"]
    assert (row.image_width, row.image_height, row.image_bytes) == (256, 256, len(data))
    assert (row.model_name, row.model_version) == (body["model"]["name"], body["model"]["version"])
    assert row.latency_ms > 0 and row.created_at is not None
    with state.engine.connect() as connection:
        assert migrate.current_revision(state.engine) == migrate.head_revision()
        rows = connection.execute(text("SELECT * FROM screenings")).all()
    assert rows and not any(isinstance(value, bytes | bytearray | memoryview) for row in rows for value in row)


def test_a_missing_database_still_answers_screenings_and_readyz_says_503(app_factory, tmp_path, tiny_images):
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'melanoscan.db'}"
    app = app_factory(database_url=url, data_dir=str(tmp_path / "data"))
    client = app.test_client()
    response = post(client, tiny_images[0].read_bytes())
    assert response.status_code == 200
    assert response.get_json()["status"] in ("ok", "retake")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"] == {"model": True, "database": False}
    assert ready.get_json()["error"]["code"] == "not_ready"
    assert "melanoscan_screening_record_failures_total 1.0" in client.get("/metrics").get_data(as_text=True)
    assert client.get("/healthz").status_code == 200


def test_a_database_that_breaks_after_start_does_not_fail_the_screening(app_factory, tmp_path, tiny_images):
    app = app_factory(data_dir=str(tmp_path))
    engine = app.extensions["melanoscan"].engine
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE screenings"))
    client = app.test_client()
    assert post(client, tiny_images[0].read_bytes()).status_code == 200
    assert "melanoscan_screening_record_failures_total 1.0" in client.get("/metrics").get_data(as_text=True)


def test_db_cli_init_and_current(tmp_path, capsys):
    assert db_cli.main(["init", "--data-dir", str(tmp_path)]) == 0
    assert db_cli.main(["current", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"current: {migrate.head_revision()}" in out
    engine = make_engine(f"sqlite:///{tmp_path / 'melanoscan.db'}")
    assert "screenings" in inspect(engine).get_table_names()
    assert db_cli.main(["downgrade", "--revision", "base", "--data-dir", str(tmp_path)]) == 0
    assert "screenings" not in inspect(engine).get_table_names()


def test_revisions_form_one_chain_one_file_each():
    """Several people add migrations: every file is one revision, and they line up without branches."""
    revisions: dict[str, str | None] = {}
    for path in sorted(Path(migrate.MIGRATIONS_DIR, "versions").glob("*.py")):
        if path.name == "__init__.py":
            continue
        values = {
            target.id: node.value.value  # type: ignore[attr-defined]
            for node in ast.parse(path.read_text()).body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name) and target.id in ("revision", "down_revision")
        }
        assert values["revision"] not in revisions, f"duplicate revision in {path.name}"
        revisions[values["revision"]] = values.get("down_revision")
    assert revisions["0001_screenings"] is None
    children = [down for down in revisions.values() if down is not None]
    assert len(children) == len(set(children)), "two revisions share a parent: a branch"
    assert migrate.head_revision() in revisions
