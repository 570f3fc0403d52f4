"""Toy data sets made in code, so every snippet runs offline and in seconds."""

import numpy as np


def two_moons(n: int, noise: float = 0.2, rng: np.random.Generator | None = None):
    """Two interleaving half circles in 2-D: a problem a linear model cannot fully solve.

    Returns float32 features of shape (n, 2) and int64 labels in {0, 1}, classes balanced.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    labels = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, size=n)
    x = np.where(labels == 0, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle))
    features = np.stack([x, y], axis=1) + rng.normal(0.0, noise, size=(n, 2))
    order = rng.permutation(n)
    return features[order].astype(np.float32), labels[order].astype(np.int64)


def imbalanced_blobs(
    n: int,
    positive_rate: float = 0.05,
    n_features: int = 5,
    separation: float = 1.5,
    rng: np.random.Generator | None = None,
):
    """Gaussian classes with a rare positive class (think fraud or churn).

    Positives are shifted by `separation` standard deviations along every feature. Returns
    float32 features of shape (n, n_features) and int64 labels.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    labels = (rng.random(n) < positive_rate).astype(np.int64)
    features = rng.normal(size=(n, n_features)) + separation * labels[:, None]
    return features.astype(np.float32), labels


def latent_clusters(
    n: int,
    rng: np.random.Generator,
    noise: float = 0.3,
    n_classes: int = 10,
    latent: int = 8,
    dim: int = 64,
):
    """Classes of two Gaussian clusters each in a `latent`-D space, mixed linearly into `dim`
    features plus a little noise: the signal lives in a few of the input directions, which is
    what makes a trained layer compressible.

    The cluster centres and the mixing are fixed (the problem is the same for every `rng`);
    `rng` draws the examples. Returns float64 features of shape (n, dim) and int64 labels.
    """
    fixed = np.random.default_rng(1234)
    centers = 1.6 * fixed.normal(size=(n_classes, 2, latent))
    mixing = fixed.normal(size=(latent, dim)) / np.sqrt(latent)
    labels = rng.integers(0, n_classes, n)
    z = centers[labels, rng.integers(0, 2, n)] + rng.normal(size=(n, latent))
    return z @ mixing + noise * rng.normal(size=(n, dim)), labels


def train_val_split(features, labels, val_fraction: float = 0.2, rng=None):
    """Shuffle and split arrays into (x_train, y_train, x_val, y_val)."""
    rng = rng if rng is not None else np.random.default_rng(0)
    order = rng.permutation(len(labels))
    n_val = int(round(val_fraction * len(labels)))
    val, train = order[:n_val], order[n_val:]
    return features[train], labels[train], features[val], labels[val]


def to_tensors(*arrays):
    """Turn NumPy arrays into torch tensors, keeping their dtypes."""
    import torch  # here, not at the top: numpy-only snippets need not load torch (~1 s)

    return tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in arrays)
