"""A real seven-output ONNX model for tests: the shipped network plus four more logits.

The shipped graph's three logits are kept; `MatMul(logits, 0) + bias` adds four outputs (basal cell carcinoma,
actinic keratosis, vascular lesion, dermatofibroma) whose logits are the given constants, so every
probability of the full softmax is known from the shipped model's own answer. ONNX Runtime runs it like any model.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from live_server import MODEL
from melanoscan.inference.spec import spec_path_for

SEVEN = (
    "melanoma",
    "nevus",
    "seborrheic_keratosis",
    "basal_cell_carcinoma",
    "actinic_keratosis",
    "vascular_lesion",
    "dermatofibroma",
)


def write_seven_class_model(folder: Path, extra_logits: tuple[float, float, float, float], **metadata: object) -> Path:
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(MODEL))
    graph = model.graph
    (output,) = graph.output
    graph.node.extend(
        [
            helper.make_node("MatMul", [output.name, "extra_zero"], ["extra_scaled"]),
            helper.make_node("Add", ["extra_scaled", "extra_bias"], ["extra_logits"]),
            helper.make_node("Concat", [output.name, "extra_logits"], ["logits7"], axis=1),
        ]
    )
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.zeros((3, 4), dtype=np.float32), "extra_zero"),
            numpy_helper.from_array(np.asarray(extra_logits, dtype=np.float32), "extra_bias"),
        ]
    )
    graph.output.remove(output)
    graph.output.append(helper.make_tensor_value_info("logits7", onnx.TensorProto.FLOAT, ["batch", 7]))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "seven.onnx"
    onnx.save(model, str(path))
    spec = json.loads(spec_path_for(MODEL).read_text(encoding="utf-8"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    spec.update({"classes": list(SEVEN), "version": "7-class-test", "onnx_sha256": digest, **metadata})
    spec_path_for(path).write_text(json.dumps(spec), encoding="utf-8")
    return path
