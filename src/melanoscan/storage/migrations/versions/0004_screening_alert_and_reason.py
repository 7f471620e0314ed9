"""screenings: record the melanoma alert and why a photo was sent back

Both are part of the answer the user saw and neither can be recomputed later (the alert threshold belongs
to a model version; a blank photo is not in the probabilities). Rows recorded before stay NULL: unknown.

Revision ID: 0004_screening_alert_reason
Revises: 0003_hospital_phones
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_screening_alert_reason"
down_revision = "0003_hospital_phones"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("screenings") as batch:  # batch: SQLite cannot ALTER in place
        batch.add_column(sa.Column("melanoma_alert", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("retake_reason", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("screenings") as batch:
        batch.drop_column("retake_reason")
        batch.drop_column("melanoma_alert")
