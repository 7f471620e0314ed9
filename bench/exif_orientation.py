"""How much the EXIF orientation of a phone-style JPEG moves the shipped model's probabilities.

    python bench/exif_orientation.py [--shared ../shared] [--n 200] [--quality 95]

For each ISIC 2017 test image (256 px, the first --n), the upright picture is stored as a phone would for
each EXIF orientation 1-8 (pixels transposed so that a viewer applying the tag shows it upright), encoded at
phone settings (quality 95, 4:2:0 chroma subsampling), then decoded and classified by the service's path
(decode_upload with the model's draft size, the ONNX classifier). Decoding is exact (tests/imaging checks
the pixels); what differs is where the JPEG's 8x8 blocks and 2x2 chroma sampling fall on the lesion once
it is turned upright, and the model's sensitivity to that rounding. Prints, per orientation, the mean and
largest absolute change of each class probability against orientation 1 at the same settings.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
# Stored pixels for each tag such that a viewer applying the tag shows the upright picture.
STORE = {
    1: [],
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_90],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_270],
}


def phone_jpeg(upright: Image.Image, orientation: int, quality: int) -> bytes:
    stored = upright
    for op in STORE[orientation]:
        stored = stored.transpose(op)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=quality, subsampling="4:2:0", exif=exif.tobytes())
    return buf.getvalue()


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from melanoscan.imaging.decode import decode_upload
    from melanoscan.inference.engine import Classifier

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--shared", type=Path, default=Path(os.environ.get("MELANOSCAN_SHARED", ROOT.parent / "shared"))
    )
    parser.add_argument("--n", type=int, default=200, help="how many ISIC 2017 test images")
    parser.add_argument("--quality", type=int, default=95)
    args = parser.parse_args()
    files = sorted((args.shared / "data" / "isic2017" / "test").glob("*.jpg"))[: args.n]
    if not files:
        raise SystemExit(f"no images under {args.shared}/data/isic2017/test (set --shared or MELANOSCAN_SHARED)")
    classifier = Classifier(str(ROOT / "models" / "melanoscan.onnx"), threads=1)
    classes = classifier.spec.classes
    probs = np.zeros((len(files), 8, len(classes)))
    for i, path in enumerate(files):
        with Image.open(path) as image:
            upright = image.convert("RGB")
        decoded = [
            decode_upload(phone_jpeg(upright, o, args.quality), draft_size=classifier.spec.resize_size).image
            for o in range(1, 9)
        ]
        assert all(d.size == upright.size for d in decoded)
        probs[i] = classifier.predict_proba(decoded)
    delta = np.abs(probs - probs[:, :1, :])
    print(f"{len(files)} ISIC 2017 test images, JPEG q{args.quality} 4:2:0, change against orientation 1")
    header = " ".join(f"{c[:14]:>30}" for c in classes)
    print(f"{'orientation':>11} {header}")
    print(f"{'':>11} " + " ".join(f"{'mean / p95 / max':>30}" for _ in classes))
    for o in range(2, 9):
        cells = []
        for k in range(len(classes)):
            d = delta[:, o - 1, k]
            cells.append(f"{d.mean():.4f} / {np.percentile(d, 95):.4f} / {d.max():.4f}")
        print(f"{o:>11} " + " ".join(f"{cell:>30}" for cell in cells))
    swapped, kept = delta[:, 4:8, :], delta[:, 1:4, :]
    print(f"largest change, orientations 5-8 (width and height swapped): {swapped.max():.4f}")
    print(f"largest change, orientations 2-4: {kept.max():.4f}")
    flips = (probs.argmax(axis=2) != probs[:, :1, :].argmax(axis=2)).sum(axis=0)
    print("images whose top class changes, per orientation 1-8:", " ".join(str(int(f)) for f in flips))
    return 0


if __name__ == "__main__":
    sys.exit(main())
