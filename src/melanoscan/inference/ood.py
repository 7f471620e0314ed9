"""How far a photo's features lie from the lesions the model was trained on: the `not_a_lesion` score.

Lee et al. 2018 ("A simple unified framework for detecting out-of-distribution samples"): fit one Gaussian per
class to the network's pooled penultimate features of training images, with one covariance shared by all
classes; a photo's score is its Mahalanobis distance to the nearest class mean. A page of text, a cat or a
screenshot lands far from every lesion class even when the softmax is confident.

The features are wide (1280 per EfficientNet-Lite member, side by side for an ensemble) and there are fewer
training images than dimensions, so the shared covariance is kept as its top `components` principal directions
plus one variance for everything else (probabilistic PCA, Tipping & Bishop 1999): the distance is exact within
that model, cheap to compute (D x k, not D x D) and small to ship. Directions in which training lesions barely
vary are where a non-lesion stands out, so the residual term matters as much as the principal one.

The statistics travel with the model in a side file (`<model>.gate.npz`, named with its hash in the model's
metadata) and are refitted for each new model: `melanoscan fit-gate`. numpy only: serving never imports torch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_COMPONENTS = 256


@dataclass(frozen=True)
class FeatureGaussians:
    """Class-conditional Gaussians with one shared low-rank-plus-isotropic covariance."""

    classes: tuple[str, ...]
    means: np.ndarray  # (C, D)
    basis: np.ndarray  # (D, k) principal directions of the within-class covariance
    variances: np.ndarray  # (k,) their variances
    residual_variance: float  # the mean variance of every other direction

    @classmethod
    def fit(
        cls, features: np.ndarray, labels: np.ndarray, components: int = DEFAULT_COMPONENTS
    ) -> FeatureGaussians:
        features = np.asarray(features, dtype=np.float64)
        labels = np.asarray(labels)
        classes = tuple(sorted({str(label) for label in labels}))
        means = np.stack([features[labels == name].mean(axis=0) for name in classes])
        centred = features - means[[classes.index(str(label)) for label in labels]]
        covariance = centred.T @ centred / max(1, len(features) - len(classes))
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        order = np.argsort(eigenvalues)[::-1]
        eigenvalues, eigenvectors = np.clip(eigenvalues[order], 0.0, None), eigenvectors[:, order]
        k = min(components, features.shape[1] - 1)
        floor = eigenvalues[0] * 1e-6  # keeps the rank-deficient tail finite
        residual = max(float(eigenvalues[k:].mean()), floor)
        return cls(
            classes,
            means.astype(np.float32),
            eigenvectors[:, :k].astype(np.float32),
            np.maximum(eigenvalues[:k], floor).astype(np.float32),
            residual,
        )

    def score(self, features: np.ndarray) -> np.ndarray:
        """(N, D) -> (N,) squared Mahalanobis distance to the nearest class, divided by D (about 1 in-distribution)."""
        features = np.atleast_2d(np.asarray(features, dtype=np.float32))
        if features.shape[1] != self.means.shape[1]:
            raise ValueError(f"features have {features.shape[1]} dimensions, the gate {self.means.shape[1]}")
        distances = []
        for mean in self.means:
            diff = features - mean
            projected = diff @ self.basis
            principal = (projected**2 / self.variances).sum(axis=1)
            residual = np.maximum((diff**2).sum(axis=1) - (projected**2).sum(axis=1), 0.0) / self.residual_variance
            distances.append(principal + residual)
        return np.min(np.stack(distances), axis=0) / self.means.shape[1]

    def save(self, path: str | Path) -> str:
        """Write the statistics; returns the file's sha256 (for the model metadata)."""
        with Path(path).open("wb") as handle:
            np.savez_compressed(
                handle,
                classes=np.asarray(self.classes),
                means=self.means,
                basis=self.basis,
                variances=self.variances,
                residual_variance=np.asarray(self.residual_variance),
            )
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    @classmethod
    def load(cls, path: str | Path) -> FeatureGaussians:
        with np.load(Path(path), allow_pickle=False) as data:
            return cls(
                tuple(str(name) for name in data["classes"]),
                data["means"],
                data["basis"],
                data["variances"],
                float(data["residual_variance"]),
            )
