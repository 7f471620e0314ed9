"""The hospital finder in a real Chromium against a real `melanoscan serve` and its real hospital table: far
results, marker order, call-link names, a failed list and its retry, the city select after a map tap, the
hint about tapping the map, the count's wording; a position outside Korea (Tokyo), directions in Kakao Map,
Naver Map and OpenStreetMap, lang="ko" names in English, what each kind means and the referral letter,
markers in one building spread apart, and Leaflet fetched only when a map is shown.

Screens are saved under test-artifacts/screens/ (390x844 phone viewport, 2x).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_web_browser import _open

pytestmark = pytest.mark.browser

JEJU_CITY_HALL = {"latitude": 33.4996, "longitude": 126.5312}
ULLEUNG_COUNTY_OFFICE = {"latitude": 37.4845, "longitude": 130.9057}
SEOUL_CITY_HALL_POS = {"latitude": 37.5663, "longitude": 126.9779}
TILES = re.compile(r"^https://tile\.openstreetmap\.org/")
ICON = Path(__file__).resolve().parents[2] / "src/melanoscan/web/static/icons/icon-192.png"


def _locate(page):  # type: ignore[no-untyped-def]
    with page.expect_response(lambda r: "/api/v1/hospitals" in r.url) as answer:
        page.click("#locate-btn")
    page.locator("#hospital-list li").first.wait_for()
    return answer.value.json()["hospitals"]


def test_far_hospitals_are_marked_and_the_nearest_marker_is_on_top(new_context, server_ok, screens):
    """Jeju: 3 hospitals on the island, 7 on the mainland 90-180 km away. Map tiles load here (a plain
    image stands in for the tile server), so the hint about tapping the map shows."""
    context = new_context(permissions=["geolocation"], geolocation=JEJU_CITY_HALL)
    context.route(
        TILES,
        lambda route: route.fulfill(
            status=200, content_type="image/png", body=ICON.read_bytes(), headers={"Access-Control-Allow-Origin": "*"}
        ),
    )
    page = _open(context, server_ok.url + "/hospitals")
    page.wait_for_selector("#map .leaflet-tile-loaded")
    assert page.locator("#tap-hint").is_visible()
    assert page.locator("#tiles-note").is_hidden()
    hospitals = _locate(page)
    far = [h["distance_km"] > 50 for h in hospitals]
    assert far.count(True) >= 5 and far.count(False) >= 1 and not far[0]
    items = page.locator("#hospital-list li")
    for i, is_far in enumerate(far):
        note = items.nth(i).locator(".h-far")
        assert note.count() == int(is_far), (i, hospitals[i])
        if is_far:
            assert "멀리" in note.inner_text() and note.is_visible()
    assert page.locator("#far-note").is_hidden()  # the nearest is close: no "all far" warning

    # The nearest marker is drawn above the others, and each above the ones farther down the list.
    z = page.evaluate("""[...document.querySelectorAll('#map .hmarker')]
        .map(m => [parseInt(m.textContent, 10), parseInt(m.style.zIndex, 10)])""")
    by_rank = [zi for _, zi in sorted(z)]
    assert len(by_rank) == len(hospitals) and by_rank == sorted(by_rank, reverse=True)
    assert len(set(by_rank)) == len(by_rank)

    # Label in name (WCAG 2.5.3): the call link's accessible name contains its visible text.
    for link in page.locator("#hospital-list a[href^='tel:']").all():
        visible = link.inner_text().strip()
        assert visible.startswith("전화 ")
        assert visible in link.get_attribute("aria-label")
    page.locator("#finder").screenshot(path=str(screens / "14-hospitals-jeju-ko.png"))
    assert page.js_errors == []


def test_all_far_says_so_above_the_list(new_context, server_ok, screens):
    """Ulleungdo: the nearest hospital with dermatology is on the mainland, well over 50 km away."""
    context = new_context(locale="en-US", permissions=["geolocation"], geolocation=ULLEUNG_COUNTY_OFFICE)
    page = _open(context, server_ok.url + "/hospitals")
    hospitals = _locate(page)
    assert hospitals[0]["distance_km"] > 50
    note = page.locator("#far-note")
    assert note.is_visible()
    assert f"{hospitals[0]['distance_km']:.0f} km" in note.inner_text()
    assert page.locator("#hospital-list .h-far").count() == len(hospitals)
    assert "far" in page.locator("#hospital-list .h-far").first.inner_text().lower()
    page.screenshot(path=str(screens / "15-hospitals-all-far-en.png"), full_page=True)
    assert page.js_errors == []


def test_failed_list_offers_a_retry_and_a_fitting_offline_note(new_context, server_ok, screens):
    """Offline on /hospitals: the list fails; the note that "markers and the list still work" goes, a retry
    button repeats the last search, the offline banner speaks of the hospital list, and the same city can
    be picked again. Map tiles never load here (external hosts are blocked)."""
    context = new_context()
    page = _open(context, server_ok.url + "/hospitals")
    page.locator("#tiles-note").wait_for()
    assert page.locator("#tap-hint").is_hidden()  # no "tap the map" while the map is an empty grey box
    context.set_offline(True)
    banner = page.locator("#offline-banner")
    banner.wait_for()
    assert "병원" in banner.inner_text() and "사진" not in banner.inner_text()

    page.select_option("#city-select", "busan")
    page.wait_for_function("document.getElementById('finder-status').textContent.includes('불러오지 못했습니다')")
    assert page.locator("#tiles-note").is_hidden()
    retry = page.locator("#finder-retry")
    assert retry.is_visible()
    # The select goes back to its placeholder: picking Busan again is a change, so it searches again.
    assert page.locator("#city-select").input_value() == ""
    page.screenshot(path=str(screens / "16-hospitals-offline-ko.png"), full_page=True)

    context.set_offline(False)
    banner.wait_for(state="hidden")
    with page.expect_response(lambda r: "/api/v1/hospitals" in r.url) as answer:
        retry.click()
    assert answer.value.status == 200 and "lat=35.179800" in answer.value.url
    page.locator("#hospital-list li").first.wait_for()
    assert retry.is_hidden()
    assert "부산" in page.locator("#finder-status").inner_text()
    assert page.locator("#tiles-note").is_visible()  # the list works again, so the note is true again

    # A tap on the map is a search that is not the city picker's: the select no longer shows Busan.
    page.select_option("#city-select", "busan")
    page.locator("#map").scroll_into_view_if_needed()
    with page.expect_response(lambda r: "/api/v1/hospitals" in r.url):
        page.locator("#map").click(position={"x": 60, "y": 60})
    page.wait_for_function("document.getElementById('finder-status').textContent.includes('지도에서 고른 곳')")
    assert page.locator("#city-select").input_value() == ""
    assert page.js_errors == []


def test_one_hospital_is_singular(new_context, server_ok):
    """The real server's answer cut to its first hospital: "1 hospital", not "1 hospitals"."""

    def first_only(route):  # type: ignore[no-untyped-def]
        response = route.fetch()
        body = response.json()
        body["hospitals"] = body["hospitals"][:1]
        route.fulfill(response=response, json=body)

    context = new_context(locale="en-US")
    context.route(re.compile(r"/api/v1/hospitals\?"), first_only)
    page = _open(context, server_ok.url + "/hospitals")
    page.select_option("#city-select", "seoul")
    page.locator("#hospital-list li").first.wait_for()
    status = page.locator("#finder-status").inner_text()
    assert page.locator("#hospital-list li").count() == 1
    assert "1 hospital" in status and "hospitals" not in status
    page.select_option("#city-select", "busan")
    page.wait_for_function("document.getElementById('finder-status').textContent.includes('Busan')")
    assert "1 hospital" in page.locator("#finder-status").inner_text()
    assert page.js_errors == []


TOKYO_STATION = {"latitude": 35.6812, "longitude": 139.7671}
GAEGEUM_BUSAN = {"latitude": 35.153596, "longitude": 129.021683}  # two hospitals share this building


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_outside_korea_says_the_finder_covers_korea_only(new_context, server_ok, axe_script, screens, lang):
    """From Tokyo the nearest Korean hospital is 934 km away: no list, a sentence instead (axe-checked)."""
    from test_web_cards import check_screen

    locale = "ko-KR" if lang == "ko" else "en-US"
    context = new_context(locale=locale, permissions=["geolocation"], geolocation=TOKYO_STATION)
    page = _open(context, server_ok.url + "/hospitals")
    with page.expect_response(lambda r: "/api/v1/hospitals" in r.url) as answer:
        page.click("#locate-btn")
    body = answer.value.json()
    assert body["coverage"]["covered"] is False and body["hospitals"] == []
    note = page.locator("#far-note")
    note.wait_for()
    words = "한국 안에서만" if lang == "ko" else "covers Korea only"
    assert words in note.inner_text()
    assert page.locator("#hospital-list li").count() == 0
    assert page.evaluate("document.documentElement.dataset.markers") == "0"
    assert "km" not in page.locator("#finder-status").inner_text()
    check_screen(page, axe_script, screens, f"40-hospitals-tokyo-{lang}")
    assert page.js_errors == []


def test_directions_in_kakao_naver_and_osm_are_well_formed(new_context, server_ok):
    """Every hospital offers Kakao Map, Naver Map and OpenStreetMap directions; the name is URL-encoded and
    the coordinates are the hospital's own."""
    from urllib.parse import unquote, urlsplit

    context = new_context(locale="en-US")
    page = _open(context, server_ok.url + "/hospitals")
    with page.expect_response(lambda r: "/api/v1/hospitals" in r.url) as answer:
        page.select_option("#city-select", "seoul")
    hospitals = answer.value.json()["hospitals"]
    page.locator("#hospital-list li").first.wait_for()
    items = page.locator("#hospital-list li")
    assert items.count() == len(hospitals) == 10
    for i, h in enumerate(hospitals):
        links = {a.get_attribute("data-map"): a for a in items.nth(i).locator("a.map-link").all()}
        assert set(links) == {"kakao", "naver", "osm"}
        for a in links.values():
            assert a.get_attribute("target") == "_blank" and "noopener" in a.get_attribute("rel")
            assert h["name"] in a.get_attribute("aria-label")  # whose directions, for a screen reader
            box = a.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44

        kakao = urlsplit(links["kakao"].get_attribute("href"))
        assert (kakao.scheme, kakao.netloc) == ("https", "map.kakao.com")
        match = re.fullmatch(r"/link/to/([^,/]+),(-?[0-9.]+),(-?[0-9.]+)", kakao.path)
        assert match, kakao.path
        assert re.fullmatch(r"[A-Za-z0-9%()\-_.!~*']+", match.group(1))  # encoded: no raw Korean, comma or space
        assert unquote(match.group(1)) == h["name"]
        assert abs(float(match.group(2)) - h["lat"]) < 1e-6 and abs(float(match.group(3)) - h["lon"]) < 1e-6

        naver = urlsplit(links["naver"].get_attribute("href"))
        assert (naver.scheme, naver.netloc) == ("https", "map.naver.com")
        match = re.fullmatch(r"/p/directions/-/(-?[0-9.]+),(-?[0-9.]+),([^,/]+),,/-/transit", naver.path)
        assert match, naver.path
        assert abs(float(match.group(1)) - h["lon"]) < 1e-6 and abs(float(match.group(2)) - h["lat"]) < 1e-6
        assert unquote(match.group(3)) == h["name"]

        osm = urlsplit(links["osm"].get_attribute("href"))
        assert osm.netloc == "www.openstreetmap.org" and osm.path == "/directions"
        assert f"{h['lat']:.5f}%2C{h['lon']:.5f}" in osm.query and "37.56630%2C126.97790" in osm.query
    assert page.js_errors == []


def test_english_page_marks_korean_names_and_says_what_each_kind_means(new_context, server_ok, screens):
    """In English the names and addresses stay Korean and are marked lang="ko"; each hospital says how likely a
    dermatologist is, and tertiary hospitals say a referral letter (진료의뢰서) is needed."""
    context = new_context(locale="en-US", permissions=["geolocation"], geolocation=SEOUL_CITY_HALL_POS)
    page = _open(context, server_ok.url + "/hospitals")
    hospitals = _locate(page)
    items = page.locator("#hospital-list li")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#hospital-list .h-name[lang='ko']").count() == len(hospitals)
    assert page.locator("#hospital-list .h-address[lang='ko']").count() == len(hospitals)
    assert page.locator("#hospital-list .h-kind-note[lang]").count() == 0  # English, as the page
    kinds = [h["kind"] for h in hospitals]
    assert kinds[0] == "tertiary_hospital"
    for i, h in enumerate(hospitals):
        referral = items.nth(i).locator(".h-referral")
        assert referral.count() == int(h["kind"] == "tertiary_hospital"), h["name"]
        if h["kind"] == "tertiary_hospital":
            assert "referral letter (진료의뢰서)" in referral.inner_text()
        note = items.nth(i).locator(".h-kind-note").inner_text()
        assert ("Most likely" in note) == (h["kind"] == "tertiary_hospital")
    assert "tertiary (university) hospitals first" in page.locator("#order-note").inner_text()
    assert "does not guarantee a dermatologist" in page.locator(".data-note").inner_text()
    page.click("#lang-toggle")
    page.wait_for_function("document.documentElement.lang === 'ko'")
    assert "진료의뢰서를 챙기세요" in items.first.locator(".h-referral").inner_text()
    page.locator("#finder").screenshot(path=str(screens / "41-hospitals-kinds-referral.png"))
    assert page.js_errors == []


def test_markers_in_one_building_are_spread_apart(new_context, server_ok, screens):
    """진아동병원 and 참병원 share one address and one coordinate: their markers must not hide each other."""
    context = new_context(permissions=["geolocation"], geolocation=GAEGEUM_BUSAN)
    page = _open(context, server_ok.url + "/hospitals")
    hospitals = _locate(page)
    names = [h["name"] for h in hospitals]
    assert "진아동병원" in names and "참병원" in names
    page.wait_for_function(f"document.querySelectorAll('#map .hmarker').length === {len(hospitals)}")
    boxes = page.evaluate("""[...document.querySelectorAll('#map .hmarker')].map(m => {
        const r = m.getBoundingClientRect();
        const x = r.x + r.width / 2, y = r.y + r.height / 2;
        return [parseInt(m.textContent, 10), x, y, r.width, r.height, m.dataset.spread];
    })""")
    assert all(w >= 44 and h >= 44 for _, _, _, w, h, _ in boxes)
    centre = {rank: (x, y) for rank, x, y, *_ in boxes}
    a, b = names.index("진아동병원") + 1, names.index("참병원") + 1
    distance = ((centre[a][0] - centre[b][0]) ** 2 + (centre[a][1] - centre[b][1]) ** 2) ** 0.5
    assert distance >= 44, (a, b, distance)
    assert {r: s for r, *_, s in boxes}[a] == "1"
    # Zooming out gathers more markers together: still none on top of another.
    page.evaluate("document.querySelector('.leaflet-control-zoom-out').click()")
    page.wait_for_timeout(600)
    points = page.evaluate("""[...document.querySelectorAll('#map .hmarker')].map(m => {
        const r = m.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })""")
    closest = min(
        ((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2) ** 0.5 for i, p in enumerate(points) for q in points[i + 1 :]
    )
    assert closest >= 43.5
    page.locator("#map").screenshot(path=str(screens / "42-hospitals-spread-markers.png"))
    assert page.js_errors == []


def test_the_map_library_loads_only_when_a_map_is_shown(new_context, server_ok, lesion):
    """The landing page fetches no Leaflet; a result that is not "see a dermatologist" fetches none either."""
    context = new_context()
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(server_ok.url + "/")
    page.wait_for_selector("html[data-ready='1']", state="attached")
    page.wait_for_load_state("networkidle")
    assert [u for u in fetched if "/vendor/leaflet/" in u] == []
    assert page.evaluate("typeof window.L") == "undefined"
    page.goto(server_ok.url + "/hospitals")
    page.wait_for_selector("#map.leaflet-container")
    assert any("/vendor/leaflet/leaflet.js?v=" in u for u in fetched)
    assert any("/vendor/leaflet/leaflet.css?v=" in u for u in fetched)
