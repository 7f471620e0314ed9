"""screenings: record the carcinoma alert (another skin cancer or a pre-cancer could not be ruled out)

Models with basal cell carcinoma / actinic keratosis outputs raise it. Rows recorded before stay NULL: unknown.

Revision ID: 0005_screening_carcinoma_alert
Revises: 0004_screening_alert_reason
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_screening_carcinoma_alert"
down_revision = "0004_screening_alert_reason"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("screenings") as batch:  # batch: SQLite cannot ALTER in place
        batch.add_column(sa.Column("carcinoma_alert", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("screenings") as batch:
        batch.drop_column("carcinoma_alert")
