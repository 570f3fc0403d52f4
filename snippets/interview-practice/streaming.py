"""Two one-pass algorithms for streams: running mean and variance (Welford), and the top k
items with a heap.

Welford's update keeps the count, the mean and M2 = sum of squared deviations from the current
mean; it never subtracts two huge, nearly equal numbers, unlike sum(x^2) - n * mean^2.
Two summaries merge exactly (Chan et al.), so the work can be split across machines.
A min-heap of size k holds the k largest items seen so far; its root is the one to beat.
"""

import heapq
import math
from dataclasses import dataclass

import numpy as np


# --8<-- [start:core]
@dataclass
class RunningStats:
    n: int = 0
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations from the mean

    def update(self, x: float) -> None:
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)  # old deviation times new deviation

    def variance(self, ddof: int = 1) -> float:
        """ddof=1: the unbiased sample variance; ddof=0: the population variance."""
        return self.m2 / (self.n - ddof) if self.n > ddof else math.nan

    def merge(self, other: "RunningStats") -> "RunningStats":
        """The summary of both streams together, as if one had seen all the data."""
        n = self.n + other.n
        if n == 0:
            return RunningStats()
        delta = other.mean - self.mean
        mean = self.mean + delta * other.n / n
        m2 = self.m2 + other.m2 + delta**2 * self.n * other.n / n
        return RunningStats(n, mean, m2)


def naive_variance(xs) -> float:
    """The textbook one-pass formula (sum x^2 - n mean^2) / (n - 1): cancels catastrophically."""
    n, s, s2 = 0, 0.0, 0.0
    for x in xs:
        n, s, s2 = n + 1, s + x, s2 + x * x
    return (s2 - s * s / n) / (n - 1)


def top_k(stream, k: int, key=lambda item: item) -> list:
    """The k items with the largest key, largest first, in O(n log k) time and O(k) memory.
    Among equal keys the earlier item wins."""
    if k <= 0:
        return []
    heap = []  # (key, -arrival number, item): the root is the weakest item kept
    for i, item in enumerate(stream):
        entry = (key(item), -i, item)
        if len(heap) < k:
            heapq.heappush(heap, entry)
        elif entry[:2] > heap[0][:2]:
            heapq.heapreplace(heap, entry)  # pop the root and push, in one O(log k) step
    return [item for _, _, item in sorted(heap, key=lambda e: e[:2], reverse=True)]


# --8<-- [end:core]


def main():
    rng = np.random.default_rng(0)
    xs = (1e9 + rng.normal(size=100_000)).tolist()  # variance 1 around a large offset
    stats = RunningStats()
    for x in xs:
        stats.update(x)
    print("100,000 values = 1e9 + N(0, 1) noise, float64:")
    print(f"  NumPy two-pass np.var(ddof=1):    {np.var(xs, ddof=1):.4f}")
    print(f"  Welford, one pass:                {stats.variance():.4f}")
    print(f"  naive one pass, sum of squares:   {naive_variance(xs):.1f}")

    halves = [RunningStats(), RunningStats()]
    for i, x in enumerate(xs):
        halves[i % 2].update(x)
    merged = halves[0].merge(halves[1])
    print(f"  two halves merged:                {merged.variance():.4f} (n = {merged.n:,})")

    scores = rng.random(200_000)
    best = top_k(enumerate(scores), 5, key=lambda pair: pair[1])
    print("\nTop 5 of 200,000 scores with a heap of 5 (index, score):")
    for index, score in best:
        print(f"  {index:>7}  {score:.6f}")
    same = [i for i, _ in best] == list(np.argsort(-scores, kind="stable")[:5])
    print(f"Same as sorting everything: {same}")


if __name__ == "__main__":
    main()
