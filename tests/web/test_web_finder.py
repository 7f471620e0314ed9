"""The hospital finder in a real Chromium against a real `melanoscan serve` and its real hospital table: far
results, marker order, call-link names, a failed list and its retry, the city select after a map tap, the
hint about tapping the map, the count's wording.

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
