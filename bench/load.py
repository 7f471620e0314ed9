"""Load test on loopback: real lesion photos, N concurrent clients, a fixed time, against gunicorn.

    .venv/bin/python bench/load.py --images small --concurrency 16 --seconds 60
    .venv/bin/python bench/load.py --images phone --concurrency 16 --seconds 60
    .venv/bin/python bench/load.py --images mix --soak                 # 10 minutes, RSS growth
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 ...     # an already running server

Unless --url is given it starts the service the production way (`melanoscan serve`, i.e. gunicorn
with the repo's gunicorn.conf.py) on a free port on 127.0.0.1, with a throwaway SQLite database
and rate limits off (one client address would otherwise hit them at once), and stops it at the end.
--soak starts gunicorn's own CLI with the same config but --max-requests 0, so that worker recycling
cannot hide a leak; worker restarts are reported in every mode.

Images: `small` = the committed ISIC photos (tests/data/isic/tiny, 256 px JPEGs); `phone` = 4000x3000
JPEGs made from them (upscaled, with sensor-like noise so they weigh what a phone photo weighs), cached
under var/bench/; `mix` = alternating. Each client thread keeps its own HTTP session and sends
POST /api/v1/screenings back to back (closed loop). Prints throughput, p50/p95/p99 latency, errors by
status, RSS per gunicorn worker at start and end (psutil). Bounded: stops after --seconds (plus a
warm-up and at most --timeout for requests in flight).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "isic" / "tiny"
CACHE = ROOT / "var" / "bench"
ENDPOINT = "/api/v1/screenings"


# ------------------------------------------------------------------------------------------------ images
def small_images() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(TINY.glob("*.jpg"))]


def phone_images(count: int = 3) -> list[tuple[str, bytes]]:
    """4000x3000 JPEGs (12 MP, quality 92) made from the real photos, cached on disk under var/."""
    CACHE.mkdir(parents=True, exist_ok=True)
    out = []
    rng = np.random.default_rng(0)
    for path in sorted(TINY.glob("*.jpg"))[:count]:
        target = CACHE / f"phone-{path.stem}.jpg"
        if not target.exists():
            image = Image.open(path).convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
            pixels = np.asarray(image, dtype=np.int16)
            noise = rng.normal(0, 4, size=pixels.shape).astype(np.int16)
            image = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
            buf = io.BytesIO()
            image.save(buf, "JPEG", quality=92)
            target.write_bytes(buf.getvalue())
        out.append((target.name, target.read_bytes()))
    return out


# ------------------------------------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A gunicorn started for the run (or None when --url points at a running one)."""

    def __init__(self, launcher: str, workers: int | None, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = tempfile.mkdtemp(prefix="melanoscan-load-")
        env = dict(os.environ)
        env.update(
            {
                "MELANOSCAN_DATA_DIR": self.tmp,
                "MELANOSCAN_RATELIMIT_ENABLED": "0",
                "MELANOSCAN_BIND": f"127.0.0.1:{self.port}",
                "MELANOSCAN_LOG_LEVEL": env.get("MELANOSCAN_LOG_LEVEL", "WARNING"),
            }
        )
        if workers:
            env["MELANOSCAN_WORKERS"] = str(workers)
        if launcher == "serve":
            cmd = [sys.executable, "-m", "melanoscan.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        else:  # gunicorn's CLI with the repo's config, no worker recycling (soak)
            gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
            cmd = [gunicorn, "-c", str(ROOT / "gunicorn.conf.py"), "--max-requests", "0", "melanoscan.api:create_app()"]
        self.cmd = cmd
        self.log = log_path.open("w")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if requests.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise SystemExit(f"the server was not ready after {timeout:.0f} s; see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def gunicorn_master(url: str, pid: int | None) -> psutil.Process | None:
    """The gunicorn master serving `url`: the given pid, else the process listening on its port."""
    if pid:
        return psutil.Process(pid)
    port = int(url.rsplit(":", 1)[-1].split("/")[0])
    try:
        for conn in psutil.net_connections("tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
                proc = psutil.Process(conn.pid)
                parent = proc.parent()
                # Workers inherit the listening socket: climb to the master.
                while parent is not None and "gunicorn" in " ".join(parent.cmdline()) + parent.name():
                    proc, parent = parent, parent.parent()
                return proc
    except (psutil.AccessDenied, PermissionError):
        return None
    return None


def server_cpu_seconds(master: psutil.Process | None) -> float | None:
    """User + system CPU seconds used so far by the master and its workers (None: unknown)."""
    if master is None:
        return None
    total = 0.0
    for proc in [master, *master.children()]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def worker_rss(master: psutil.Process | None) -> dict[int, float]:
    """RSS in MiB of each worker (the master's children)."""
    if master is None:
        return {}
    out = {}
    for child in master.children():
        with contextlib.suppress(psutil.NoSuchProcess):
            out[child.pid] = child.memory_info().rss / 2**20
    return out


# ------------------------------------------------------------------------------------------------ client
@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # transport errors by exception name
    bytes_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def client(
    url: str,
    images: list[tuple[str, bytes]],
    offset: int,
    stop_at: float,
    timeout: float,
    results: Results,
    timeline: list[tuple[float, int]],
) -> None:
    session = requests.Session()
    i = offset
    while time.monotonic() < stop_at:
        name, data = images[i % len(images)]
        i += 1
        started = time.perf_counter()
        try:
            response = session.post(url + ENDPOINT, files={"image": (name, data, "image/jpeg")}, timeout=timeout)
            status = response.status_code
            error = None
        except requests.RequestException as exc:
            status, error = None, type(exc).__name__
        elapsed = (time.perf_counter() - started) * 1000
        with results.lock:
            if error is None:
                results.statuses[status] += 1
                if status == 200:
                    results.latencies_ms.append(elapsed)
                    timeline.append((time.monotonic(), 1))
            else:
                results.failures[error] += 1
            results.bytes_sent += len(data)
    session.close()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def run_load(
    url: str,
    images: list[tuple[str, bytes]],
    concurrency: int,
    seconds: float,
    timeout: float,
    master: psutil.Process | None,
    sample_every: float,
) -> dict:
    results = Results()
    timeline: list[tuple[float, int]] = []
    rss_samples: list[tuple[float, dict[int, float]]] = []
    started = time.monotonic()
    stop_at = started + seconds
    threads = [
        threading.Thread(target=client, args=(url, images, k, stop_at, timeout, results, timeline), daemon=True)
        for k in range(concurrency)
    ]
    rss_samples.append((0.0, worker_rss(master)))
    cpu_start = server_cpu_seconds(master)
    machine_start = psutil.cpu_times()
    for thread in threads:
        thread.start()
    next_sample = started + sample_every
    while any(t.is_alive() for t in threads):
        time.sleep(0.5)
        now = time.monotonic()
        if now >= next_sample and now < stop_at:
            rss_samples.append((now - started, worker_rss(master)))
            done = len(results.latencies_ms)
            print(
                f"  t={now - started:6.0f} s  ok={done:7d}  "
                f"rss={', '.join(f'{v:.0f}' for v in rss_samples[-1][1].values())} MiB",
                flush=True,
            )
            next_sample += sample_every
        if now > stop_at + timeout + 5:
            break
    elapsed = time.monotonic() - started
    rss_samples.append((elapsed, worker_rss(master)))
    cpu_end = server_cpu_seconds(master)
    machine_end = psutil.cpu_times()
    machine_busy = sum(machine_end) - machine_end.idle - (sum(machine_start) - machine_start.idle)
    lat = results.latencies_ms
    ok = results.statuses.get(200, 0)
    errors = {str(k): v for k, v in results.statuses.items() if k != 200}
    errors.update(results.failures)
    return {
        "seconds": round(elapsed, 1),
        "requests": sum(results.statuses.values()) + sum(results.failures.values()),
        "ok": ok,
        "throughput_per_s": round(ok / elapsed, 2),
        "latency_ms": {
            "p50": round(percentile(lat, 50), 1),
            "p95": round(percentile(lat, 95), 1),
            "p99": round(percentile(lat, 99), 1),
            "mean": round(statistics.fmean(lat), 1) if lat else None,
            "max": round(max(lat), 1) if lat else None,
        },
        "errors": errors,
        "upload_mib": round(results.bytes_sent / 2**20, 1),
        # CPU the server got, and what one screening costs: throughput on a machine of its own is
        # about cores / cpu_ms_per_screening (minus what the load client itself uses).
        "server_cpu_s": round(cpu_end - cpu_start, 1) if cpu_start is not None and cpu_end else None,
        "server_cores_used": round((cpu_end - cpu_start) / elapsed, 2) if cpu_start is not None and cpu_end else None,
        "cpu_ms_per_screening": round(1000 * (cpu_end - cpu_start) / ok, 1)
        if cpu_start is not None and cpu_end and ok
        else None,
        "machine_cores_busy": round(machine_busy / elapsed, 2),
        "rss_samples": [(round(t, 1), {str(k): round(v, 1) for k, v in s.items()}) for t, s in rss_samples],
    }


def warm_up(url: str, images: list[tuple[str, bytes]], workers_hint: int) -> None:
    """A few requests per worker, so first-request costs are not in the figures."""
    with requests.Session() as session:
        for k in range(max(4, 3 * workers_hint)):
            name, data = images[k % len(images)]
            session.post(url + ENDPOINT, files={"image": (name, data, "image/jpeg")}, timeout=60)


def rss_report(samples: list) -> tuple[list[str], float | None]:
    """Lines comparing each worker's first and last RSS; the largest growth in % (same pid only)."""
    first, last = samples[0][1], samples[-1][1]
    lines, growth = [], None
    for pid in sorted(set(first) | set(last)):
        a, b = first.get(pid), last.get(pid)
        if a is not None and b is not None:
            g = 100.0 * (b - a) / a
            growth = g if growth is None else max(growth, g)
            lines.append(f"  worker {pid}: {a:7.1f} MiB -> {b:7.1f} MiB  ({g:+.1f}%)")
        elif a is None:
            lines.append(f"  worker {pid}: (started during the run) -> {b:7.1f} MiB")
        else:
            lines.append(f"  worker {pid}: {a:7.1f} MiB -> (gone: recycled or crashed)")
    return lines, growth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="target a running server instead of starting one")
    parser.add_argument("--pid", type=int, help="gunicorn master pid for RSS (default: found by port)")
    parser.add_argument("--images", choices=["small", "phone", "mix"], default="small")
    parser.add_argument("--concurrency", "-c", type=int, default=16)
    parser.add_argument("--seconds", "-t", type=float, default=None, help="default 60 (soak: 600)")
    parser.add_argument("--soak", action="store_true", help="long run (600 s) sampling RSS; no recycling")
    parser.add_argument("--workers", type=int, help="MELANOSCAN_WORKERS for the started server")
    parser.add_argument(
        "--launcher",
        choices=["serve", "gunicorn"],
        default=None,
        help="how to start the server: `melanoscan serve` (default) or gunicorn's CLI "
        "with gunicorn.conf.py and --max-requests 0 (the default for --soak)",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    parser.add_argument("--sample-every", type=float, default=None, help="RSS sample period, seconds")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    seconds = args.seconds or (600.0 if args.soak else 60.0)
    sample_every = args.sample_every or (30.0 if args.soak else 15.0)
    launcher = args.launcher or ("gunicorn" if args.soak else "serve")

    images = {"small": small_images, "phone": phone_images}.get(args.images, lambda: [])()
    if args.images == "mix":
        small, phone = small_images(), phone_images()
        images = [img for pair in zip(small, phone * 3, strict=False) for img in pair]
    sizes = [len(d) for _, d in images]
    print(f"images: {args.images}, {len(images)} files, {min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KiB")

    server = None
    if args.url:
        url = args.url.rstrip("/")
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        server = Server(launcher, args.workers, CACHE / "server.log")
        url = server.url
        print(f"starting: {' '.join(server.cmd)}  (log {server.log.name})", flush=True)
    try:
        if server is not None:
            server.wait_ready()
        master = gunicorn_master(url, args.pid if args.url else (server.proc.pid if server else None))
        workers_hint = max(1, len(worker_rss(master)))
        warm_up(url, images, workers_hint)
        print(f"server: {url}, {workers_hint} worker(s); {args.concurrency} clients for {seconds:.0f} s", flush=True)
        result = run_load(url, images, args.concurrency, seconds, args.timeout, master, sample_every)
    finally:
        if server is not None:
            server.stop()

    lat = result["latency_ms"]
    print()
    print(f"requests       {result['requests']} in {result['seconds']} s ({result['upload_mib']} MiB uploaded)")
    print(f"throughput     {result['throughput_per_s']} screenings/s (200 OK)")
    print(f"latency        p50 {lat['p50']} ms   p95 {lat['p95']} ms   p99 {lat['p99']} ms   max {lat['max']} ms")
    print(f"errors         {result['errors'] or 0}")
    if result["cpu_ms_per_screening"] is not None:
        print(
            f"server CPU     {result['server_cores_used']} cores on average "
            f"(whole machine busy: {result['machine_cores_busy']} of {os.cpu_count()}); "
            f"{result['cpu_ms_per_screening']} CPU-ms per screening"
        )
    lines, growth = rss_report(result["rss_samples"])
    print("RSS per worker (start of the measured run -> end)")
    print("\n".join(lines) if lines else "  (no gunicorn workers found: pass --pid)")
    if growth is not None:
        print(f"max RSS growth {growth:+.1f}%")
    result.update(
        {
            "images": args.images,
            "concurrency": args.concurrency,
            "rss_growth_pct": growth,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "launcher": launcher,
            "cpu": _cpu_model(),
            "nproc": os.cpu_count(),
        }
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if not result["errors"] else 1


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
