"""The web blueprint without a browser: routes, manifest, service worker, icons, no external assets."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from PIL import Image

from melanoscan.config import Settings
from melanoscan.web import views


@pytest.fixture
def app(tmp_path) -> Flask:
    settings = Settings.from_env(
        data_dir=str(tmp_path),
        tile_url="https://tiles.example.test/{z}/{x}/{y}.png",
        tile_attribution="&copy; Example tiles",
    )
    app = Flask("web-test", static_folder=None)
    app.config["MELANOSCAN"] = settings
    app.register_blueprint(views.bp)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def _config(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="melanoscan-config">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


@pytest.mark.parametrize("path", ["/", "/hospitals", "/history", "/history/summary", "/about", "/about/melanoma"])
def test_pages_render_in_the_browser_language(client, path):
    ko = client.get(path, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    en = client.get(path, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert ko.status_code == en.status_code == 200
    assert '<html lang="ko">' in ko.text and '<html lang="en">' in en.text
    assert "진단이 아닙니다" in ko.text and "not a diagnosis" in en.text
    assert client.get(path + "?lang=en", headers={"Accept-Language": "ko"}).text.count('<html lang="en">') == 1


def test_tile_settings_reach_the_page(client):
    config = _config(client.get("/").text)
    assert config["tileUrl"] == "https://tiles.example.test/{z}/{x}/{y}.png"
    assert config["tileAttribution"] == "&copy; Example tiles"
    assert config["api"]["hospitals"] == "/api/v1/hospitals"
    assert {c["id"] for c in config["cities"]} >= {"seoul", "busan", "jeju"}


def test_no_external_scripts_or_styles(client):
    pages = ("/", "/hospitals", "/history", "/history/summary", "/about")
    for path in (*pages, *(f"/about/{slug}" for slug in views.ABOUT_TOPICS)):
        html = client.get(path).text
        for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not re.match(r"(https?:)?//", ref), ref
            if ref.startswith("/") and not ref.startswith("/api/"):
                assert client.get(ref).status_code == 200, ref


def test_leaflet_comes_from_the_xstatic_package(client):
    js = client.get("/vendor/leaflet/leaflet.js")
    assert js.status_code == 200 and b"Leaflet" in js.data[:400]
    assert client.get("/vendor/leaflet/leaflet.css").status_code == 200
    assert client.get("/vendor/leaflet/images/marker-icon.png").mimetype == "image/png"
    assert client.get("/vendor/leaflet/../../__init__.py").status_code == 404


def test_manifest_is_installable(client):
    r = client.get("/manifest.webmanifest", headers={"Accept-Language": "en"})
    assert r.mimetype == "application/manifest+json"
    manifest = r.get_json(force=True)
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert manifest["name"] and manifest["short_name"] == "melanoscan"
    sizes = {}
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.mimetype == "image/png"
        from io import BytesIO

        size = Image.open(BytesIO(png.data)).size
        assert f"{size[0]}x{size[1]}" == icon["sizes"]
        sizes[icon["sizes"]] = icon.get("purpose", "any")
    assert {"192x192", "512x512"} <= set(sizes) and "maskable" in sizes.values()


def test_service_worker_caches_a_shell_that_exists(client):
    r = client.get("/sw.js")
    assert r.mimetype == "text/javascript"
    assert views.asset_version() in r.text
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", r.text).group(1))
    assert "/" in shell and "/hospitals" in shell
    # History opens offline: its pages and files are in the shell (the checks themselves are in IndexedDB).
    assert {"/history", "/history/summary"} <= set(shell)
    assert {f"/static/web/{name}?v={views.asset_version()}" for name in ("history.js", "history.css")} <= set(shell)
    for url in shell:
        assert client.get(url).status_code == 200, url
    assert '"/api/"' in r.text  # the API is never cached


def test_strings_complete_in_both_languages():
    strings = views.strings()
    assert set(strings) == {"ko", "en"}
    assert set(strings["ko"]) == set(strings["en"])
    assert all(v.strip() for lang in strings.values() for v in lang.values())
    # Every key the page or script uses exists, and those it builds from a class, reason or topic.
    used = set()
    scripts = [views.HERE / "static" / name for name in ("app.js", "finder.js", "history.js")]
    for path in [*scripts, *(views.HERE / "templates").rglob("*.html")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'data-i18n(?:-aria-label|-alt)?="([a-z_0-9]+)"', text))
        used |= set(re.findall(r'\bt\("([a-z_0-9]+)"', text))
        # history.js: what its status line says after an action, and the summary's terms
        used |= set(re.findall(r'(?:setStatus\("[a-z-]+", |afterDelete\(|pair\()"([a-z_0-9]+)"', text))
        used |= {k for pair in re.findall(r'key: label \? "([a-z_]+)" : "([a-z_]+)"', text) for k in pair}
        used |= set(re.findall(r"\bt\.([a-z_0-9]+)\b", text))
        used |= set(re.findall(r'setCameraStatus\("([a-z_0-9]+)"', text))
    classes = ("melanoma", "nevus", "seborrheic_keratosis")
    used |= {f"class_{c}" for c in classes}
    used |= {
        f"{prefix}_{c}" for prefix in ("advice_monitor_title", "sign_new") for c in ("nevus", "seborrheic_keratosis")
    }
    used |= {f"title_about_{key}" for key in views.ABOUT_TOPICS.values()}
    used |= {
        f"{p}_{k}"
        for p in ("kind", "kind_note")
        for k in ("tertiary_hospital", "general_hospital", "hospital", "clinic")
    }
    assert {k for k in used if not k.endswith("_")} - set(strings["en"]) == set()


@pytest.mark.parametrize(
    "reason", ["uncertain", "blank_photo", "not_a_lesion", "blurry", "too_dark", "overexposed", "lesion_too_small"]
)
def test_every_retake_reason_has_its_own_advice(reason):
    """The API's retake reasons, today's and those of the photo-suitability gate (issue 13), each say what to do."""
    for lang in ("ko", "en"):
        advice = views.strings()[lang][f"retake_{reason}"]
        assert advice != views.strings()[lang]["retake_other"]


def test_landing_page_says_what_it_is_and_that_the_photo_is_not_kept(client):
    ko = client.get("/?lang=ko").text
    en = client.get("/?lang=en").text
    assert "피부확대경" in ko and "세 가지" in ko and "진단이 아닌" in ko and "저장하지 않습니다" in ko
    assert "dermatoscope" in en and "three kinds" in en and "not a diagnosis" in en and "not kept" in en
    for image in views.GUIDE_IMAGES:
        svg = client.get(f"/static/web/{image}")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
        assert image in en
    assert 'id="camera-video"' in en and 'capture="environment"' in en


@pytest.mark.parametrize("slug", list(views.ABOUT_TOPICS))
def test_about_pages_in_both_languages(client, slug):
    ko = client.get(f"/about/{slug}?lang=ko")
    en = client.get(f"/about/{slug}?lang=en")
    assert ko.status_code == en.status_code == 200
    key = "title_about_" + views.ABOUT_TOPICS[slug]
    assert f"<h1>{views.strings()['ko'][key]}</h1>" in ko.text and f"<h1>{views.strings()['en'][key]}</h1>" in en.text

    def article(html: str) -> str:
        return html[html.index("<article") : html.index("</article>")]

    assert len(re.findall("[가-힣]", article(ko.text))) > 150  # the reading itself is in Korean
    assert re.findall("[가-힣]", article(en.text)) == [] and len(article(en.text)) > 1000
    assert "not a substitute for seeing a doctor" in en.text and "진료를 대신하지 않습니다" in ko.text
    assert "Content-Security-Policy" in en.headers


def test_about_index_and_unknown_topic(client):
    index = client.get("/about?lang=en").text
    for slug in views.ABOUT_TOPICS:
        assert f'href="/about/{slug}"' in index
    assert "ABCDE" in client.get("/about/melanoma?lang=en").text
    assert client.get("/about/psoriasis").status_code == 404
    assert client.get("/about/../hospitals").status_code == 404


def test_offline_banner_fits_the_page(client):
    strings = views.strings()["ko"]
    screen = client.get("/", headers={"Accept-Language": "ko"}).text
    hospitals = client.get("/hospitals", headers={"Accept-Language": "ko"}).text
    assert strings["offline_banner"] in screen and strings["offline_banner_hospitals"] not in screen
    assert strings["offline_banner_hospitals"] in hospitals and strings["offline_banner"] not in hospitals
    assert 'data-i18n="offline_banner_hospitals"' in hospitals  # the in-page language switch follows it


def test_pages_allow_only_our_scripts_and_the_configured_tiles(app_factory, tmp_path):
    client = app_factory(data_dir=str(tmp_path), tile_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png").test_client()
    for path in ("/", "/hospitals"):
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
        assert "img-src 'self' blob: data: https://*.tiles.example.org;" in policy


def test_history_pages_load_their_script_before_app_js(client):
    """app.js may restore the last result as soon as it runs: history.js must already listen for it. Pages
    without history (hospitals, about) do not load it."""
    for path in ("/", "/history", "/history/summary"):
        html = client.get(path).text
        assert "history.css?v=" in html
        assert html.index("/static/web/history.js?v=") < html.index("/static/web/app.js?v="), path
    for path in ("/hospitals", "/about"):
        assert "history.js" not in client.get(path).text
    nav = client.get("/history?lang=en").text
    assert '<a href="/history" aria-current="page" data-i18n="nav_history">My checks</a>' in nav
    assert 'id="history-confirm"' in nav and 'id="summary-print"' in client.get("/history/summary").text


def test_screen_page_loads_photo_js_before_app_js_and_offline(client):
    """app.js takes photo.js's shrinking when a photo is picked; only the screen page picks photos. The service
    worker keeps photo.js, so a photo taken offline is still shrunk before its upload is tried."""
    html = client.get("/").text
    assert html.index("/static/web/photo.js?v=") < html.index("/static/web/app.js?v=")
    for path in ("/history", "/hospitals", "/about"):
        assert "photo.js" not in client.get(path).text
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", client.get("/sw.js").text).group(1))
    assert f"/static/web/photo.js?v={views.asset_version()}" in shell
