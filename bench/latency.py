"""Single-image end-to-end latency: decode + preprocess + inference, as the server does it.

Three inputs: a 12-megapixel phone-sized JPEG (a real ISIC lesion upscaled to 4000x3000 with sensor-like
noise, quality 90), the same photo as the web client uploads it (1600 px, JPEG 0.9), and a 256 px real
lesion JPEG. p50/p95 over --runs runs each, with ONNX Runtime,
then the same network in PyTorch eager: the checkpoints recorded in the model's metadata (or --checkpoint);
from a fresh clone, where those are absent, the same architecture (each member's backbone and input size from
`training.members[].config`, one output per class in `classes`, the same ensemble and flip averaging) with
random weights, since timing does not depend on the weights (the output says which). Skipped only when torch
is not installed. Prints figures; it is not a test.

    .venv/bin/python bench/latency.py --runs 100 --threads 2

Targets: 12-MP JPEG end-to-end p50 <= 120 ms on 2 threads (issue 11; 60 ms for 1.x, issue 3); ONNX Runtime
>= 3x PyTorch eager (issue 3).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from melanoscan.config import DEFAULT_MODEL
from melanoscan.imaging.decode import decode_image
from melanoscan.imaging.preprocess import preprocess_batch
from melanoscan.inference.engine import Classifier, softmax
from melanoscan.inference.spec import ModelSpec

ROOT = Path(__file__).resolve().parents[1]
LESION = sorted((ROOT / "tests" / "data" / "isic" / "tiny").glob("*.jpg"))[0]


def phone_jpeg() -> bytes:
    """A 4000x3000 JPEG that compresses like a photo (texture + noise), not like a flat synthetic."""
    rng = np.random.default_rng(0)
    with Image.open(LESION) as lesion:
        big = np.asarray(lesion.convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC), dtype=np.int16)
    noisy = np.clip(big + rng.normal(0, 4, big.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noisy).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def web_upload_jpeg(phone: bytes) -> bytes:
    """What the web client sends for that photo: redrawn at 1600 px on its longest side, JPEG quality 0.9
    (MAX_SIDE and JPEG_QUALITY in web/static/app.js)."""
    with Image.open(io.BytesIO(phone)) as image:
        small = image.resize((1600, 1200), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def timed(fn: Callable[[], object], runs: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000.0)
    return times


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def load_torch(spec: ModelSpec, checkpoints: list[Path], threads: int):  # type: ignore[no-untyped-def]
    """(network, trained): the very network the ONNX file was exported from (same members, same flip averaging),
    or, when its checkpoints are absent, the same architecture with random weights (trained False). None when
    torch is not installed."""
    try:
        import torch

        from melanoscan.training.backbones import create_model
        from melanoscan.training.export import AveragedLogits, load_network
    except ImportError as exc:
        print(f"PyTorch part skipped: {exc.name} is not installed (pip install -e '.[train]')")
        return None
    torch.set_num_threads(threads)
    tta = spec.extra.get("tta") == "hflip"
    missing = [str(path) for path in checkpoints if not path.exists()]
    if checkpoints and not missing:
        network, _, _, _ = load_network(checkpoints, tta)
        print(f"PyTorch eager: the trained checkpoints {[str(path) for path in checkpoints]}")
        return network, True
    configs = [m["config"] for m in spec.members] or [{"backbone": spec.backbone, "image_size": spec.input_size}]
    members = [
        create_model(config["backbone"], len(spec.classes), config["image_size"], pretrained=False).eval()
        for config in configs
    ]
    sizes = [config["image_size"] for config in configs]
    network = members[0] if len(members) == 1 and not tta else AveragedLogits(members, sizes, tta)
    named = " + ".join(f"{config['backbone']} {config['image_size']} px" for config in configs)
    print(
        f"PyTorch eager: checkpoints absent ({', '.join(missing) or 'none recorded'}), so the same architecture "
        f"with RANDOM weights: {named}, "
        f"{len(spec.classes)} outputs{', flip averaging' if tta else ''}. Timing does not depend on the weights; "
        "the outputs do (the logit difference below is meaningless)."
    )
    return network.eval(), False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument(
        "--checkpoint",
        nargs="*",
        type=Path,
        help="training checkpoints (.pt); default: the members recorded in the model's metadata",
    )
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args(argv)

    classifier = Classifier(args.model, threads=args.threads)
    spec = classifier.spec
    phone = phone_jpeg()
    inputs = {
        "12-MP JPEG 4000x3000": phone,
        "web upload 1600x1200": web_upload_jpeg(phone),
        "256 px JPEG": LESION.read_bytes(),
    }
    print(
        f"model {spec.name} {spec.version} ({spec.backbone}, {spec.input_size} px); "
        f"{args.threads} threads; {args.runs} runs each; cores visible: {len(os.sched_getaffinity(0))}"
    )
    print(f"12-MP JPEG: {len(inputs['12-MP JPEG 4000x3000']) / 1e6:.1f} MB")

    def prepare(data: bytes) -> np.ndarray:
        return preprocess_batch([decode_image(data, draft_size=spec.resize_size)], spec)

    rows: list[tuple[str, str, list[float]]] = []
    for name, data in inputs.items():
        rows.append((name, "decode+preprocess", timed(lambda data=data: prepare(data), args.runs)))
        rows.append(
            (
                name,
                "end-to-end ORT",
                timed(
                    lambda data=data: classifier.predict_proba([decode_image(data, draft_size=spec.resize_size)]),
                    args.runs,
                ),
            )
        )
    batch = prepare(inputs["256 px JPEG"])
    ort_model = timed(lambda: classifier.logits(batch), args.runs)
    rows.append((f"{spec.input_size} px tensor", "inference ORT", ort_model))

    members = [Path(m["checkpoint"]) for m in spec.members]
    checkpoints = [ROOT / path if not path.is_absolute() else path for path in (args.checkpoint or members)]
    loaded = load_torch(spec, checkpoints, args.threads)
    torch_model: list[float] | None = None
    if loaded is not None:
        import torch

        model, trained = loaded

        def torch_probs(data: bytes) -> np.ndarray:
            with torch.inference_mode():
                logits = model(torch.from_numpy(prepare(data))).numpy()
            return softmax(logits, spec.temperature)

        tensor = torch.from_numpy(batch)
        with torch.inference_mode():
            drift = float(np.abs(model(tensor).numpy() - classifier.logits(batch)).max())
        print(f"PyTorch vs ORT max |logit difference| on the 256 px image: {drift:.2e}")
        if drift > 1e-3 and trained:
            print(
                "  (the checkpoint is not the one this ONNX file was exported from: same network, other "
                "weights; the timing comparison holds, the outputs differ)"
            )
        for name, data in inputs.items():
            rows.append((name, "end-to-end PyTorch eager", timed(lambda data=data: torch_probs(data), args.runs)))

        def forward() -> None:
            with torch.inference_mode():
                model(tensor)

        torch_model = timed(forward, args.runs)
        rows.append((f"{spec.input_size} px tensor", "inference PyTorch eager", torch_model))

    print()
    print(f"{'input':<22} {'what':<26} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for name, what, times in rows:
        print(f"{name:<22} {what:<26} {p(times, 50):>8.1f} {p(times, 95):>8.1f} {statistics.fmean(times):>8.1f}")
    if torch_model is not None:
        print()
        print(f"PyTorch eager / ONNX Runtime, inference only, p50: {p(torch_model, 50) / p(ort_model, 50):.2f}x")
        for name in inputs:
            ort = next(t for n, w, t in rows if n == name and w == "end-to-end ORT")
            pt = next(t for n, w, t in rows if n == name and w == "end-to-end PyTorch eager")
            print(f"PyTorch eager / ONNX Runtime, end-to-end {name}, p50: {p(pt, 50) / p(ort, 50):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
