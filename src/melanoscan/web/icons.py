"""Draw the app icons with Pillow: `python -m melanoscan.web.icons` (output is committed in static/icons/).

A rounded blue square with a white magnifier over a brown spot; the maskable variant keeps the
drawing inside the 80 % safe zone on a full-bleed background.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent / "static" / "icons"
BLUE = (11, 83, 148, 255)
SPOT = (110, 62, 38, 255)
WHITE = (255, 255, 255, 255)


def draw(size: int, *, maskable: bool = False) -> Image.Image:
    scale = 4  # supersample, then downsize for smooth edges
    s = size * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle([0, 0, s, s], fill=BLUE)
        inset = 0.2 * s
    else:
        d.rounded_rectangle([0, 0, s - 1, s - 1], radius=int(0.22 * s), fill=BLUE)
        inset = 0.12 * s
    box = s - 2 * inset

    def px(v: float) -> float:
        return inset + v * box

    # Lens ring, a brown spot inside it, and the handle.
    ring = 0.07 * box
    d.ellipse([px(0.10), px(0.10), px(0.68), px(0.68)], outline=WHITE, width=int(ring))
    d.ellipse([px(0.27), px(0.29), px(0.50), px(0.50)], fill=SPOT)
    d.line([px(0.62), px(0.62), px(0.90), px(0.90)], fill=WHITE, width=int(ring * 1.6))
    d.ellipse([px(0.90) - ring * 0.8, px(0.90) - ring * 0.8, px(0.90) + ring * 0.8, px(0.90) + ring * 0.8], fill=WHITE)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main(argv: list[str] | None = None) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    apple = Image.new("RGBA", (180, 180), BLUE)
    apple.alpha_composite(draw(180, maskable=True))
    apple.convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    print(f"wrote icons to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
