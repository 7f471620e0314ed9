"""Great-circle nearest-k over the whole hospital table in one vectorised numpy pass, and the order that gets a
person to a dermatologist.

The table (633 rows shipped) is held as float64 arrays built once per process; a query is one haversine over
every row plus an `argpartition` (or a sort of the few hundred rows for the dermatologist order), tens of µs
on one core (see bench/hospitals.py).

Order "dermatologist" (the API's default), a simple rule: distances fall into bands (DISTANCE_BANDS_KM:
0-5, 5-15, 15-30, 30-60, 60-100, 100-150, 150-200, 200-300, over 300 km), each about "the same trip".
Within a band, the kinds most likely to have a dermatologist come first: tertiary hospitals (상급종합병원,
university hospitals, every one with a dermatology department), then general hospitals (종합병원) with a
registered dermatology department, then 병원 with one (some are orthopaedic or rehabilitation hospitals
that merely register the department); then rows without a dermatology department (only asked for with
dermatology=false). Nearest first within the same band and kind. Order "distance" is the plain nearest-first list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
DISTANCE_BANDS_KM = (5.0, 15.0, 30.0, 60.0, 100.0, 150.0, 200.0, 300.0)  # upper edges; then everything beyond
# How likely a dermatologist is, best first (see the module's note); an unknown kind sorts last.
KIND_PRIORITY = {"tertiary_hospital": 0, "general_hospital": 1, "hospital": 2, "clinic": 3}
ORDERS = ("dermatologist", "distance")


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
        return {
            **self.hospital,
            "distance_km": round(self.distance_km, 3),
            # Insurance covers a tertiary hospital's first visit only with a referral letter (진료의뢰서).
            "referral_needed": self.hospital["kind"] == "tertiary_hospital",
        }


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
        self._kind = np.array([KIND_PRIORITY.get(r["kind"], len(KIND_PRIORITY)) for r in self.records], dtype=np.int8)
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

    def nearest(
        self, lat: float, lon: float, limit: int = 10, *, dermatology: bool = True, order: str = "distance"
    ) -> list[Nearby]:
        """The `limit` hospitals to suggest (only those with dermatology unless `dermatology=False`): the
        closest, nearest first (order="distance"), or the dermatologist order of the module's note; ties
        broken by table order so results are stable."""
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
        if limit <= 0:
            return []
        idx = self._derm_idx if dermatology else self._all_idx
        if idx.size == 0:
            return []
        dist = self.distances_km(lat, lon, idx)
        k = min(limit, idx.size)
        if order == "dermatologist":
            band = np.searchsorted(np.asarray(DISTANCE_BANDS_KM), dist, side="right")
            ranked = np.lexsort((idx, dist, self._kind[idx], ~self._derm[idx], band))[:k]
            return [Nearby(self.records[int(idx[i])], float(dist[i])) for i in ranked]
        part = np.argpartition(dist, k - 1)[:k] if k < idx.size else np.arange(idx.size)
        ranked = part[np.lexsort((idx[part], dist[part]))]
        return [Nearby(self.records[int(idx[i])], float(dist[i])) for i in ranked]
