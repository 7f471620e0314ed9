"""Great-circle nearest-k over the whole hospital table in one vectorised numpy pass.

The table (633 rows shipped) is held as float64 arrays built once per process; a query is one haversine over
every row plus an `argpartition`, about 30-60 µs on one core (see bench/hospitals.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def haversine_km(lat1: float, lon1: float, lat2: ArrayLike, lon2: ArrayLike) -> float | np.ndarray:
    """Great-circle distance in km from one point to one point or to arrays of points."""
    p1, l1 = math.radians(lat1), math.radians(lon1)
    p2, l2 = np.radians(lat2), np.radians(lon2)
    a = np.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


@dataclass(frozen=True)
class Nearby:
    hospital: dict
    distance_km: float

    def to_dict(self) -> dict:
        return {**self.hospital, "distance_km": round(self.distance_km, 3)}


class HospitalIndex:
    """Immutable in-memory copy of the table: records plus radian/cosine arrays for fast queries."""

    def __init__(self, records: Sequence[dict]) -> None:
        self.records: list[dict] = [dict(r) for r in records]
        lat = np.array([r["lat"] for r in self.records], dtype=np.float64)
        lon = np.array([r["lon"] for r in self.records], dtype=np.float64)
        self._lat = np.radians(lat)
        self._lon = np.radians(lon)
        self._cos_lat = np.cos(self._lat)
        self._derm = np.array([bool(r["dermatology"]) for r in self.records], dtype=bool)
        self._derm_idx = np.flatnonzero(self._derm)
        self._all_idx = np.arange(len(self.records))

    def __len__(self) -> int:
        return len(self.records)

    def distances_km(self, lat: float, lon: float, idx: np.ndarray | None = None) -> np.ndarray:
        idx = self._all_idx if idx is None else idx
        p1, l1 = math.radians(lat), math.radians(lon)
        a = (
            np.sin((self._lat[idx] - p1) * 0.5) ** 2
            + math.cos(p1) * self._cos_lat[idx] * np.sin((self._lon[idx] - l1) * 0.5) ** 2
        )
        return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))

    def nearest(self, lat: float, lon: float, limit: int = 10, *, dermatology: bool = True) -> list[Nearby]:
        """The `limit` closest hospitals (only those with dermatology unless `dermatology=False`), nearest
        first; ties broken by table order so results are stable."""
        if limit <= 0:
            return []
        idx = self._derm_idx if dermatology else self._all_idx
        if idx.size == 0:
            return []
        dist = self.distances_km(lat, lon, idx)
        k = min(limit, idx.size)
        part = np.argpartition(dist, k - 1)[:k] if k < idx.size else np.arange(idx.size)
        order = part[np.lexsort((idx[part], dist[part]))]
        return [Nearby(self.records[int(idx[i])], float(dist[i])) for i in order]
