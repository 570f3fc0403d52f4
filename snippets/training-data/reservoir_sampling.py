"""Reservoir sampling: a uniform sample of k items from a stream whose length is unknown.

Algorithm R keeps the first k items, then keeps item i (counting from 1) with probability k/i,
in a random slot. The check: over many streams, every position ends up in the sample with
probability k/n. An off-by-one in the random index breaks that, and the same check catches it.
"""

import math
import random

import matplotlib.pyplot as plt
import numpy as np

N, K, TRIALS = 50, 10, 20_000


# --8<-- [start:core]
def reservoir_sample(stream, k: int, rng: random.Random, off_by_one: bool = False) -> list:
    """A uniform random sample of k items from an iterable, in one pass and O(k) memory."""
    reservoir = []
    for i, item in enumerate(stream):  # i counts from 0: item number i + 1
        if i < k:
            reservoir.append(item)
            continue
        # Keep item i + 1 with probability k / (i + 1): draw j uniformly from {0, ..., i}.
        j = rng.randrange(i) if off_by_one else rng.randrange(i + 1)  # bug: {0, ..., i - 1}
        if j < k:
            reservoir[j] = item  # evict a uniformly chosen current member
    return reservoir


def inclusion_frequencies(n: int, k: int, trials: int, seed: int = 0, off_by_one=False):
    """How often each position 0..n-1 ends up in the sample, over `trials` streams."""
    rng = random.Random(seed)
    counts = np.zeros(n)
    for _ in range(trials):
        counts[reservoir_sample(range(n), k, rng, off_by_one)] += 1
    return counts / trials


# --8<-- [end:core]


def plot_frequencies(correct, buggy, n, k, trials):
    fig, ax = plt.subplots(figsize=(7, 3.8))
    positions = np.arange(1, n + 1)
    band = 4 * np.sqrt(k / n * (1 - k / n) / trials)
    ax.fill_between(positions, k / n - band, k / n + band, color="0.6", alpha=0.3, lw=0)
    ax.plot(positions, correct, "o", ms=4, label="algorithm R")
    ax.plot(positions, buggy, "s", ms=4, label="off by one: randrange(i)")
    ax.axhline(k / n, color="0.5", lw=1, ls="--", label=f"k / n = {k / n:g} (band: ±4 s.e.)")
    ax.set_xlabel("position of the item in the stream")
    ax.set_ylabel("share of trials in which it was kept")
    ax.set_ylim(0.85 * k / n, 1.1 * k / n)
    ax.legend(fontsize=9, loc="lower right")
    fig.tight_layout()
    return fig


def main():
    print(f"Stream of n = {N} items, reservoir of k = {K}, {TRIALS:,} independent streams.")
    standard_error = math.sqrt(K / N * (1 - K / N) / TRIALS)
    limit = 4 * standard_error
    false_alarm = N * math.erfc(4 / math.sqrt(2))  # union bound over the n positions
    print(f"Every share should be k/n = {K / N:.3f}, give or take {standard_error:.4f} (1 s.e.).")
    print(f"A correct sampler exceeds 4 s.e. somewhere with probability < {false_alarm:.4f}.\n")
    rows = {}
    for name, bug in (("algorithm R", False), ("off by one", True)):
        rows[name] = inclusion_frequencies(N, K, TRIALS, seed=1, off_by_one=bug)
    head = f"{'':<13}{'first k':>9}{'others':>9}{'max |share - k/n|':>19}{'in s.e.':>9}  verdict"
    print(head)
    for name, freq in rows.items():
        dev = np.abs(freq - K / N).max()
        verdict = "uniform" if dev < limit else "NOT uniform"
        print(
            f"{name:<13}{freq[:K].mean():>9.4f}{freq[K:].mean():>9.4f}{dev:>19.4f}"
            f"{dev / standard_error:>9.1f}  {verdict}"
        )
    print(f"\nExact for the off-by-one version: (k-1)/(n-1) = {(K - 1) / (N - 1):.4f} for the")
    print(f"first k items and k/(n-1) = {K / (N - 1):.4f} for the others.")

    correct, buggy = rows["algorithm R"], rows["off by one"]
    fig = plot_frequencies(correct, buggy, N, K, TRIALS)
    alt = (
        f"Share of {TRIALS:,} trials in which each of {N} stream positions was kept in a "
        f"reservoir of {K}. Algorithm R's points scatter within a narrow band around {K / N:g} "
        f"(from {correct.min():.3f} to {correct.max():.3f}). The off-by-one version keeps the "
        f"first {K} items too rarely ({buggy[:K].mean():.3f} on average) and the later ones too "
        f"often ({buggy[K:].mean():.3f} on average)."
    )
    caption = (
        f"Every item should be kept with probability k/n = {K / N:g}. Algorithm R stays within "
        f"{np.abs(correct - K / N).max() / standard_error:.1f} standard errors of it at every "
        "position. Drawing the index from {0, ..., i-1} instead of {0, ..., i} keeps the first "
        f"k items {1 - buggy[:K].mean() / (K / N):.0%} too rarely: a bias no single run shows."
    )
    fig.savefig("reservoir_inclusion.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
