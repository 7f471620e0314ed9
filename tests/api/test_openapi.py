"""The OpenAPI document the app serves: valid, complete, saying what the service does, and true of real answers.

The expectations here are written out independently of the code that generates the document (api/schemas.py,
api/openapi.py): paths and methods, statuses, fields and enums. Then real requests to a real app (the shipped
model on real photos, and bad requests) are answered with bodies that must validate against the served schemas.
"""

from __future__ import annotations

import io
import re
from typing import Any, get_args

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from PIL import Image

from melanoscan.api import schemas
from melanoscan.inference.spec import SERVICE_CLASSES
from melanoscan.screening.decision import ADVICE, RETAKE_REASONS

SCREENINGS = "/api/v1/screenings"
EXPECTED_OPERATIONS = {
    ("post", "/api/v1/screenings"): {"200", "400", "408", "413", "415", "422", "429", "500"},
    ("get", "/api/v1/hospitals"): {"200", "422"},
    ("get", "/api/v1/openapi.json"): {"200"},
    ("get", "/healthz"): {"200"},
    ("get", "/readyz"): {"200", "503"},
    ("get", "/metrics"): {"200"},
    ("get", "/"): {"200"},
    ("get", "/hospitals"): {"200"},
    ("get", "/history"): {"200"},
    ("get", "/history/summary"): {"200"},
    ("get", "/about"): {"200"},
    ("get", "/about/{topic}"): {"200", "404"},
    ("get", "/manifest.webmanifest"): {"200", "404"},
    ("get", "/sw.js"): {"200", "404"},
    ("get", "/favicon.ico"): {"200", "404"},
    ("get", "/vendor/leaflet/{filename}"): {"200", "404"},
}
SCREENING_FIELDS = {
    "status",
    "label",
    "probability",
    "probabilities",
    "melanoma_alert",
    "carcinoma_alert",
    "retake_reason",
    "advice",
    "message",
    "disclaimer",
    "model",
    "hospitals_url",
    "screening_id",
}
RETAKE_REASONS_DOCUMENTED = {
    "uncertain",
    "blank_photo",
    "not_a_lesion",
    "blurry",
    "too_dark",
    "overexposed",
    "lesion_too_small",
}


@pytest.fixture(scope="module")
def document(app) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()  # type: ignore[no-any-return]


def component(document: dict[str, Any], name: str) -> Draft202012Validator:
    """A validator for one component schema, its `$ref`s resolved inside the served document."""
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]})


def assert_valid(document: dict[str, Any], name: str, body: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in component(document, name).iter_errors(body)]
    assert not errors, f"{name}: {errors}\n{body}"


def schema_of(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document["components"]["schemas"][name]  # type: ignore[no-any-return]


def enum_of(field: dict[str, Any]) -> set[str]:
    """The enum of a property, nullable (anyOf [.., null]) or not."""
    for option in field.get("anyOf", [field]):
        if "enum" in option:
            return set(option["enum"])
    raise AssertionError(f"no enum in {field}")


# ---------------------------------------------------------------- the document itself


def test_the_served_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "melanoscan"
    assert "this server: 0.5" in document["info"]["description"]


def test_paths_methods_and_statuses_are_the_services(document):
    found = {
        (method, path): set(operation["responses"])
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert found == EXPECTED_OPERATIONS
    ids = [op["operationId"] for methods in document["paths"].values() for op in methods.values()]
    assert len(ids) == len(set(ids))
    assert document["paths"][SCREENINGS]["post"]["operationId"] == "createScreening"


def test_every_route_of_the_app_is_documented(app, document):
    paths = document["paths"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in paths, f"route {rule.rule} is missing from the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:  # type: ignore[operator]
            assert method.lower() in paths[path], f"{method} {rule.rule} is not documented"


def test_the_screening_request_and_answer(document):
    post = document["paths"][SCREENINGS]["post"]
    assert {(p["name"], p["in"]) for p in post["parameters"]} == {
        ("lang", "query"),
        ("explain", "query"),
        ("Accept-Language", "header"),
    }
    lang = next(p for p in post["parameters"] if p["name"] == "lang")
    assert lang["required"] is False and enum_of(lang["schema"]) == {"en", "ko"}
    upload_ref = post["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    upload = schema_of(document, upload_ref.rsplit("/", 1)[1])
    assert upload["required"] == ["image"]
    assert upload["properties"]["image"] == {**upload["properties"]["image"], "type": "string", "format": "binary"}
    for status in ("400", "408", "413", "415", "422", "429", "500"):
        assert post["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }

    screening = schema_of(document, "Screening")
    assert set(screening["required"]) == SCREENING_FIELDS  # every field always, but the heat map
    assert set(screening["properties"]) == SCREENING_FIELDS | {"heatmap"}  # only with ?explain=1
    assert screening["additionalProperties"] is False
    fields = screening["properties"]
    assert enum_of(fields["status"]) == {"ok", "retake"}
    assert enum_of(fields["label"]) == {"melanoma", "nevus", "seborrheic_keratosis"}
    assert enum_of(fields["advice"]) == {"see_dermatologist", "retake", "monitor"}
    assert enum_of(fields["retake_reason"]) == RETAKE_REASONS_DOCUMENTED
    assert {"type": "null"} in fields["retake_reason"]["anyOf"] and {"type": "null"} in fields["label"]["anyOf"]
    probabilities = schema_of(document, "Probabilities")
    assert set(probabilities["required"]) == {"melanoma", "nevus", "seborrheic_keratosis"}
    error = schema_of(document, "Error")
    assert error["required"] == ["error"] and set(schema_of(document, "ErrorDetail")["required"]) == {"code", "message"}


def test_the_schemas_name_what_the_core_can_answer():
    """The literals of api/schemas.py against the screening core: every class, advice and retake reason."""
    assert set(get_args(schemas.Label)) == set(SERVICE_CLASSES)
    assert set(get_args(schemas.Advice)) == set(ADVICE)
    assert set(RETAKE_REASONS) <= set(get_args(schemas.RetakeReason)) == RETAKE_REASONS_DOCUMENTED
    assert set(schemas.Probabilities.model_fields) == set(SERVICE_CLASSES)


def test_the_hospitals_query_and_answer(document):
    get = document["paths"]["/api/v1/hospitals"]["get"]
    params = {p["name"]: p for p in get["parameters"]}
    assert set(params) == {"lat", "lon", "limit", "dermatology", "order", "lang"}
    assert params["lat"]["required"] and params["lon"]["required"]
    assert not any(params[name]["required"] for name in ("limit", "dermatology", "order", "lang"))
    assert params["order"]["schema"]["enum"] == ["dermatologist", "distance"]
    assert (params["lat"]["schema"]["minimum"], params["lat"]["schema"]["maximum"]) == (-90, 90)
    assert (params["lon"]["schema"]["minimum"], params["lon"]["schema"]["maximum"]) == (-180, 180)
    assert (params["limit"]["schema"]["minimum"], params["limit"]["schema"]["maximum"]) == (1, 50)
    hospital = schema_of(document, "Hospital")
    assert set(hospital["required"]) == {
        *("name", "kind", "dermatology", "address", "phone", "lat", "lon", "distance_km", "referral_needed")
    }
    assert set(schema_of(document, "HospitalList")["required"]) == {"hospitals", "query", "source", "coverage"}


def test_bodies_other_than_json_are_documented_as_such(document):
    paths = document["paths"]
    media = {path: next(iter(paths[path]["get"]["responses"]["200"]["content"])) for path in ("/", "/metrics")}
    assert media == {"/": "text/html", "/metrics": "text/plain"}
    assert "image/png" in paths["/favicon.ico"]["get"]["responses"]["200"]["content"]
    assert "application/manifest+json" in paths["/manifest.webmanifest"]["get"]["responses"]["200"]["content"]


# ---------------------------------------------------------------- real answers against the served schemas


def _post(client, data: bytes | None, query: str = "", **kwargs: Any):  # type: ignore[no-untyped-def]
    """A multipart upload of `data` as `image`; None: a multipart form with some other field only."""
    form: dict[str, Any] = {"note": "x"} if data is None else {"image": (io.BytesIO(data), "photo.jpg")}
    return client.post(SCREENINGS + query, data=form, content_type="multipart/form-data", **kwargs)


def _jpeg(size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def test_real_screenings_validate_against_the_schema(document, client, tiny_images):
    reasons = set()
    for image in tiny_images:
        for query in ("", "?lang=ko"):
            response = _post(client, image.read_bytes(), query)
            assert response.status_code == 200
            assert_valid(document, "Screening", response.get_json())
    blank = _post(client, _jpeg((640, 480), (3, 3, 3)))
    assert blank.status_code == 200
    assert_valid(document, "Screening", blank.get_json())
    reasons.add(blank.get_json()["retake_reason"])
    assert reasons == {"blank_photo"}


def test_a_screening_answer_missing_a_field_is_caught(document, client, tiny_images):
    """The check above can fail: an answer without `advice`, or with a reason nobody documented, is refused."""
    body = _post(client, tiny_images[0].read_bytes()).get_json()
    validator = component(document, "Screening")
    assert not validator.is_valid({k: v for k, v in body.items() if k != "advice"})
    assert not validator.is_valid({**body, "retake_reason": "cloudy"})
    assert not validator.is_valid({**body, "extra": 1})


@pytest.mark.parametrize(
    ("send", "status"),
    [
        (lambda c: _post(c, None), 400),  # no file field
        (lambda c: _post(c, b""), 400),  # an empty file
        (lambda c: c.post(SCREENINGS, data=b"{}", content_type="application/json"), 415),
        (lambda c: _post(c, b"not an image at all"), 415),
        (lambda c: _post(c, _jpeg((200, 200), (120, 90, 60))[:300]), 422),  # a JPEG cut short
        (lambda c: _post(c, _jpeg((8, 8), (120, 90, 60))), 422),  # smaller than 32 px
        (lambda c: c.get(SCREENINGS), 405),
        (lambda c: c.get("/nowhere"), 404),
        (lambda c: c.get("/api/v1/hospitals?lat=91&lon=127"), 422),
        (lambda c: c.get("/api/v1/hospitals?lat=37.5&lon=127&limit=0"), 422),
        (lambda c: c.get("/api/v1/hospitals?lat=37.5&lon=127&dermatology=maybe"), 422),
    ],
)
def test_refusals_validate_against_the_error_schema(document, client, send, status):
    response = send(client)
    assert response.status_code == status
    assert_valid(document, "Error", response.get_json())


def test_a_too_large_upload_is_a_documented_413(document, app_factory, tmp_path):
    client = app_factory(data_dir=str(tmp_path), max_upload_bytes=64 * 1024).test_client()
    response = _post(client, b"\xff" * (128 * 1024))
    assert response.status_code == 413
    assert "413" in document["paths"][SCREENINGS]["post"]["responses"]
    assert_valid(document, "Error", response.get_json())


def test_other_json_answers_validate_against_their_schemas(document, client):
    hospitals = client.get("/api/v1/hospitals?lat=37.5665&lon=126.978&limit=5")
    assert hospitals.status_code == 200
    assert_valid(document, "HospitalList", hospitals.get_json())
    assert len(hospitals.get_json()["hospitals"]) == 5
    tokyo = client.get("/api/v1/hospitals?lat=35.6812&lon=139.7671&order=distance")
    assert_valid(document, "HospitalList", tokyo.get_json())
    assert tokyo.get_json()["coverage"]["covered"] is False
    assert_valid(document, "Liveness", client.get("/healthz").get_json())
    assert_valid(document, "Readiness", client.get("/readyz").get_json())


def test_a_not_ready_answer_validates_too(document, app_factory, tmp_path):
    blocker = tmp_path / "not-a-dir"  # a file where the database's folder should be: SQLite cannot open it
    blocker.write_text("")
    app = app_factory(data_dir=str(tmp_path), database_url=f"sqlite:///{blocker}/melanoscan.db")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert_valid(document, "Readiness", response.get_json())
