"""`melanoscan classify PATH [PATH|DIR ...]`: screen image files from the command line.

Plain output is one line per image; `--json` prints one JSON object per line with the same fields
as the HTTP API (both built by melanoscan.screening; no Flask here). A bad file prints an error line
for that file and the rest are still classified; the exit code is 1 if any file failed. Images are
batched through the model, so a folder of hundreds of photos takes seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from melanoscan.config import Settings
from melanoscan.errors import MelanoscanError
from melanoscan.imaging.decode import DecodedImage
from melanoscan.inference.engine import Classifier
from melanoscan.screening.answer import answer
from melanoscan.screening.pipeline import Screener

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".gif", ".bmp", ".tif", ".tiff"}


def iter_paths(inputs: list[str]) -> Iterator[Path]:
    """Files as given; directories walked recursively for image files, in sorted order."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                        yield Path(root) / name
        else:
            yield path


def probability(text: str) -> float:
    """argparse type: a number in (0, 1], refused with a usage error (exit 2) otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 < value <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def plain_line(path: Path, result: dict[str, Any]) -> str:
    """path, label and probability (or retake and why), then a column per alert that the label does not say."""
    if result["status"] == "ok":
        line = f"{path}\t{result['label']}\t{result['probability'] * 100:.1f}%"
        if result["melanoma_alert"] and result["label"] != "melanoma":
            line += f"\tmelanoma not ruled out ({result['probabilities']['melanoma'] * 100:.1f}%): see a dermatologist"
        if result["carcinoma_alert"]:
            line += "\tanother skin cancer or a pre-cancer not ruled out: see a dermatologist"
        return line
    top = max(result["probabilities"], key=result["probabilities"].get)
    return f"{path}\tretake\t{result['message']} (top: {top} {result['probabilities'][top] * 100:.1f}%)"


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="melanoscan classify", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", help="image files or folders")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--model", default=settings.model_path, help="ONNX model (metadata .json beside it)")
    parser.add_argument(
        "--threshold", type=probability, default=settings.threshold, help="report the top class at or above this"
    )
    parser.add_argument("--lang", choices=("en", "ko"), default="en")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument(
        "--explain", action="store_true", help="with --json: add `heatmap`, where the model looked (as the API's)"
    )
    args = parser.parse_args(argv)

    # A file name that is not valid UTF-8 (os.walk hands it over with surrogates) must not end the run.
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    classifier = Classifier(args.model, threads=settings.ort_threads or None)
    screener = Screener(
        classifier,
        threshold=args.threshold,
        max_pixels=settings.max_pixels,
        memory_budget=settings.decode_memory_mb * 2**20,
    )
    failed = 0
    paths = list(iter_paths(args.paths))
    for start in range(0, len(paths), args.batch_size):
        batch_paths: list[Path] = []
        decoded: list[DecodedImage] = []
        errors: dict[Path, tuple[str, str]] = {}
        for path in paths[start : start + args.batch_size]:
            try:
                decoded.append(screener.decode(path.read_bytes()))
                batch_paths.append(path)
            except MelanoscanError as exc:
                errors[path] = (exc.code, exc.message)
            except OSError as exc:
                errors[path] = ("unreadable_file", exc.strerror or str(exc))
        outcomes = dict(zip(batch_paths, screener.screen_decoded(decoded, explain=args.explain), strict=True))
        for path in paths[start : start + args.batch_size]:
            if path in errors:
                failed += 1
                code, message = errors[path]
                if args.json:
                    print(
                        json.dumps({"path": str(path), "error": {"code": code, "message": message}}, ensure_ascii=False)
                    )
                else:
                    print(f"{path}\terror\t{message}", file=sys.stderr)
                continue
            outcome = outcomes[path]
            result = answer(outcome.decision, classifier.spec, args.lang)
            if args.explain:
                result["heatmap"] = outcome.heatmap.to_dict() if outcome.heatmap is not None else None
            print(
                json.dumps({"path": str(path), **result}, ensure_ascii=False) if args.json else plain_line(path, result)
            )
        sys.stdout.flush()
    if not paths:
        print("melanoscan classify: no image files found", file=sys.stderr)
        return 1
    return 1 if failed else 0
