"""The classifier: one ONNX Runtime session per process, batched, CPU, torch-free."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np
import onnxruntime as ort
from PIL import Image

from melanoscan.config import available_cores
from melanoscan.imaging.preprocess import preprocess_batch
from melanoscan.inference.spec import ModelSpec, spec_path_for


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of logits / temperature, numerically stable."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return cast(np.ndarray, exp / exp.sum(axis=-1, keepdims=True))


class ModelMismatch(RuntimeError):
    """The model file is not the one its metadata describes: serving it would mislabel every answer."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_model_matches_metadata(path: Path, spec: ModelSpec, session: ort.InferenceSession) -> None:
    """Refuse a model whose bytes differ from the metadata's onnx_sha256, or whose output width is not
    the number of classes the metadata names (a swapped or half-copied file, a JSON from another model)."""
    expected = spec.extra.get("onnx_sha256")
    if not expected:
        raise ModelMismatch(f"{spec_path_for(path)} has no onnx_sha256: cannot tell that it describes {path.name}")
    actual = file_sha256(path)
    if actual != expected:
        raise ModelMismatch(f"{path} has sha256 {actual[:12]}…, its metadata says {expected[:12]}…")
    width = session.get_outputs()[0].shape[-1]
    if isinstance(width, int) and width != len(spec.classes):
        raise ModelMismatch(f"{path} outputs {width} classes, its metadata names {len(spec.classes)}")


class Classifier:
    """Loads a model file and its metadata once; turns RGB images into class probabilities."""

    def __init__(self, model_path: str | Path, *, threads: int | None = None) -> None:
        """`threads`: ONNX Runtime intra-op threads (None: every core this process may use; the server passes
        Settings.resolved_ort_threads, its share of the cores)."""
        self.model_path = Path(model_path)
        self.spec = ModelSpec.load(spec_path_for(self.model_path))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or available_cores()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name
        check_model_matches_metadata(self.model_path, self.spec, self.session)
        # One inference at a time per process: ORT already uses every core for one batch, and
        # interleaving requests would only make each of them slower.
        self._lock = threading.Lock()

    @property
    def classes(self) -> tuple[str, ...]:
        return self.spec.classes

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """(N, 3, S, S) float32 -> (N, C) raw logits."""
        with self._lock:
            (out,) = self.session.run(None, {self.input_name: batch.astype(np.float32, copy=False)})
        return cast(np.ndarray, out)

    def predict_proba(self, images: Sequence[Image.Image], batch_size: int = 32) -> np.ndarray:
        """RGB images -> (N, C) calibrated probabilities (temperature from the metadata)."""
        chunks = [
            self.logits(preprocess_batch(images[i : i + batch_size], self.spec))
            for i in range(0, len(images), batch_size)
        ]
        if not chunks:
            return np.zeros((0, len(self.classes)))
        return softmax(np.concatenate(chunks), self.spec.temperature)
