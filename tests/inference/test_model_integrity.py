"""The classifier refuses a model file that its metadata does not describe (issue 11, integrity).

A half-copied or swapped ONNX file, or a metadata JSON from another model, would mislabel every answer
without an error; at load the file's sha256 and its output width are checked against the metadata.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from live_server import MODEL
from melanoscan.inference.engine import Classifier, ModelMismatch, file_sha256
from melanoscan.inference.spec import spec_path_for
from screening.seven_classes import write_seven_class_model


def copy_model(folder: Path, **changes: object) -> Path:
    path = folder / "model.onnx"
    shutil.copyfile(MODEL, path)
    metadata = json.loads(spec_path_for(MODEL).read_text(encoding="utf-8"))
    spec_path_for(path).write_text(json.dumps({**metadata, **changes}), encoding="utf-8")
    return path


def test_the_shipped_model_matches_its_metadata(tmp_path):
    assert Classifier(copy_model(tmp_path)).spec.extra["onnx_sha256"] == file_sha256(MODEL)


def test_a_changed_file_is_refused(tmp_path):
    path = copy_model(tmp_path)
    with open(path, "r+b") as handle:  # one flipped byte deep in the weights
        handle.seek(path.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelMismatch, match="sha256"):
        Classifier(path)


def test_metadata_without_a_hash_is_refused(tmp_path):
    with pytest.raises(ModelMismatch, match="no onnx_sha256"):
        Classifier(copy_model(tmp_path, onnx_sha256=None))


def test_metadata_naming_other_classes_is_refused(tmp_path):
    """A seven-output graph whose metadata (hash right) names only the three service classes."""
    path = write_seven_class_model(tmp_path, (0.0, 0.0, 0.0, 0.0))
    metadata = json.loads(spec_path_for(path).read_text(encoding="utf-8"))
    spec_path_for(path).write_text(json.dumps({**metadata, "classes": metadata["classes"][:3]}), encoding="utf-8")
    with pytest.raises(ModelMismatch, match="outputs 7 classes"):
        Classifier(path)
