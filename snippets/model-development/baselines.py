"""Baselines on an imbalanced problem: random, majority class, a rule, a simple model, humans.

The majority class scores high accuracy and finds no positives, so the metric must match the goal.
"""

import numpy as np
import torch
from torch import nn


def imbalanced_blobs(n: int, positive_rate: float, rng: np.random.Generator, n_features: int = 5):
    """Gaussian classes with rare positives, shifted by 1.5 along every feature: float32, int64."""
    labels = (rng.random(n) < positive_rate).astype(np.int64)
    features = rng.normal(size=(n, n_features)) + 1.5 * labels[:, None]
    return features.astype(np.float32), labels


def train_val_split(features, labels, val_fraction: float, rng: np.random.Generator):
    """Shuffle and split arrays into (x_train, y_train, x_val, y_val)."""
    order = rng.permutation(len(labels))
    n_val = round(val_fraction * len(labels))
    val, train = order[:n_val], order[n_val:]
    return features[train], labels[train], features[val], labels[val]


# --8<-- [start:metrics]
def binary_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy, and precision, recall and F1 of the positive class (label 1).

    A ratio with a zero denominator counts as 0 (no positive predictions: precision 0).
    """
    y_true, y_pred = np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool)
    tp = np.sum(y_true & y_pred)
    fp = np.sum(~y_true & y_pred)
    fn = np.sum(y_true & ~y_pred)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = np.mean(y_true == y_pred)
    return {
        "accuracy": float(accuracy),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


# --8<-- [end:metrics]


def best_f1_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The score threshold with the highest F1 on the given (training) data."""
    candidates = np.quantile(scores, np.linspace(0.5, 0.999, 200))
    f1s = [binary_metrics(labels, scores >= t)["f1"] for t in candidates]
    return float(candidates[int(np.argmax(f1s))])


def random_baseline(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 2, size=n)  # a fair coin per example


def majority_baseline(y_train: np.ndarray, n: int) -> np.ndarray:
    majority = np.bincount(y_train).argmax()
    return np.full(n, majority)


def rule_baseline(x_train, y_train, x_val) -> np.ndarray:
    """A one-line rule: flag an example when the mean of its features is high.

    The threshold is chosen on training data only, like any other parameter. On this data the
    rule is strong: positives are shifted equally along every feature, so the mean of the features
    is the best linear direction and a trained linear model has little left to find.
    """
    threshold = best_f1_threshold(x_train.mean(axis=1), y_train)
    return (x_val.mean(axis=1) >= threshold).astype(np.int64)


def logistic_regression_baseline(x_train, y_train, x_val, steps: int = 300) -> np.ndarray:
    """Logistic regression trained full-batch with Adam; threshold picked on training data."""
    xt, xv = torch.from_numpy(x_train), torch.from_numpy(x_val)
    yt = torch.from_numpy(y_train.astype(np.float32))
    model = nn.Linear(xt.shape[1], 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(xt).squeeze(1), yt).backward()
        optimizer.step()
    with torch.no_grad():
        train_scores = model(xt).squeeze(1).numpy()
        val_scores = model(xv).squeeze(1).numpy()
    threshold = best_f1_threshold(train_scores, y_train)
    return (val_scores >= threshold).astype(np.int64)


def simulated_annotators(y_true, error_rates, rng: np.random.Generator) -> np.ndarray:
    """Labels from simulated people: annotator i flips each label with probability error_rates[i].

    Real annotators err more on hard cases and err together; this simulation is kinder than that.
    """
    flips = rng.random((len(error_rates), len(y_true))) < np.asarray(error_rates)[:, None]
    return np.where(flips, 1 - y_true, y_true)


def majority_vote(labels: np.ndarray) -> np.ndarray:
    return (labels.mean(axis=0) > 0.5).astype(np.int64)


def cohens_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Agreement between two labellers, corrected for the agreement expected by chance."""
    observed = np.mean(a == b)
    chance = np.mean(a) * np.mean(b) + (1 - np.mean(a)) * (1 - np.mean(b))
    return float((observed - chance) / (1 - chance))


def print_table(rows: dict[str, dict[str, float]]) -> None:
    names = ["accuracy", "precision", "recall", "f1"]
    print(f"{'baseline':<32}" + "".join(f"{n:>10}" for n in names))
    for label, metrics in rows.items():
        print(f"{label:<32}" + "".join(f"{metrics[n]:>10.3f}" for n in names))


def main() -> None:
    torch.manual_seed(0)  # the logistic regression's initial weights
    rng = np.random.default_rng(0)  # the data, the split, the annotators and the random guess
    features, labels = imbalanced_blobs(5000, positive_rate=0.05, rng=rng)
    x_train, y_train, x_val, y_val = train_val_split(features, labels, val_fraction=0.3, rng=rng)
    print(f"validation: {len(y_val)} rows, {y_val.sum()} positives ({y_val.mean():.1%})\n")

    annotators = simulated_annotators(y_val, error_rates=[0.02, 0.04, 0.06], rng=rng)
    # --8<-- [start:core]
    predictions = {
        "random guess": random_baseline(len(y_val), rng),
        "majority class": majority_baseline(y_train, len(y_val)),
        "rule: mean(features) >= t": rule_baseline(x_train, y_train, x_val),
        "logistic regression": logistic_regression_baseline(x_train, y_train, x_val),
        "humans (SIMULATED, vote of 3)": majority_vote(annotators),
    }
    print_table({name: binary_metrics(y_val, pred) for name, pred in predictions.items()})
    # --8<-- [end:core]

    print("\nSimulated annotators (random label flips at known rates, not real people):")
    for i, labels_i in enumerate(annotators):
        print(f"  annotator {i + 1}: accuracy vs truth {np.mean(labels_i == y_val):.3f}")
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        a, b = annotators[i], annotators[j]
        print(
            f"  annotators {i + 1}&{j + 1}: raw agreement {np.mean(a == b):.3f},"
            f" Cohen's kappa {cohens_kappa(a, b):.3f}"
        )
    print("In practice, measure the human baseline by having people label a sample of the data.")


if __name__ == "__main__":
    main()
