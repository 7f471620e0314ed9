"""Does shrinking a photo before upload change the model's answer? Measured on real test photos.

    .venv/bin/python bench/upload_size.py [--sides 1600 1024 768 512] [--quality 90 95] [--methods lanczos dct]
                                          [--phone-every 4] [--limit N]

The web client redraws a photo at most `side` px on its longest side and sends it as JPEG (app.js, MAX_SIDE and
JPEG_QUALITY). This screens every ISIC 2017 test photo (600) and every PAD-UFES-20 smartphone photo (412) from
../shared/data through the screening core (`Screener`: decode, model, suitability gates, decision; the shipped
models/melanoscan.onnx) twice: as the file is, and shrunk to each side (Lanczos, as a browser's high-quality
canvas scaling, then JPEG at `quality`). A photo already within the side is still re-encoded, as the client
re-encodes a photo that is large in bytes. Printed per side: the largest change of any class probability, how
many answers moved more than half a percentage point (what the service rounds to), and how many decisions
changed (status, label, retake reason, melanoma alert or advice).

The shared photos are small (ISIC test 256x256, PAD-UFES-20 at most 512 px), so for them no side shrinks
anything: their rows measure what re-encoding alone does (the noise floor of the model's answer). The real
question is a phone's photo: `--phone-every N` makes every N-th photo into a 12-MP phone photo (bicubic upscale
to 4000 px, sensor-like noise, JPEG 92, as bench/load.py does) and compares the answer on that full file with
the answer on it shrunk to each side: "does the browser's shrinking change what the server would have said".
1600 px at JPEG 90 is what the client sent before issue 15, the row to compare the others with.

Two ways of shrinking (--methods), the two paths of the web client's photo.js:
- lanczos: the whole picture decoded, then resampled (createImageBitmap, then a canvas at high quality);
- dct: a JPEG decoded at a reduced scale by libjpeg's DCT scaling, the way Chromium's WebCodecs `ImageDecoder`
  does when given `desiredWidth`/`desiredHeight` (scale n/8 with n = floor(8 * sqrt(desired area / picture
  area)), 1 <= n <= 8; its pixels are those of Pillow's `draft` at the same scale, checked bit for bit), then
  resampled (Lanczos) only if still over SIDE. Pillow drafts only at 1/2, 1/4 and 1/8: another n is approximated
  by the next power of two up and Lanczos, and counted in the "approx" column. Non-JPEG photos take lanczos.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from melanoscan.inference.engine import Classifier  # noqa: E402
from melanoscan.screening.pipeline import Screener  # noqa: E402
from melanoscan.training.data import isic_dir, pad_ufes_dir  # noqa: E402

ROUNDING = 0.005  # the service shows whole percent


@dataclass
class Tally:
    """Differences between the answers on the reference files and on their shrunk copies."""

    n: int = 0
    max_change: float = 0.0
    over_rounding: int = 0
    decisions_changed: list[str] = field(default_factory=list)
    bytes_in: int = 0
    bytes_out: int = 0
    approx: int = 0

    def add(
        self, name: str, reference: object, shrunk: object, size_in: int, size_out: int, approx: bool = False
    ) -> None:
        a, b = reference.decision, shrunk.decision  # type: ignore[attr-defined]
        change = max(abs(a.probabilities[k] - b.probabilities[k]) for k in a.probabilities)
        self.n += 1
        self.max_change = max(self.max_change, change)
        self.over_rounding += change >= ROUNDING
        self.bytes_in += size_in
        self.bytes_out += size_out
        self.approx += approx
        keys = ("status", "label", "retake_reason", "melanoma_alert", "advice")
        if any(getattr(a, k) != getattr(b, k) for k in keys):
            self.decisions_changed.append(
                f"{name}: {a.status}/{a.label}/{a.retake_reason}/{a.melanoma_alert} -> "
                f"{b.status}/{b.label}/{b.retake_reason}/{b.melanoma_alert} (max |dp| {change:.4f})"
            )


def fit(image: Image.Image, side: int) -> Image.Image:
    """At most `side` px on the longest side (Lanczos, as a browser's high-quality canvas scaling)."""
    scale = min(1.0, side / max(image.size))
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def shrink(image: Image.Image, side: int, quality: int) -> bytes:
    """What the web client sends on its lanczos path: at most `side` px on the longest side, JPEG at `quality`."""
    return jpeg(fit(image, side), quality)


def dct_numerator(size: tuple[int, int], desired: tuple[int, int]) -> int:
    """The n of the n/8 scale Chromium's JPEG decoder picks for a desired size (JPEGImageDecoder::
    DesiredScaleNumerator: by decoded bytes, so by area, whatever the orientation)."""
    ratio = (desired[0] * desired[1]) / (size[0] * size[1])
    return 8 if ratio >= 1 else max(1, min(8, math.floor(math.sqrt(ratio) * 8)))


def dct_decode(data: bytes, side: int) -> tuple[Image.Image, bool]:
    """The picture as the dct path decodes it (desired size side x side), and whether Pillow had to approximate."""
    opened = Image.open(io.BytesIO(data))
    n = dct_numerator(opened.size, (side, side))
    target = (math.ceil(opened.width * n / 8), math.ceil(opened.height * n / 8))
    exact = n in (1, 2, 4, 8)
    denominator = 8 // n if exact else 8 // (1 << (n.bit_length() - 1))  # the next power of two up: larger
    if denominator > 1:
        opened.draft("RGB", (opened.width // denominator, opened.height // denominator))
    image = opened.convert("RGB")
    if image.size != target:
        image = image.resize(target, Image.Resampling.LANCZOS)
    return fit(image, side), not exact


def phone_photo(image: Image.Image, rng: np.random.Generator) -> bytes:
    """A 12-MP-like JPEG made from a test photo (upscaled, with sensor-like noise), as bench/load.py makes them."""
    scale = 4000 / max(image.size)
    big = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
    noisy = np.asarray(big, dtype=np.int16) + rng.integers(-6, 7, (big.height, big.width, 3), dtype=np.int16)
    out = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=92)
    return out.getvalue()


def photos() -> list[tuple[str, Path]]:
    isic, pad = isic_dir(), pad_ufes_dir()
    found = [("isic", p) for p in sorted((isic / "test").glob("*.jpg"))]
    found += [("pad", p) for p in sorted((pad / "images").iterdir()) if p.suffix.lower() in (".png", ".jpg")]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "melanoscan.onnx")
    parser.add_argument("--sides", type=int, nargs="+", default=[1600, 1024, 768, 512])
    parser.add_argument("--quality", type=int, nargs="+", default=[90], help="JPEG qualities of the shrunk upload")
    parser.add_argument("--methods", nargs="+", choices=("lanczos", "dct"), default=["lanczos"])
    parser.add_argument("--phone-every", type=int, default=4, help="every N-th photo also as a 12-MP file (0: none)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N photos of each set (0: all)")
    args = parser.parse_args(argv)

    screener = Screener(Classifier(args.model, threads=1))
    found = photos()
    if args.limit:
        found = [f for s in ("isic", "pad") for f in [x for x in found if x[0] == s][: args.limit]]
    if not found:
        print("no photos found under ../shared/data (isic2017/test, pad_ufes20/images)", file=sys.stderr)
        return 2
    rng = np.random.default_rng(0)
    ways = [(method, quality) for method in args.methods for quality in args.quality]
    direct = {(s, side, w): Tally() for s in ("isic", "pad") for side in args.sides for w in ways}
    phone = {(side, w): Tally() for side in args.sides for w in ways}
    started = time.perf_counter()
    for i, (source, path) in enumerate(found):
        data = path.read_bytes()
        reference = screener.screen(data)
        for key, small, approx in shrunk_ways(data, args.sides, ways):
            outcome = screener.screen(small)
            direct[(source, *key)].add(path.name, reference, outcome, len(data), len(small), approx)
        if args.phone_every and i % args.phone_every == 0:
            big = phone_photo(Image.open(io.BytesIO(data)).convert("RGB"), rng)
            full = screener.screen(big)
            for key, small, approx in shrunk_ways(big, args.sides, ways):
                outcome = screener.screen(small)
                phone[key].add(path.name + " (12 MP)", full, outcome, len(big), len(small), approx)
    seconds = time.perf_counter() - started

    qualities = " ".join(map(str, args.quality))
    print(f"model {args.model.name}, JPEG quality {qualities}, {len(found)} photos, {seconds:.0f} s")
    print("reference: the shared file as it is; shrunk: longest side <= SIDE px by METHOD, JPEG at quality Q")
    header = (
        f"{'photos':<28}{'method':>8}{'Q':>4}{'side':>6}{'n':>6}{'max |dp|':>10}{'>=0.005':>9}{'decisions':>11}"
        f"{'KB in':>8}{'KB out':>8}{'approx':>8}"
    )
    print(header)
    rows = [
        (f"ISIC 2017 test ({s})" if s == "isic" else "PAD-UFES-20", side, w, direct[(s, side, w)])
        for s, side, w in direct
    ]
    rows += [("12-MP phone photos from both", side, w, phone[(side, w)]) for side, w in phone]
    for name, side, (method, quality), tally in rows:
        if not tally.n:
            continue
        kb_in, kb_out = tally.bytes_in / tally.n / 1024, tally.bytes_out / tally.n / 1024
        print(
            f"{name:<28}{method:>8}{quality:>4}{side:>6}{tally.n:>6}{tally.max_change:>10.4f}{tally.over_rounding:>9}"
            f"{len(tally.decisions_changed):>11}{kb_in:>8.0f}{kb_out:>8.0f}{tally.approx:>8}"
        )
    for name, side, (method, quality), tally in rows:
        for line in tally.decisions_changed:
            print(f"  changed at {side} px, {method} q{quality} ({name}): {line}")
    return 0


def shrunk_ways(
    data: bytes, sides: list[int], ways: list[tuple[str, int]]
) -> Iterator[tuple[tuple[int, tuple[str, int]], bytes, bool]]:
    """One file shrunk every way asked: ((side, (method, quality)), the JPEG bytes, whether Pillow approximated)."""
    is_jpeg = data[:3] == b"\xff\xd8\xff"
    whole = Image.open(io.BytesIO(data)).convert("RGB")
    for side in sides:
        decoded: dict[str, tuple[Image.Image, bool]] = {"lanczos": (fit(whole, side), False)}
        if is_jpeg:
            decoded["dct"] = dct_decode(data, side)
        for method, quality in ways:
            image, approx = decoded.get(method, decoded["lanczos"])
            yield (side, (method, quality)), jpeg(image, quality), approx


if __name__ == "__main__":
    raise SystemExit(main())
