"""Inference: the model's metadata (spec) and the ONNX Runtime classifier. The rules that read its answer are
melanoscan.screening's."""
