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

Lesion photos from phones (PAD-UFES-20) lie further from the dermoscopic training lesions than many
dermoscopy-trained features of landscapes do, so the plain distance cannot refuse most scenes without sending
back phone photos. Two things answer that. The lesion Gaussians include one `phone_photo` class, fitted on phone
photos of lesions (patients never used to choose the threshold or to report). And `NotALesionScore` contrasts
the distance with the distance to a background Gaussian fitted to non-lesion images (the dev half of the set
scripts/make_nonlesion_set.py builds from installed packages, each image also in phone-like variants,
training/gate_views.py): score = d(lesions) - d(background), a log-likelihood ratio between two Gaussians up to
constants (outlier exposure, Hendrycks et al. 2019, in its generative form). Without a background it is the
plain distance.

The statistics travel with the model in a side file (`<model>.gate.npz`, named with its hash in the model's
metadata) and are refitted for each new model: `melanoscan fit-gate`. numpy only: serving never imports torch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_COMPONENTS = 256  # lesions: principal directions kept
BACKGROUND_COMPONENTS = 128  # non-lesions: a few hundred images, each with phone-like views (fit-gate --views)


@dataclass(frozen=True)
class FeatureGaussians:
    """Class-conditional Gaussians with one shared low-rank-plus-isotropic covariance."""

    classes: tuple[str, ...]
    means: np.ndarray  # (C, D)
    basis: np.ndarray  # (D, k) principal directions of the within-class covariance
    variances: np.ndarray  # (k,) their variances
    residual_variance: float  # the mean variance of every other direction

    @classmethod
    def fit(cls, features: np.ndarray, labels: np.ndarray, components: int = DEFAULT_COMPONENTS) -> FeatureGaussians:
        features = np.asarray(features, dtype=np.float64)
        labels = np.asarray(labels)
        labels = np.asarray([str(label) for label in labels])
        classes = tuple(sorted(set(labels)))
        means = np.stack([features[labels == name].mean(axis=0) for name in classes])
        centred = features - means[[classes.index(label) for label in labels]]
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
        nearest: np.ndarray = np.min(np.stack(distances), axis=0) / self.means.shape[1]
        return nearest

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}classes": np.asarray(self.classes),
            f"{prefix}means": self.means,
            f"{prefix}basis": self.basis,
            f"{prefix}variances": self.variances,
            f"{prefix}residual_variance": np.asarray(self.residual_variance),
        }

    @classmethod
    def from_arrays(cls, data: Mapping[str, np.ndarray], prefix: str) -> FeatureGaussians:
        return cls(
            tuple(str(name) for name in data[f"{prefix}classes"]),
            np.asarray(data[f"{prefix}means"]),
            np.asarray(data[f"{prefix}basis"]),
            np.asarray(data[f"{prefix}variances"]),
            float(data[f"{prefix}residual_variance"]),
        )


@dataclass(frozen=True)
class NotALesionScore:
    """Distance to the training lesions, minus the distance to non-lesion images when a background is fitted."""

    lesions: FeatureGaussians
    background: FeatureGaussians | None = None

    def __call__(self, features: np.ndarray) -> np.ndarray:
        score = self.lesions.score(features)
        return score if self.background is None else score - self.background.score(features)

    def save(self, path: str | Path) -> str:
        """Write the statistics; returns the file's sha256 (for the model metadata)."""
        arrays = self.lesions.arrays("lesions_")
        if self.background is not None:
            arrays.update(self.background.arrays("background_"))
        with Path(path).open("wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    @classmethod
    def load(cls, path: str | Path) -> NotALesionScore:
        with np.load(Path(path), allow_pickle=False) as data:
            background = FeatureGaussians.from_arrays(data, "background_") if "background_means" in data else None
            return cls(FeatureGaussians.from_arrays(data, "lesions_"), background)
