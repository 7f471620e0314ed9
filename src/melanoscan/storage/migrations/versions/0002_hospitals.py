"""hospitals: the shipped hospital table (loaded by melanoscan.hospitals.loader.ensure_loaded)

Revision ID: 0002_hospitals
Revises: 0001_screenings
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_hospitals"
down_revision = "0001_screenings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ensure_loaded() creates the table itself on a database that was never migrated; adopt it then.
    if sa.inspect(op.get_bind()).has_table("hospitals"):
        return
    op.create_table(
        "hospitals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dermatology", sa.Boolean(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.UniqueConstraint("name", "lat", "lon", name="uq_hospitals_name_lat_lon"),
    )


def downgrade() -> None:
    op.drop_table("hospitals")
