"""The phone-like views that broaden the not_a_lesion background (training/gate_views.py) and the grouping that
keeps one picture on one side of the non-lesion set's dev/report split (scripts/make_nonlesion_set.py), on real
images: a committed ISIC test photo and scikit-image's cat."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from melanoscan.training.gate_views import views

ROOT = Path(__file__).resolve().parents[2]


def build_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_nonlesion_set", ROOT / "scripts" / "make_nonlesion_set.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_nonlesion_set"] = module
    spec.loader.exec_module(module)
    return module


def test_views_are_seeded_varied_crops(tiny_images):
    photo = Image.open(tiny_images[0]).convert("RGB")
    first, again, other = views(photo, 6, "a.jpg"), views(photo, 6, "a.jpg"), views(photo, 6, "b.jpg")
    assert [np.asarray(v).tobytes() for v in first] == [np.asarray(v).tobytes() for v in again]
    assert [v.size for v in first] != [v.size for v in other]
    for view in first:
        assert view.mode == "RGB" and view.width <= photo.width and view.height <= photo.height
    means = [np.asarray(v, dtype=np.float32).mean() for v in first]
    assert max(means) - min(means) > 5, "brightness, contrast and crop vary between views"
    # the first views of a longer run are the views of a shorter one (fit-gate --views can be compared)
    assert np.array_equal(np.asarray(views(photo, 2, "a.jpg")[1]), np.asarray(first[1]))


def test_one_picture_is_one_group():
    script = build_script()
    group_of = script.group_of
    plasma = "/usr/share/wallpapers/Autumn/contents/images/{}.jpg"
    assert group_of(Path(plasma.format("1920x1080"))) == group_of(Path(plasma.format("640x480"))) == "plasma:Autumn"
    theme = "/usr/share/desktop-base/joy-theme/{}"
    assert group_of(Path(theme.format("grub/grub-4x3.png"))) == group_of(Path(theme.format("login/sddm-preview.jpg")))
    sway = "/usr/share/backgrounds/sway/Sway_Wallpaper_Blue_{}.png"
    assert group_of(Path(sway.format("768x1024_Portrait"))) == group_of(Path(sway.format("1920x1080")))
    assert group_of(Path("/usr/share/backgrounds/gnome/wood-d.webp")) == group_of(
        Path("/usr/share/backgrounds/gnome/wood-l.webp")
    )
    assert group_of(Path("/usr/share/backgrounds/city.png")) != group_of(Path("/usr/share/backgrounds/desert.png"))
    assert group_of(Path("rendered:noise:3")) == "rendered:noise:3"


def test_the_same_picture_under_two_names_is_merged(tiny_images):
    skimage_data = pytest.importorskip("skimage.data")
    script = build_script()
    cat, chelsea = Image.fromarray(skimage_data.cat()), Image.fromarray(skimage_data.chelsea())
    lesion = Image.open(tiny_images[0]).convert("RGB")
    groups = script.merge_lookalikes(
        [
            ("sample_photo", "skimage.data.cat", cat),
            ("sample_photo", "skimage.data.chelsea", chelsea),
            ("sample_photo", "a lesion", lesion),
        ]
    )
    assert groups["skimage.data.chelsea"] == groups["skimage.data.cat"] == "skimage.data.cat"
    assert groups["a lesion"] == "a lesion"
