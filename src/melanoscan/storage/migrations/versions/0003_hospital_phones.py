"""hospital phones and duplicates: bring a table loaded from the first shipped CSV up to the repaired one

The first shipped table kept phone numbers as the source wrote them (61 without an area code, 20 with an
area code before a nationwide 15xx/16xx number, a few with two numbers), and three hospitals twice.
Databases created since get the repaired CSV from ensure_loaded(); this fixes the ones loaded before.
Only rows that still match a shipped row by (name, lat, lon) are touched, so an operator's own rows stay.

Revision ID: 0003_hospital_phones
Revises: 0002_hospitals
Create Date: 2026-11-25
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_hospital_phones"
down_revision = "0002_hospitals"
branch_labels = None
depends_on = None

# (name, lat, lon) of the second licence of one hospital at one site, as the first CSV had them.
DUPLICATES = (
    ("국립소록도병원", 34.514455, 127.122493),
    ("육군훈련소 지구병원", 36.111173, 127.09981),
    ("청연우리병원", 34.940623, 127.509113),
)


def shipped_rows() -> list[dict[str, Any]]:
    """(name, phone, lat, lon) of the shipped CSV, read as a data file (storage does not import hospitals)."""
    table = resources.files("melanoscan").joinpath("hospitals", "data", "hospitals.csv")
    with table.open(encoding="utf-8", newline="") as handle:  # type: ignore[call-overload]  # typeshed lacks newline
        return [
            {"name": row["name"], "phone": row["phone"], "lat": float(row["lat"]), "lon": float(row["lon"])}
            for row in csv.DictReader(handle)
        ]


def upgrade() -> None:
    hospitals = sa.table(
        "hospitals", sa.column("name", sa.String), sa.column("phone", sa.String),
        sa.column("lat", sa.Float), sa.column("lon", sa.Float),
    )  # fmt: skip

    def same(name: str, lat: float, lon: float) -> sa.ColumnElement[bool]:
        # Floats went in from the same 6-decimal text, but compare with a tolerance all the same.
        return sa.and_(
            hospitals.c.name == name,
            sa.func.abs(hospitals.c.lat - lat) < 1e-7,
            sa.func.abs(hospitals.c.lon - lon) < 1e-7,
        )

    bind = op.get_bind()
    for name, lat, lon in DUPLICATES:
        bind.execute(sa.delete(hospitals).where(same(name, lat, lon)))
    for row in shipped_rows():
        bind.execute(
            sa.update(hospitals)
            .where(same(row["name"], row["lat"], row["lon"]), hospitals.c.phone != row["phone"])
            .values(phone=row["phone"])
        )


def downgrade() -> None:
    pass  # the old numbers were not dialable; nothing worth restoring
