from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from melanoscan.hospitals.ranking import HospitalIndex, haversine_km

SEOUL_CITY_HALL = (37.5663, 126.9779)
BUSAN_CITY_HALL = (35.1798, 129.0750)


def test_haversine_known_distances():
    # Seoul City Hall -> Busan City Hall: about 325 km great-circle.
    assert haversine_km(*SEOUL_CITY_HALL, *BUSAN_CITY_HALL) == pytest.approx(325.0, abs=3.0)
    # One degree of latitude along a meridian is ~111.2 km on the mean-radius sphere.
    assert haversine_km(37.0, 127.0, 38.0, 127.0) == pytest.approx(111.19, abs=0.05)
    assert haversine_km(*SEOUL_CITY_HALL, *SEOUL_CITY_HALL) == 0.0
    # Symmetric, and vectorised form equals the scalar one.
    lats = np.array([BUSAN_CITY_HALL[0], 33.4996])
    lons = np.array([BUSAN_CITY_HALL[1], 126.5312])
    d = haversine_km(*SEOUL_CITY_HALL, lats, lons)
    assert d[0] == pytest.approx(haversine_km(*BUSAN_CITY_HALL, *SEOUL_CITY_HALL))
    assert d[1] == pytest.approx(452, abs=5)  # Seoul -> Jeju city


def test_table_is_the_documented_one(table):
    assert len(table) == 633
    assert sum(r["dermatology"] for r in table) == 435
    assert {r["kind"] for r in table} == {"tertiary_hospital", "general_hospital", "hospital"}
    military = [r["name"] for r in table if r["name"].startswith(("국군", "육군", "해군", "공군", "서울지구병원"))]
    assert military == []  # closed to the public: never suggested (source corrected 2026-12)


def test_the_docs_state_the_tables_counts(table):
    root = Path(__file__).resolve().parents[2]
    rows, derm = len(table), sum(r["dermatology"] for r in table)
    attribution = (root / "src" / "melanoscan" / "hospitals" / "data" / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert f"{rows} rows, {derm} of them with a" in attribution
    assert f"{rows} hospitals, {derm} with a dermatology department" in (root / "README.md").read_text(encoding="utf-8")


def test_seoul_city_hall_starts_in_central_seoul(index):
    found = index.nearest(*SEOUL_CITY_HALL, limit=10)
    assert len(found) == 10
    names = [n.hospital["name"] for n in found]
    # The closest hospitals with dermatology to City Hall are in Jongno-gu / Jung-gu.
    assert names[:2] == ["서울적십자병원", "강북삼성병원"]
    assert all(n.hospital["address"].startswith("서울특별시") for n in found)
    central = ("종로구", "중구", "서대문구", "용산구", "성북구", "동대문구", "마포구")
    assert all(n.hospital["address"].split()[1] in central for n in found[:5])
    distances = [n.distance_km for n in found]
    assert distances == sorted(distances)
    assert distances[0] < 1.5 and distances[-1] < 6
    assert all(n.hospital["dermatology"] for n in found)


def test_nearest_matches_brute_force(index, table):
    rng = np.random.default_rng(0)
    for lat, lon in zip(rng.uniform(33.2, 38.4, 50), rng.uniform(126.0, 129.5, 50), strict=True):
        for derm in (True, False):
            got = index.nearest(lat, lon, 7, dermatology=derm)
            pool = [r for r in table if r["dermatology"] or not derm]
            expected = sorted(haversine_km(lat, lon, r["lat"], r["lon"]) for r in pool)[:7]
            assert [n.distance_km for n in got] == pytest.approx(expected, abs=1e-9)


def test_dermatology_filter_and_limits(index):
    lat, lon = BUSAN_CITY_HALL
    derm = index.nearest(lat, lon, 50)
    everyone = index.nearest(lat, lon, 50, dermatology=False)
    assert all(n.hospital["dermatology"] for n in derm)
    assert any(not n.hospital["dermatology"] for n in everyone)
    assert everyone[0].distance_km <= derm[0].distance_km
    assert len(index.nearest(lat, lon, 1000)) == 435
    assert len(index.nearest(lat, lon, 1000, dermatology=False)) == 633
    assert index.nearest(lat, lon, 0) == []


def test_empty_and_tiny_index():
    assert HospitalIndex([]).nearest(37.5, 127.0, 5) == []
    one = HospitalIndex(
        [{"name": "a", "kind": "hospital", "dermatology": False, "address": "", "phone": "", "lat": 37.5, "lon": 127.0}]
    )
    assert one.nearest(37.5, 127.0, 5) == []
    assert one.nearest(37.5, 127.0, 5, dermatology=False)[0].to_dict()["distance_km"] == 0.0


def test_query_is_fast(index):
    import time

    index.nearest(35.0, 128.0, 10)
    start = time.perf_counter()
    for _ in range(200):
        index.nearest(35.0, 128.0, 10)
    per_query_ms = (time.perf_counter() - start) / 200 * 1000
    assert per_query_ms < 5.0  # whole table, one numpy pass (typically ~0.05 ms)


ARMED_FORCES = ("국군", "육군", "해군", "공군", "서울지구병원")


def test_no_armed_forces_hospital_anywhere_in_the_shipped_table(table):
    """Not at the start of the name only: anywhere in the name or the address (source corrected 2026-12)."""
    hits = [r["name"] for r in table if any(w in r["name"] or w in r["address"] for w in ARMED_FORCES)]
    assert hits == []


def test_dermatologist_order_keeps_bands_and_puts_likelier_kinds_first(index):
    """Every answer of the default order is sorted by (distance band, kind, distance), and it holds the same
    hospitals as a nearest-first answer when everything fits in one band."""
    from melanoscan.hospitals.ranking import DISTANCE_BANDS_KM, KIND_PRIORITY

    def band(km: float) -> int:
        return sum(km >= edge for edge in DISTANCE_BANDS_KM)

    for lat, lon in [(37.5663, 126.9779), (35.1798, 129.075), (36.3504, 127.3845), (33.4996, 126.5312)]:
        found = index.nearest(lat, lon, 20, order="dermatologist")
        keys = [(band(n.distance_km), KIND_PRIORITY[n.hospital["kind"]], n.distance_km) for n in found]
        assert keys == sorted(keys)
        assert len(found) == 20
    with pytest.raises(ValueError):
        index.nearest(37.5, 127.0, 5, order="closest")
