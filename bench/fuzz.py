"""Coverage-guided fuzzing (atheris / libFuzzer) of the image intake path, for a given time.

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python bench/fuzz.py --seconds 600            # prints executions, exec/s, crashes

The target is exactly what the API does with an upload: `decode_image(data, max_pixels=...,
draft_size=256)` then `preprocess(image, spec)` with the shipped model's metadata. An `ImageRejected`
(a clean 4xx) is a pass; any other exception, a hang (--timeout) or a memory blow-up (--rss-limit-mb)
is a crash. The seed corpus is generated from the real lesion photos in tests/data/isic/tiny as JPEG,
progressive JPEG, EXIF-rotated JPEG, PNG (RGB, RGBA, 16-bit, palette), GIF (plain, animated), WebP,
TIFF, BMP and HEIC, each in a small size (so mutations reach headers and decoders quickly), plus the
paths of the bounded decoder (issue 14): motion photos (JPEG + XMP + MP4 trailer), MPO, RLE8/RLE4 BMP,
tiled, float, 32-bit and 16-bit TIFF, 16-bit RGBA PNG, APNG, animated WebP with a canvas larger than its
frames, a GIF with comment sub-blocks, and JPEG segment/fill padding. In the fuzzing process the
conversion's band size is a few hundred pixels, so the banded conversion runs on these small inputs.

One libFuzzer process runs at a time. When it stops on a crash, the crashing input is kept under
var/fuzz/crashes/ and a fresh process carries on from the grown corpus until the time is up, so one
run reports every distinct crash it found. Turn a crash into a regression test under
tests/ops/fuzz_regressions/ (tests/ops/test_fuzz_regressions.py replays every file there).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_IMAGES = ROOT / "tests" / "data" / "isic" / "tiny"
MODEL_SPEC = ROOT / "models" / "melanoscan.json"
REGRESSIONS = ROOT / "tests" / "ops" / "fuzz_regressions"
WORK = ROOT / "var" / "fuzz"
DEFAULT_MAX_PIXELS = 50_000_000  # the service's default (Settings.max_pixels)


# --------------------------------------------------------------------------------------------- target
def check_one(data: bytes, spec, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:  # type: ignore[no-untyped-def]
    """The intake path on one input. Returns normally for a good image or a clean rejection."""
    import numpy as np

    from melanoscan.imaging.decode import decode_image
    from melanoscan.imaging.errors import ImageRejected
    from melanoscan.imaging.preprocess import preprocess

    try:
        image = decode_image(data, max_pixels=max_pixels, draft_size=256)
    except ImageRejected as exc:
        if exc.status not in (400, 413, 415, 422) or not exc.code:
            raise AssertionError(f"rejection with a bad status/code: {exc.status} {exc.code!r}") from exc
        return
    if image.mode != "RGB":
        raise AssertionError(f"decode_image returned mode {image.mode}")
    tensor = preprocess(image, spec)
    if tensor.shape != (3, spec.input_size, spec.input_size) or not np.isfinite(tensor).all():
        raise AssertionError(f"bad tensor {tensor.shape}")


def worker(argv: list[str], max_pixels: int) -> None:
    """Runs inside the libFuzzer process (started by main with --worker)."""
    import atheris

    with atheris.instrument_imports(include=["PIL", "melanoscan", "pillow_heif"]):
        import PIL.Image  # noqa: F401  (instrumented: Pillow's Python-side parsers and plugins)
        import pillow_heif  # noqa: F401

        import melanoscan.imaging.decode
        import melanoscan.imaging.preprocess  # noqa: F401
    from melanoscan.inference.spec import ModelSpec

    spec = ModelSpec.load(MODEL_SPEC)
    import melanoscan.imaging.convert as convert

    convert.BAND_PIXELS = 300  # several bands even for the 48x40 seeds

    def test_one_input(data: bytes) -> None:
        check_one(data, spec, max_pixels)

    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


# ------------------------------------------------------------------------------------------------ seeds
def make_seeds(out: Path) -> int:
    """Write the seed corpus (from the real lesion photos) into `out`. Returns the number of files."""
    from PIL import Image

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        heif = True
    except ImportError:  # pragma: no cover
        heif = False

    out.mkdir(parents=True, exist_ok=True)
    count = 0

    def put(data: bytes) -> None:
        nonlocal count
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
        count += 1

    def save(image: Image.Image, fmt: str, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
        buf = io.BytesIO()
        image.save(buf, fmt, **kwargs)
        return buf.getvalue()

    photos = sorted(SEED_IMAGES.glob("*.jpg"))
    for index, path in enumerate(photos):
        put(path.read_bytes())  # the real photo as it was committed (256 px)
        rgb = Image.open(path).convert("RGB")
        small = rgb.resize((48, 40))  # just above the 32 px minimum: cheap executions
        # Rotate the choice of formats over the photos so the corpus stays small but covers all of them.
        put(save(small, "JPEG", quality=80))
        put(save(small, "PNG"))
        if index % 3 == 0:
            put(save(small, "JPEG", quality=70, progressive=True))
            exif = Image.Exif()
            exif[0x0112] = 6  # Orientation: rotate 90 CW
            put(save(small, "JPEG", exif=exif.tobytes()))
            put(save(small.convert("CMYK"), "JPEG"))
        if index % 3 == 1:
            put(save(small.convert("RGBA"), "PNG"))
            put(save(small.convert("I;16"), "PNG"))
            put(save(small.convert("P", palette=Image.Palette.ADAPTIVE, colors=16), "PNG", transparency=0))
            put(save(small.convert("LA"), "PNG"))
        if index % 3 == 2:
            frames = [small, small.rotate(90), small.rotate(180)]
            put(save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0))
            put(save(small.convert("P", palette=Image.Palette.ADAPTIVE, colors=32), "GIF"))
        put(save(small, "WEBP", quality=60))
        if index % 2 == 0:
            put(save(small, "TIFF"))
            put(save(small, "TIFF", compression="tiff_lzw"))
            put(save(small, "BMP"))
        else:
            put(save(small, "TIFF", compression="packbits"))
            put(save(small.convert("L"), "BMP"))
        if heif and index < 3:
            put(save(small, "HEIF", quality=50))
    for data in bounded_decoder_seeds(Image.open(photos[0]).convert("RGB").resize((48, 40)), save):
        put(data)
    return count


def bounded_decoder_seeds(small, save) -> list[bytes]:  # type: ignore[no-untyped-def]
    """Small files for each path of the bounded decoder (see the module docstring)."""
    import struct

    import numpy as np
    from PIL import Image

    seeds: list[bytes] = []
    jpeg = save(small, "JPEG", quality=90)
    xmp = b'<x:xmpmeta><rdf:Description GCamera:MotionPhoto="1" GCamera:MicroVideoOffset="64"/></x:xmpmeta>'
    app1 = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    mp4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x28mdat" + b"\xff\xda\x00\x01" * 8
    seeds.append(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:] + mp4)
    seeds.append(jpeg + b"MotionPhoto_Data" + mp4)
    seeds.append(save(small, "MPO", save_all=True, append_images=[small.rotate(90)]))
    seeds.append(jpeg[:2] + b"\xff" * 64 + b"\xff\xfe\x00\x02" * 16 + jpeg[2:])  # fill bytes, empty comments
    # RLE8 and RLE4 BMP, 48x40: one run per row half plus literal runs
    for bits, compression in ((8, 1), (4, 2)):
        row = b"\x18\x03\x18\x07" + b"\x00\x00"
        body = row * 40 + b"\x00\x01"
        colors = 256 if bits == 8 else 16
        palette = bytes(c for i in range(colors) for c in (i, 255 - i, i // 2, 0))
        info = struct.pack("<IiiHHIIiiII", 40, 48, 40, 1, bits, compression, len(body), 2835, 2835, colors, 0)
        offset = 14 + len(info) + len(palette)
        seeds.append(struct.pack("<2sIHHI", b"BM", offset + len(body), 0, 0, offset) + info + palette + body)
    gray = np.asarray(small.convert("L"))
    seeds.append(save(Image.fromarray(gray.astype(np.float32) / 255.0), "TIFF"))
    seeds.append(save(Image.fromarray(gray.astype(np.int32) * 300), "TIFF", compression="tiff_adobe_deflate"))
    seeds.append(save(Image.fromarray(gray.astype(np.uint16) * 257), "TIFF"))
    seeds.append(save(small, "TIFF", tiffinfo={322: 16, 323: 16}))  # tile tags (Pillow writes strips)
    seeds.append(save(Image.fromarray(gray.astype(np.uint16) * 257), "PNG"))
    rgba = small.convert("RGBA")
    rgba.putalpha(128)
    seeds.append(save(rgba, "PNG", save_all=True, append_images=[small.convert("RGBA")], duration=50))  # APNG
    seeds.append(save(rgba.convert("P", palette=Image.Palette.ADAPTIVE), "PNG", transparency=5))
    frames = [small, small.rotate(90)]
    seeds.append(save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=50, lossless=True))
    gif = save(small.convert("P", palette=Image.Palette.ADAPTIVE), "GIF")
    seeds.append(gif[: 13 + 3 * 256] + b"\x21\xfe" + b"\x01x" * 32 + b"\x00" + gif[13 + 3 * 256 :])
    return seeds


# ------------------------------------------------------------------------------------------------- main
_DONE = re.compile(r"Done (\d+) runs in (\d+) second")
_ARTIFACT = re.compile(r"Test unit written to (\S+)")
_STAT = re.compile(r"^#(\d+)\s+\w+.*?exec/s: (\d+)", re.M)


def run(seconds: int, max_pixels: int, timeout: int, rss_limit_mb: int, log) -> dict:  # type: ignore[no-untyped-def]
    corpus = WORK / "corpus"
    crashes = WORK / "crashes"
    seeds = WORK / "seeds"
    crashes.mkdir(parents=True, exist_ok=True)
    if seeds.exists():
        shutil.rmtree(seeds)
    n_seeds = make_seeds(seeds)
    corpus.mkdir(parents=True, exist_ok=True)
    print(f"seed corpus: {n_seeds} files from {SEED_IMAGES.relative_to(ROOT)}; corpus dir {corpus}", file=log)

    deadline = time.monotonic() + seconds
    total_runs = 0
    crash_files: list[Path] = []
    rounds = 0
    started = time.monotonic()
    while (left := int(deadline - time.monotonic())) > 5:
        rounds += 1
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            "--max-pixels",
            str(max_pixels),
            "--",
            f"-max_total_time={left}",
            f"-timeout={timeout}",
            f"-rss_limit_mb={rss_limit_mb}",
            "-max_len=65536",
            f"-artifact_prefix={crashes}/",
            "-print_final_stats=1",
            str(corpus),
            str(seeds),
        ]
        env = dict(os.environ, PYTHONHASHSEED="0", MELANOSCAN_ORT_THREADS="1")
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, errors="replace"
        )
        assert proc.stdout is not None
        runs_this_round = 0
        artifact: Path | None = None
        tail: list[str] = []
        for line in proc.stdout:
            log.write(line)
            log.flush()
            tail = [*tail, line][-60:]
            if (m := _DONE.search(line)) is not None:
                runs_this_round = int(m.group(1))
            elif (m := _STAT.search(line)) is not None:
                runs_this_round = max(runs_this_round, int(m.group(1)))
            elif line.startswith("stat::number_of_executed_units:"):
                runs_this_round = max(runs_this_round, int(line.split(":")[-1]))
            elif (m := _ARTIFACT.search(line)) is not None:
                artifact = Path(m.group(1))
        proc.wait()
        total_runs += runs_this_round
        if proc.returncode == 0:
            continue
        if artifact is None:
            print("".join(tail), file=sys.stderr)
            raise SystemExit(f"fuzzer exited with {proc.returncode} and no crash artifact; see the log above")
        if artifact in crash_files:
            raise SystemExit(f"the same crash twice ({artifact}): it is not in the corpus; stopping")
        crash_files.append(artifact)
        # A seed or corpus entry that crashes would crash every later round: take it out (libFuzzer and
        # make_seeds name files by the SHA-1 of their content, as in crash-<sha1>).
        digest = artifact.name.split("-", 1)[-1]
        for folder in (corpus, seeds):
            (folder / digest).unlink(missing_ok=True)
        print(f"round {rounds}: crash -> {artifact.name}; restarting", file=log)
    elapsed = time.monotonic() - started
    return {
        "seconds": round(elapsed, 1),
        "executions": total_runs,
        "exec_per_s": round(total_runs / elapsed, 1) if elapsed else 0.0,
        "crashes": len(crash_files),
        "crash_files": [str(p.relative_to(ROOT)) for p in crash_files],
        "rounds": rounds,
        "corpus_files": sum(1 for _ in corpus.iterdir()),
        "seed_files": n_seeds,
    }


def replay(paths: list[Path], max_pixels: int) -> int:
    """Run the target on files (e.g. crash artifacts) without fuzzing; prints one line each."""
    import traceback

    from melanoscan.inference.spec import ModelSpec

    spec = ModelSpec.load(MODEL_SPEC)
    bad = 0
    for path in paths:
        try:
            check_one(path.read_bytes(), spec, max_pixels)
            print(f"ok    {path}")
        except Exception:
            bad += 1
            print(f"CRASH {path}\n{traceback.format_exc()}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--worker" in argv:
        split = argv.index("--") if "--" in argv else len(argv)
        ours, libfuzzer = argv[:split], argv[split + 1 :]
        max_pixels = DEFAULT_MAX_PIXELS
        if "--max-pixels" in ours:
            max_pixels = int(ours[ours.index("--max-pixels") + 1])
        worker([sys.argv[0], *libfuzzer], max_pixels)
        return 0

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz in total")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS)
    parser.add_argument("--timeout", type=int, default=20, help="seconds one input may take (a hang)")
    parser.add_argument("--rss-limit-mb", type=int, default=3072)
    parser.add_argument("--log", type=Path, default=WORK / "fuzz.log", help="libFuzzer's own output")
    parser.add_argument("--replay", type=Path, nargs="+", help="run these files through the target and stop")
    args = parser.parse_args(argv)

    if args.replay:
        return replay(args.replay, args.max_pixels)
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed: .venv/bin/pip install -e '.[fuzz]'", file=sys.stderr)
        return 2
    args.log.parent.mkdir(parents=True, exist_ok=True)
    with args.log.open("a", encoding="utf-8") as log:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        print(f"\n=== bench/fuzz.py --seconds {args.seconds} at {stamp}", file=log)
        result = run(args.seconds, args.max_pixels, args.timeout, args.rss_limit_mb, log)
    print(f"fuzzed for      {result['seconds']} s ({result['rounds']} libFuzzer process(es), one at a time)")
    print(f"executions      {result['executions']}")
    print(f"exec/s          {result['exec_per_s']}")
    print(f"corpus          {result['corpus_files']} files (from {result['seed_files']} seeds)")
    print(f"crashes         {result['crashes']}")
    for path in result["crash_files"]:
        print(f"  {path}   (replay: .venv/bin/python bench/fuzz.py --replay {path})")
    print(f"libFuzzer log   {args.log}")
    return 1 if result["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
