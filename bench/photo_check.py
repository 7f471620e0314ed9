"""How far real images are from the blank-photo check (imaging/quality.py): it must never send one back.

    python bench/photo_check.py [--shared ../shared]

Prints the brightness spread of every ISIC 2017 and PAD-UFES-20 image (lowest first) and how many
fall under the threshold, next to a few made-up blank frames.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from PIL import Image

from melanoscan.imaging.decode import decode_image
from melanoscan.imaging.quality import BLANK_SPREAD, brightness_spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("MELANOSCAN_SHARED", "../shared")))
    args = parser.parse_args()
    files = sorted((args.shared / "data" / "isic2017").glob("*/*.jpg"))
    files += sorted((args.shared / "data" / "pad_ufes20" / "images").glob("*"))
    if not files:
        raise SystemExit(f"no images under {args.shared}/data (set --shared or MELANOSCAN_SHARED)")
    spreads = sorted((brightness_spread(decode_image(f.read_bytes(), draft_size=256)), f.name) for f in files)
    values = np.array([s for s, _ in spreads])
    print(f"{len(values)} real images; threshold {BLANK_SPREAD}")
    print(
        f"spread: min {values.min():.2f}, 0.1st percentile {np.percentile(values, 0.1):.2f}, median "
        f"{np.median(values):.2f}"
    )
    print("lowest:", ", ".join(f"{name} {s:.2f}" for s, name in spreads[:5]))
    print(f"real images the check would send back: {(values < BLANK_SPREAD).sum()}")
    rng = np.random.default_rng(0)
    for label, color in (("black", 0), ("white", 255), ("skin tone", (224, 172, 150))):
        frame = Image.new("RGB", (640, 480), color)
        noisy = np.clip(np.asarray(frame, dtype=np.float64) + rng.normal(0, 3, (480, 640, 3)), 0, 255)
        spread = brightness_spread(Image.fromarray(noisy.astype(np.uint8)))
        print(f"{label} frame with sensor noise (sd 3): spread {spread:.2f}")


if __name__ == "__main__":
    main()
