"""Routes of the web client. Nothing here touches the model: the page calls the JSON API."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import xstatic.pkg.leaflet as xleaflet
from flask import Blueprint, Response, abort, current_app, render_template, request, send_from_directory, url_for

from melanoscan.config import Settings

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
LEAFLET_DIR = Path(xleaflet.BASE_DIR)
LANGS = ("ko", "en")

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web")

# Major Korean cities (city-hall coordinates) for people who do not share their location.
CITIES: list[dict] = [
    {"id": "seoul", "ko": "서울", "en": "Seoul", "lat": 37.5663, "lon": 126.9779},
    {"id": "busan", "ko": "부산", "en": "Busan", "lat": 35.1798, "lon": 129.0750},
    {"id": "incheon", "ko": "인천", "en": "Incheon", "lat": 37.4563, "lon": 126.7052},
    {"id": "daegu", "ko": "대구", "en": "Daegu", "lat": 35.8714, "lon": 128.6014},
    {"id": "daejeon", "ko": "대전", "en": "Daejeon", "lat": 36.3504, "lon": 127.3845},
    {"id": "gwangju", "ko": "광주", "en": "Gwangju", "lat": 35.1601, "lon": 126.8515},
    {"id": "ulsan", "ko": "울산", "en": "Ulsan", "lat": 35.5384, "lon": 129.3114},
    {"id": "sejong", "ko": "세종", "en": "Sejong", "lat": 36.4800, "lon": 127.2890},
    {"id": "suwon", "ko": "수원", "en": "Suwon", "lat": 37.2636, "lon": 127.0286},
    {"id": "seongnam", "ko": "성남", "en": "Seongnam", "lat": 37.4200, "lon": 127.1267},
    {"id": "goyang", "ko": "고양", "en": "Goyang", "lat": 37.6584, "lon": 126.8320},
    {"id": "chuncheon", "ko": "춘천", "en": "Chuncheon", "lat": 37.8813, "lon": 127.7298},
    {"id": "gangneung", "ko": "강릉", "en": "Gangneung", "lat": 37.7519, "lon": 128.8761},
    {"id": "wonju", "ko": "원주", "en": "Wonju", "lat": 37.3422, "lon": 127.9202},
    {"id": "cheongju", "ko": "청주", "en": "Cheongju", "lat": 36.6424, "lon": 127.4890},
    {"id": "cheonan", "ko": "천안", "en": "Cheonan", "lat": 36.8151, "lon": 127.1139},
    {"id": "jeonju", "ko": "전주", "en": "Jeonju", "lat": 35.8242, "lon": 127.1480},
    {"id": "andong", "ko": "안동", "en": "Andong", "lat": 36.5684, "lon": 128.7294},
    {"id": "pohang", "ko": "포항", "en": "Pohang", "lat": 36.0190, "lon": 129.3435},
    {"id": "changwon", "ko": "창원", "en": "Changwon", "lat": 35.2280, "lon": 128.6811},
    {"id": "mokpo", "ko": "목포", "en": "Mokpo", "lat": 34.8118, "lon": 126.3922},
    {"id": "yeosu", "ko": "여수", "en": "Yeosu", "lat": 34.7604, "lon": 127.6622},
    {"id": "jeju", "ko": "제주", "en": "Jeju", "lat": 33.4996, "lon": 126.5312},
]

# Short information pages linked from each result, as the original service linked pages on 흑색종 and 검버섯:
# address slug -> the i18n key suffix of its title (templates/about/<slug>.html holds both languages).
ABOUT_TOPICS = {
    "melanoma": "melanoma",
    "nevus": "nevus",
    "seborrheic-keratosis": "seborrheic_keratosis",
    "other-skin-cancers": "other_skin_cancers",
}
GUIDE_IMAGES = ["guide/good.svg", "guide/far.svg", "guide/blurry.svg", "guide/dark.svg"]

# Files the service worker stores on install so the app opens offline (up to the upload).
SHELL_STATIC = [
    "app.css",
    "app.js",
    "finder.css",
    "finder.js",
    "where.css",
    "where.js",
    "history.css",
    "history.js",
    "photo.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/apple-touch-icon.png",
    *GUIDE_IMAGES,
]
# Leaflet is not in the install-time shell: it is fetched when a map is first shown (finder.js) and the service
# worker keeps it from then on. The hospital list needs the network anyway, so a first visit offline loses nothing.
# A versioned asset (?v=<asset_version()>) never changes at that address: browsers may keep it a year.
IMMUTABLE = "public, max-age=31536000, immutable"


@cache
def strings() -> dict[str, dict[str, str]]:
    return json.loads((HERE / "i18n.json").read_text(encoding="utf-8"))


@cache
def asset_version() -> str:
    """Content hash of the shell: busts caches (query strings, service-worker cache name) on change."""
    digest = hashlib.sha256()
    for path in sorted([*STATIC_DIR.rglob("*"), HERE / "i18n.json", *(HERE / "templates").rglob("*")]):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    digest.update(xleaflet.VERSION.encode())
    return digest.hexdigest()[:12]


def _settings() -> Settings:
    return current_app.config["MELANOSCAN"]


def _lang() -> str:
    """The server's first guess (the page re-applies the stored or the browser's choice)."""
    chosen = request.args.get("lang") or request.cookies.get("melanoscan_lang")
    if chosen in LANGS:
        return chosen
    return request.accept_languages.best_match(LANGS, default="ko") or "ko"


def tile_source(tile_url: str) -> str:
    """The CSP source that allows the configured tile server: 'https://{s}.tile.x.org/..' -> 'https://*.tile.x.org'."""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@cache
def content_security_policy(tile_url: str) -> str:
    """Only our own scripts run; images come from us, the photo being previewed (blob:) and the map tiles.
    Inline styles stay allowed: the app and Leaflet position elements with them; no script can be injected."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' blob: data: {tile_source(tile_url)}".rstrip(),
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _page(template: str, page: str, **context: object) -> Response:
    settings = _settings()
    lang = _lang()
    client_config = {
        "page": page,
        "lang": lang,
        "version": asset_version(),
        "strings": strings(),
        "cities": CITIES,
        "tileUrl": settings.tile_url,
        "tileAttribution": settings.tile_attribution,
        "api": {"screenings": "/api/v1/screenings", "hospitals": "/api/v1/hospitals"},
        "about": {key: url_for("web.about", topic=slug) for slug, key in ABOUT_TOPICS.items()},
        "leaflet": {
            "css": url_for("web.leaflet", filename="leaflet.css") + f"?v={asset_version()}",
            "js": url_for("web.leaflet", filename="leaflet.js") + f"?v={asset_version()}",
        },
        "maxUploadBytes": settings.max_upload_bytes,
        "hospitalLimit": 10,
    }
    html = render_template(
        template,
        lang=lang,
        t=strings()[lang],
        page=page,
        cities=CITIES,
        config=client_config,
        v=asset_version(),
        about_topics=ABOUT_TOPICS,
        **context,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Content-Security-Policy"] = content_security_policy(settings.tile_url)
    return response


@bp.get("/")
def index() -> Response:
    return _page("index.html", "screen")


@bp.get("/hospitals")
def hospitals() -> Response:
    return _page("hospitals.html", "hospitals")


@bp.get("/history")
def history() -> Response:
    """Checks saved on this phone: the page is a shell, history.js fills it from the browser's IndexedDB."""
    return _page("history.html", "history")


@bp.get("/history/summary")
def history_summary() -> Response:
    """A printable page for a doctor; which spot or check comes after '#', so not even that reaches us."""
    return _page("summary.html", "history")


@bp.get("/about")
def about_index() -> Response:
    return _page("about_index.html", "about")


@bp.get("/about/<topic>")
def about(topic: str) -> Response:
    if topic not in ABOUT_TOPICS:
        abort(404)
    return _page("about.html", "about", topic=topic, title_key="title_about_" + ABOUT_TOPICS[topic])


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    lang = _lang()
    t = strings()[lang]
    body = {
        "name": t["app_full_name"],
        "short_name": "melanoscan",
        "description": t["manifest_description"],
        "lang": lang,
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b5394",
        "icons": [
            {"src": url_for("web.static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("web.static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": url_for("web.static", filename="icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [{"name": t["nav_hospitals"], "url": "/hospitals"}, {"name": t["nav_history"], "url": "/history"}],
    }
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    v = asset_version()
    shell = ["/", "/hospitals", "/history", "/history/summary", "/about", *(f"/about/{slug}" for slug in ABOUT_TOPICS)]
    shell += [url_for("web.static", filename=f) + f"?v={v}" for f in SHELL_STATIC]
    body = render_template("sw.js", version=v, shell=json.dumps(shell))
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/vendor/leaflet/<path:filename>")
def leaflet(filename: str) -> Response:
    """Leaflet from the installed xstatic-leaflet package (no CDN, nothing vendored by hand)."""
    response = send_from_directory(LEAFLET_DIR, filename, max_age=86400)
    return response


@bp.after_request
def cache_and_compress_assets(response: Response) -> Response:
    """Static files and Leaflet: a year, immutable, when asked for at the current version (every page links them
    with ?v=<asset_version()>), else revalidated; their bodies are read into memory so that flask-compress
    (create_app) compresses them whole, with a Content-Length, instead of streaming them uncompressed."""
    if request.endpoint not in ("web.static", "web.leaflet"):
        return response
    if request.args.get("v") == asset_version() and response.status_code in (200, 304):
        response.headers["Cache-Control"] = IMMUTABLE
    elif response.status_code == 200:
        response.headers["Cache-Control"] = "no-cache"
    if response.status_code == 200 and response.direct_passthrough:
        response.direct_passthrough = False
        response.set_data(response.get_data())
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    return send_from_directory(STATIC_DIR / "icons", "icon-192.png", mimetype="image/png", max_age=86400)
