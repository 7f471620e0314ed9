"""Reading and writing screenings through a session factory (one short transaction per call)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker

from melanoscan.storage.models import Screening


class ScreeningRepository:
    def __init__(self, session_factory: sessionmaker) -> None:
        self.session_factory = session_factory

    def add(
        self,
        *,
        id: str,
        status: str,
        label: str | None,
        probabilities: Mapping[str, float],
        melanoma_alert: bool,
        retake_reason: str | None,
        carcinoma_alert: bool = False,
        model_name: str,
        model_version: str,
        image_width: int,
        image_height: int,
        image_bytes: int,
        latency_ms: float,
        lang: str,
    ) -> Screening:
        row = Screening(
            id=id,
            status=status,
            label=label,
            melanoma_alert=melanoma_alert,
            retake_reason=retake_reason,
            carcinoma_alert=carcinoma_alert,
            p_melanoma=float(probabilities["melanoma"]),
            p_nevus=float(probabilities["nevus"]),
            p_seborrheic_keratosis=float(probabilities["seborrheic_keratosis"]),
            model_name=model_name,
            model_version=model_version,
            image_width=image_width,
            image_height=image_height,
            image_bytes=image_bytes,
            latency_ms=latency_ms,
            lang=lang,
        )
        with self.session_factory.begin() as session:
            session.add(row)
        return row

    def get(self, screening_id: str) -> Screening | None:
        with self.session_factory() as session:
            return session.get(Screening, screening_id)

    def count(self) -> int:
        with self.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(Screening)) or 0)

    def ping(self) -> None:
        """Raise if the database cannot answer `SELECT 1`."""
        with self.session_factory() as session:
            session.execute(text("SELECT 1"))
