"""How the web client travels, over real HTTP from a real `melanoscan serve`: compressed text (brotli, else
gzip), versioned assets cached for a year as immutable, everything else revalidated, and a landing page that
does not load the map library.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from live_server import MODEL, LiveServer
from melanoscan.web.views import asset_version

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    if not MODEL.exists():
        pytest.skip(f"model missing: {MODEL}")
    live = LiveServer(tmp_path_factory.mktemp("delivery"))
    try:
        live.wait_ready()
        yield live
    finally:
        live.stop()


def _get(url: str, encoding: str = "br, gzip", **headers: str) -> tuple[requests.Response, bytes]:
    """The response and its body exactly as it came over the wire (still compressed)."""
    r = requests.get(url, headers={"Accept-Encoding": encoding, **headers}, timeout=30, stream=True)
    return r, r.raw.read(decode_content=False)


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/[^"]+\?v=[0-9a-f]+)"', html)


def test_landing_page_is_compressed_and_revalidated(server):
    r, wire = _get(server.url + "/")
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in r.headers["Vary"] and r.headers["Cache-Control"] == "no-cache"
    html = requests.get(server.url + "/", timeout=30).text  # requests decodes it: the same page
    assert len(wire) < len(html.encode()) / 3
    g, gz = _get(server.url + "/", encoding="gzip")
    assert g.headers["Content-Encoding"] == "gzip" and len(gz) < len(html.encode()) / 3
    plain, raw = _get(server.url + "/", encoding="identity")
    assert "Content-Encoding" not in plain.headers and raw.decode() == html


def test_landing_page_loads_no_map_library(server):
    """Leaflet is fetched when a map is shown (finder.js), not with every page."""
    html = requests.get(server.url + "/", timeout=30).text
    assert not re.search(r"<(script|link)[^>]+leaflet", html)
    assert "/vendor/leaflet/leaflet.js?v=" in html  # named in the page's config, for finder.js to load later


def test_versioned_assets_are_immutable_and_compressed(server):
    html = requests.get(server.url + "/", timeout=30).text
    assets = _assets(html)
    assert {a.split("?")[0].rsplit("/", 1)[1] for a in assets} >= {"app.js", "finder.js", "app.css", "icon-192.png"}
    for asset in assets:
        assert asset.endswith("?v=" + asset_version())
        r, wire = _get(server.url + asset)
        assert r.status_code == 200, asset
        assert r.headers["Cache-Control"] == IMMUTABLE, asset
        size = len(_get(server.url + asset, encoding="identity")[1])
        if asset.split("?")[0].endswith((".js", ".css")) and size >= 500:  # smaller ones are not worth it
            assert r.headers["Content-Encoding"] == "br", asset
            assert len(wire) < size / 2, asset
            assert int(r.headers["Content-Length"]) == len(wire)
        elif asset.split("?")[0].endswith(".png"):
            assert "Content-Encoding" not in r.headers, asset  # PNG: already compressed


def test_leaflet_is_immutable_compressed_and_small(server):
    r, wire = _get(f"{server.url}/vendor/leaflet/leaflet.js?v={asset_version()}")
    assert r.status_code == 200 and r.headers["Cache-Control"] == IMMUTABLE
    assert r.headers["Content-Encoding"] == "br" and len(wire) < 50_000  # 147 KB as it is


def test_an_old_or_missing_version_is_revalidated(server):
    """An address without the current version may change under the same name: never kept as immutable."""
    for query in ("", "?v=000000000000"):
        r, _ = _get(f"{server.url}/static/web/app.js{query}")
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache", query


def test_conditional_request_of_a_compressed_asset(server):
    url = f"{server.url}/static/web/app.js?v={asset_version()}"
    r, _ = _get(url)
    etag = r.headers["ETag"]
    again, body = _get(url, **{"If-None-Match": etag})
    assert again.status_code == 304 and body == b""


def test_api_answers_are_compressed_when_asked(server):
    r, wire = _get(server.url + "/api/v1/hospitals?lat=37.5663&lon=126.9779&limit=50")
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "br"
    assert r.headers["Cache-Control"].startswith("private")
    assert len(wire) < len(requests.get(r.url, timeout=30).content) / 3


def test_service_worker_shell_leaves_leaflet_to_first_use(server):
    sw = requests.get(server.url + "/sw.js", timeout=30).text
    assert "/static/web/finder.js?v=" in sw and "leaflet" not in sw.split("const SHELL")[1].split(";")[0]
    assert '"/vendor/leaflet/"' in sw  # the fetch handler keeps Leaflet once a map has loaded it
