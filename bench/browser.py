"""The web client on a slow phone: first load of `/` and pick-to-result for a 12-MP photo, in a real Chromium.

    nice -n 19 taskset -c 1 .venv/bin/python bench/browser.py [--runs 3] [--url http://127.0.0.1:8000] [--tap page]

Unless --url is given it starts `melanoscan serve` (gunicorn, one worker, the shipped model, SQLite in a temp
dir, rate limits off) on a free port, as the browser tests do. Debian's chromium (/usr/bin/chromium, or
$MELANOSCAN_CHROMIUM) is driven by Playwright with a phone viewport (390x844, 2x, touch) and, through the
Chrome DevTools Protocol, the conditions of DevTools' "Slow 4G" preset (Network.emulateNetworkConditions:
562.5 ms latency, 1.6 Mbit/s down and 750 kbit/s up, each times 0.9, as DevTools sets them) and a CPU four
times slower (Emulation.setCPUThrottlingRate 4). Every run is a fresh browser context: an empty cache, no
service worker yet (a first visit).

- first load: the bytes on the wire (the sum of Network.loadingFinished encodedDataLength: headers and
  compressed bodies) of every request the page makes until it is ready and the network has been quiet for
  1 s, the number of requests, and the time from navigation to `html[data-ready]` (app.js has wired every
  control: the page is interactive) and to the load event. The service worker's own install (it fetches the
  app shell for offline use, in the background after the page is ready) is counted apart.
- pick-to-result: a 12-MP JPEG (4000x3000, made from a committed ISIC test photo: bicubic upscale plus
  sensor-like noise, quality 92) is picked in the file input; the clock starts at the input's `change` event
  (when a person's pick reaches the page) and stops when the result card is in the page. The "Check" button is
  pressed as soon as it shows (a person's own tap time is not counted): with --tap page (the default) by the
  page itself, in the same task as the app's own `change` handler that shows it, so nothing but the app's work
  is timed; with --tap playwright by Playwright's click, as before 2026-12-03, which also times Playwright's
  own checks (visible, stable over two frames, hit target), each a round trip to the throttled page: over a
  second on a shared core. Also printed: the bytes uploaded, and the answer's probabilities against those of
  the same 12-MP file posted straight to the API.

The figures are medians over --runs runs. Run pinned to one core at low priority, as the project does while
a model trains on the other: server and browser then share one core, which makes every time longer than on
an idle machine or a real phone (whose CPU is the 4x throttle's stand-in).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from live_server import LiveServer  # noqa: E402

CHROMIUM = os.environ.get("MELANOSCAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SLOW_4G = {
    "offline": False,
    "latency": 150 * 3.75,
    "downloadThroughput": 1.6 * 1000 * 1000 / 8 * 0.9,
    "uploadThroughput": 750 * 1000 / 8 * 0.9,
}
CPU_SLOWDOWN = 4
SOURCE_PHOTO = ROOT / "tests" / "data" / "isic" / "tiny" / "ISIC_0012258.jpg"


def phone_photo(path: Path) -> bytes:
    """A 4000x3000 JPEG like a 12-MP phone camera's, from a real (small) lesion photo."""
    rng = np.random.default_rng(0)
    big = Image.open(SOURCE_PHOTO).convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
    noisy = np.asarray(big, dtype=np.int16) + rng.integers(-6, 7, (3000, 4000, 3), dtype=np.int16)
    out = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=92)
    path.write_bytes(out.getvalue())
    return out.getvalue()


class Wire:
    """Bytes on the wire per request, from the page's CDP session."""

    def __init__(self, cdp: Any) -> None:
        self.sizes: dict[str, float] = {}
        self.urls: dict[str, str] = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event: dict) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event: dict) -> None:
        self.sizes[event["requestId"]] = event["encodedDataLength"]

    def total(self) -> float:
        return sum(self.sizes.values())


def throttled_page(browser: Any) -> tuple[Any, Any, Any, Wire]:
    context = browser.new_context(**PHONE, locale="ko-KR", service_workers="block")
    context.route(
        "**/*",
        lambda route: route.abort() if not route.request.url.startswith("http://127.0.0.1") else route.continue_(),
    )
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return context, page, cdp, Wire(cdp)


def first_load(browser: Any, url: str) -> dict:
    context, page, _cdp, wire = throttled_page(browser)
    started = time.perf_counter()
    page.goto(url + "/", wait_until="commit")
    page.wait_for_selector("html[data-ready='1']", state="attached", timeout=120_000)
    ready_s = time.perf_counter() - started
    page.wait_for_load_state("load")
    page.wait_for_load_state("networkidle")
    timing = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
        return {load: n.loadEventStart, dcl: n.domContentLoadedEventEnd}; }""")
    result = {
        "bytes": wire.total(),
        "requests": len(wire.sizes),
        "ready_s": ready_s,
        "load_s": timing["load"] / 1000,
        "urls": sorted({u.split("?")[0].replace(url, "") for u in wire.urls.values()}),
    }
    context.close()
    return result


def pick_to_result(browser: Any, url: str, photo: Path, tap: str = "page") -> dict:
    context, page, _cdp, _wire = throttled_page(browser)
    page.goto(url + "/")
    page.wait_for_selector("html[data-ready='1']", state="attached", timeout=120_000)
    page.wait_for_load_state("networkidle")
    page.evaluate(
        """(tap) => {
        window.__bench = {};
        document.getElementById('file-input').addEventListener('change', () => {
            window.__bench.picked = performance.now(); }, true);
        document.getElementById('send-btn').addEventListener('click', () => {
            window.__bench.sent = performance.now(); }, true);
        document.addEventListener('load', (event) => {
            if (event.target.id === 'preview-img') window.__bench.preview = performance.now(); }, true);
        new MutationObserver(() => {
            if (document.querySelector('#result .result-card') && !window.__bench.result)
                window.__bench.result = performance.now();
        }).observe(document.getElementById('result'), {childList: true, subtree: true});
        if (tap === 'page')  // after app.js's own change handler, which shows the button
            document.getElementById('file-input').addEventListener('change', () => {
                const send = document.getElementById('send-btn');
                if (!send.hidden && !send.disabled) send.click(); });
    }""",
        tap,
    )
    with page.expect_response(lambda r: "/api/v1/screenings" in r.url, timeout=120_000) as answer:
        page.set_input_files("#file-input", str(photo))
        if tap == "playwright":
            page.wait_for_selector("#send-btn:not([hidden])")
            page.click("#send-btn")
    page.wait_for_selector("#result .result-card", timeout=120_000)
    marks = page.evaluate("""() => { const r = performance.getEntriesByType('resource')
        .filter(e => e.name.includes('/api/v1/screenings')).pop();
        return {...window.__bench, start: r.startTime, end: r.responseEnd}; }""")
    body = answer.value.json()
    context.close()
    phases = {
        "until Check pressed": marks["sent"] - marks["picked"],  # the button shows at once: the tap's own cost
        "preparing": marks["start"] - marks["sent"],  # decoding and redrawing in the browser, what is left of it
        "upload+server": marks["end"] - marks["start"],  # request sent .. answer received
        "render": marks["result"] - marks["end"],
    }
    # When the preview image had loaded (the photo itself before 2026-12-03, the shrunk picture since).
    preview = (marks["preview"] - marks["picked"]) / 1000 if marks.get("preview") else float("nan")
    return {"seconds": (marks["result"] - marks["picked"]) / 1000, "answer": body, "phases": phases, "preview": preview}


def uploaded(server: LiveServer | None) -> str:
    """The size of the last photo the server received (its screenings table records it, never the photo)."""
    if server is None:
        return "upload size: unknown (--url)"
    import sqlite3

    with sqlite3.connect(server.database) as db:
        width, height, size = db.execute(
            "SELECT image_width, image_height, image_bytes FROM screenings ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    return f"upload {size / 1024:.0f} KB at {width}x{height}"


def service_worker_bytes(url: str) -> tuple[int, int]:
    """What the service worker's install fetches (the app shell), compressed as the server sends it."""
    import json
    import re

    text = requests.get(url + "/sw.js", timeout=30).text
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", text).group(1))  # type: ignore[union-attr]
    total = 0
    for path in shell:
        r = requests.get(url + path, headers={"Accept-Encoding": "br, gzip"}, timeout=30, stream=True)
        total += len(r.raw.read())
    return total, len(shell)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="an already running server (else one is started)")
    parser.add_argument("--tap", choices=("page", "playwright"), default="page", help="who presses Check")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found (Debian package chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server = None
        url = args.url
        if not url:
            (Path(tmp) / "server").mkdir()
            server = LiveServer(Path(tmp) / "server")
            server.wait_ready()
            url = server.url
        try:
            photo = Path(tmp) / "phone-12mp.jpg"
            data = phone_photo(photo)
            direct = requests.post(
                url + "/api/v1/screenings", files={"image": ("p.jpg", data, "image/jpeg")}, timeout=120
            )
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                pick_to_result(browser, url, photo, args.tap)  # warm-up: the server's first screening fills caches
                loads = [first_load(browser, url) for _ in range(args.runs)]
                picks = [pick_to_result(browser, url, photo, args.tap) for _ in range(args.runs)]
                browser.close()
            sw_bytes, sw_files = service_worker_bytes(url)
            upload = uploaded(server)
        finally:
            if server:
                server.stop()

    print(
        f"browser bench: Chromium {CHROMIUM}, phone 390x844 @2x, DevTools 'Slow 4G' (latency 562.5 ms, down "
        f"{SLOW_4G['downloadThroughput'] * 8 / 1e6:.2f} Mbit/s, up {SLOW_4G['uploadThroughput'] * 8 / 1e3:.0f} kbit/s) "
        f"+ CPU x{CPU_SLOWDOWN}; medians of {args.runs} runs, each a fresh context (empty cache)"
    )
    kb = statistics.median(r["bytes"] for r in loads) / 1024
    print(
        f"first load of /: {kb:.1f} KB transferred in {loads[0]['requests']} requests "
        f"(headers + compressed bodies, CDP encodedDataLength), "
        f"interactive (html[data-ready]) {statistics.median(r['ready_s'] for r in loads):.2f} s, "
        f"load event {statistics.median(r['load_s'] for r in loads):.2f} s"
    )
    print("  requests: " + ", ".join(loads[0]["urls"]))
    print(f"  then, in the background, the service worker's install: {sw_bytes / 1024:.1f} KB in {sw_files} files")
    seconds = [r["seconds"] for r in picks]
    print(
        f"pick-to-result, 12-MP JPEG ({len(data) / 1e6:.1f} MB, 4000x3000): median {statistics.median(seconds):.2f} s "
        f"(runs: {', '.join(f'{s:.2f}' for s in seconds)}), {upload} "
        f"(change event of the file input -> result card in the page; Check pressed by {args.tap})"
    )
    phases = {k: statistics.median(p["phases"][k] for p in picks) / 1000 for k in picks[0]["phases"]}
    print("  phases (medians): " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()))
    print(f"  preview image loaded (median): {statistics.median(p['preview'] for p in picks):.2f} s after the pick")
    web = picks[0]["answer"]["probabilities"]
    straight = direct.json()["probabilities"]
    change = max(abs(web[k] - straight[k]) for k in web)
    print(
        f"  answer via the web client vs the 12-MP file posted directly: max |dp| {change:.4f} "
        f"({picks[0]['answer']['status']}/{picks[0]['answer']['label']} vs "
        f"{direct.json()['status']}/{direct.json()['label']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
