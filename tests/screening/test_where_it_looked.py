"""Where the model looked: on real ISIC lesions the class activation map's mass lies on the lesion (the dark
region by Otsu's threshold, inside the central disc so a dermatoscope's dark vignette does not count) clearly
more than the same values shuffled over the grid; the crop box is the centre crop the model saw; the map is of
the class the answer is about.

Measured (docs/suitability.md): the 7x7 map puts about 1.5x the shuffled map's mass on the lesion; on these
256 px ISIC copies the lesion covers a small part of the crop, so that mass is a quarter, not "mostly"."""

from __future__ import annotations

import numpy as np
from PIL import Image
from skimage.filters import threshold_otsu

from melanoscan.imaging.decode import DecodedImage
from melanoscan.inference.spec import ModelSpec
from melanoscan.screening.decision import decide
from melanoscan.screening.explain import crop_box, explained_class, heatmap
from melanoscan.screening.pipeline import Screener
from screening.seven_classes import SEVEN

SIDE = 112
_Y, _X = np.mgrid[:SIDE, :SIDE]
DISC = (_Y - SIDE / 2 + 0.5) ** 2 + (_X - SIDE / 2 + 0.5) ** 2 < (0.45 * SIDE) ** 2


def mass_on_lesion(photo: Image.Image, grid: np.ndarray, crop: tuple[float, float, float, float]) -> float:
    left, top, width, height = crop
    w, h = photo.size
    box = (left * w, top * h, (left + width) * w, (top + height) * h)
    grey = np.asarray(photo.convert("L").resize((SIDE, SIDE), Image.Resampling.BILINEAR, box=box), dtype=float)
    lesion = (grey < threshold_otsu(grey[DISC])) & DISC
    weights = np.asarray(Image.fromarray(grid.astype(np.float32)).resize((SIDE, SIDE), Image.Resampling.BILINEAR))
    return float((weights * lesion).sum() / weights.sum())


def test_the_map_lies_on_the_lesion_more_than_a_shuffled_map(classifier, tiny_images):
    screener = Screener(classifier, gates=())
    rng = np.random.default_rng(0)
    on, shuffled = [], []
    for path in tiny_images:
        photo = Image.open(path).convert("RGB")
        (outcome,) = screener.screen_decoded([DecodedImage(photo, "JPEG", photo.size)], explain=True)
        assert outcome.heatmap is not None
        grid = outcome.heatmap.grid
        assert grid.min() == 0.0 and grid.max() == 1.0
        on.append(mass_on_lesion(photo, grid, outcome.heatmap.crop))
        shuffled.append(
            np.mean(
                [
                    mass_on_lesion(photo, rng.permutation(grid.ravel()).reshape(grid.shape), outcome.heatmap.crop)
                    for _ in range(5)
                ]
            )
        )
    on_mean, shuffled_mean = float(np.mean(on)), float(np.mean(shuffled))
    assert on_mean > 1.3 * shuffled_mean, (on, shuffled)
    assert sum(a > b for a, b in zip(on, shuffled, strict=True)) >= 6, (on, shuffled)


def test_crop_box_is_the_centre_crop_the_model_sees():
    spec = ModelSpec(name="t", version="0")
    assert crop_box((256, 256), spec) == (16 / 256, 16 / 256, 224 / 256, 224 / 256)
    left, top, width, height = crop_box((1000, 500), spec)  # resized to 512 x 256, crop 224 from the centre
    assert (left, top, width, height) == (144 / 512, 16 / 256, 224 / 512, 224 / 256)


def test_the_map_is_of_the_class_the_answer_is_about():
    spec = ModelSpec(name="t", version="0", classes=SEVEN, melanoma_alert_threshold=0.2)
    cam = np.zeros((7, 7, 7))
    for c in range(7):
        cam[c, c % 7, 0] = 1.0 + c  # each class hot in its own row
    nevus_with_alert = decide([0.25, 0.6, 0.05, 0.04, 0.03, 0.02, 0.01], SEVEN, alert_threshold=0.2)
    assert explained_class(nevus_with_alert) == "melanoma"
    assert heatmap(cam, nevus_with_alert, spec, (300, 300)).grid[0, 0] == 1.0
    plain_nevus = decide([0.05, 0.8, 0.05, 0.04, 0.03, 0.02, 0.01], SEVEN, alert_threshold=0.2)
    where = heatmap(cam, plain_nevus, spec, (300, 300))
    assert where.label == "nevus" and where.grid[1, 0] == 1.0 and where.grid[0, 0] == 0.0
