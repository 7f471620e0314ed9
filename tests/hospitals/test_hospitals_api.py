from __future__ import annotations

import pytest

FIELDS = {"name", "kind", "dermatology", "address", "phone", "lat", "lon", "distance_km", "referral_needed"}


def test_nearest_first_with_all_fields(client):
    r = client.get("/api/v1/hospitals?lat=37.5663&lon=126.9779&order=distance")
    assert r.status_code == 200
    body = r.get_json()
    hospitals = body["hospitals"]
    assert len(hospitals) == 10  # default limit
    assert set(hospitals[0]) == FIELDS
    assert hospitals[0]["name"] == "서울적십자병원"
    distances = [h["distance_km"] for h in hospitals]
    assert distances == sorted(distances)
    assert all(h["dermatology"] is True for h in hospitals)
    assert body["source"]["date"] == "2020-09"
    assert body["query"]["order"] == "distance"
    assert body["coverage"] == {"area": "KR", "covered": True, "message": None}
    assert all(h["referral_needed"] == (h["kind"] == "tertiary_hospital") for h in hospitals)


def test_default_order_puts_the_likeliest_dermatologist_first_within_a_distance_band(client):
    """Seoul City Hall: the default order leads with tertiary hospitals within 5 km, though nearer 병원 exist."""
    body = client.get("/api/v1/hospitals?lat=37.5663&lon=126.9779").get_json()
    assert body["query"]["order"] == "dermatologist"
    hospitals = body["hospitals"]
    assert set(hospitals[0]) == FIELDS
    assert hospitals[0]["kind"] == "tertiary_hospital" and hospitals[0]["distance_km"] < 5
    assert hospitals[0]["referral_needed"] is True
    nearest = client.get("/api/v1/hospitals?lat=37.5663&lon=126.9779&order=distance").get_json()["hospitals"]
    assert nearest[0]["kind"] != "tertiary_hospital"  # the rule changed something here
    rank = {"tertiary_hospital": 0, "general_hospital": 1, "hospital": 2}
    keys = [(h["distance_km"] > 5, rank[h["kind"]], h["distance_km"]) for h in hospitals if h["distance_km"] <= 15]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    "where, lat, lon",
    [("Tokyo", 35.6812, 139.7671), ("Pyongyang", 39.0392, 125.7625), ("Tsushima", 34.2, 129.29), ("Null Island", 0, 0)],
)
def test_outside_korea_lists_nothing_and_says_korea_only(client, where, lat, lon):
    for lang, words in (("en", "Korea only"), ("ko", "한국 안에서만")):
        r = client.get(f"/api/v1/hospitals?lat={lat}&lon={lon}&lang={lang}")
        assert r.status_code == 200, where
        body = r.get_json()
        assert body["hospitals"] == []
        assert body["coverage"]["covered"] is False and body["coverage"]["area"] == "KR"
        assert words in body["coverage"]["message"]


@pytest.mark.parametrize("where, lat, lon", [("Ulleungdo", 37.4845, 130.9057), ("Baengnyeongdo", 37.9597, 124.6650)])
def test_far_korean_islands_still_get_their_nearest_hospitals(client, where, lat, lon):
    """Over 100 km from any hospital, yet in Korea: the (far) list is what their people need."""
    body = client.get(f"/api/v1/hospitals?lat={lat}&lon={lon}").get_json()
    assert body["coverage"]["covered"] is True
    assert len(body["hospitals"]) == 10 and body["hospitals"][0]["distance_km"] > 100


ARMED_FORCES = ("국군", "육군", "해군", "공군", "서울지구병원")
# Where the armed-forces hospitals of the first table stood (migration 0006 lists them).
FORMER_MILITARY_SITES = [
    (37.718913, 126.896992),
    (37.588058, 126.982862),
    (36.110778, 127.099661),
    (35.14627, 128.712924),
]


@pytest.mark.parametrize("order", ["dermatologist", "distance"])
def test_no_armed_forces_hospital_in_any_answer(client, order):
    """Closed to the public: no answer may suggest one, even standing right where one was."""
    for lat, lon in FORMER_MILITARY_SITES:
        for dermatology in ("true", "false"):
            query = f"lat={lat}&lon={lon}&limit=50&dermatology={dermatology}&order={order}"
            names = [h["name"] for h in client.get(f"/api/v1/hospitals?{query}").get_json()["hospitals"]]
            assert len(names) == 50
            assert [n for n in names if any(word in n for word in ARMED_FORCES)] == []


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
        ("lat=37&lon=127&order=nearest", "invalid_order"),
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
