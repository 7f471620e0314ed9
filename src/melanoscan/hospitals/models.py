"""The `hospitals` table."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from melanoscan.storage.db import Base


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

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "dermatology": self.dermatology,
            "address": self.address,
            "phone": self.phone,
            "lat": self.lat,
            "lon": self.lon,
        }
