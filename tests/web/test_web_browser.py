"""The phone web client in a real Chromium against real `melanoscan serve` processes and the real model.

Each screen is saved under test-artifacts/screens/ (390x844 phone viewport, 2x).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from live_server import LiveServer

pytestmark = pytest.mark.browser

SEOUL_CITY_HALL = {"latitude": 37.5663, "longitude": 126.9779}
TINY = Path(__file__).resolve().parents[1] / "data" / "isic" / "tiny"
CLASS_NAMES_KO = {"melanoma": "흑색종", "nevus": "모반 (일반적인 점)", "seborrheic_keratosis": "지루각화증 (검버섯)"}
HEADLINES_KO = {
    "see_dermatologist": "피부과 진료를 받으세요",
    "nevus": "흔한 점(모반)으로 보입니다 — 계속 지켜보세요",
    "seborrheic_keratosis": "지루각화증(검버섯)으로 보입니다 — 대개 해가 없는 피부 병변입니다",
}


def _open(context, url):  # type: ignore[no-untyped-def]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A Content-Security-Policy violation is only a console message: count it as an error too.
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(url)
    page.wait_for_selector("html[data-ready='1']", state="attached")
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


def _pick(page, path, input_id="#file-input"):  # type: ignore[no-untyped-def]
    page.set_input_files(input_id, str(path))
    page.wait_for_selector("#send-btn:not([hidden])")


def test_real_photo_gives_a_result_card(new_context, server_ok, lesion, screens):
    page = _open(new_context(), server_ok.url + "/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert "검사 도우미일 뿐 진단이 아닙니다" in page.locator(".note").inner_text()
    page.screenshot(path=str(screens / "01-home-ko.png"), full_page=True)

    _pick(page, lesion)
    page.wait_for_function("document.getElementById('preview-img').naturalWidth > 0")
    page.screenshot(path=str(screens / "02-preview-ko.png"), full_page=True)

    # A slow uplink (CDP network emulation) makes the progress indicator observable.
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 100, "downloadThroughput": -1, "uploadThroughput": 8_000},
    )
    # Everything the live region (role=status) ever says, and the percent shown beside it.
    page.evaluate("""() => {
        window.said = {'progress-text': [], 'progress-pct': []};
        for (const id of Object.keys(window.said)) {
            const node = document.getElementById(id);
            new MutationObserver(() => window.said[id].push(node.textContent))
                .observe(node, {childList: true, characterData: true, subtree: true});
        }
    }""")
    with page.expect_response(lambda r: "/api/v1/screenings" in r.url) as answer:
        page.click("#send-btn")
        page.wait_for_selector("#progress:not([hidden])")
        page.wait_for_function("/…/.test(document.getElementById('progress-text').textContent)")
        assert page.locator("#progress-pct").get_attribute("aria-hidden") == "true"
        assert page.locator("#send-btn").is_disabled()
        page.screenshot(path=str(screens / "02b-uploading-ko.png"), full_page=True)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    body = answer.value.json()
    assert answer.value.status == 200 and body["status"] == "ok"
    assert page.locator("#progress").is_hidden()
    said = page.evaluate("window.said")
    # Phases only in the live region; each percent only in the aria-hidden text beside it.
    assert {"보내는 중…", "분석 중…"} <= set(said["progress-text"]) <= {"", "사진 준비 중…", "보내는 중…", "분석 중…"}
    assert any(re.fullmatch(r"\d{1,3}%", s) for s in said["progress-pct"]), said
    card = page.locator("#result [data-status='ok']")
    card.wait_for()
    assert card.get_attribute("data-label") == body["label"]
    # The headline is the action; the class and its rounded estimate wait in the details.
    assert card.locator("h2").inner_text() in HEADLINES_KO.values()
    assert page.locator("#result-details").get_attribute("open") is None
    top = page.locator("#result-top").text_content()  # inside the closed details: not rendered
    assert CLASS_NAMES_KO[body["label"]] in top
    assert re.search(r"(약 \d{1,2}%|>99%|<1%)$", top) and "." not in top
    assert "진단이 아닙니다" in card.locator(".disclaimer").inner_text()
    # What the model card says the model cannot do, said where the answer is read
    assert "휴대폰 사진이 아닌" in card.locator("#model-limits").inner_text()
    assert "안심해도 된다는 뜻은 아닙니다" in card.locator("#model-limits").inner_text()
    assert card.locator(".button.primary").count() == 1
    assert page.locator("#result").get_attribute("aria-live") == "polite"
    # The finder opens only when melanoma cannot be ruled out.
    assert page.locator("#finder").is_hidden() == (not body["melanoma_alert"])
    assert (card.get_attribute("data-advice") == "see_dermatologist") == body["melanoma_alert"]
    # The disclaimer once in the card and once in the footer, not a third time in the page's note.
    assert page.evaluate("document.body.innerText.split('진단이 아닙니다').length - 1") == 2
    assert page.locator("footer").is_visible()
    page.screenshot(path=str(screens / "03-result-ko.png"), full_page=True)
    assert page.js_errors == []


def test_content_security_policy_holds_in_a_real_session(new_context, server_ok, screens):
    """With the policy enforced: the app's scripts, the photo preview (blob:), the upload, the map and the
    hospital list all work, and the browser reports no violation."""
    lesion, _ = photo_where(server_ok, lambda a: a["melanoma_alert"], "a melanoma alert")
    page = _open(new_context(bypass_csp=False, permissions=["geolocation"], geolocation=SEOUL_CITY_HALL), server_ok.url)
    _pick(page, lesion)
    page.wait_for_selector("#preview-img[src^='blob:']")
    page.click("#send-btn")
    page.locator("#result [data-status]").wait_for()
    page.click("#locate-btn")
    page.locator("#hospital-list li").first.wait_for()
    page.wait_for_selector("#map .hmarker")
    assert page.locator("#map .hmarker").count() == 10
    assert page.js_errors == []


def test_retake_shows_tips_and_take_again(new_context, server_retake, lesion, screens):
    page = _open(new_context(locale="en-US"), server_retake.url + "/")
    _pick(page, lesion)
    page.click("#send-btn")
    card = page.locator("#result [data-status='retake']")
    card.wait_for()
    assert card.locator("h2").inner_text() == "Couldn't judge this photo — here is how to retake it"
    assert card.get_attribute("data-advice") == "retake"
    assert "couldn't give a confident answer" in page.locator("#retake-why").inner_text()
    assert card.locator(".button.primary").count() == 1 and card.locator("#result-details").count() == 0
    assert card.locator(".tips li").count() == 4
    assert "not a diagnosis" in card.locator(".disclaimer").inner_text()
    page.screenshot(path=str(screens / "04-retake-en.png"), full_page=True)
    with page.expect_file_chooser() as chooser:
        page.click("#take-again")
    assert chooser.value.element.get_attribute("id") == "camera-input"
    assert chooser.value.element.get_attribute("capture") == "environment"
    assert card.is_visible()  # kept until a new photo actually arrives (the picker may be cancelled)
    chooser.value.set_files(str(lesion))
    page.wait_for_selector("#send-btn:not([hidden])")
    assert page.locator("#result").inner_text() == ""
    assert page.js_errors == []


def test_blank_photo_is_sent_back_saying_why(new_context, server_ok, tmp_path, screens):
    """A covered lens: nothing to screen, so a retake that says the photo is blank, and no result card."""
    from PIL import Image

    dark = tmp_path / "covered-lens.jpg"
    Image.new("RGB", (640, 480), (3, 3, 3)).save(dark, "JPEG")
    page = _open(new_context(), server_ok.url + "/")
    _pick(page, dark)
    with page.expect_response(lambda r: "/api/v1/screenings" in r.url) as answer:
        page.click("#send-btn")
    assert answer.value.json()["retake_reason"] == "blank_photo"
    page.locator("#result [data-status='retake']").wait_for()
    assert "비어 있습니다" in page.locator("#retake-why").inner_text()
    assert page.locator("#finder").is_hidden()
    page.screenshot(path=str(screens / "04b-blank-photo-ko.png"), full_page=True)
    assert page.js_errors == []


def test_non_image_upload_is_a_friendly_error(new_context, server_ok, tmp_path, screens):
    note = tmp_path / "photo.jpg"  # a text file renamed .jpg
    note.write_text("this is not a photo of a skin spot\n" * 20)
    page = _open(new_context(), server_ok.url + "/")
    _pick(page, note)
    # The browser cannot decode it: no promise that it can be sent, only that the server will check it.
    caption = page.locator("#preview-caption")
    page.wait_for_function("document.getElementById('preview-caption').textContent !== ''")
    assert "미리 볼 수 없습니다" in caption.inner_text() and "서버" in caption.inner_text()
    assert "보낼 수는 있습니다" not in caption.inner_text()
    with page.expect_response(lambda r: "/api/v1/screenings" in r.url) as answer:
        page.click("#send-btn")
    assert answer.value.status in (400, 415, 422)
    card = page.locator("#result [data-status='error']")
    card.wait_for()
    text = card.inner_text()
    # The file was sent and answered: the title says it could not be checked, not that it was not sent.
    assert "확인하지 못했습니다" in text and "보내지 못했습니다" not in text and "사진" in text
    assert "{" not in text and "error" not in text.lower()  # no raw JSON or codes
    assert card.get_attribute("role") == "alert"
    page.screenshot(path=str(screens / "05-error-ko.png"), full_page=True)


def photo_where(server: LiveServer, wanted, what: str) -> tuple[Path, dict]:  # type: ignore[no-untyped-def]
    """A committed real lesion photo whose answer from the shipped model, through the real server, is `wanted`."""
    for photo in sorted(TINY.glob("*.jpg")):
        with photo.open("rb") as handle:
            answer = requests.post(f"{server.url}/api/v1/screenings", files={"image": handle}, timeout=60).json()
        if wanted(answer):
            return photo, answer
    raise AssertionError(f"the shipped model gives none of the test photos {what}: that path is untested")


def melanoma_photo(server: LiveServer) -> Path:
    return photo_where(server, lambda answer: answer["label"] == "melanoma", "a melanoma label")[0]


def test_melanoma_alert_beside_another_label(new_context, server_ok, screens):
    """A real photo reported as another class while melanoma is too probable to rule out: the warning and the
    hospital finder show anyway."""
    lesion, answer = photo_where(
        server_ok,
        lambda a: a["status"] == "ok" and a["label"] != "melanoma" and a["melanoma_alert"],
        "a melanoma alert beside another label",
    )
    page = _open(new_context(locale="en-US"), server_ok.url + "/")
    _pick(page, lesion)
    page.click("#send-btn")
    card = page.locator(f"#result [data-label='{answer['label']}']")
    card.wait_for()
    # The action leads, not the reassuring label: that is only in the details.
    assert card.get_attribute("data-advice") == "see_dermatologist"
    assert card.locator("h2").inner_text() == "See a dermatologist"
    why = page.locator("#see-why").inner_text()
    assert "Melanoma cannot be ruled out" in why
    assert f"about {round(answer['probabilities']['melanoma'] * 100)}%" in why
    assert "Nevus" not in card.locator("h2").inner_text() + why
    assert card.locator(".button.primary").count() == 1
    assert page.locator("#finder").is_visible()
    page.click("#goto-finder")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'finder-title'")
    page.screenshot(path=str(screens / "09-melanoma-alert-en.png"), full_page=True)
    assert page.js_errors == []


def test_melanoma_result_finds_nearest_dermatology_hospitals(new_context, server_ok, screens):
    """A real photo the real model calls melanoma; hospitals, map and list come from the real server."""
    lesion = melanoma_photo(server_ok)
    context = new_context(permissions=["geolocation"], geolocation=SEOUL_CITY_HALL)
    page = _open(context, server_ok.url + "/")
    _pick(page, lesion, "#camera-input")
    page.click("#send-btn")
    page.locator("#result [data-label='melanoma']").wait_for()
    assert page.locator("#result h2").inner_text() == "피부과 진료를 받으세요"
    assert "흑색종과 가장 닮았습니다" in page.locator("#see-why").inner_text()
    finder = page.locator("#finder")
    assert finder.is_visible()
    assert "위치" in page.locator("#finder-why").inner_text()  # the reason is explained before asking
    page.screenshot(path=str(screens / "06-melanoma-result-ko.png"), full_page=True)

    with page.expect_response(lambda r: "/api/v1/hospitals" in r.url) as answer:
        page.click("#locate-btn")
    api = answer.value.json()["hospitals"]
    items = page.locator("#hospital-list li")
    items.first.wait_for()
    assert items.count() == len(api) == 10
    distances = [float(x) for x in items.evaluate_all("els => els.map(e => e.dataset.distance)")]
    assert min(distances) < 1.5
    # The likeliest to have a dermatologist first within a distance band: a tertiary hospital near City Hall.
    assert items.first.get_attribute("data-kind") == "tertiary_hospital" and distances[0] < 5
    assert page.locator("#hospital-list .h-name").first.inner_text() == api[0]["name"]
    # Map with the user and one marker per hospital; tiles are blocked, so the offline note shows.
    page.wait_for_selector("#map.leaflet-container")
    assert page.locator("#map .hmarker").count() == 10
    assert page.locator("#map path.you-marker").count() == 1
    page.locator("#tiles-note").wait_for()
    tel = items.first.locator("a[href^='tel:']")
    assert re.fullmatch(r"tel:[0-9+]{7,}", tel.get_attribute("href"))
    directions = items.first.locator("a[href*='openstreetmap.org/directions']").get_attribute("href")
    assert "37.56630%2C126.97790" in directions
    finder.screenshot(path=str(screens / "07-hospitals-near-seoul-ko.png"))
    page.screenshot(path=str(screens / "08-melanoma-full-ko.png"), full_page=True)
    assert page.js_errors == []


def test_hospitals_page_without_location_permission(new_context, server_ok, screens):
    context = new_context(locale="en-US")
    # Headless Chromium leaves an unanswered permission prompt pending forever; stand in for a person
    # who taps "Block" by answering PERMISSION_DENIED, as the browser would.
    context.add_init_script("""navigator.geolocation.getCurrentPosition = (ok, fail) =>
        setTimeout(() => fail({code: 1, message: 'User denied Geolocation'}), 50);""")
    page = _open(context, server_ok.url + "/")
    page.click("nav a[href='/hospitals']")
    page.wait_for_url("**/hospitals")
    page.wait_for_selector("html[data-ready='1']", state="attached")
    page.wait_for_selector("#map.leaflet-container")
    page.click("#locate-btn")
    page.wait_for_function("document.getElementById('finder-status').textContent.includes('Choose a city')")
    with page.expect_response(lambda r: "/api/v1/hospitals" in r.url):
        page.select_option("#city-select", "busan")
    page.locator("#hospital-list li").first.wait_for()
    addresses = page.locator("#hospital-list .h-meta:nth-of-type(2)").all_inner_texts()
    assert addresses and all(a.startswith("부산") for a in addresses[:5])
    assert "Busan" in page.locator("#finder-status").inner_text()
    page.screenshot(path=str(screens / "09-hospitals-page-busan-en.png"), full_page=True)
    # Tapping the map picks a place too.
    page.evaluate("window.scrollTo(0, 0)")
    with page.expect_response(lambda r: "/api/v1/hospitals" in r.url) as answer:
        page.locator("#map").click(position={"x": 60, "y": 60})
    assert answer.value.status == 200
    page.wait_for_function("document.getElementById('finder-status').textContent.includes('the place you picked')")
    assert page.locator("#hospital-list li").count() == 10
    assert page.js_errors == []


def test_language_switch_is_remembered(new_context, server_ok, screens):
    context = new_context(locale="ko-KR")
    page = _open(context, server_ok.url + "/")
    assert page.locator("h1").inner_text() == "피부 점 사진 검사"
    toggle = page.locator("#lang-toggle")
    assert toggle.inner_text() == "English"
    toggle.click()
    assert page.locator("h1").inner_text() == "Check a skin spot"
    assert page.locator("html").get_attribute("lang") == "en"
    assert toggle.inner_text() == "한국어"
    assert page.evaluate("localStorage.getItem('melanoscan.lang')") == "en"
    page.reload()
    page.wait_for_selector("html[data-ready='1']", state="attached")
    assert page.locator("h1").inner_text() == "Check a skin spot"
    assert "not a diagnosis" in page.locator(".note").inner_text()
    page.screenshot(path=str(screens / "10-home-en.png"), full_page=True)
    page.locator("#lang-toggle").click()
    assert page.locator("h1").inner_text() == "피부 점 사진 검사"
    # An English browser starts in English.
    en = _open(new_context(locale="en-GB"), server_ok.url + "/hospitals")
    assert en.locator("h1").inner_text() == "Find a hospital with dermatology"


def test_keyboard_and_labels(new_context, server_ok):
    page = _open(new_context(), server_ok.url + "/")
    # Every image has alt text, every form control a label.
    assert page.evaluate("[...document.images].every(i => i.hasAttribute('alt'))")
    unlabeled = page.evaluate("""[...document.querySelectorAll('input, select')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id)""")
    assert unlabeled == []
    # The skip link is the first stop, then the menu; the photo inputs are reachable by keyboard.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    focused = []
    for _ in range(8):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert "camera-input" in focused and "file-input" in focused


def test_installable_and_offline_app_shell(new_context, server_ok, screens):
    context = new_context(service_workers="allow")
    page = _open(context, server_ok.url + "/")
    manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["display"] == "standalone" and {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()  # the first load is not controlled yet; clients.claim() may or may not have run
        page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("html[data-ready='1']", state="attached")
    assert page.locator("h1").inner_text() == "피부 점 사진 검사"
    assert page.locator("#offline-banner").is_visible()
    _pick(page, TINY / "ISIC_0012092.jpg")
    page.click("#send-btn")
    card = page.locator("#result [data-error='err_network']")
    card.wait_for()
    assert "인터넷 연결" in card.inner_text() and "보내지 못했습니다" in card.inner_text()
    page.screenshot(path=str(screens / "11-offline-ko.png"), full_page=True)
    context.set_offline(False)


def test_large_photo_is_shrunk_before_upload(new_context, server_ok, lesion, tmp_path):
    """A 4000x3000 phone photo is redrawn at most 1024 px on its longest side (JPEG) in the browser: Chromium's
    ImageDecoder decodes it at 2/8 scale, 1000x750 (photo.js; test_web_photo covers the other path and EXIF
    orientation). The server records what it received (no image, only its size) in its screenings table."""
    import sqlite3

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    big = Image.open(lesion).convert("RGB").resize((4000, 3000))
    noisy = np.clip(np.asarray(big, dtype=np.int16) + rng.integers(-12, 12, (3000, 4000, 3)), 0, 255)
    path = tmp_path / "big.jpg"
    Image.fromarray(noisy.astype(np.uint8)).save(path, quality=95)
    assert path.stat().st_size > 3_000_000

    page = _open(new_context(), server_ok.url + "/")
    _pick(page, path)
    with page.expect_response(lambda r: "/api/v1/screenings" in r.url) as answer:
        page.click("#send-btn")
    assert answer.value.status == 200
    page.locator("#result [data-status='ok']").wait_for()
    with sqlite3.connect(server_ok.database) as db:
        width, height, size = db.execute(
            "SELECT image_width, image_height, image_bytes FROM screenings ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    assert (width, height) == (1000, 750)
    assert size < path.stat().st_size / 3
