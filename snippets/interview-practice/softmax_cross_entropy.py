"""Softmax, log-softmax and cross-entropy from logits, computed without overflow.

The textbook formula exp(z_i) / sum_j exp(z_j) overflows as soon as a logit exceeds about 709
(float64) or 88 (float32). Subtracting the largest logit first changes nothing mathematically
and makes every exponent <= 0. Cross-entropy should be computed from log-softmax (the
log-sum-exp trick), never as log(softmax(z)), which turns a tiny probability into log(0).
"""

import numpy as np


# --8<-- [start:core]
def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(z))) along `axis`, exact for any finite logits."""
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # a row of -inf: avoid (-inf) - (-inf) = nan
    with np.errstate(divide="ignore"):  # a row of -inf has log(0) = -inf: the right answer
        out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z) = softmax(z - max z): every exponent is <= 0, so nothing overflows."""
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    return z - logsumexp(z, axis=axis, keepdims=True)


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean of -log softmax(logits)[label] over rows; logits (n, C), labels (n,) integers."""
    n = logits.shape[0]
    return float(-np.mean(log_softmax(logits, axis=1)[np.arange(n), labels]))


def cross_entropy_grad(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """d(mean cross-entropy)/d(logits) = (softmax(logits) - one_hot(labels)) / n."""
    n = logits.shape[0]
    grad = softmax(logits, axis=1)
    grad[np.arange(n), labels] -= 1.0
    return grad / n


def binary_cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean of -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], written so exp never
    overflows: max(z, 0) - z * y + log(1 + exp(-|z|))."""
    return float(np.mean(np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))))


# --8<-- [end:core]


def naive_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z)
    return e / np.sum(e)


def main():
    np.set_printoptions(precision=4, suppress=True)
    print("Logits [1000, 1001, 1002]: the same as [0, 1, 2] after subtracting the max.")
    z = np.array([1000.0, 1001.0, 1002.0])
    with np.errstate(over="ignore", invalid="ignore"):
        print(f"  naive   softmax: {naive_softmax(z)}   (exp(1000) overflows to inf)")
    print(f"  stable  softmax: {softmax(z)}")
    print(f"  softmax([0,1,2]): {softmax(z - 1000)}")

    print("\nCross-entropy of label 1 when the logits are [0, -1000] (a confident mistake):")
    logits, labels = np.array([[0.0, -1000.0]]), np.array([1])
    with np.errstate(divide="ignore"):
        naive = -np.log(naive_softmax(logits[0])[1])
    print(f"  -log(softmax(z)[y])   = {naive}   (softmax underflows to 0, log(0) = -inf)")
    print(f"  -log_softmax(z)[y]    = {cross_entropy(logits, labels):.1f}")

    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(4, 3)), rng.integers(0, 3, size=4)
    print("\nGradient of the mean cross-entropy for 4 rows and 3 classes (softmax - one-hot) / n:")
    print(cross_entropy_grad(logits, labels))
    print("Each row sums to 0:", np.allclose(cross_entropy_grad(logits, labels).sum(1), 0))

    z = np.array([-800.0, 0.0, 800.0])
    y = np.array([1.0, 1.0, 0.0])
    print(
        f"\nBinary cross-entropy with logits {z} and labels {y}: "
        f"{binary_cross_entropy(z, y):.1f} (a confident mistake costs about |z|)"
    )


if __name__ == "__main__":
    main()
