"""Every setting of the service in one place, from the environment (12-factor), with embedded defaults that
run out of the box. Nothing else in the package reads the environment (training's data paths aside, see
melanoscan.training.data).

Every setting is `MELANOSCAN_<NAME>` (PROMETHEUS_MULTIPROC_DIR keeps the name prometheus_client reads);
`melanoscan serve` flags override them; gunicorn.conf.py and `melanoscan serve` read the same object.
Tests change settings by passing them (`create_app(ratelimit_enabled=False)`), not through the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = PROJECT_ROOT / "models" / "melanoscan.onnx"
# Settings read from an environment variable without the MELANOSCAN_ prefix.
ENV_NAMES = {"prometheus_multiproc_dir": "PROMETHEUS_MULTIPROC_DIR"}


def env_name(field_name: str) -> str:
    return ENV_NAMES.get(field_name, f"MELANOSCAN_{field_name.upper()}")


def _parse(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def available_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    # The model and the rule
    model_path: str = str(DEFAULT_MODEL)
    threshold: float = 0.5  # report the top class at or above this; otherwise ask for a new photo
    # Storage
    data_dir: str = "var"
    database_url: str = ""  # empty: sqlite file in data_dir
    load_hospitals: bool = True  # load the shipped hospital table into an empty database on start
    migrate_on_start: bool = True  # create_app upgrades the schema to head (Alembic) before serving
    # Uploads
    max_upload_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 50_000_000
    decode_memory_mb: int = 256  # decoded bytes one upload may take (pictures + decoder copies); over: 413
    # Serving processes
    host: str = "127.0.0.1"
    port: int = 8000
    bind: str = ""  # gunicorn bind address; empty: host:port
    workers: int = 0  # gunicorn workers; 0: min(2, cores)
    threads: int = 16  # gunicorn threads per worker: uploads are read concurrently, decoded one at a time
    upload_slots: int = 1  # requests with a body handled at once per process (memory: about one upload each)
    client_read_timeout: float = 10.0  # seconds a client may send nothing before its connection is closed
    ort_threads: int = 0  # ONNX Runtime threads per process; 0: the cores split between the workers
    timeout: int = 30  # gunicorn worker timeout, seconds
    log_level: str = "INFO"  # WARNING silences the access lines
    prometheus_multiproc_dir: str = ""  # metrics summed over workers (see melanoscan.api.metrics)
    # Abuse limits on POST /api/v1/screenings (see melanoscan.api.ratelimit)
    ratelimit_enabled: bool = True
    ratelimit_screenings: str = "30/minute;500/day"  # per client, ';'-separated; "" or "off": none
    ratelimit_storage_url: str = "memory://"  # "redis://host:6379/0" to share counters between workers/hosts
    # HMAC key: the limiter never holds a raw IP address. Empty: a random one made once in <data_dir>/ratelimit.key
    ratelimit_key_secret: str = ""
    trusted_proxies: int = 0  # reverse proxies in front; N > 0 reads the N-th X-Forwarded-For from the right
    # The hospital map
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "&copy; OpenStreetMap contributors"

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """The environment over the defaults, then `overrides` (None means: not given) over both."""
        values: dict[str, Any] = {}
        for item in fields(cls):
            raw = os.environ.get(env_name(item.name))
            values[item.name] = item.default if raw is None or raw == "" else _parse(raw, item.default)
        unknown = set(overrides) - set(values)
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{Path(self.data_dir).resolve() / 'melanoscan.db'}"

    @property
    def resolved_workers(self) -> int:
        return self.workers if self.workers > 0 else min(2, available_cores())

    @property
    def resolved_ort_threads(self) -> int:
        """ONNX Runtime threads for one serving process: as set, else its share of the cores."""
        return self.ort_threads if self.ort_threads > 0 else max(1, available_cores() // self.resolved_workers)

    @property
    def resolved_bind(self) -> str:
        return self.bind or f"{self.host}:{self.port}"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)
