"""What one app instance holds: settings, the screener (model and rules), the database handles and its metrics."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from melanoscan.api.metrics import Metrics
from melanoscan.config import Settings
from melanoscan.inference.engine import Classifier
from melanoscan.screening.pipeline import Screener
from melanoscan.storage.repository import ScreeningRepository

EXTENSION = "melanoscan"


@dataclass
class ServiceState:
    settings: Settings
    classifier: Classifier
    screener: Screener
    engine: Engine
    session_factory: sessionmaker[Session]
    repository: ScreeningRepository
    metrics: Metrics


def service(app: Flask) -> ServiceState:
    state: ServiceState = app.extensions[EXTENSION]
    return state
