"""The finder's area: every shipped hospital and every inhabited Korean island inside; Japan, China and North
Korea outside (hospitals/coverage.py)."""

from __future__ import annotations

import pytest

from melanoscan.hospitals.coverage import KOREA_OUTLINE, in_korea, point_in_polygon

INSIDE = {
    "Seoul City Hall": (37.5663, 126.9779),
    "Busan Haeundae": (35.1631, 129.1636),
    "Jeju City": (33.4996, 126.5312),
    "Marado": (33.1175, 126.2670),
    "Ulleungdo": (37.4845, 130.9057),
    "Dokdo": (37.2411, 131.8644),
    "Baengnyeongdo": (37.9597, 124.6650),
    "Yeonpyeongdo": (37.6660, 125.6980),
    "Gageodo": (34.0700, 125.1100),
    "Heuksando": (34.6840, 125.4350),
    "Ganghwado": (37.7470, 126.4880),
    "Paju": (37.7600, 126.7800),
    "Goseong (Gangwon)": (38.3800, 128.4680),
    "Geojedo": (34.8800, 128.6200),
}
OUTSIDE = {
    "Tokyo": (35.6812, 139.7671),
    "Fukuoka": (33.5902, 130.4017),
    "Tsushima (Izuhara)": (34.2030, 129.2900),
    "Tsushima (north tip)": (34.6950, 129.4400),
    "Kaesong": (37.9700, 126.5500),
    "Pyongyang": (39.0392, 125.7625),
    "Wonsan": (39.1530, 127.4430),
    "Dandong": (40.1290, 124.3830),
    "Shanghai": (31.2304, 121.4737),
    "Qingdao": (36.0671, 120.3826),
    "Vladivostok": (43.1155, 131.8855),
    "Null Island": (0.0, 0.0),
}


@pytest.mark.parametrize("place", sorted(INSIDE))
def test_korean_places_are_covered(place):
    assert in_korea(*INSIDE[place]), place


@pytest.mark.parametrize("place", sorted(OUTSIDE))
def test_places_outside_korea_are_not(place):
    assert not in_korea(*OUTSIDE[place]), place


def test_every_shipped_hospital_is_inside(table):
    outside = [(r["name"], r["lat"], r["lon"]) for r in table if not in_korea(r["lat"], r["lon"])]
    assert outside == []


def test_ray_casting_on_a_square():
    square = ((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0))
    assert point_in_polygon(0.5, 0.5, square)
    assert not point_in_polygon(1.5, 0.5, square) and not point_in_polygon(0.5, -0.1, square)
    assert len(KOREA_OUTLINE) >= 20
