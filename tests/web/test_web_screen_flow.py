"""The screen page's flow in a real Chromium against a real `melanoscan serve` and the real model: a new photo
during an upload, a cancelled picker, percentages at the extremes, ?lang=, the upload limit, the error titles.

Screens are saved under test-artifacts/screens/ (390x844 phone viewport, 2x).
"""

from __future__ import annotations

import os
import re

import pytest
from test_web_browser import TINY, _open, _pick, photo_where

from live_server import LIVE_MAX_UPLOAD

pytestmark = pytest.mark.browser


def _uplink(cdp, bytes_per_second: int) -> None:
    """CDP network emulation of a slow uplink (-1: no limit), as the progress test in test_web_browser does.
    Use one CDP session: the conditions one session sets are not lifted by another."""
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 100 if bytes_per_second > 0 else 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


def test_new_photo_during_an_upload_never_shows_the_old_answer(new_context, server_ok, screens):
    """Picking another photo while the first is uploading abandons the first request: the card shown is the
    answer for the photo in the preview, never the first photo's."""
    first, first_answer = photo_where(server_ok, lambda a: a["status"] == "ok" and a["label"] == "nevus", "nevus")
    second, second_answer = photo_where(
        server_ok, lambda a: a["status"] == "ok" and a["label"] == "melanoma", "a melanoma label"
    )
    page = _open(new_context(), server_ok.url + "/")
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url) if "/api/v1/screenings" in r.url else None)
    _pick(page, first)
    cdp = page.context.new_cdp_session(page)
    _uplink(cdp, 1_500)  # the first photo (~7.5 kB) takes seconds to go up
    page.click("#send-btn")
    page.wait_for_function("document.getElementById('progress-text').textContent.includes('보내는 중')")
    _pick(page, second)  # mid-upload
    assert page.locator("#progress").is_hidden()
    assert page.locator("#send-btn").is_enabled()
    _uplink(cdp, -1)
    with page.expect_response(lambda r: "/api/v1/screenings" in r.url) as answer:
        page.click("#send-btn")
    body = answer.value.json()
    assert body["label"] == second_answer["label"] == "melanoma" != first_answer["label"]
    card = page.locator("#result [data-status='ok']")
    card.wait_for()
    assert card.get_attribute("data-label") == "melanoma"
    assert f"약 {round(second_answer['probability'] * 100)}%" in page.locator("#result-top").text_content()
    assert len(failed) == 1  # the first upload was aborted, not left to answer later
    page.wait_for_timeout(300)
    assert page.locator("#result [data-status]").count() == 1
    assert page.locator("#result [data-status='ok']").get_attribute("data-label") == "melanoma"
    page.screenshot(path=str(screens / "12-second-photo-result-ko.png"), full_page=True)
    assert page.js_errors == []


def test_cancelled_picker_keeps_the_result(new_context, server_ok, lesion):
    """ "Check another spot" only opens the picker; the old result goes when a new photo actually arrives."""
    page = _open(new_context(), server_ok.url + "/")
    _pick(page, lesion)
    page.click("#send-btn")
    card = page.locator("#result [data-status='ok']")
    card.wait_for()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="다른 점 검사하기").click()
    assert chooser.value.element.get_attribute("id") == "camera-input"
    # The person cancels the picker: nothing arrives, nothing is lost.
    assert card.is_visible()
    assert page.locator("#preview").is_visible()
    chooser.value.set_files(str(TINY / "ISIC_0012134.jpg"))
    page.wait_for_selector("#send-btn:not([hidden])")
    assert page.locator("#result").inner_text() == ""
    assert page.locator("#preview").is_visible()
    assert page.js_errors == []


def test_percentages_never_claim_certainty(new_context, server_ok):
    """Whole percent, as the API's messages round them: the model's estimates are not precise to a decimal."""
    page = _open(new_context(locale="en-US"), server_ok.url + "/")
    values = [1, 0.996, 0.995, 0.9949, 0.5, 0.549, 0.005, 0.0049, 0.0000001, 0]
    shown = page.evaluate("values => values.map(window.melanoscan.formatPct)", values)
    assert shown == [">99%", ">99%", ">99%", "99%", "50%", "55%", "1%", "<1%", "<1%", "<1%"]
    about = page.evaluate("values => values.map(window.melanoscan.aboutPct)", [0.996, 0.549, 0.001])
    assert about == [">99%", "about 55%", "<1%"]
    spoken = page.evaluate("values => values.map(window.melanoscan.spokenPct)", [0.996, 0.5, 0.00001])
    assert spoken == ["over 99%", "about 50%", "under 1%"]

    # A real answer near the extremes (seborrheic keratosis ~99.8 %, the others ~0.1-0.2 %): rounded alike in
    # the card's details and the list of every class, with no decimals anywhere.
    photo, answer = photo_where(
        server_ok, lambda a: a["status"] == "ok" and a["probability"] > 0.99, "a probability above 99 %"
    )
    _pick(page, photo)
    page.click("#send-btn")
    page.locator("#result [data-status='ok']").wait_for()
    page.click("#result details.all summary")
    assert page.locator("#result-top").inner_text().endswith(">99%")
    numbers = page.locator("#result .all-list .num").all_inner_texts()
    ranked = sorted(answer["probabilities"], key=answer["probabilities"].get, reverse=True)
    assert numbers == [page.evaluate("p => window.melanoscan.aboutPct(p)", answer["probabilities"][c]) for c in ranked]
    assert numbers[0] == ">99%" and all(n == "<1%" for n in numbers[1:])
    assert not re.search(r"\d\.\d+ ?%", page.locator("#result").inner_text())


def test_lang_in_the_address_wins_and_is_remembered(new_context, server_ok):
    context = new_context(locale="en-US")
    page = _open(context, server_ok.url + "/?lang=ko")
    assert page.locator("h1").inner_text() == "피부 점 사진 검사"
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.evaluate("localStorage.getItem('melanoscan.lang')") == "ko"
    # Remembered like the in-page switch: the next page without ?lang= stays Korean in an English browser.
    page.goto(server_ok.url + "/hospitals")
    page.wait_for_selector("html[data-ready='1']", state="attached")
    assert page.locator("h1").inner_text() == "피부과 병원 찾기"
    # An explicit ?lang= also beats the stored choice.
    page.goto(server_ok.url + "/?lang=en")
    page.wait_for_selector("html[data-ready='1']", state="attached")
    assert page.locator("h1").inner_text() == "Check a skin spot"
    # The in-page switch afterwards is not undone by a reload of the same address.
    page.locator("#lang-toggle").click()
    assert page.locator("h1").inner_text() == "피부 점 사진 검사"
    page.reload()
    page.wait_for_selector("html[data-ready='1']", state="attached")
    assert page.locator("h1").inner_text() == "피부 점 사진 검사"
    assert page.js_errors == []


def test_photo_over_the_upload_limit_is_refused_without_uploading(new_context, server_ok, tmp_path, screens):
    """The page knows the server's limit: a file still over it after the in-browser shrink (here one the
    browser cannot decode, so it cannot shrink it either) is refused before any byte is sent."""
    huge = tmp_path / "huge.jpg"
    huge.write_bytes(os.urandom(LIVE_MAX_UPLOAD + 200_000))
    page = _open(new_context(), server_ok.url + "/")
    assert page.evaluate("JSON.parse(document.getElementById('melanoscan-config').textContent).maxUploadBytes") == (
        LIVE_MAX_UPLOAD
    )
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/api/v1/screenings" in r.url else None)
    _pick(page, huge)
    page.click("#send-btn")
    card = page.locator("#result [data-error='err_413']")
    card.wait_for()
    assert "너무 큽니다" in card.inner_text()
    assert "확인하지 못했습니다" in card.inner_text()
    assert sent == []
    page.screenshot(path=str(screens / "13-too-large-ko.png"), full_page=True)
    assert page.js_errors == []
