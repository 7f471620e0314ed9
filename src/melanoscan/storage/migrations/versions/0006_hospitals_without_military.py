"""hospitals: remove the armed-forces hospitals from a table loaded before they left the shipped CSV

The source table was corrected in 2026-12: armed-forces hospitals (국군…병원, 육군/해군/공군 hospitals and
서울지구병원) are not open to the public, so no user may be sent there. Databases created since get the corrected
CSV from ensure_loaded(); this removes those rows from databases loaded before. Only rows that match a removed
shipped row by (name, lat, lon) are deleted, so an operator's own rows stay.

Revision ID: 0006_hospitals_without_military
Revises: 0005_screening_carcinoma_alert
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_hospitals_without_military"
down_revision = "0005_screening_carcinoma_alert"
branch_labels = None
depends_on = None

# (name, lat, lon) of the shipped rows removed with the corrected source, as earlier CSVs had them; the second
# 육군훈련소 지구병원 is the double licence that 0003 removed, listed again for a table that skipped it.
REMOVED = (
    ("공군항공우주의료원", 36.579674, 127.527381),
    ("국군강릉병원", 37.868723, 128.830924),
    ("국군고양병원", 37.718913, 126.896992),
    ("국군구리병원", 37.610459, 127.118664),
    ("국군대구병원", 35.902235, 128.788187),
    ("국군대전병원", 36.395622, 127.348067),
    ("국군포천병원", 37.918926, 127.311154),
    ("국군함평병원", 35.187961, 126.591873),
    ("국군홍천병원", 37.807073, 127.997443),
    ("서울지구병원", 37.588058, 126.982862),
    ("육군훈련소 지구병원", 36.110778, 127.099661),
    ("육군훈련소 지구병원", 36.111173, 127.09981),
    ("해군포항병원", 35.98133, 129.415351),
    ("해군해양의료원", 35.14627, 128.712924),
)


def upgrade() -> None:
    hospitals = sa.table(
        "hospitals", sa.column("name", sa.String), sa.column("lat", sa.Float), sa.column("lon", sa.Float)
    )
    bind = op.get_bind()
    for name, lat, lon in REMOVED:
        # Floats went in from the same 6-decimal text, but compare with a tolerance all the same (as 0003 does).
        bind.execute(
            sa.delete(hospitals).where(
                hospitals.c.name == name,
                sa.func.abs(hospitals.c.lat - lat) < 1e-7,
                sa.func.abs(hospitals.c.lon - lon) < 1e-7,
            )
        )


def downgrade() -> None:
    pass  # these hospitals do not treat the public; nothing worth restoring
