"""How long `melanoscan classify` takes on a folder (default: the 600 ISIC 2017 test images).

    python bench/classify.py [--folder DIR]

Prints wall time and images/s for a real CLI process (model load included).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from melanoscan.training.data import isic_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or isic_dir() / "test"
    if not folder.is_dir():
        print(f"no folder {folder}: set MELANOSCAN_SHARED or pass --folder")
        return 1
    count = sum(1 for _ in folder.glob("*.jpg"))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "melanoscan.cli", "classify", str(folder), "--json"], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    lines = done.stdout.count("\n")
    print(
        f"classify {folder}: {lines}/{count} images in {seconds:.1f} s ({lines / seconds:.1f} images/s), "
        f"exit code {done.returncode}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
