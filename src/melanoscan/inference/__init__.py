"""Inference: the model's metadata, the ONNX Runtime session and the 0.5 reporting rule."""
