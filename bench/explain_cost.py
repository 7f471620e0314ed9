"""The extra cost of `?explain=1`: one photo through the model asking only for the logits, against asking for
the logits, the class activation maps and the features and turning the map into the client's grid.

    python bench/explain_cost.py --model models/melanoscan.onnx --runs 40

Runs alternate (logits-only, explained, logits-only, ...) so a busy machine slows both alike; prints medians.
Target: the explained run costs at most 10% more than the plain one.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from PIL import Image

from melanoscan.imaging.preprocess import preprocess_batch
from melanoscan.inference.engine import Classifier, softmax
from melanoscan.screening.decision import decide
from melanoscan.screening.explain import heatmap

TINY = Path(__file__).resolve().parents[1] / "tests" / "data" / "isic" / "tiny"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/melanoscan.onnx"))
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    classifier = Classifier(args.model, threads=args.threads)
    photo = Image.open(sorted(TINY.glob("*.jpg"))[0]).convert("RGB")
    batch = preprocess_batch([photo], classifier.spec)
    spec = classifier.spec

    def plain() -> None:
        classifier.logits(batch)

    def explained() -> None:
        outputs = classifier.run(batch)
        probs = softmax(outputs[classifier.logits_name], spec.temperature)[0]
        decision = decide(probs, spec.classes, 0.5, spec.melanoma_alert_threshold)
        heatmap(outputs["cam"][0], decision, spec, photo.size).to_dict()

    for warm in (plain, explained):
        warm()
    times: dict[str, list[float]] = {"plain": [], "explained": []}
    for _ in range(args.runs):
        for name, run in (("plain", plain), ("explained", explained)):
            started = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - started) * 1000)
    plain_ms, explained_ms = statistics.median(times["plain"]), statistics.median(times["explained"])
    print(f"model {spec.name} {spec.version}, {args.threads} thread(s), {args.runs} runs each, median:")
    print(f"  logits only:                    {plain_ms:7.2f} ms")
    print(f"  logits + cam + features + grid: {explained_ms:7.2f} ms  ({100 * (explained_ms / plain_ms - 1):+.1f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
