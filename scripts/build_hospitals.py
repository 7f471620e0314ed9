"""Derive the compact hospital table shipped with the service from the shared source file.

    python scripts/build_hospitals.py [--source ../shared/data/hospitals/kr_hospitals.csv] [--out ...]

The source is `$MELANOSCAN_SHARED/data/hospitals/kr_hospitals.csv` (default `../shared`): 635 real
Korean hospitals (LOCALDATA 2020-09, KOGL type 1; armed-forces hospitals removed 2026-12; see its README.md).
The output keeps the same columns, normalised (booleans as true/false, coordinates with 6 decimals,
whitespace trimmed) and sorted by kind then name, so the service never depends on the shared folder at
run time. Every row is validated:
the script exits non-zero on a missing column, a bad kind/boolean, a coordinate outside Korea's
bounding box, or a duplicate (name, lat, lon).

Two repairs make the table usable from a phone: each phone number becomes one dialable number (the
province's area code added where the source left it out, an area code dropped before a nationwide
15xx/16xx/18xx number, only the first of several numbers kept), and rows of the same name within 300 m
of each other (one hospital licensed twice) are kept once.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "melanoscan" / "hospitals" / "data" / "hospitals.csv"
COLUMNS = ["name", "kind", "dermatology", "address", "phone", "lat", "lon"]
KINDS = ("tertiary_hospital", "general_hospital", "hospital", "clinic")
KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}
# Korea's bounding box as documented by the source README (all rows must fall inside).
LAT_RANGE = (33.0, 39.0)
LON_RANGE = (124.0, 132.0)
# The corrected source of 2026-12 (armed-forces hospitals removed); the first one (649 rows) was 30675f72...
EXPECTED_SHA256 = "e8fa3c32adbf69941e1886941d91856e6b322cb22aeafa42a57994a8b4965521"
# Area code by province, the first word of a Korean address.
AREA_CODES = {
    "서울특별시": "02",
    "부산광역시": "051",
    "대구광역시": "053",
    "인천광역시": "032",
    "광주광역시": "062",
    "대전광역시": "042",
    "울산광역시": "052",
    "세종특별자치시": "044",
    "경기도": "031",
    "강원도": "033",
    "충청북도": "043",
    "충청남도": "041",
    "전라북도": "063",
    "전라남도": "061",
    "경상북도": "054",
    "경상남도": "055",
    "제주특별자치도": "064",
}
NATIONWIDE = re.compile(r"1[5-8]\d{2}-?\d{4}")  # 1588-xxxx etc.: dialled without an area code
SAME_PLACE_KM = 0.3


class SourceError(ValueError):
    """The source file does not have the expected shape."""


def default_source() -> Path:
    shared = os.environ.get("MELANOSCAN_SHARED") or str(ROOT.parent / "shared")
    return Path(shared) / "data" / "hospitals" / "kr_hospitals.csv"


def _bool(raw: str, line: int) -> bool:
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise SourceError(f"line {line}: dermatology must be true/false, got {raw!r}")
    return value == "true"


def _coord(raw: str, bounds: tuple[float, float], what: str, line: int) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SourceError(f"line {line}: {what} is not a number: {raw!r}") from None
    if not bounds[0] <= value <= bounds[1]:
        raise SourceError(f"line {line}: {what} {value} outside {bounds}")
    return round(value, 6)


def dialable_phone(raw: str, address: str) -> str:
    """One number a phone can dial, written 0XX-XXX(X)-XXXX; '' when the source has none."""
    first = re.split(r"[,/]", raw)[0].strip()
    digits = re.sub(r"\D", "", first)
    if not digits:
        return ""
    nationwide = NATIONWIDE.search(first.replace(" ", ""))
    if nationwide and digits.endswith(re.sub(r"\D", "", nationwide.group())):
        nationwide_digits = re.sub(r"\D", "", nationwide.group())
        return f"{nationwide_digits[:4]}-{nationwide_digits[4:]}"
    if not digits.startswith("0"):
        area = AREA_CODES.get(address.split(" ")[0] if address else "", "")
        if not area or len(digits) not in (7, 8):
            return first  # cannot tell: kept as the source wrote it
        digits = area + digits
    area_len = 2 if digits.startswith("02") else 3
    area, rest = digits[:area_len], digits[area_len:]
    if len(rest) not in (7, 8):
        return first
    return f"{area}-{rest[:-4]}-{rest[-4:]}"


def km_between(a: dict, b: dict) -> float:
    """Great-circle distance; enough to tell one site from another."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def drop_same_site_duplicates(rows: list[dict]) -> list[dict]:
    """Keep the first of rows that share a name and lie within SAME_PLACE_KM (one hospital, two licences)."""
    kept: list[dict] = []
    for row in rows:
        if not any(k["name"] == row["name"] and km_between(k, row) < SAME_PLACE_KM for k in kept):
            kept.append(row)
    return kept


def read_source(path: Path) -> list[dict]:
    """Read and validate the source rows; raise SourceError on the first problem."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SourceError(f"{path}: missing columns {missing}; has {reader.fieldnames}")
        rows: list[dict] = []
        seen: set[tuple[str, float, float]] = set()
        for line, raw in enumerate(reader, start=2):
            name = (raw["name"] or "").strip()
            if not name:
                raise SourceError(f"line {line}: empty name")
            kind = (raw["kind"] or "").strip()
            if kind not in KINDS:
                raise SourceError(f"line {line}: unknown kind {kind!r}")
            row = {
                "name": name,
                "kind": kind,
                "dermatology": _bool(raw["dermatology"] or "", line),
                "address": " ".join((raw["address"] or "").split()),
                "phone": dialable_phone((raw["phone"] or "").strip(), " ".join((raw["address"] or "").split())),
                "lat": _coord(raw["lat"], LAT_RANGE, "lat", line),
                "lon": _coord(raw["lon"], LON_RANGE, "lon", line),
            }
            key = (row["name"], row["lat"], row["lon"])
            if key in seen:
                raise SourceError(f"line {line}: duplicate (name, lat, lon) {key}")
            seen.add(key)
            rows.append(row)
    if not rows:
        raise SourceError(f"{path}: no rows")
    rows.sort(key=lambda r: (KIND_ORDER[r["kind"]], r["name"], r["lat"], r["lon"]))
    return rows


def write_table(rows: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow(
                [
                    r["name"],
                    r["kind"],
                    "true" if r["dermatology"] else "false",
                    r["address"],
                    r["phone"],
                    f"{r['lat']:.6f}",
                    f"{r['lon']:.6f}",
                ]
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help="kr_hospitals.csv (default: $MELANOSCAN_SHARED/data/hospitals/kr_hospitals.csv)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output CSV (default: {DEFAULT_OUT})")
    parser.add_argument(
        "--expect-rows",
        type=int,
        default=635,
        help="fail unless the source has this many rows (0: any); the corrected file has 635 (633 once de-duplicated)",
    )
    args = parser.parse_args(argv)
    source = args.source or default_source()
    if not source.is_file():
        print(f"build_hospitals: source not found: {source} (use --source or MELANOSCAN_SHARED)", file=sys.stderr)
        return 2
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    try:
        rows = read_source(source)
    except SourceError as exc:
        print(f"build_hospitals: invalid source: {exc}", file=sys.stderr)
        return 1
    if args.expect_rows and len(rows) != args.expect_rows:
        print(f"build_hospitals: expected {args.expect_rows} rows, got {len(rows)}", file=sys.stderr)
        return 1
    rows = drop_same_site_duplicates(rows)
    write_table(rows, args.out)
    derm = sum(r["dermatology"] for r in rows)
    note = "" if digest == EXPECTED_SHA256 else " (source differs from the documented file)"
    print(f"wrote {len(rows)} hospitals ({derm} with dermatology) to {args.out}")
    print(f"source sha256 {digest}{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
