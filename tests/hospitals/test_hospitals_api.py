from __future__ import annotations

import pytest


def test_nearest_first_with_all_fields(client):
    r = client.get("/api/v1/hospitals?lat=37.5663&lon=126.9779")
    assert r.status_code == 200
    body = r.get_json()
    hospitals = body["hospitals"]
    assert len(hospitals) == 10  # default limit
    fields = {"name", "kind", "dermatology", "address", "phone", "lat", "lon", "distance_km"}
    assert set(hospitals[0]) == fields
    assert hospitals[0]["name"] == "서울적십자병원"
    distances = [h["distance_km"] for h in hospitals]
    assert distances == sorted(distances)
    assert all(h["dermatology"] is True for h in hospitals)
    assert body["source"]["date"] == "2020-09"


def test_limit_and_dermatology_flag(client):
    r = client.get("/api/v1/hospitals?lat=35.1798&lon=129.075&limit=50&dermatology=false")
    hospitals = r.get_json()["hospitals"]
    assert len(hospitals) == 50
    assert any(h["dermatology"] is False for h in hospitals)
    r = client.get("/api/v1/hospitals?lat=35.1798&lon=129.075&limit=1&dermatology=true")
    assert len(r.get_json()["hospitals"]) == 1


@pytest.mark.parametrize(
    "query, code",
    [
        ("", "invalid_coordinates"),
        ("lat=37.5", "invalid_coordinates"),
        ("lon=127", "invalid_coordinates"),
        ("lat=&lon=127", "invalid_coordinates"),
        ("lat=abc&lon=127", "invalid_coordinates"),
        ("lat=91&lon=127", "invalid_coordinates"),
        ("lat=-90.5&lon=127", "invalid_coordinates"),
        ("lat=37&lon=180.01", "invalid_coordinates"),
        ("lat=nan&lon=127", "invalid_coordinates"),
        ("lat=37&lon=inf", "invalid_coordinates"),
        ("lat=37&lon=127&limit=0", "invalid_limit"),
        ("lat=37&lon=127&limit=51", "invalid_limit"),
        ("lat=37&lon=127&limit=-3", "invalid_limit"),
        ("lat=37&lon=127&limit=2.5", "invalid_limit"),
        ("lat=37&lon=127&limit=ten", "invalid_limit"),
        ("lat=37&lon=127&dermatology=maybe", "invalid_dermatology"),
    ],
)
def test_invalid_queries_are_422_json(client, query, code):
    r = client.get(f"/api/v1/hospitals?{query}")
    assert r.status_code == 422
    assert r.is_json
    error = r.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    korean = client.get(f"/api/v1/hospitals?{query}&lang=ko").get_json()["error"]
    assert korean["code"] == code and korean["message"] != error["message"]
    assert any("가" <= ch <= "힣" for ch in korean["message"])  # said in Korean, not left in English


def test_edge_values_are_valid(client):
    for query in ("lat=90&lon=180", "lat=-90&lon=-180", "lat=0&lon=0&limit=50"):
        assert client.get(f"/api/v1/hospitals?{query}").status_code == 200
