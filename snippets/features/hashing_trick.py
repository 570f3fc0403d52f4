"""The hashing trick: how often categories collide, measured against the theory.

10,000 distinct category values (think ad ids) are hashed into m buckets for a range of m. For
each m we count the values that share their bucket with at least one other value and compare
with the expectation for n values thrown uniformly into m buckets.
"""

import hashlib
import os
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np

N_CATEGORIES = 10_000
BUCKETS = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000)


# --8<-- [start:core]
def stable_bucket(value: str, buckets: int, salt: str = "") -> int:
    """Bucket of a category value: a stable hash, the same in every process and on every machine.

    Python's built-in hash() is salted per process for strings (see the end of the output), so
    a model trained in one process would look up different buckets when served in another.
    """
    digest = hashlib.blake2b((salt + value).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % buckets


def measured_collisions(values: list[str], buckets: int) -> dict:
    """Share of values that share a bucket with another value, and buckets in use."""
    bucket_of = np.array([stable_bucket(v, buckets) for v in values])
    _, inverse, counts = np.unique(bucket_of, return_inverse=True, return_counts=True)
    return {
        "colliding": float(np.mean(counts[inverse] > 1)),
        "occupied": len(counts),
    }


def expected_collisions(n: int, m: int) -> dict:
    """Expectation for n values hashed uniformly and independently into m buckets.

    A given value shares its bucket with no other value with probability (1 - 1/m)^(n-1), and
    a given bucket stays empty with probability (1 - 1/m)^n.
    """
    return {
        "colliding": 1 - (1 - 1 / m) ** (n - 1),
        "occupied": m * (1 - (1 - 1 / m) ** n),
    }


# --8<-- [end:core]


def builtin_hash_bucket(value: str, buckets: int, hash_seed: str) -> int:
    """Bucket from Python's hash() in a fresh interpreter with the given PYTHONHASHSEED."""
    code = f"print(hash({value!r}) % {buckets})"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def plot_collisions(n, buckets, measured, expected_curve):
    fig, ax = plt.subplots(figsize=(7, 4))
    ratios = np.geomspace(buckets[0] / n, buckets[-1] / n, 200)
    ax.plot(ratios, 100 * expected_curve(ratios * n), label="expected: 1 - (1 - 1/m)^(n - 1)")
    ax.plot(np.array(buckets) / n, 100 * np.array(measured), "o", label="measured (blake2b)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"buckets per category, m / n   (n = {n:,})")
    ax.set_ylabel("categories sharing a bucket (%)")
    ax.legend(loc="lower left")
    fig.tight_layout()
    return fig


def main():
    values = [f"ad-{i:06d}" for i in range(N_CATEGORIES)]
    n = len(values)
    print(f"{n:,} distinct values hashed into m buckets")
    print(f"{'m':>10}{'m/n':>7}{'colliding':>11}{'expected':>10}{'occupied':>10}{'expected':>10}")
    measured = []
    for m in BUCKETS:
        got, want = measured_collisions(values, m), expected_collisions(n, m)
        measured.append(got["colliding"])
        print(
            f"{m:>10,}{m / n:>7g}{got['colliding']:>11.2%}{want['colliding']:>10.2%}"
            f"{got['occupied']:>10,}{want['occupied']:>10,.0f}"
        )

    print("\nThe same value in three fresh Python processes, 1,000 buckets:")
    value = values[42]
    for seed in ("1", "2", "3"):
        builtin = builtin_hash_bucket(value, 1_000, seed)
        stable = stable_bucket(value, 1_000)
        print(f"  PYTHONHASHSEED={seed}: hash() -> {builtin:>3}   blake2b -> {stable:>3}")

    fig = plot_collisions(n, BUCKETS, measured, lambda m: 1 - (1 - 1 / m) ** (n - 1))
    gap = max(
        abs(got - expected_collisions(n, m)["colliding"])
        for got, m in zip(measured, BUCKETS, strict=True)
    )
    at_n = measured[BUCKETS.index(n)]
    at_100n = measured[BUCKETS.index(100 * n)]
    alt = (
        "Log-log plot of the percentage of categories that share a bucket against the number of "
        f"buckets per category, from {BUCKETS[0] / n:g} to {BUCKETS[-1] / n:g}. A line shows the "
        "expectation and dots show measured values from hashing, all within "
        f"{100 * gap:.1f} percentage points of the line. At "
        f"one bucket per category {at_n:.0%} of the values collide; at 100 buckets per category "
        f"{at_100n:.1%} still do."
    )
    caption = (
        f"Measured collisions follow the theory 1 - (1 - 1/m)^(n - 1), about 1 - exp(-n/m). "
        f"With as many buckets as categories, {at_n:.0%} of the values share a bucket; it takes "
        f"100 times more buckets than categories to bring that down to {at_100n:.1%}."
    )
    fig.savefig("hashing_collisions.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
