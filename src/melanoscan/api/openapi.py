"""The OpenAPI 3.0 description of every endpoint, written by hand (a test validates it and checks
that every route of the app is in it)."""

from __future__ import annotations

from typing import Any

from melanoscan import __version__
from melanoscan.inference.spec import SERVICE_CLASSES as CLASSES
from melanoscan.screening.decision import ADVICE, RETAKE_REASONS

_ERROR = {"$ref": "#/components/schemas/Error"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _lang_params() -> list[dict[str, Any]]:
    return [
        {
            "name": "lang",
            "in": "query",
            "required": False,
            "description": "Language of message, disclaimer and error messages; overrides Accept-Language.",
            "schema": {"type": "string", "enum": ["en", "ko"]},
        },
        {
            "name": "Accept-Language",
            "in": "header",
            "required": False,
            "description": "Used when `lang` is absent; English by default.",
            "schema": {"type": "string"},
        },
    ]


def _html(description: str) -> dict[str, Any]:
    content = {"text/html": {"schema": {"type": "string"}}}
    return {"responses": {"200": {"description": description, "content": content}}}


def _asset(operation_id: str, summary: str, media_type: str) -> dict[str, Any]:
    # A JSON asset (the web manifest) is an object to a client that parses it, not a string.
    schema = {"type": "object"} if media_type.endswith("json") else {"type": "string"}
    return {
        "summary": summary,
        "operationId": operation_id,
        "responses": {
            "200": {"description": summary, "content": {media_type: {"schema": schema}}},
            "404": {"description": "No such file."},
        },
    }


def openapi_document(threshold: float = 0.5) -> dict[str, Any]:
    probabilities = {
        "type": "object",
        "description": "Calibrated probability of each class; they sum to 1.",
        "properties": {name: {"type": "number", "minimum": 0, "maximum": 1} for name in CLASSES},
        "required": list(CLASSES),
        "additionalProperties": False,
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "melanoscan",
            "version": __version__,
            "description": (
                "Skin-lesion screening aid (melanoma / nevus / seborrheic keratosis). "
                "Not a diagnosis and not a medical device. "
                "The top class is reported only when its probability is at least the "
                f"threshold (this server: {threshold}); otherwise the answer asks for a new photo."
            ),
            "license": {"name": "Apache-2.0"},
        },
        "paths": {
            "/api/v1/screenings": {
                "post": {
                    "summary": "Screen one photo of a skin lesion",
                    "operationId": "createScreening",
                    "parameters": _lang_params(),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["image"],
                                    "properties": {
                                        "image": {
                                            "type": "string",
                                            "format": "binary",
                                            "description": "JPEG, PNG, WebP, HEIC/HEIF, GIF, BMP or TIFF.",
                                        }
                                    },
                                },
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The screening answer (status ok or retake).",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Screening"}}},
                        },
                        "400": _error("No file field named `image`, an empty file, or a malformed body."),
                        "408": _error("The upload stalled: the client sent nothing for the read timeout."),
                        "413": _error(
                            "Body over the upload limit, or an image with too many pixels or whose decoding needs "
                            "more memory than one upload may take."
                        ),
                        "415": _error("Not multipart/form-data, or a file that is not a supported image."),
                        "422": _error(
                            "A corrupt or truncated image, a malformed progressive JPEG, one smaller than 32 px, or "
                            "`image_too_complex`: a file structure too costly to decode."
                        ),
                        "429": _error("Too many screenings from this client; `Retry-After` says when to retry."),
                        "500": _error("Unexpected server error (should not happen)."),
                    },
                },
            },
            "/api/v1/hospitals": {
                "get": {
                    "summary": "Nearest hospitals, closest first",
                    "operationId": "listHospitals",
                    "parameters": [
                        {
                            "name": "lat",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "number", "minimum": -90, "maximum": 90},
                        },
                        {
                            "name": "lon",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "number", "minimum": -180, "maximum": 180},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 50},
                        },
                        {
                            "name": "dermatology",
                            "in": "query",
                            "required": False,
                            "description": "Only hospitals with a dermatology department (default true).",
                            "schema": {"type": "boolean"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "Hospitals sorted by distance.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["hospitals"],
                                        "properties": {
                                            "hospitals": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Hospital"},
                                            }
                                        },
                                    }
                                }
                            },
                        },
                        "422": _error("Missing or out-of-range lat/lon, or a bad limit/dermatology value."),
                    },
                },
            },
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "openapi",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.0 document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                },
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness: the process answers",
                    "operationId": "healthz",
                    "responses": {
                        "200": {
                            "description": "Alive.",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "object", "properties": {"status": {"type": "string"}}}
                                }
                            },
                        }
                    },
                },
            },
            "/readyz": {
                "get": {
                    "summary": "Readiness: model loaded and database reachable",
                    "operationId": "readyz",
                    "responses": {
                        "200": {
                            "description": "Ready.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}},
                        },
                        "503": {
                            "description": "Not ready.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}},
                        },
                    },
                },
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics (text exposition format)",
                    "operationId": "metrics",
                    "responses": {
                        "200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}}
                    },
                },
            },
            "/": {
                "get": {
                    "summary": "Web client: take or upload a photo",
                    "operationId": "webIndex",
                    **_html("The web page."),
                }
            },
            "/hospitals": {
                "get": {
                    "summary": "Web client: map of nearby hospitals with dermatology",
                    "operationId": "webHospitals",
                    **_html("The web page."),
                }
            },
            "/about": {
                "get": {
                    "summary": "Web client: index of the pages about skin lesions",
                    "operationId": "webAboutIndex",
                    **_html("The web page."),
                }
            },
            "/about/{topic}": {
                "get": {
                    "summary": "Web client: about melanoma, nevus, seborrheic keratosis or other skin cancers",
                    "operationId": "webAbout",
                    "parameters": [
                        {
                            "name": "topic",
                            "in": "path",
                            "required": True,
                            "schema": {
                                "type": "string",
                                "enum": ["melanoma", "nevus", "seborrheic-keratosis", "other-skin-cancers"],
                            },
                        }
                    ],
                    "responses": {
                        **_html("The web page.")["responses"],
                        "404": {"description": "No such topic."},
                    },
                }
            },
            "/manifest.webmanifest": {"get": _asset("webManifest", "Web app manifest", "application/manifest+json")},
            "/sw.js": {"get": _asset("webServiceWorker", "Service worker of the web client", "text/javascript")},
            "/favicon.ico": {"get": _asset("favicon", "Site icon", "image/png")},
            "/vendor/leaflet/{filename}": {
                "get": {
                    **_asset(
                        "leaflet",
                        "Leaflet files for the hospital map (from xstatic-leaflet)",
                        "application/octet-stream",
                    ),
                    "parameters": [{"name": "filename", "in": "path", "required": True, "schema": {"type": "string"}}],
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                        }
                    },
                },
                "Screening": {
                    "type": "object",
                    "required": [
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
                    ],
                    "properties": {
                        "status": {"type": "string", "enum": ["ok", "retake"]},
                        "label": {
                            "type": "string",
                            "enum": list(CLASSES),
                            "nullable": True,
                            "description": "The top class when status is ok, else null.",
                        },
                        "probability": {"type": "number", "nullable": True, "minimum": 0, "maximum": 1},
                        "probabilities": probabilities,
                        "melanoma_alert": {
                            "type": "boolean",
                            "description": (
                                "Melanoma cannot be ruled out: melanoma is the label, or its probability reached"
                                " the model's alert threshold (chosen on validation for a target melanoma"
                                " sensitivity), whatever the status. The message then asks to see a dermatologist."
                            ),
                        },
                        "carcinoma_alert": {
                            "type": "boolean",
                            "description": (
                                "It may be another kind of skin cancer or a pre-cancer that this service cannot"
                                " name (basal cell carcinoma + actinic keratosis reached the model's threshold)."
                                " Always false for models without those outputs. The message then asks to see a"
                                " dermatologist."
                            ),
                        },
                        "retake_reason": {
                            "type": "string",
                            "enum": list(RETAKE_REASONS),
                            "nullable": True,
                            "description": (
                                "Why a photo is sent back: no class reached the threshold (uncertain), or the photo"
                                " is nearly uniform, with nothing to screen (blank_photo). Null when status is ok."
                            ),
                        },
                        "advice": {
                            "type": "string",
                            "enum": list(ADVICE),
                            "description": (
                                "What every client tells the user: see_dermatologist (melanoma is the label, or an"
                                " alert), retake (sent back, no alert) or monitor (a confident nevus or seborrheic"
                                " keratosis, no alert)."
                            ),
                        },
                        "message": {
                            "type": "string",
                            "description": "For people, ko or en; probabilities in whole percent ('about 55%').",
                        },
                        "disclaimer": {"type": "string"},
                        "model": {
                            "type": "object",
                            "required": ["name", "version"],
                            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
                        },
                        "hospitals_url": {
                            "type": "string",
                            "nullable": True,
                            "description": "Hospital map page when melanoma_alert or carcinoma_alert is true.",
                        },
                        "screening_id": {"type": "string", "format": "uuid"},
                    },
                },
                "Hospital": {
                    "type": "object",
                    "required": ["name", "kind", "dermatology", "address", "phone", "lat", "lon", "distance_km"],
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"type": "string"},
                        "dermatology": {"type": "boolean"},
                        "address": {"type": "string"},
                        "phone": {"type": "string"},
                        "lat": {"type": "number"},
                        "lon": {"type": "number"},
                        "distance_km": {"type": "number", "minimum": 0},
                    },
                },
                "Readiness": {
                    "type": "object",
                    "required": ["status", "checks"],
                    "properties": {
                        "status": {"type": "string", "enum": ["ready", "not_ready"]},
                        "checks": {
                            "type": "object",
                            "properties": {"model": {"type": "boolean"}, "database": {"type": "boolean"}},
                        },
                        "error": {
                            "type": "object",
                            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                        },
                    },
                },
            },
        },
    }
