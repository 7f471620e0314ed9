"""The extra outputs (class activation maps, pooled features): exact for any number of classes, the shipped
model's logits untouched by adding them, and the shipped files match their metadata."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from melanoscan.imaging.preprocess import preprocess_batch
from melanoscan.inference.graph import add_explanation_outputs, find_heads
from melanoscan.inference.spec import spec_path_for


def two_member_head(classes: int, mirrored_second: bool) -> onnx.ModelProto:
    """Two tiny members (1x1 Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm), averaged; the second member
    optionally sees the mirrored image (test-time augmentation). Pointwise convolutions commute with a mirror,
    so a correctly aligned map of a mirrored image is exactly the mirrored map."""
    rng = np.random.default_rng(classes)
    nodes, inits, logits = [], [], []
    for m in range(2):
        source = "image"
        if m == 1 and mirrored_second:
            for name, value in (("s", -1), ("e", np.iinfo(np.int64).min), ("a", 3), ("st", -1)):
                inits.append(numpy_helper.from_array(np.asarray([value], dtype=np.int64), f"flip_{name}"))
            nodes.append(helper.make_node("Slice", ["image", "flip_s", "flip_e", "flip_a", "flip_st"], ["flipped"]))
            source = "flipped"
        inits += [
            numpy_helper.from_array(rng.normal(size=(5, 3, 1, 1)).astype(np.float32), f"w{m}"),
            numpy_helper.from_array(rng.normal(size=(classes, 5)).astype(np.float32), f"fc{m}"),
            numpy_helper.from_array(rng.normal(size=(classes,)).astype(np.float32), f"b{m}"),
        ]
        nodes += [
            helper.make_node("Conv", [source, f"w{m}"], [f"c{m}"]),
            helper.make_node("Relu", [f"c{m}"], [f"r{m}"]),
            helper.make_node("GlobalAveragePool", [f"r{m}"], [f"p{m}"]),
            helper.make_node("Flatten", [f"p{m}"], [f"f{m}"]),
            helper.make_node("Gemm", [f"f{m}", f"fc{m}", f"b{m}"], [f"l{m}"], transB=1),
        ]
        logits.append(f"l{m}")
    nodes.append(helper.make_node("Mean", logits, ["logits"]))
    graph = helper.make_graph(
        nodes,
        "two",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_maps_are_exact_for_seven_classes_and_mirrored_members():
    model = two_member_head(7, mirrored_second=True)
    assert len(find_heads(model)) == 2
    explained = add_explanation_outputs(onnx.load_from_string(model.SerializeToString()), mirrored=[False, True])
    image = np.random.default_rng(0).normal(size=(2, 3, 16, 16)).astype(np.float32)
    before = ort.InferenceSession(model.SerializeToString()).run(None, {"image": image})[0]
    logits, cam, features = ort.InferenceSession(explained.SerializeToString()).run(None, {"image": image})
    assert np.array_equal(before, logits)
    assert cam.shape == (2, 7, 16, 16) and features.shape == (2, 10)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    bias = (inits["b0"] + inits["b1"]) / 2
    np.testing.assert_allclose(cam.mean(axis=(2, 3)) + bias, logits, atol=1e-5)
    # Flipped back: the mirrored member's map lines up with the image, so a mirrored image gives a mirrored map.
    _, cam_mirror, _ = ort.InferenceSession(explained.SerializeToString()).run(None, {"image": image[..., ::-1].copy()})
    np.testing.assert_allclose(cam_mirror, cam[..., ::-1], atol=1e-4)
    # Without the flag the mirrored member's map would not line up: the test above can fail.
    wrong = add_explanation_outputs(onnx.load_from_string(model.SerializeToString()))
    _, cam_wrong, _ = ort.InferenceSession(wrong.SerializeToString()).run(None, {"image": image})
    assert not np.allclose(cam_wrong, cam, atol=1e-3)


def test_the_shipped_model_has_exact_maps_and_unchanged_weights(model_path, tiny_images):
    from melanoscan.inference.engine import Classifier

    classifier = Classifier(model_path, threads=1)
    assert classifier.has_cam and classifier.has_features
    batch = preprocess_batch([Image.open(p).convert("RGB") for p in tiny_images], classifier.spec)
    outputs = classifier.run(batch)
    model = onnx.load(str(model_path))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    heads = find_heads(model)
    members = len(classifier.spec.members)
    assert len(heads) == members >= 2
    bias = np.mean([inits[f"members.{i}._fc.bias"] for i in range(members)], axis=0)
    np.testing.assert_allclose(outputs["cam"].mean(axis=(2, 3)) + bias, outputs["logits"], atol=1e-4)
    assert outputs["features"].shape == (len(tiny_images), 1280 * members)


def test_shipped_files_match_their_metadata(model_path):
    meta = json.loads(spec_path_for(model_path).read_text(encoding="utf-8"))
    assert hashlib.sha256(model_path.read_bytes()).hexdigest() == meta["onnx_sha256"]
    gate = model_path.parent / meta["suitability"]["gate_file"]
    assert hashlib.sha256(gate.read_bytes()).hexdigest() == meta["suitability"]["gate_sha256"]


def test_the_shipped_graph_is_the_previous_model_plus_outputs(model_path):
    """Strip what add_explanation_outputs added and the bytes are the previous release's, so the weights and
    the logits are the same by construction (the metadata names that file's hash)."""
    meta = json.loads(spec_path_for(model_path).read_text(encoding="utf-8"))["explanation_outputs"]
    model = onnx.load(str(model_path))
    graph = model.graph
    added = [n for n in graph.node if n.name.startswith("explain/")]
    assert added, "the shipped graph has the explanation nodes"
    for field, keep in (
        (graph.node, [n for n in graph.node if not n.name.startswith("explain/")]),
        (graph.initializer, [i for i in graph.initializer if not i.name.startswith("explain/")]),
        (graph.output, [o for o in graph.output if o.name not in ("cam", "features")]),
    ):
        del field[:]
        field.extend(keep)
    assert hashlib.sha256(model.SerializeToString()).hexdigest() == meta["from_onnx_sha256"]
