"""Nearest-k timing over the whole shipped hospital table.

    .venv/bin/python bench/hospitals.py [--queries 1000] [--k 10] [--all]

Builds the in-memory index once (as the service does per process), then times `nearest()` for
random points across South Korea's bounding box and prints p50/p95/p99 in microseconds. Also times
the full HTTP path through Flask's test client for comparison.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time

import numpy as np

from melanoscan.hospitals.loader import read_table
from melanoscan.hospitals.ranking import HospitalIndex


def _percentiles(samples_us: list[float]) -> str:
    q = np.percentile(samples_us, [50, 95, 99])
    mean = statistics.fmean(samples_us)
    return f"p50 {q[0]:8.1f} µs   p95 {q[1]:8.1f} µs   p99 {q[2]:8.1f} µs   mean {mean:8.1f} µs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--all", action="store_true", help="include hospitals without dermatology")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    index = HospitalIndex(read_table())
    build_ms = (time.perf_counter() - t0) * 1000
    rng = np.random.default_rng(args.seed)
    lats = rng.uniform(33.1, 38.6, args.queries)
    lons = rng.uniform(124.6, 131.9, args.queries)
    points = list(zip(lats, lons, strict=True))
    derm = not args.all
    for lat, lon in points[:50]:  # warm-up
        index.nearest(lat, lon, args.k, dermatology=derm)
    samples = []
    for lat, lon in points:
        start = time.perf_counter_ns()
        index.nearest(float(lat), float(lon), args.k, dermatology=derm)
        samples.append((time.perf_counter_ns() - start) / 1000)
    which = "all of them" if args.all else f"the {sum(r['dermatology'] for r in index.records)} with dermatology"
    print(f"table: {len(index)} hospitals, queries over {which}, index built in {build_ms:.1f} ms")
    print(f"nearest-{args.k} over {args.queries} queries across Korea:   {_percentiles(samples)}")

    from melanoscan.api import create_app
    from melanoscan.hospitals.api import get_index

    with tempfile.TemporaryDirectory() as tmp:
        # The real app (a fresh SQLite database in a temporary folder, rate limits off for the loop below).
        os.environ["MELANOSCAN_RATELIMIT_ENABLED"] = "0"
        app = create_app(data_dir=tmp, database_url="", ort_threads=1)
        logging.getLogger("melanoscan.access").setLevel(logging.WARNING)  # one log line per request otherwise
        get_index(app)  # loads the CSV into the database and builds the index, once
        client = app.test_client()
        http = []
        for lat, lon in points:
            start = time.perf_counter_ns()
            r = client.get(
                f"/api/v1/hospitals?lat={lat:.6f}&lon={lon:.6f}&limit={args.k}"
                f"&dermatology={'true' if derm else 'false'}"
            )
            http.append((time.perf_counter_ns() - start) / 1000)
            assert r.status_code == 200
        print(f"GET /api/v1/hospitals (Flask test client, incl. JSON):  {_percentiles(http)}")
    p95 = float(np.percentile(samples, 95))
    print("OK: p95 under 5 ms" if p95 < 5000 else "SLOW: p95 over 5 ms")
    return 0 if p95 < 5000 else 1


if __name__ == "__main__":
    raise SystemExit(main())
