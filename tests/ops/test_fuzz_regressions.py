"""Replay every input that once crashed the intake path under bench/fuzz.py (see fuzz_regressions/)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from melanoscan.config import DEFAULT_MODEL
from melanoscan.imaging.decode import decode_image
from melanoscan.imaging.errors import ImageRejected
from melanoscan.imaging.preprocess import preprocess
from melanoscan.inference.spec import ModelSpec, spec_path_for

REGRESSIONS = sorted(p for p in (Path(__file__).parent / "fuzz_regressions").iterdir() if p.suffix != ".md")


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    return ModelSpec.load(spec_path_for(DEFAULT_MODEL))


def _intake(data: bytes, spec: ModelSpec) -> np.ndarray | None:
    """What the API does with an upload: None for a clean rejection, else the model's input."""
    try:
        image = decode_image(data, max_pixels=50_000_000, draft_size=256)
    except ImageRejected as exc:
        assert exc.status in (400, 413, 415, 422) and exc.code
        return None
    assert image.mode == "RGB"
    return preprocess(image, spec)


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_fuzz_regression_is_handled(path: Path, spec: ModelSpec) -> None:
    tensor = _intake(path.read_bytes(), spec)
    if tensor is not None:
        assert tensor.shape == (3, spec.input_size, spec.input_size)
        assert np.isfinite(tensor).all()


def test_the_mpo_keyerror_regression_decodes_the_webp(spec: ModelSpec) -> None:
    data = (Path(__file__).parent / "fuzz_regressions" / "webp-keyerror-mpo-deb30695.webp").read_bytes()
    assert _intake(data, spec) is not None  # a valid 48x40 WebP: it must be classified, not refused


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF", "JPEG", "MPO"])
def test_every_allowed_format_opens(fmt: str, spec: ModelSpec) -> None:
    buf = io.BytesIO()
    image = Image.new("RGB", (64, 48), (180, 120, 90))
    if fmt == "MPO":
        image.save(buf, "MPO", save_all=True, append_images=[image])
    else:
        image.save(buf, fmt)
    assert _intake(buf.getvalue(), spec) is not None
