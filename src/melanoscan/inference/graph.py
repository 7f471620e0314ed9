"""Give an exported classifier the outputs that explain it: class activation maps and pooled features.

EfficientNet ends in a global average pool and one linear layer, so its logit for class c is
    logit_c = mean_ij (sum_k w_ck F_k[i, j]) + b_c  =  mean_ij CAM_c[i, j] + b_c
and CAM_c (Zhou et al. 2016) is exact, not an approximation: a 1x1 convolution of the last feature map F with
the head's own weights. An ensemble averages its members' logits, so the mean of their maps is the ensemble's
map. The pooled features (the head's input) are what the photo-suitability gate measures distances on.

One code path for every model: training/export.py calls `add_explanation_outputs` right after
torch.onnx.export, and `melanoscan explain-graph` does the same surgery on a model whose checkpoints are gone
(models/melanoscan.onnx 1.1.0 -> 1.2.0, same weights). Needs the `onnx` package (the train extra); serving
only reads the extra outputs, through ONNX Runtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

from melanoscan.inference.spec import CAM_OUTPUT, FEATURES_OUTPUT

_PASS_THROUGH = {"Reshape", "Flatten", "Squeeze", "Identity", "Dropout"}  # between the pool and the head


@dataclass(frozen=True)
class Head:
    """One member network's end: the feature map before pooling, the pooled vector, and the head's weights."""

    feature_map: str  # (N, K, h, w)
    pooled: str  # (N, K), the Gemm's input
    weight: np.ndarray  # (C, K), alpha and transB already applied


def _is_global_pool(node: onnx.NodeProto, initializers: dict[str, np.ndarray]) -> bool:
    if node.op_type == "GlobalAveragePool":
        return True
    if node.op_type != "ReduceMean":
        return False
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    axes = attrs.get("axes")
    if axes is None and len(node.input) > 1:
        axes = initializers.get(node.input[1])
    return axes is not None and sorted(int(a) for a in np.asarray(axes).ravel()) == [2, 3]


def find_heads(model: onnx.ModelProto) -> list[Head]:
    """Every global-average-pool that feeds a Gemm head (through reshapes only), in graph order."""
    graph = model.graph
    initializers = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    heads = []
    for node in graph.node:
        if not _is_global_pool(node, initializers):
            continue
        current = node.output[0]
        gemm = None
        while True:
            # (the explanation nodes this module adds read the pooled vector too: they are not the path)
            following = [n for n in consumers.get(current, []) if not n.name.startswith("explain/")]
            if len(following) != 1:
                break
            (nxt,) = following
            if nxt.op_type == "Gemm" and nxt.input[0] == current:
                gemm = nxt
                break
            if nxt.op_type not in _PASS_THROUGH:
                break
            current = nxt.output[0]
        if gemm is None or gemm.input[1] not in initializers:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in gemm.attribute}
        if attrs.get("transA", 0):
            continue
        weight = initializers[gemm.input[1]].astype(np.float32)
        weight = weight if attrs.get("transB", 0) else weight.T
        heads.append(Head(node.input[0], gemm.input[0], weight * np.float32(attrs.get("alpha", 1.0))))
    return heads


def add_explanation_outputs(model: onnx.ModelProto, mirrored: Sequence[bool] | None = None) -> onnx.ModelProto:
    """The same model with two more outputs after its logits: `cam` (N, C, h, w), the mean of the members'
    class activation maps, and `features` (N, sum K), the members' pooled features side by side.

    `mirrored[i]`: head i (graph order) saw the horizontally flipped image (test-time augmentation), so its map
    is flipped back before averaging. Members whose maps differ in size are resized to the largest.
    The original nodes and weights are untouched: the logits stay bit-identical. Idempotent."""
    out_names = [o.name for o in model.graph.output]
    if CAM_OUTPUT in out_names:
        return model
    if len(out_names) != 1:
        raise ValueError(f"expected one output (the logits), found {out_names}")
    heads = find_heads(model)
    if not heads:
        raise ValueError("no global-average-pool + Gemm head found: class activation maps need that shape")
    mirrored = list(mirrored) if mirrored is not None else [False] * len(heads)
    if len(mirrored) != len(heads):
        raise ValueError(f"{len(heads)} heads but {len(mirrored)} mirrored flags")
    classes = {head.weight.shape[0] for head in heads}
    if len(classes) != 1:
        raise ValueError(f"heads disagree on their number of classes: {sorted(classes)}")

    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: v.type.tensor_type.shape for v in (*inferred.graph.value_info, *inferred.graph.output)}

    def spatial(name: str) -> tuple[int, int] | None:
        shape = shapes.get(name)
        if shape is None or len(shape.dim) != 4 or not all(d.HasField("dim_value") for d in shape.dim[2:]):
            return None
        return shape.dim[2].dim_value, shape.dim[3].dim_value

    sizes = [spatial(head.feature_map) for head in heads]

    graph = model.graph
    nodes, initializers, maps = [], [], []
    for i, (head, flip, size) in enumerate(zip(heads, mirrored, sizes, strict=True)):
        kernel = f"explain/{i}/cam_kernel"
        initializers.append(numpy_helper.from_array(head.weight[:, :, None, None].copy(), kernel))
        cam = f"explain/{i}/cam"
        nodes.append(helper.make_node("Conv", [head.feature_map, kernel], [cam], name=cam))
        if flip:
            flipped = f"explain/{i}/unflipped"
            consts = [
                (f"explain/{i}/{k}", np.asarray([v], dtype=np.int64))
                for k, v in (("starts", -1), ("ends", np.iinfo(np.int64).min), ("axes", 3), ("steps", -1))
            ]
            initializers.extend(numpy_helper.from_array(value, name) for name, value in consts)
            nodes.append(helper.make_node("Slice", [cam, *(name for name, _ in consts)], [flipped], name=flipped))
            cam = flipped
        if i > 0 and (None in sizes or size != sizes[0]):
            # Members at other input sizes: resize this map to the first member's (dynamic shapes, so by Shape).
            names = {k: f"explain/{i}/{k}" for k in ("ref_shape", "own_shape", "lead", "spatial", "sizes", "resized")}
            bounds = {f"explain/{i}/s0": [0], f"explain/{i}/s2": [2], f"explain/{i}/s4": [4]}
            initializers.extend(numpy_helper.from_array(np.asarray(v, dtype=np.int64), k) for k, v in bounds.items())
            nodes += [
                helper.make_node("Shape", ["explain/0/cam"], [names["ref_shape"]], name=names["ref_shape"]),
                helper.make_node("Shape", [cam], [names["own_shape"]], name=names["own_shape"]),
                helper.make_node(
                    "Slice",
                    [names["own_shape"], f"explain/{i}/s0", f"explain/{i}/s2"],
                    [names["lead"]],
                    name=names["lead"],
                ),
                helper.make_node(
                    "Slice",
                    [names["ref_shape"], f"explain/{i}/s2", f"explain/{i}/s4"],
                    [names["spatial"]],
                    name=names["spatial"],
                ),
                helper.make_node(
                    "Concat", [names["lead"], names["spatial"]], [names["sizes"]], name=names["sizes"], axis=0
                ),
                helper.make_node(
                    "Resize", [cam, "", "", names["sizes"]], [names["resized"]], name=names["resized"], mode="linear"
                ),
            ]
            cam = names["resized"]
        maps.append(cam)
    nodes.append(helper.make_node("Mean", maps, [CAM_OUTPUT], name="explain/cam_mean"))
    nodes.append(
        helper.make_node("Concat", [h.pooled for h in heads], [FEATURES_OUTPUT], name="explain/features", axis=1)
    )
    graph.node.extend(nodes)
    graph.initializer.extend(initializers)
    (n_classes,) = classes
    width = sum(head.weight.shape[1] for head in heads)
    graph.output.extend(
        [
            helper.make_tensor_value_info(CAM_OUTPUT, onnx.TensorProto.FLOAT, ["batch", n_classes, "h", "w"]),
            helper.make_tensor_value_info(FEATURES_OUTPUT, onnx.TensorProto.FLOAT, ["batch", width]),
        ]
    )
    onnx.checker.check_model(model)
    return model
