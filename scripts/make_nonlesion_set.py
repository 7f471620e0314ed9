"""Build the non-lesion photo set that the suitability bench measures refusals on, from installed packages only.

Nothing here is downloaded: real photographs and wallpapers from Debian packages (the bench needs them, the
tests do not):

    apt-get install gnome-backgrounds mate-backgrounds ukui-wallpapers lomiri-wallpapers desktop-base \
        plasma-workspace-wallpapers lomiri-wallpapers-20.04 lomiri-wallpapers-16.04 sway-backgrounds \
        mypaint-data-extras propaganda-debian

scikit-image's, matplotlib's and scikit-learn's sample images (a cat, an astronaut, coffee, a rocket, a
motorcycle, Grace Hopper's portrait, a Chinese temple, a flower, ...), and images rendered here with Pillow:
printed and photographed text pages (ko/en), app screenshots, noise, and faces seen from afar. Every photo gives
three views (whole, centre half, a seeded third-size crop), as a phone would frame it. The images go to a folder
outside the repository; the manifest (kind, source, group, view, split) is committed as
bench/nonlesion_manifest.csv.

    python scripts/make_nonlesion_set.py --out /tmp/nonlesion --manifest bench/nonlesion_manifest.csv

`split` (dev / report, from a hash of the source's `group`) keeps design choices on one half and figures on the
other. A group is one picture however many files carry it: a Plasma wallpaper's dozen resolutions count once
(the largest is used), a link to another package's file is skipped, and one desktop-base theme's boot, login
and desktop renderings of the same artwork share a group, so no picture lies on both sides.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

PHOTO_FOLDERS = ("/usr/share/backgrounds", "/usr/share/desktop-base", "/usr/share/wallpapers", "/usr/share/mypaint")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
RESOLUTION = re.compile(r"(_\d+x\d+)?(_portrait)?$", re.IGNORECASE)
MIN_SIDE = 300  # logos and icons below this are not photos
LOOKALIKE_LEVELS = 1.0  # mean difference of 16 px thumbnails below which two (not flat) files are one picture
MAX_SIDE = 640  # the model sees a 256 px crop: keep the folder small
FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
WORDS_EN = (  # noqa: SIM905
    "the patient should see a doctor when the mole changes size shape or colour and any new spot after age "
    "thirty deserves a look results are not a diagnosis terms of service privacy policy account settings"
).split()
WORDS_KO = "피부 병원 진료 예약 안내 결과 사진 다시 찍어 주세요 개인정보 처리방침 이용약관 확인 취소 설정".split()  # noqa: SIM905


def split_of(group: str) -> str:
    return "dev" if hashlib.sha256(group.encode()).digest()[0] % 2 == 0 else "report"


def group_of(path: Path) -> str:
    """One picture, whichever file carries it: a desktop-base theme, a Plasma wallpaper folder, the file name
    without a trailing resolution (Elephants_3840x2160.jpg, Sway_Wallpaper_Blue_768x1024_Portrait.png)."""
    parts = path.parts
    if "desktop-base" in parts and len(parts) > parts.index("desktop-base") + 2:
        return "desktop-base:" + parts[parts.index("desktop-base") + 1]
    if "contents" in parts:  # /usr/share/wallpapers/<Name>/contents/images/<W>x<H>.jpg
        return "plasma:" + parts[parts.index("contents") - 1]
    if path.parent == Path("."):  # not a file: skimage.data.cat, rendered:noise:3
        return str(path)
    stem = RESOLUTION.sub("", path.stem)
    if path.parent.name == "gnome":  # adwaita-d / adwaita-l: dark and light renderings
        stem = re.sub(r"-[dl]$", "", stem)
    if "mypaint" in parts:  # HR_Canvas 01 / 02, mamurk_a_1 / _2: one paper in several tiles
        stem = re.sub(r"[ _]?\d+$", "", stem)
    return str(path.with_name(stem + path.suffix))


def merge_lookalikes(photos: list[tuple[str, str, Image.Image]]) -> dict[str, str]:
    """source -> group, where a photo that looks like an earlier one (the same 16 px thumbnail, e.g. one picture
    shipped under two names: scikit-image's `cat` is `chelsea`) joins that one's group. Flat thumbnails (a plain
    colour at 16 px) are left alone: they all look alike."""
    groups: dict[str, str] = {}
    seen: list[tuple[np.ndarray, str]] = []
    for _, source, image in photos:
        thumb = np.asarray(image.convert("RGB").resize((16, 16), Image.Resampling.BOX), dtype=np.float32)
        group = group_of(Path(source))
        if thumb.std() > 2.0:
            group = next((g for t, g in seen if np.abs(t - thumb).mean() < LOOKALIKE_LEVELS), group)
        groups[source] = group
        seen.append((thumb, group))
    return groups


def photo_files() -> list[Path]:
    """Picture files of the photo folders: real files only (links point into another package), no logos,
    previews or icons, and of each group (one picture in several renderings) only its largest file."""
    chosen: dict[str, Path] = {}
    for folder in PHOTO_FOLDERS:
        for path in sorted(Path(folder).rglob("*")):
            name = path.name.lower()
            if path.suffix.lower() not in PHOTO_SUFFIXES or path.is_symlink() or not path.is_file():
                continue
            if any(word in name for word in ("logo", "emblem", "screenshot", "preview", "icon", "thumb")):
                continue
            if any(link.is_symlink() for link in path.parents):
                continue
            group = group_of(path)
            if group not in chosen or path.stat().st_size > chosen[group].stat().st_size:
                chosen[group] = path
    return sorted(chosen.values())


def shrink(image: Image.Image) -> Image.Image:
    image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


def views(image: Image.Image, seed: str) -> Iterator[tuple[str, Image.Image]]:
    """Whole, centre half, and a seeded crop a third of the size."""
    rng = random.Random(seed)
    width, height = image.size
    yield "whole", image
    yield "centre", image.crop((width // 4, height // 4, width * 3 // 4, height * 3 // 4))
    cw, ch = max(64, width // 3), max(64, height // 3)
    left, top = rng.randrange(0, width - cw + 1), rng.randrange(0, height - ch + 1)
    yield "crop", image.crop((left, top, left + cw, top + ch))


def installed_photos() -> Iterator[tuple[str, str, Image.Image]]:
    """(kind, source, image) for wallpapers and sample photos in installed packages."""
    for path in photo_files():
        try:
            with Image.open(path) as image:
                if min(image.size) < MIN_SIDE:
                    continue
                image.load()
                kind = "texture" if "mypaint" in path.parts else "wallpaper"
                yield kind, str(path), shrink(image)
        except OSError:
            continue
    import skimage.data

    for name in (
        "astronaut", "brick", "camera", "cat", "cell", "chelsea", "clock", "coffee", "coins", "colorwheel",
        "grass", "gravel", "horse", "hubble_deep_field", "immunohistochemistry", "logo", "moon", "page",
        "retina", "rocket", "text", "binary_blobs", "checkerboard", "shepp_logan_phantom",
    ):  # fmt: skip
        pixels = np.asarray(getattr(skimage.data, name)())
        if pixels.dtype == bool:
            pixels = pixels.astype(np.uint8) * 255
        yield "sample_photo", f"skimage.data.{name}", shrink(Image.fromarray(pixels))
    left, _, _ = skimage.data.stereo_motorcycle()
    yield "sample_photo", "skimage.data.stereo_motorcycle", shrink(Image.fromarray(left))
    from sklearn.datasets import load_sample_images

    sklearn_samples = load_sample_images()
    for name, pixels in zip(sklearn_samples.filenames, sklearn_samples.images, strict=True):
        yield "sample_photo", f"sklearn:{Path(name).name}", shrink(Image.fromarray(pixels))
    import matplotlib

    sample = Path(matplotlib.get_data_path()) / "sample_data"
    for name in ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png"):
        with Image.open(sample / name) as image:
            image.load()
            yield "sample_photo", f"matplotlib:{name}", shrink(image)


def font(size: int, rng: random.Random, korean: bool = False) -> ImageFont.FreeTypeFont:
    path = FONTS[2] if korean else rng.choice(FONTS[:2])
    return ImageFont.truetype(path, size)


def text_page(rng: random.Random, photographed: bool) -> Image.Image:
    """A page of printed text; `photographed`: off-white paper, uneven light, slight blur and sensor noise."""
    width, height = rng.choice([(480, 640), (640, 480), (600, 600)])
    paper = rng.randint(215, 245) if photographed else 255
    image = Image.new("RGB", (width, height), (paper, paper, paper - rng.randint(0, 12)))
    draw = ImageDraw.Draw(image)
    korean = rng.random() < 0.4
    words = WORDS_KO if korean else WORDS_EN
    size = rng.randint(12, 26)
    face = font(size, rng, korean)
    y = rng.randint(10, 40)
    while y < height - size:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(4, 12)))
        draw.text((rng.randint(10, 40), y), line, fill=(rng.randint(0, 60),) * 3, font=face)
        y += int(size * rng.uniform(1.3, 1.9))
    if photographed:
        shade = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(0.85, 1.05), width)[None, :, None]
        pixels = np.asarray(image, dtype=np.float32) * shade + np.random.default_rng(rng.randrange(1 << 30)).normal(
            0, 4, (height, width, 3)
        )
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
        image = image.rotate(rng.uniform(-6, 6), resample=Image.Resampling.BICUBIC, fillcolor=(90, 80, 70))
    return image


def screenshot(rng: random.Random) -> Image.Image:
    """An app or web page: a bar, buttons, cards, text lines."""
    width, height = rng.choice([(360, 720), (720, 1280), (1280, 800)])
    dark = rng.random() < 0.3
    bg = (24, 24, 28) if dark else (rng.randint(235, 255),) * 3
    image = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(image)
    accent = tuple(rng.randint(0, 255) for _ in range(3))
    draw.rectangle((0, 0, width, rng.randint(40, 90)), fill=accent)
    face = font(rng.randint(14, 22), rng, korean=rng.random() < 0.5)
    y = 110
    while y < height - 60:
        if rng.random() < 0.3:
            x0 = rng.randint(10, width // 3)
            draw.rounded_rectangle((x0, y, x0 + rng.randint(80, 240), y + 44), radius=10, fill=accent)
            y += 60
        else:
            card = tuple(max(0, c - 12) for c in bg) if not dark else (44, 44, 52)
            draw.rounded_rectangle((10, y, width - 10, y + 90), radius=8, fill=card)
            words = WORDS_KO if rng.random() < 0.5 else WORDS_EN
            draw.text(
                (24, y + 12),
                " ".join(rng.choice(words) for _ in range(6)),
                fill=(200, 200, 200) if dark else (30, 30, 30),
                font=face,
            )
            y += 110
    return image


def noise(rng: random.Random) -> Image.Image:
    gen = np.random.default_rng(rng.randrange(1 << 30))
    size = (rng.randint(200, 500), rng.randint(200, 500))
    kind = rng.choice(["gaussian", "uniform", "salt_pepper", "smooth", "stripes"])
    if kind == "gaussian":
        pixels = gen.normal(rng.uniform(60, 200), rng.uniform(20, 70), (*size, 3))
    elif kind == "uniform":
        pixels = gen.uniform(0, 255, (*size, 3))
    elif kind == "salt_pepper":
        pixels = np.where(gen.random((*size, 1)) < 0.5, 0, 255) * np.ones(3)
    elif kind == "smooth":
        small = gen.uniform(0, 255, (8, 8, 3)).astype(np.uint8)
        return Image.fromarray(small).resize(size[::-1], Image.Resampling.BICUBIC)
    else:
        stripes = (np.sin(np.arange(size[1]) / rng.uniform(2, 20)) * 127 + 128)[None, :, None]
        pixels = np.broadcast_to(stripes, (*size, 3)) * gen.uniform(0.5, 1, 3)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def face_from_afar(rng: random.Random, faces: list[Image.Image], scenes: list[Image.Image]) -> Image.Image:
    """A small face (a portrait shrunk to a fifth of the frame or less) on a wallpaper scene."""
    scene = rng.choice(scenes).copy()
    face = rng.choice(faces).copy()
    side = max(24, int(min(scene.size) * rng.uniform(0.1, 0.25)))
    face.thumbnail((side, side))
    scene.paste(face, (rng.randrange(0, scene.width - face.width), rng.randrange(0, scene.height - face.height)))
    return scene


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, default=None)
    parser.add_argument("--rendered", type=int, default=40, help="images of each rendered kind")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []

    def save(kind: str, source: str, view: str, image: Image.Image) -> None:
        name = f"{len(rows):04d}_{kind}.png"
        image.convert("RGB").save(args.out / name)
        group = groups.get(source) or group_of(Path(source))
        rows.append(
            {"file": name, "kind": kind, "source": source, "group": group, "view": view, "split": split_of(group)}
        )

    photos = list(installed_photos())
    groups = merge_lookalikes(photos)
    for kind, source, image in photos:
        for view, cropped in views(image, source):
            save(kind, source, view, cropped)
    rng = random.Random(13)
    for i in range(args.rendered):
        save("text_page", f"rendered:text_page:{i}", "whole", text_page(rng, photographed=False))
        save("photographed_text", f"rendered:photographed_text:{i}", "whole", text_page(rng, photographed=True))
        save("screenshot", f"rendered:screenshot:{i}", "whole", screenshot(rng))
        save("noise", f"rendered:noise:{i}", "whole", noise(rng))
    faces = [
        image for _, source, image in photos if source in ("skimage.data.astronaut", "matplotlib:grace_hopper.jpg")
    ]
    scenes = [image for kind, _, image in photos if kind == "wallpaper"]
    for i in range(args.rendered):
        save("face_from_afar", f"rendered:face_from_afar:{i}", "whole", face_from_afar(rng, faces, scenes))
    manifest = args.manifest or args.out / "manifest.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "kind", "source", "group", "view", "split"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} images in {args.out}, manifest {manifest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
