"""Nearest hospitals with dermatology: the shipped table, its database loader, ranking and API.

- `data/hospitals.csv`: 633 real Korean hospitals (LOCALDATA 2020-09; armed-forces hospitals removed 2026-12),
  built by scripts/build_hospitals.py (dialable phone numbers; a hospital listed twice at one site kept once).
- the `hospitals` table itself is `melanoscan.storage.models.Hospital` (storage knows tables, not this part).
- `loader.ensure_loaded(session_factory)`: loads the table into an empty database (idempotent).
- `ranking.HospitalIndex`: in-memory numpy arrays, great-circle nearest-k.
- `api.bp`: `GET /api/v1/hospitals`.
"""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
TABLE_PATH = DATA_DIR / "hospitals.csv"
DATA_DATE = "2020-09"
ATTRIBUTION = (
    "출처: 행정안전부 지방행정인허가데이터(LOCALDATA) 병원 인허가 정보(2020.9 기준); 건강보험심사평가원 병원정보서비스"
)
