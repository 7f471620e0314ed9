"""Settings from the environment (12-factor), with embedded defaults that run out of the box.

Every setting is `MELANOSCAN_<NAME>`; `melanoscan serve` flags override them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = PROJECT_ROOT / "models" / "melanoscan.onnx"


def _env(name: str, default: Any) -> Any:
    raw = os.environ.get(f"MELANOSCAN_{name.upper()}")
    if raw is None or raw == "":
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


@dataclass(frozen=True)
class Settings:
    model_path: str = str(DEFAULT_MODEL)
    data_dir: str = "var"
    database_url: str = ""  # empty: sqlite file in data_dir
    threshold: float = 0.5
    max_upload_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 50_000_000
    decode_memory_mb: int = 256  # decoded bytes one upload may take (pictures + decoder copies); over: 413
    threads: int = 16  # gunicorn threads per worker: uploads are read concurrently, decoded one at a time
    upload_slots: int = 1  # requests with a body handled at once per process (memory: about one upload each)
    client_read_timeout: float = 10.0  # seconds a client may send nothing before its connection is closed
    ort_threads: int = 0  # 0: every core available to the process
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "&copy; OpenStreetMap contributors"
    load_hospitals: bool = True  # load the shipped hospital table into an empty database on start
    migrate_on_start: bool = True  # create_app upgrades the schema to head (Alembic) before serving
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        values = {f.name: _env(f.name, f.default) for f in fields(cls) if f.name != "extra"}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{Path(self.data_dir).resolve() / 'melanoscan.db'}"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)
