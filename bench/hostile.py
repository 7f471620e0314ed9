"""Peak memory growth and CPU time of one upload, per hostile case: what a worker pays for each.

    python bench/hostile.py                 # every case of tests/imaging/bomb_corpus.py and the hostile corpus
    python bench/hostile.py --only png16    # cases whose name contains "png16"

Each case runs in a fresh child process that loads the shipped model, warms up on a real photo, resets its
peak-RSS mark (/proc/self/clear_refs), then does exactly what the API does with an upload: decode_upload with
the model's draft size, then the classifier. It prints the peak RSS growth over the warmed-up process (VmHWM
minus VmRSS before), the CPU seconds (user + system, all threads) and the outcome (200 or the 4xx code).
Budgets (issue 14): growth <= 300 MB and CPU <= 2 s for every upload under the 20 MiB limit.

    python bench/hostile.py --burst 16      # the same files over HTTP, 16 clients at once, to a real server

--burst starts `melanoscan serve` (gunicorn, 2 workers, the repo's gunicorn.conf.py, 20 MiB upload limit,
rate limit off), sends every case from N concurrent clients (each case once, in a shuffled order), samples
each worker's RSS every 20 ms (psutil) and prints the statuses and each worker's peak RSS over its idle RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "imaging")]
MEMORY_BUDGET_MB = 300
CPU_BUDGET_S = 2.0


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def child(name: str) -> None:
    """Runs in the child: decode + classify one case, print one JSON line."""
    import resource

    from melanoscan.imaging.decode import decode_upload
    from melanoscan.imaging.errors import ImageRejected
    from melanoscan.inference.engine import Classifier

    data = _case_bytes(name)
    classifier = Classifier(str(ROOT / "models" / "melanoscan.onnx"), threads=1)
    warm = (ROOT / "tests" / "data" / "isic" / "tiny").glob("*.jpg")
    classifier.predict_proba([decode_upload(next(warm).read_bytes(), draft_size=256).image])
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _vm("VmRSS")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    try:
        decoded = decode_upload(data, draft_size=classifier.spec.resize_size)
        classifier.predict_proba([decoded.image])
        outcome = "200"
    except ImageRejected as exc:
        outcome = f"{exc.status} {exc.code}"
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    print(
        json.dumps(
            {
                "case": name,
                "bytes": len(data),
                "outcome": outcome,
                "peak_growth_mb": round((_vm("VmHWM") - before) / 2**20, 1),
                "cpu_s": round(cpu, 3),
                "wall_s": round(time.perf_counter() - started, 3),
            }
        )
    )


def _cases() -> dict[str, object]:
    from bomb_corpus import BOMBS
    from hostile_corpus import CASES

    cases: dict[str, object] = {bomb.name: bomb.make for bomb in BOMBS}
    cases.update({f"corpus:{case.name}": case.make for case in CASES})
    return cases


def _case_bytes(name: str) -> bytes:
    return _cases()[name]()  # type: ignore[operator]


def burst(clients: int, only: str) -> int:
    """Every case over HTTP from `clients` concurrent clients; prints statuses and per-worker peak RSS growth."""
    import random
    import tempfile
    import threading
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor

    import psutil
    import requests

    sys.path.insert(0, str(ROOT / "tests"))
    from live_server import LiveServer

    cases = {name: make() for name, make in _cases().items() if only in name}  # type: ignore[operator]
    server = LiveServer(
        Path(tempfile.mkdtemp()) / "burst", "--workers", "2", env={"MELANOSCAN_MAX_UPLOAD_BYTES": str(20 * 2**20)}
    )
    try:
        server.wait_ready()
        workers = psutil.Process(server.process.pid).children(recursive=True)
        for _ in range(4):  # warm every worker up on a real photo
            photo = next((ROOT / "tests" / "data" / "isic" / "tiny").glob("*.jpg")).read_bytes()
            requests.post(f"{server.url}/api/v1/screenings", files={"image": ("a.jpg", photo)}, timeout=60)
        idle = {w.pid: w.memory_info().rss for w in workers}
        peak = dict(idle)
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                for w in workers:
                    with contextlib.suppress(psutil.Error):
                        peak[w.pid] = max(peak[w.pid], w.memory_info().rss)
                time.sleep(0.02)

        def send(item: tuple[str, bytes]) -> tuple[str, int, float]:
            started = time.perf_counter()
            answer = requests.post(f"{server.url}/api/v1/screenings", files={"image": (item[0], item[1])}, timeout=120)
            return item[0], answer.status_code, time.perf_counter() - started

        order = list(cases.items())
        random.Random(0).shuffle(order)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(send, order))
        elapsed = time.perf_counter() - started
        stop.set()
        sampler.join()
        statuses = Counter(status for _, status, _ in results)
        print(
            f"{len(results)} uploads ({sum(map(len, cases.values())) / 2**20:.0f} MiB) from {clients} clients in "
            f"{elapsed:.1f} s; statuses {dict(sorted(statuses.items()))}; slowest {max(r[2] for r in results):.1f} s"
        )
        for pid in idle:
            print(
                f"worker {pid}: idle {idle[pid] / 2**20:.0f} MiB, peak {peak[pid] / 2**20:.0f} MiB, "
                f"growth {(peak[pid] - idle[pid]) / 2**20:.0f} MiB"
            )
        log = server.log_path.read_text(errors="replace")
        print(f"tracebacks in the server log: {log.count('Traceback')}; 5xx: {sum(s >= 500 for s in statuses)}")
        return 0
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--corpus", action="store_true", help="also run the first hostile corpus (tests/imaging)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one case may take")
    parser.add_argument("--burst", type=int, default=0, help="send every case over HTTP from this many clients")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    if args.burst:
        return burst(args.burst, args.only)
    names = [n for n in _cases() if args.only in n and (args.corpus or not n.startswith("corpus:"))]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    print(f"{'case':34} {'bytes':>10} {'outcome':28} {'peak MB':>8} {'cpu s':>7} {'wall s':>7}")
    over = 0
    for name in names:
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", name],
                capture_output=True,
                text=True,
                timeout=args.timeout,
                env=env,
                check=False,
            )
            row = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else None
        except subprocess.TimeoutExpired:
            print(f"{name:34} {'':>10} {f'TIMEOUT (> {args.timeout:.0f} s)':28}")
            over += 1
            continue
        if row is None:
            print(f"{name:34} CRASHED rc={out.returncode}: {out.stderr.strip()[-300:]}")
            over += 1
            continue
        flag = ""
        if row["peak_growth_mb"] > MEMORY_BUDGET_MB or row["cpu_s"] > CPU_BUDGET_S:
            flag, over = "  OVER BUDGET", over + 1
        print(
            f"{name:34} {row['bytes']:>10} {row['outcome']:28} {row['peak_growth_mb']:>8} "
            f"{row['cpu_s']:>7} {row['wall_s']:>7}{flag}"
        )
    print(f"\n{len(names)} cases; {over} over the budgets ({MEMORY_BUDGET_MB} MB peak growth, {CPU_BUDGET_S} s CPU)")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
