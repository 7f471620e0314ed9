"""History on the phone, in a real Chromium against a real `melanoscan serve` and the real model: save a result
on the phone (IndexedDB), follow a spot over two checks, the summary for a doctor (printed to PDF by Chromium),
the last result after Back and reload (sessionStorage), delete one and all, offline viewing through the service
worker, and that nothing of it reaches the server. Each screen passes axe-core and the 44 px target check.

Screens are saved under test-artifacts/screens/ (390x844 phone viewport, 2x).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from test_web_browser import TINY, _open, _pick
from test_web_cards import check_screen

from live_server import LiveServer

pytestmark = pytest.mark.browser

# What a saved check holds (history.js checkRecord): the outcome, never the answer's texts or heat map.
RECORD_KEYS = {
    "id", "checkedAt", "savedAt", "status", "advice", "label", "probability", "probabilities", "melanomaAlert",
    "carcinomaAlert", "retakeReason", "model", "site", "spotId", "thumb",
}  # fmt: skip
READ_DB = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open('melanoscan-history');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
        const tx = open.result.transaction(['checks', 'spots']);
        const out = {};
        tx.objectStore('checks').getAll().onsuccess = e => { out.checks = e.target.result; };
        tx.objectStore('spots').getAll().onsuccess = e => { out.spots = e.target.result; };
        tx.oncomplete = () => { open.result.close(); resolve(out); };
    };
})"""


@pytest.fixture(scope="module")
def judged(server_ok: LiveServer) -> list[tuple[Path, dict]]:
    """Every committed test photo with the real server's answer, judged once for this module."""
    answers = []
    for photo in sorted(TINY.glob("*.jpg")):
        with photo.open("rb") as handle:
            answer = requests.post(f"{server_ok.url}/api/v1/screenings", files={"image": handle}, timeout=60)
        answers.append((photo, answer.json()))
    return answers


def _followable(judged: list[tuple[Path, dict]], n: int) -> list[Path]:
    """n photos whose answer can be kept (the card offers "Save on this phone" for all but a retake)."""
    photos = [photo for photo, answer in judged if answer["advice"] != "retake"]
    assert len(photos) >= n, "the shipped model sends back too many test photos: the history flow is untested"
    return photos[:n]


def _check(page, photo: Path) -> dict:  # type: ignore[no-untyped-def]
    """Pick the photo, send it, wait for the card with its "Save on this phone" panel; the API's answer."""
    _pick(page, photo)
    with page.expect_response(lambda r: "/api/v1/screenings" in r.url) as answer:
        page.click("#send-btn")
    page.locator("#keep-form").wait_for()
    return answer.value.json()


def _save(page, site: str = "", spot: str | None = None, new_spot: str | None = None) -> None:  # type: ignore[no-untyped-def]
    if site:
        page.fill("#keep-site", site)
    if new_spot is not None:
        page.select_option("#keep-spot", "new")
        page.fill("#keep-new-name", new_spot)
    elif spot is not None:
        page.locator("#keep-spot option", has_text=spot).wait_for(state="attached")
        page.select_option("#keep-spot", label=spot)
    page.click("#keep-save")
    page.locator("#keep-form").wait_for(state="hidden")


def _open_history(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#keep-history, nav a[href='/history']").first.click()
    page.wait_for_url("**/history")
    page.locator("#history:not([data-state='loading'])").wait_for(state="attached")


def _local_requests(page, server: LiveServer) -> list:  # type: ignore[no-untyped-def]
    seen: list = []
    page.on("request", lambda r: seen.append(r) if r.url.startswith(server.url) else None)
    return seen


def _server_bytes(server: LiveServer) -> bytes:
    """Everything the server wrote: its database files and its log."""
    files = [p for p in server.data_dir.rglob("*") if p.is_file()] + [server.log_path]
    return b"".join(p.read_bytes() for p in files)


def test_save_follow_a_spot_and_export_for_a_doctor(new_context, server_ok, judged, screens):
    """Two real checks of one spot: kept on the phone, side by side in time order, one printable page with both
    screening ids; the server sees the two screening calls and page or static loads, nothing else."""
    first, second = _followable(judged, 2)
    page = _open(new_context(bypass_csp=False), server_ok.url + "/")  # the page's own policy holds throughout
    sent = _local_requests(page, server_ok)

    one = _check(page, first)
    assert page.locator("#screening-id").inner_text() == one["screening_id"]
    assert "검사 번호" in page.locator("#result .screening-id").inner_text()
    thumb = page.locator("#keep-thumb")
    assert thumb.get_attribute("src").startswith("data:image/jpeg;base64,")
    assert max(thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]")) == 128
    assert page.locator("#result .button.primary").count() == 1  # saving is offered, the advice still leads
    _save(page, site="왼쪽 어깨", new_spot="어깨 점")
    assert page.locator("#keep-status").inner_text() == "이 휴대폰에 저장했습니다."
    assert page.evaluate("document.activeElement.id") == "keep-history"

    two = _check(page, second)
    assert page.locator("#screening-id").inner_text() == two["screening_id"] != one["screening_id"]
    _save(page, spot="어깨 점")

    kept = page.evaluate(READ_DB)
    assert len(kept["spots"]) == 1 and kept["spots"][0]["name"] == "어깨 점"
    by_id = {c["id"]: c for c in kept["checks"]}
    assert set(by_id) == {one["screening_id"], two["screening_id"]}
    for answer in (one, two):
        record = by_id[answer["screening_id"]]
        assert set(record) == RECORD_KEYS
        assert record["spotId"] == kept["spots"][0]["id"]
        assert record["advice"] == answer["advice"] and record["label"] == answer["label"]
        assert record["melanomaAlert"] == answer["melanoma_alert"]
        for cls, p in answer["probabilities"].items():
            assert record["probabilities"][cls] == pytest.approx(p, abs=5e-5)
    assert by_id[one["screening_id"]]["site"] == "왼쪽 어깨" and by_id[two["screening_id"]]["site"] == ""

    _open_history(page)
    ids = page.locator(".check-list > li").evaluate_all("els => els.map(e => e.dataset.checkId)")
    assert ids == [two["screening_id"], one["screening_id"]]  # newest first
    spot = page.locator(".spot")
    assert spot.count() == 1 and spot.locator("h3").inner_text() == "어깨 점"
    timeline = spot.locator(".timeline > li").evaluate_all("els => els.map(e => e.dataset.checkId)")
    assert timeline == [one["screening_id"], two["screening_id"]]  # side by side, oldest first
    assert "왼쪽 어깨" in spot.inner_text() and "검사 2회" in spot.inner_text()
    page.screenshot(path=str(screens / "40-history-spot-ko.png"), full_page=True)

    spot.get_by_role("link", name=re.compile("의사에게 보여 줄 요약")).click()
    page.wait_for_url(re.compile(r"/history/summary#spot="))
    entries = page.locator("#summary-list > li")
    entries.first.wait_for()
    assert entries.evaluate_all("els => els.map(e => e.dataset.checkId)") == [one["screening_id"], two["screening_id"]]
    text = page.locator("#summary").inner_text()
    assert one["screening_id"] in text and two["screening_id"] in text
    assert "점: 어깨 점" in text and "왼쪽 어깨" in text and "진단이 아니며" in text
    page.screenshot(path=str(screens / "41-summary-ko.png"), full_page=True)

    # The printed page: no menu, no buttons; the browser's print-to-PDF makes one A4 page of it.
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden() and page.locator("#summary-print").is_hidden()
    assert page.locator("#summary-statement").is_visible()
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    page.emulate_media(media="screen")
    assert page.js_errors == []

    # What reached the server: two screening calls, then only pages and static files, without any query but
    # the asset version. Neither the spot's name nor the body site reached its database or its log.
    posts = [r for r in sent if r.method != "GET"]
    assert [(r.method, urlsplit(r.url).path) for r in posts] == [("POST", "/api/v1/screenings")] * 2
    for request in sent:
        url = urlsplit(request.url)
        if request.method == "GET":
            if url.path.startswith(("/static/web/", "/vendor/leaflet/")):
                assert re.fullmatch(r"(v=[0-9a-f]+)?", url.query), request.url
            else:
                assert url.path in {"/", "/history", "/history/summary", "/manifest.webmanifest", "/sw.js"}, request.url
                assert url.query == "", request.url
    assert not any(s in r.url for r in sent for s in (one["screening_id"], "spot="))
    written = _server_bytes(server_ok)
    assert "어깨 점".encode() not in written and "왼쪽 어깨".encode() not in written


def test_last_result_survives_back_and_reload(new_context, server_ok, judged, screens):
    """After the hospital tab and Back, or a reload, the card is there again (sessionStorage), with its
    screening id and its thumbnail, and can still be saved; a new photo forgets it."""
    photo, other = _followable(judged, 2)
    page = _open(new_context(locale="en-US"), server_ok.url + "/")
    answer = _check(page, photo)
    headline = page.locator("#result h2").inner_text()
    kept = page.evaluate("sessionStorage.getItem('melanoscan.lastResult')")
    assert answer["screening_id"] in kept and "heatmap" not in kept

    page.click("nav a[href='/hospitals']")
    page.wait_for_url("**/hospitals")
    page.go_back()
    page.wait_for_selector("html[data-ready='1']", state="attached")
    page.locator("#keep-form").wait_for()
    assert page.locator("#result h2").inner_text() == headline
    assert page.locator("#screening-id").inner_text() == answer["screening_id"]

    page.reload()
    page.wait_for_selector("html[data-ready='1']", state="attached")
    page.locator("#keep-form").wait_for()
    assert page.locator("#result h2").inner_text() == headline
    assert page.locator("#screening-id").inner_text() == answer["screening_id"]
    assert page.locator("#guide").is_hidden() and page.locator("#screen-note").is_hidden()
    assert page.locator("#keep-thumb").get_attribute("src").startswith("data:image/jpeg")
    page.screenshot(path=str(screens / "42-result-after-reload-en.png"), full_page=True)

    # Saved from the restored card: the same id and thumbnail end up on the phone.
    _save(page, site="left forearm")
    page.reload()
    page.wait_for_selector("html[data-ready='1']", state="attached")
    page.locator("#keep-status").filter(has_text="Saved on this phone.").wait_for()
    assert page.locator("#keep-form").is_hidden()  # already on the phone: not offered twice
    checks = page.evaluate(READ_DB)["checks"]
    assert [c["id"] for c in checks] == [answer["screening_id"]] and checks[0]["thumb"].startswith("data:image/jpeg")

    # A new photo replaces the result: a reload then shows the landing page, not the old card.
    _pick(page, other)
    assert page.evaluate("sessionStorage.getItem('melanoscan.lastResult')") is None
    page.reload()
    page.wait_for_selector("html[data-ready='1']", state="attached")
    assert page.locator("#result .result-card").count() == 0 and page.locator("#guide").is_visible()
    assert page.js_errors == []


def test_move_delete_one_and_delete_all(new_context, server_ok, judged, screens):
    first, second = _followable(judged, 2)
    page = _open(new_context(), server_ok.url + "/")
    one = _check(page, first)
    _save(page)
    two = _check(page, second)
    _save(page)
    _open_history(page)
    assert page.locator(".check-list > li").count() == 2 and page.locator(".spot").count() == 0

    # Follow the older check as a new spot from the list.
    item = page.locator(f".check-list > li[data-check-id='{one['screening_id']}']")
    item.locator("select").select_option("new")
    item.locator("input[type=text]").fill("등 점")
    item.get_by_role("button", name="만들어 넣기").click()
    page.locator(".spot h3", has_text="등 점").wait_for()
    assert "‘등 점’에 넣었습니다." in page.locator("#history-status").inner_text()
    select = page.locator(f"#spot-{one['screening_id']}")
    assert select.evaluate("s => s.options[s.selectedIndex].text") == "등 점"
    assert page.evaluate("document.activeElement.id") == f"spot-{one['screening_id']}"

    # Delete one: asked first; "cancel" keeps it.
    delete = page.locator(f".check-list > li[data-check-id='{one['screening_id']}'] button.danger")
    delete.click()
    dialog = page.locator("#history-confirm")
    dialog.wait_for()
    assert "삭제할까요" in dialog.inner_text()
    page.click("#history-confirm-no")
    dialog.wait_for(state="hidden")
    assert page.locator(".check-list > li").count() == 2
    delete.click()
    page.click("#history-confirm-yes")
    page.locator("#history-status", has_text="삭제했습니다.").wait_for()
    left = page.locator(".check-list > li").evaluate_all("els => els.map(e => e.dataset.checkId)")
    assert left == [two["screening_id"]]
    assert page.locator(".spot").count() == 0  # its only check is gone, so is the spot
    kept = page.evaluate(READ_DB)
    assert [c["id"] for c in kept["checks"]] == [two["screening_id"]] and kept["spots"] == []
    assert page.evaluate("document.activeElement.id") == "history-title"

    # Delete all, with Escape first (the browser's own way to say no).
    page.click("#delete-all")
    dialog.wait_for()
    assert "1개" in dialog.inner_text()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.locator(".check-list > li").count() == 1
    page.click("#delete-all")
    page.click("#history-confirm-yes")
    page.locator("#history[data-state='empty']").wait_for(state="attached")
    assert "아직 저장한 검사가 없습니다" in page.locator("#history-empty").inner_text()
    assert page.evaluate(READ_DB) == {"checks": [], "spots": []}
    page.screenshot(path=str(screens / "43-history-emptied-ko.png"), full_page=True)

    # The card of the last result no longer says it is saved.
    page.go_back()
    page.wait_for_selector("html[data-ready='1']", state="attached")
    page.locator("#keep-form").wait_for()
    assert page.js_errors == []


def test_history_opens_offline(new_context, server_ok, judged):
    """The service worker keeps /history, /history/summary, history.js and history.css: saved checks can be
    read, and the summary shown to a doctor, without a connection."""
    (photo,) = _followable(judged, 1)
    context = new_context(service_workers="allow")
    page = _open(context, server_ok.url + "/")
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
        page.wait_for_function("navigator.serviceWorker.controller !== null")
    answer = _check(page, photo)
    _save(page, new_spot="팔 점")
    context.set_offline(True)
    try:
        page.goto(server_ok.url + "/history")
        page.wait_for_selector("html[data-ready='1']", state="attached")
        page.locator("#history[data-state='ready']").wait_for(state="attached")
        assert page.locator("#offline-banner").is_visible()
        assert answer["screening_id"] in page.locator(".check-list").inner_text()
        page.locator(".spot").get_by_role("link").click()
        page.locator("#summary-list > li").first.wait_for()
        assert answer["screening_id"] in page.locator("#summary").inner_text()
    finally:
        context.set_offline(False)
    assert page.js_errors == []


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_history_screens_are_accessible(new_context, server_ok, judged, axe_script, screens, lang):
    first, second = _followable(judged, 2)
    page = _open(new_context(locale="ko-KR" if lang == "ko" else "en-US"), server_ok.url + "/history")
    page.locator("#history[data-state='empty']").wait_for(state="attached")
    check_screen(page, axe_script, screens, f"44-history-empty-{lang}")

    page.goto(server_ok.url + "/")
    _check(page, first)
    page.select_option("#keep-spot", "new")
    page.locator("#keep-new-name").wait_for()
    check_screen(page, axe_script, screens, f"45-keep-panel-{lang}")
    _save(page, site="shoulder", new_spot="A")
    check_screen(page, axe_script, screens, f"46-keep-saved-{lang}")
    _check(page, second)
    _save(page, spot="A")

    _open_history(page)
    page.locator(".spot").wait_for()
    check_screen(page, axe_script, screens, f"47-history-{lang}")
    page.locator(".check-list > li button.danger").first.click()
    page.locator("#history-confirm").wait_for()
    check_screen(page, axe_script, screens, f"48-history-confirm-{lang}")
    page.click("#history-confirm-no")

    # The language switch redraws the history in place.
    other = "en" if lang == "ko" else "ko"
    page.click("#lang-toggle")
    page.wait_for_function(f"document.documentElement.lang === '{other}'")
    heading = {"ko": "따라가는 점", "en": "Spots you follow"}[other]
    page.locator("#spots-title", has_text=heading).wait_for()
    page.click("#lang-toggle")
    page.locator("#spots-title", has_text={"ko": "따라가는 점", "en": "Spots you follow"}[lang]).wait_for()

    page.locator(".spot").get_by_role("link").click()
    page.locator("#summary-list > li").first.wait_for()
    check_screen(page, axe_script, screens, f"49-summary-{lang}")
    assert page.js_errors == []
