"""A real seven-output ONNX model for tests: the shipped network plus four more logits.

The shipped graph's three logits are kept; `MatMul(logits, 0) + bias` adds four outputs (basal cell carcinoma,
actinic keratosis, vascular lesion, dermatofibroma) whose logits are the given constants, so every
probability of the full softmax is known from the shipped model's own answer. ONNX Runtime runs it like any model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
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
    output = graph.output[0]  # the logits; the shipped graph's class activation maps and features follow
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
    graph.output.insert(0, helper.make_tensor_value_info("logits7", onnx.TensorProto.FLOAT, ["batch", 7]))
    if any(o.name == "cam" for o in graph.output):  # four flat maps for the four constant logits
        cam = next(o for o in graph.output if o.name == "cam")
        producer = next(node for node in graph.node if "cam" in node.output)
        producer.output[0] = "cam3"
        graph.node.extend(
            [
                helper.make_node("Slice", ["cam3", "cam_s", "cam_e", "cam_a"], ["cam_first"]),
                helper.make_node("Mul", ["cam_first", "cam_zero"], ["cam_flat"]),
                helper.make_node("Concat", ["cam3", "cam_flat", "cam_flat", "cam_flat", "cam_flat"], ["cam"], axis=1),
            ]
        )
        graph.initializer.extend(
            numpy_helper.from_array(np.asarray(v, dtype=dt), n)
            for n, v, dt in (
                ("cam_s", [0], np.int64),
                ("cam_e", [1], np.int64),
                ("cam_a", [1], np.int64),
                ("cam_zero", 0.0, np.float32),
            )
        )
        graph.output.remove(cam)
        graph.output.insert(1, helper.make_tensor_value_info("cam", onnx.TensorProto.FLOAT, ["batch", 7, "h", "w"]))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "seven.onnx"
    onnx.save(model, str(path))
    spec = json.loads(spec_path_for(MODEL).read_text(encoding="utf-8"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    spec.update({"classes": list(SEVEN), "version": "7-class-test", "onnx_sha256": digest, **metadata})
    spec_path_for(path).write_text(json.dumps(spec), encoding="utf-8")
    if "suitability" in spec:  # same network, same features: the shipped gate statistics apply
        gate = spec["suitability"]["gate_file"]
        shutil.copyfile(MODEL.parent / gate, folder / gate)
    return path
