"""The JSON the HTTP API takes and answers, defined once as pydantic models.

The OpenAPI document (api/openapi.py) is generated from these models by spectree, and the tests validate real
answers against the generated schemas. The models describe; the answers themselves are built by the code that
knows them (screening/answer.py, hospitals/api.py, api/ops.py), and a test keeps both in step.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, RootModel
from pydantic.json_schema import JsonDict, SkipJsonSchema

Label = Literal["melanoma", "nevus", "seborrheic_keratosis"]
Advice = Literal["see_dermatologist", "retake", "monitor"]
# Every reason a photo may be sent back: the model was unsure, or a suitability gate refused the photo.
# screening.decision.RETAKE_REASONS names those the core gives today; a test checks each is listed here.
RetakeReason = Literal[
    "uncertain",
    "blank_photo",
    "not_a_lesion",
    "blurry",
    "too_dark",
    "overexposed",
    "lesion_too_small",
]


def _absent_when_unset(schema: JsonDict) -> None:
    """An optional parameter without a value is absent, not null: no `default: null` in the document."""
    schema.pop("default", None)


class _Shape(BaseModel):
    """A JSON object with exactly these fields."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- errors


class ErrorDetail(_Shape):
    code: str = Field(description="Stable, for programs (e.g. `missing_image`, `rate_limited`).")
    message: str = Field(description="For people, in the request's language (ko or en).")


class Error(_Shape):
    """Every error the service answers: a 4xx for a bad request, never a traceback."""

    error: ErrorDetail


# ---------------------------------------------------------------- screenings


class Language(BaseModel):
    lang: Literal["en", "ko"] | SkipJsonSchema[None] = Field(
        None,
        description="Language of message, disclaimer and error messages; overrides Accept-Language.",
        json_schema_extra=_absent_when_unset,
    )


class ScreeningQuery(Language):
    explain: Literal["1", "0", "true", "false", "yes", "no", ""] | SkipJsonSchema[None] = Field(
        None,
        description="1: also return `heatmap`, where the model looked (a coarse grid, never the photo).",
        json_schema_extra=_absent_when_unset,
    )


class LanguageHeader(BaseModel):
    accept_language: str | SkipJsonSchema[None] = Field(
        None,
        alias="Accept-Language",
        description="Used when `lang` is absent; English by default.",
        json_schema_extra=_absent_when_unset,
    )


class ScreeningUpload(BaseModel):
    image: bytes = Field(description="JPEG, PNG, WebP, HEIC/HEIF, GIF, BMP or TIFF.")


class Probabilities(_Shape):
    """Calibrated probability of each class; they sum to 1."""

    melanoma: float = Field(ge=0, le=1)
    nevus: float = Field(ge=0, le=1)
    seborrheic_keratosis: float = Field(ge=0, le=1)


class ModelInfo(_Shape):
    name: str
    version: str


class HeatmapCrop(_Shape):
    """The part of the upright photo the grid covers (the model's centre crop), in fractions of its size."""

    left: float = Field(ge=0, le=1)
    top: float = Field(ge=0, le=1)
    width: float = Field(ge=0, le=1)
    height: float = Field(ge=0, le=1)


class Heatmap(_Shape):
    """Where the model looked: the class activation map of `label`, scaled to 0..1, row 0 at the top."""

    label: Label
    grid: list[list[float]]
    crop: HeatmapCrop


class Screening(_Shape):
    """The screening answer: status ok (a class reached the threshold) or retake (take the photo again)."""

    status: Literal["ok", "retake"]
    label: Label | None = Field(description="The top class when status is ok, else null.")
    probability: float | None = Field(ge=0, le=1, description="The top class's probability when status is ok.")
    probabilities: Probabilities
    melanoma_alert: bool = Field(
        description=(
            "Melanoma cannot be ruled out: melanoma is the label, or its probability reached the model's alert"
            " threshold (chosen for a target melanoma sensitivity), whatever the status. The message then asks to"
            " see a dermatologist."
        )
    )
    carcinoma_alert: bool = Field(
        description=(
            "It may be another kind of skin cancer or a pre-cancer that this service cannot name (basal cell"
            " carcinoma + actinic keratosis reached the model's threshold). Always false for models without those"
            " outputs. The message then asks to see a dermatologist."
        )
    )
    retake_reason: RetakeReason | None = Field(
        description=(
            "Why a photo is sent back: no class reached the threshold (uncertain), the photo is nearly uniform"
            " (blank_photo), or another suitability check refused it. Null when status is ok."
        )
    )
    advice: Advice = Field(
        description=(
            "What every client tells the user: see_dermatologist (melanoma is the label, or an alert), retake"
            " (sent back, no alert) or monitor (a confident nevus or seborrheic keratosis, no alert)."
        )
    )
    message: str = Field(description="For people, ko or en; probabilities in whole percent ('about 55%').")
    disclaimer: str
    model: ModelInfo
    hospitals_url: str | None = Field(description="Hospital map page when melanoma_alert or carcinoma_alert is true.")
    screening_id: UUID
    heatmap: Heatmap | None = Field(
        None,
        description="Only with ?explain=1: where the model looked; null when the photo was sent back by a check.",
    )


# ---------------------------------------------------------------- hospitals


class HospitalQuery(BaseModel):
    lat: float = Field(ge=-90, le=90, description="Latitude, decimal degrees (WGS84).")
    lon: float = Field(ge=-180, le=180, description="Longitude, decimal degrees (WGS84).")
    limit: int = Field(10, ge=1, le=50, description="How many hospitals.")
    dermatology: bool = Field(True, description="Only hospitals with a dermatology department.")
    order: Literal["dermatologist", "distance"] = Field(
        "dermatologist",
        description=(
            "`dermatologist`: distance bands of 0-5, 5-15, 15-30, 30-60, 60-100, 100-150, 150-200, 200-300 and "
            "over 300 km; within a band "
            "tertiary hospitals first, then general hospitals, then hospitals (the kinds most likely to have a "
            "dermatologist first), nearest first within a kind. `distance`: nearest first."
        ),
    )
    lang: str | SkipJsonSchema[None] = Field(
        None,
        description="`ko` or `en`: the language of `coverage.message`; anything else falls back to Accept-Language.",
        json_schema_extra=_absent_when_unset,
    )


class Hospital(_Shape):
    name: str
    kind: str = Field(description="tertiary_hospital, general_hospital, hospital or clinic.")
    dermatology: bool
    address: str
    phone: str
    lat: float
    lon: float
    distance_km: float = Field(ge=0, description="Great-circle distance from the query point.")
    referral_needed: bool = Field(
        description=(
            "A tertiary hospital: health insurance covers a first visit only with a referral letter (진료의뢰서)."
        )
    )


class HospitalQueryEcho(_Shape):
    lat: float
    lon: float
    limit: int
    dermatology: bool
    order: Literal["dermatologist", "distance"]


class HospitalCoverage(_Shape):
    area: Literal["KR"] = Field(description="The table covers South Korea only.")
    covered: bool = Field(description="False outside Korea: then `hospitals` is empty and `message` says why.")
    message: str | None = Field(description="Outside Korea: that the finder covers Korea only (ko/en).")


class HospitalSource(_Shape):
    date: str = Field(description="Date of the hospital data (YYYY-MM).")
    attribution: str


class HospitalList(_Shape):
    """Hospitals in the order asked for, the query as understood, where the data comes from, and whether the
    position is one the data covers."""

    hospitals: list[Hospital]
    query: HospitalQueryEcho
    source: HospitalSource
    coverage: HospitalCoverage


# ---------------------------------------------------------------- operations


class Liveness(_Shape):
    status: Literal["alive"]


class ReadinessChecks(_Shape):
    model: bool
    database: bool


class Readiness(_Shape):
    """Whether the model is loaded and the database answers; `error` says what is missing."""

    status: Literal["ready", "not_ready"]
    checks: ReadinessChecks
    error: ErrorDetail | SkipJsonSchema[None] = Field(None, json_schema_extra=_absent_when_unset)


class OpenAPIDocument(RootModel[dict[str, Any]]):
    """An OpenAPI 3.1 document."""
