"""Tables of the service: screenings and hospitals. A screening row records what happened, never the photo or
who sent it. The hospitals table is filled by melanoscan.hospitals.loader (storage does not import hospitals)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from melanoscan.storage.db import Base


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class Screening(Base):
    """One answered screening request. Deliberately no image bytes, no IP address, no user agent."""

    __tablename__ = "screenings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16))  # "ok" | "retake"
    label: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # What else the user was told; NULL on rows recorded before these existed (migration 0004).
    melanoma_alert: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    retake_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)  # "uncertain" | "blank_photo"
    # Another skin cancer or a pre-cancer could not be ruled out; NULL before migration 0005 (unknown).
    carcinoma_alert: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    p_melanoma: Mapped[float] = mapped_column(Float)
    p_nevus: Mapped[float] = mapped_column(Float)
    p_seborrheic_keratosis: Mapped[float] = mapped_column(Float)
    model_name: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    image_width: Mapped[int] = mapped_column(Integer)
    image_height: Mapped[int] = mapped_column(Integer)
    image_bytes: Mapped[int] = mapped_column(Integer)  # the upload's size in bytes, not its content
    latency_ms: Mapped[float] = mapped_column(Float)
    lang: Mapped[str] = mapped_column(String(8))

    @property
    def probabilities(self) -> dict[str, float]:
        return {
            "melanoma": self.p_melanoma,
            "nevus": self.p_nevus,
            "seborrheic_keratosis": self.p_seborrheic_keratosis,
        }


class Hospital(Base):
    __tablename__ = "hospitals"
    __table_args__ = (UniqueConstraint("name", "lat", "lon", name="uq_hospitals_name_lat_lon"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    dermatology: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "dermatology": self.dermatology,
            "address": self.address,
            "phone": self.phone,
            "lat": self.lat,
            "lon": self.lon,
        }
