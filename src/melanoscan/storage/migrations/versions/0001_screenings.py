"""screenings: one row per answered screening (no image, no IP)

Revision ID: 0001_screenings
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_screenings"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screenings",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=True),
        sa.Column("p_melanoma", sa.Float(), nullable=False),
        sa.Column("p_nevus", sa.Float(), nullable=False),
        sa.Column("p_seborrheic_keratosis", sa.Float(), nullable=False),
        sa.Column("model_name", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("image_width", sa.Integer(), nullable=False),
        sa.Column("image_height", sa.Integer(), nullable=False),
        sa.Column("image_bytes", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
    )
    op.create_index("ix_screenings_created_at", "screenings", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_screenings_created_at", table_name="screenings")
    op.drop_table("screenings")
