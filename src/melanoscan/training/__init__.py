"""Training pipeline (install extra `train`): data, augmentation, training, calibration, export, evaluation.

Only this package imports torch; serving never does.
"""
