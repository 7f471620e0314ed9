"""Every screen on a phone, in Korean and English, against a real `melanoscan serve` and the real model: the
advice-first result cards (keep an eye on it / see a dermatologist with hospitals / retake), the landing page,
the live camera, the about pages and the hospital finder, each checked by axe-core (0 violations) and for
touch targets of at least 44 px. Screens are saved under test-artifacts/screens/ (390x844, 2x).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from test_web_browser import SEOUL_CITY_HALL, _open, _pick, photo_where

from melanoscan.web.views import ABOUT_TOPICS

pytestmark = pytest.mark.browser

MIN_TARGET_PX = 44
PERCENT = re.compile(r"^(약 \d{1,2}%|about \d{1,2}%|>99%|<1%)$")

# Interactive elements a finger must hit, the map's markers included (44 px targets, spread apart when they
# overlap). Exempt, as WCAG 2.5.5/2.5.8 allow: links inside running text, the visually hidden file inputs (their
# visible labels are the targets) and the skip link while off screen.
SMALL_TARGETS_JS = """min => [...document.querySelectorAll(
        'a, button, select, summary, input, label.button, [role=button], .leaflet-marker-icon')]
    .filter(e => {
        const r = e.getBoundingClientRect(), s = getComputedStyle(e);
        if (!r.width || !r.height || s.visibility === 'hidden') return false;
        if (e.classList.contains('file-input') || e.classList.contains('skip-link')) return false;
        if (e.closest('.leaflet-control-attribution')) return false;
        if (e.tagName === 'A' && s.display === 'inline' && !e.classList.contains('button')) return false;
        return r.width < min - 0.5 || r.height < min - 0.5;
    })
    .map(e => (e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + e.className) + ' ' +
        Math.round(e.getBoundingClientRect().width) + 'x' + Math.round(e.getBoundingClientRect().height))"""


def check_screen(page, axe_script: Path, screens: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """axe-core finds no violation, every target is finger-sized; the screen is saved for a person to look at."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(axe_script))  # from node_modules: nothing is fetched by the page
    violations = page.evaluate("""() => axe.run(document).then(r => r.violations.map(v =>
        v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', ')))""")
    assert violations == [], f"{name}: {violations}"
    assert page.evaluate(SMALL_TARGETS_JS, MIN_TARGET_PX) == [], name
    page.screenshot(path=str(screens / f"{name}.png"), full_page=True)


def _send(page, photo):  # type: ignore[no-untyped-def]
    _pick(page, photo)
    with page.expect_response(lambda r: "/api/v1/screenings" in r.url) as answer:
        page.click("#send-btn")
    card = page.locator("#result .result-card")
    card.wait_for()
    return card, answer.value.json()


def _advice_agrees(card, answer) -> None:  # type: ignore[no-untyped-def]
    """A server that already answers with `advice` is followed as it is."""
    if "advice" in answer:
        assert card.get_attribute("data-advice") == answer["advice"]


def _no_alert(a: dict) -> bool:
    return not a["melanoma_alert"] and not a.get("carcinoma_alert", False)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_landing_page_says_what_it_is_before_the_photo(new_context, server_ok, axe_script, screens, lang):
    page = _open(new_context(locale="ko-KR" if lang == "ko" else "en-US"), server_ok.url + "/")
    what = page.locator("#intro-what").inner_text()
    privacy = page.locator("#intro-privacy").inner_text()
    if lang == "ko":
        assert "피부확대경" in what and "세 가지" in what and "진단이 아닌" in what
        assert "저장하지 않습니다" in privacy
    else:
        assert "dermatoscope" in what and "three kinds" in what and "not a diagnosis" in what
        assert "not kept" in privacy
    # Both lines sit above the buttons, on the first screen of a phone.
    assert (
        page.locator("#intro-privacy").bounding_box()["y"]
        < page.locator("label[for='camera-input']").bounding_box()["y"]
    )
    assert page.locator("label[for='camera-input']").bounding_box()["y"] < 844
    # The examples: one good photo and three bad ones, all drawn images that load.
    assert page.locator(".guide-list li.good").count() == 1 and page.locator(".guide-list li.bad").count() == 3
    assert page.evaluate(
        "[...document.querySelectorAll('.guide-list img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    check_screen(page, axe_script, screens, f"20-landing-{lang}")
    assert page.js_errors == []


@pytest.mark.parametrize(
    ("lang", "label"),
    [("ko", "nevus"), ("en", "seborrheic_keratosis"), ("en", "nevus"), ("ko", "seborrheic_keratosis")],
)
def test_confident_mole_or_keratosis_gives_a_keep_an_eye_card(new_context, server_ok, axe_script, screens, lang, label):
    photo, expected = photo_where(
        server_ok,
        lambda a: a["status"] == "ok" and a["label"] == label and _no_alert(a),
        f"a confident {label} without an alert",
    )
    page = _open(new_context(locale="ko-KR" if lang == "ko" else "en-US"), server_ok.url + "/")
    card, answer = _send(page, photo)
    assert answer["label"] == expected["label"]
    assert card.get_attribute("data-advice") == "monitor"
    _advice_agrees(card, answer)
    headline = card.locator("h2").inner_text()
    signs = page.locator("#monitor-signs").inner_text()
    if lang == "en":
        assert (
            headline
            == {
                "nevus": "Looks like a common mole — keep an eye on it",
                "seborrheic_keratosis": "Looks like seborrheic keratosis, a usually harmless growth",
            }[label]
        )
        assert "once a month" in page.locator("#monitor-recheck").inner_text()
        assert "ABCDE" in signs and "bleeds" in signs and "itches" in signs
        assert ("after age 30" in signs) == (label == "nevus")
    else:
        assert "계속 지켜보세요" in headline if label == "nevus" else "지루각화증" in headline
        assert "ABCDE" in signs and "피가 나거나" in signs
    # One primary button, no hospital map, and the numbers only in the closed details, rounded.
    assert card.locator(".button.primary").count() == 1
    assert page.locator("#finder").is_hidden()
    assert "%" not in headline
    page.click("#result-details summary")
    nums = page.locator("#result .all-list .num").all_inner_texts()
    assert len(nums) == len(answer["probabilities"]) and all(PERCENT.match(n) for n in nums), nums
    check_screen(page, axe_script, screens, f"21-monitor-{label}-{lang}")
    # The result links its "about" page, in the same language.
    slug = label.replace("_", "-")
    page.click(f"#result .learn-more a[href^='/about/{slug}']")
    page.wait_for_url(f"**/about/{slug}?lang={lang}")
    page.wait_for_selector("html[data-ready='1']", state="attached")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("article.about").get_attribute("data-topic") == slug
    assert page.js_errors == []


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_melanoma_gives_see_a_dermatologist_with_hospitals(new_context, server_ok, axe_script, screens, lang):
    photo, _ = photo_where(server_ok, lambda a: a["label"] == "melanoma", "a melanoma label")
    context = new_context(
        locale="ko-KR" if lang == "ko" else "en-US", permissions=["geolocation"], geolocation=SEOUL_CITY_HALL
    )
    page = _open(context, server_ok.url + "/")
    card, answer = _send(page, photo)
    assert card.get_attribute("data-advice") == "see_dermatologist"
    _advice_agrees(card, answer)
    assert card.locator("h2").inner_text() == ("피부과 진료를 받으세요" if lang == "ko" else "See a dermatologist")
    assert card.locator(".button.primary").count() == 1
    assert card.locator(".button.primary").get_attribute("id") == "goto-finder"
    assert page.locator(".learn-more a[href^='/about/melanoma']").count() == 1
    check_screen(page, axe_script, screens, f"22-see-dermatologist-{lang}")
    page.click("#goto-finder")
    with page.expect_response(lambda r: "/api/v1/hospitals" in r.url):
        page.click("#locate-btn")
    page.locator("#hospital-list li").first.wait_for()
    page.wait_for_selector("#map .hmarker")
    assert page.locator("#hospital-list li").count() == 10
    check_screen(page, axe_script, screens, f"23-see-dermatologist-hospitals-{lang}")
    assert page.js_errors == []


def test_melanoma_alert_beside_a_mole_leads_with_the_doctor(new_context, server_ok, axe_script, screens):
    """The model's top class is a mole, but melanoma cannot be ruled out: nothing green on the card."""
    photo, answer = photo_where(
        server_ok,
        lambda a: a["status"] == "ok" and a["label"] != "melanoma" and a["melanoma_alert"],
        "a melanoma alert beside another label",
    )
    page = _open(new_context(), server_ok.url + "/")
    card, _ = _send(page, photo)
    assert card.get_attribute("data-advice") == "see_dermatologist"
    assert card.locator("h2").inner_text() == "피부과 진료를 받으세요"
    assert "흑색종 가능성을 배제할 수 없습니다" in page.locator("#see-why").inner_text()
    assert f"약 {round(answer['probabilities']['melanoma'] * 100)}%" in page.locator("#see-why").inner_text()
    assert "계속 지켜보세요" not in card.inner_text()
    assert page.locator("#finder").is_visible()
    check_screen(page, axe_script, screens, "24-melanoma-alert-beside-mole-ko")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_photo_sent_back_gives_the_retake_card(new_context, server_retake, axe_script, screens, lang):
    """Threshold 1.0: the real model's answer is never confident enough, so the photo is sent back."""
    photo, _ = photo_where(server_retake, lambda a: a["status"] == "retake" and _no_alert(a), "a retake without alert")
    page = _open(new_context(locale="ko-KR" if lang == "ko" else "en-US"), server_retake.url + "/")
    card, answer = _send(page, photo)
    assert answer["retake_reason"] == "uncertain"
    assert card.get_attribute("data-advice") == "retake"
    _advice_agrees(card, answer)
    assert card.locator("h2").inner_text() == (
        "이 사진으로는 판단하지 못했습니다 — 이렇게 다시 찍어 주세요"
        if lang == "ko"
        else "Couldn't judge this photo — here is how to retake it"
    )
    assert card.locator(".button.primary").count() == 1
    assert card.locator(".button.primary").get_attribute("id") == "take-again"
    assert page.locator("#finder").is_hidden() and card.locator("details").count() == 0
    check_screen(page, axe_script, screens, f"25-retake-{lang}")


def _answer_retake(reason: str):  # type: ignore[no-untyped-def]
    """A route handler answering a screening with a retake for `reason` (one argument: Playwright passes the
    request too to a handler that takes two)."""
    body = {
        "status": "retake",
        "label": None,
        "probability": None,
        "melanoma_alert": False,
        "probabilities": {"melanoma": 0.3, "nevus": 0.4, "seborrheic_keratosis": 0.3},
        "retake_reason": reason,
    }
    return lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


def test_every_retake_reason_reads_its_own_advice(new_context, server_ok):
    """The card for each reason the API may send (today's and the photo-suitability gate's), drawn from a server
    answer with that reason; an unknown reason still gets a generic retake card."""
    page = _open(new_context(locale="en-US"), server_ok.url + "/")
    reasons = ["uncertain", "blank_photo", "not_a_lesion", "blurry", "too_dark", "overexposed", "lesion_too_small"]
    texts = {}
    for reason in [*reasons, "something_new"]:
        page.route("**/api/v1/screenings*", _answer_retake(reason))
        _send(page, Path(__file__).resolve().parents[1] / "data" / "isic" / "tiny" / "ISIC_0012092.jpg")
        assert page.locator("#result [data-advice='retake']").count() == 1
        texts[reason] = page.locator("#retake-why").inner_text()
        page.unroute("**/api/v1/screenings*")
    assert len(set(texts[r] for r in reasons)) == len(reasons)
    assert "blurry" in texts["blurry"] and "too dark" in texts["too_dark"] and "skin spot" in texts["not_a_lesion"]
    assert texts["something_new"] == "This photo can't be judged. Please take it again following the tips below."


def test_advice_from_the_server_wins(new_context, server_ok):
    """When the answer carries `advice` (the API's field, issue 13), the card follows it, e.g. a carcinoma alert
    beside a mole that this client's own rule would not know."""
    page = _open(new_context(locale="en-US"), server_ok.url + "/")
    body = (
        '{"status": "ok", "label": "nevus", "probability": 0.8, "melanoma_alert": false, "carcinoma_alert": true, '
        '"advice": "see_dermatologist", "retake_reason": null, '
        '"probabilities": {"melanoma": 0.05, "nevus": 0.8, "seborrheic_keratosis": 0.15}}'
    )
    page.route(
        "**/api/v1/screenings*", lambda route: route.fulfill(status=200, content_type="application/json", body=body)
    )
    card, _ = _send(page, Path(__file__).resolve().parents[1] / "data" / "isic" / "tiny" / "ISIC_0012147.jpg")
    assert card.get_attribute("data-advice") == "see_dermatologist"
    assert "another kind of skin cancer, or a pre-cancer, that this service cannot name" in card.inner_text()
    assert page.locator(".learn-more a[href^='/about/other-skin-cancers']").count() == 1
    # The same rule in the client for servers without the field.
    derived = page.evaluate(
        """bodies => bodies.map(window.melanoscan.adviceOf)""",
        [
            {"status": "ok", "label": "nevus", "melanoma_alert": False},
            {"status": "ok", "label": "nevus", "melanoma_alert": False, "carcinoma_alert": True},
            {"status": "ok", "label": "melanoma", "melanoma_alert": True},
            {"status": "retake", "label": None, "melanoma_alert": True},
            {"status": "retake", "label": None, "melanoma_alert": False},
            {"status": "ok", "label": "seborrheic_keratosis", "melanoma_alert": False},
            {"status": "ok", "label": "monitor", "advice": "retake"},
        ],
    )
    assert derived == [
        "monitor",
        "see_dermatologist",
        "see_dermatologist",
        "see_dermatologist",
        "retake",
        "monitor",
        "retake",
    ]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_about_pages(new_context, server_ok, axe_script, screens, lang):
    page = _open(new_context(locale="ko-KR" if lang == "ko" else "en-US"), server_ok.url + "/")
    page.click("nav.menu a[href='/about']")
    page.wait_for_url("**/about")
    page.wait_for_selector("html[data-ready='1']", state="attached")
    check_screen(page, axe_script, screens, f"26-about-{lang}")
    for slug in ABOUT_TOPICS:
        page.goto(f"{server_ok.url}/about/{slug}")
        page.wait_for_selector("html[data-ready='1']", state="attached")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("article.about h2").count() >= 1
        check_screen(page, axe_script, screens, f"27-about-{slug}-{lang}")
    melanoma = page.goto(f"{server_ok.url}/about/melanoma")
    assert melanoma.ok
    page.wait_for_selector("html[data-ready='1']", state="attached")
    assert page.locator(".abcde dt").count() == 5
    # The language switch reloads the reading in the other language.
    page.click("#lang-toggle")
    other = "en" if lang == "ko" else "ko"
    page.wait_for_url(f"**/about/melanoma?lang={other}")
    page.wait_for_selector("html[data-ready='1']", state="attached")
    assert page.locator("html").get_attribute("lang") == other
    assert page.locator("h1").inner_text() == (
        "Melanoma and the ABCDE self-check" if other == "en" else "흑색종과 ABCDE 자가 점검"
    )
    assert page.js_errors == []


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_hospitals_page_is_accessible(new_context, server_ok, axe_script, screens, lang):
    context = new_context(
        locale="ko-KR" if lang == "ko" else "en-US", permissions=["geolocation"], geolocation=SEOUL_CITY_HALL
    )
    page = _open(context, server_ok.url + "/hospitals")
    page.wait_for_selector("#map.leaflet-container")
    check_screen(page, axe_script, screens, f"28-hospitals-{lang}")
    page.click("#locate-btn")
    page.locator("#hospital-list li").first.wait_for()
    page.wait_for_selector("#map .hmarker")
    check_screen(page, axe_script, screens, f"29-hospitals-list-{lang}")


def test_live_camera_with_a_guide_sends_a_frame(camera_browser, server_retake, axe_script, screens):
    """Chromium's fake camera: "Take photo" opens the camera in the page with a centring guide; "Capture" draws
    a frame to a canvas and sends it on the same path as a picked photo (the real server answers it)."""
    context = camera_browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        service_workers="block",
        bypass_csp=True,
        permissions=["camera"],
    )
    context.set_default_timeout(20_000)
    try:
        page = _open(context, server_retake.url + "/")
        page.wait_for_function(
            "navigator.mediaDevices.enumerateDevices().then(d => d.some(x => x.kind === 'videoinput'))"
        )
        page.wait_for_timeout(200)  # the page's own device check runs at start
        page.click("label[for='camera-input']")
        page.wait_for_selector("#camera:not([hidden])")
        page.wait_for_function("document.getElementById('camera-video').videoWidth > 0")
        page.wait_for_selector("#camera-shoot:not([disabled])")
        assert page.locator(".camera-guide").is_visible()
        assert "circle" in page.locator("#camera-status").inner_text()
        check_screen(page, axe_script, screens, "30-camera-en")
        view = page.evaluate(
            "(b => b.width / b.height)(document.querySelector('.camera-view').getBoundingClientRect())"
        )
        page.click("#camera-shoot")
        page.wait_for_selector("#send-btn:not([hidden])")
        assert page.locator("#camera").is_hidden()
        assert page.evaluate("document.getElementById('camera-video').srcObject") is None  # the camera is off
        page.wait_for_function("document.getElementById('preview-img').naturalWidth > 0")
        with page.expect_response(lambda r: "/api/v1/screenings" in r.url) as answer:
            page.click("#send-btn")
        assert answer.value.status == 200 and answer.value.json()["status"] == "retake"
        # What was sent is what the view showed: the middle of the (landscape) camera frame, cut to the view's
        # portrait shape; the server recorded only its size.
        with sqlite3.connect(server_retake.database) as db:
            width, height = db.execute(
                "SELECT image_width, image_height FROM screenings ORDER BY created_at DESC LIMIT 1"
            ).fetchone()
        assert width / height == pytest.approx(view, abs=0.02) and height > width
        page.locator("#result [data-advice='retake']").wait_for()
        # "Take again" opens the live camera again, and "Cancel" closes it.
        page.click("#take-again")
        page.wait_for_selector("#camera:not([hidden])")
        page.click("#camera-cancel")
        assert page.locator("#camera").is_hidden()
        assert page.js_errors == []
    finally:
        context.close()


def test_without_a_camera_take_photo_opens_the_phone_camera(new_context, server_ok):
    """No camera (this test browser has none): "Take photo" is the capture input, the phone's own camera app."""
    page = _open(new_context(), server_ok.url + "/")
    page.wait_for_timeout(200)
    with page.expect_file_chooser() as chooser:
        page.click("label[for='camera-input']")
    assert chooser.value.element.get_attribute("capture") == "environment"
    assert page.locator("#camera").is_hidden()
