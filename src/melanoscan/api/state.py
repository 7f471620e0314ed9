"""What one app instance holds: settings, the classifier, the database handles and its metrics."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from melanoscan.api.metrics import Metrics
from melanoscan.config import Settings
from melanoscan.inference.engine import Classifier
from melanoscan.storage.repository import ScreeningRepository

EXTENSION = "melanoscan"


@dataclass
class ServiceState:
    settings: Settings
    classifier: Classifier
    engine: Engine
    session_factory: sessionmaker
    repository: ScreeningRepository
    metrics: Metrics


def service(app: Flask) -> ServiceState:
    return app.extensions[EXTENSION]
