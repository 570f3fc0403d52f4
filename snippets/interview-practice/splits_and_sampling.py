"""A stratified train/test split, and weighted random sampling with and without replacement.

- Stratified split: shuffle each class separately and cut the same fraction from each, so both
  parts keep the class shares (up to rounding within each class).
- With replacement: draw u uniformly in [0, total weight) and find the first cumulative weight
  above it (binary search): O(n) set-up, O(log n) per draw.
- Without replacement, also from a stream: give item i the key u_i ** (1 / w_i) and keep the k
  largest keys in a min-heap (Efraimidis and Spirakis, algorithm A-Res). This equals drawing
  items one at a time with probability proportional to weight among those not yet drawn.
"""

import heapq
import math

import numpy as np


# --8<-- [start:core]
def stratified_split(labels: np.ndarray, test_fraction: float, rng: np.random.Generator):
    """Indices (train, test); each class contributes round(test_fraction * its size) to test."""
    labels = np.asarray(labels)
    train, test = [], []
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        n_test = int(round(test_fraction * len(members)))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def weighted_choice(weights: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """`size` indices drawn with replacement, P(i) = w_i / sum(w), by inverse CDF."""
    cumulative = np.cumsum(weights, dtype=float)
    u = rng.random(size) * cumulative[-1]
    return np.searchsorted(cumulative, u, side="right")  # first index with cum > u


def weighted_reservoir(stream, k: int, rng: np.random.Generator) -> list:
    """k items without replacement from an iterable of (item, weight > 0), in one pass and
    O(k) memory: keep the k largest keys log(u) / w, i.e. the largest u ** (1 / w)."""
    heap = []  # min-heap of (key, arrival number, item): the smallest kept key is on top
    for i, (item, weight) in enumerate(stream):
        u = 1.0 - rng.random()  # in (0, 1]: log(0) cannot happen
        key = math.log(u) / weight  # log is monotone: same order as u ** (1 / w)
        if len(heap) < k:
            heapq.heappush(heap, (key, i, item))
        elif key > heap[0][0]:
            heapq.heapreplace(heap, (key, i, item))
    return [item for _, _, item in sorted(heap, reverse=True)]


# --8<-- [end:core]


def inclusion_probability_two(weights: np.ndarray) -> np.ndarray:
    """Exact P(i in sample) for k = 2 draws without replacement, proportional to weight:
    drawn first, or drawn second after some j != i."""
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    p = w / total
    second = np.array(
        [
            sum(w[j] / total * w[i] / (total - w[j]) for j in range(len(w)) if j != i)
            for i in range(len(w))
        ]
    )
    return p + second


def main():
    rng = np.random.default_rng(0)
    labels = np.array([0] * 900 + [1] * 90 + [2] * 10)
    train, test = stratified_split(labels, 0.2, rng)
    print("Stratified 80/20 split of 1,000 labels (900 / 90 / 10 per class):")
    print(f"  {'class':<6}{'train':>7}{'test':>6}{'test share':>12}")
    for cls in range(3):
        n_tr, n_te = np.sum(labels[train] == cls), np.sum(labels[test] == cls)
        print(f"  {cls:<6}{n_tr:>7}{n_te:>6}{n_te / (n_tr + n_te):>12.2f}")

    weights = np.array([1.0, 2.0, 3.0, 4.0])
    draws = weighted_choice(weights, 100_000, rng)
    print("\nWeights 1, 2, 3, 4; 100,000 draws with replacement:")
    print("  expected share:", " ".join(f"{v:.3f}" for v in weights / weights.sum()))
    print("  observed share:", " ".join(f"{v:.3f}" for v in np.bincount(draws) / len(draws)))

    trials = 20_000
    counts = np.zeros(len(weights))
    for _ in range(trials):
        counts[weighted_reservoir(enumerate(weights), 2, rng)] += 1
    print(f"\nSame weights, samples of 2 without replacement, {trials:,} streams:")
    print("  exact P(in sample):", " ".join(f"{v:.3f}" for v in inclusion_probability_two(weights)))
    print("  observed share:    ", " ".join(f"{v:.3f}" for v in counts / trials))


if __name__ == "__main__":
    main()
