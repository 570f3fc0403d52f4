"""Is the candidate better than the current model? A paired bootstrap of the accuracy difference.

Two classifiers on the two-moons problem: the current model (cubic logistic regression with a
strong penalty) and a candidate (the same with a weak penalty). A pool of 100,000 labelled
examples plays the population, so the true difference in accuracy is known. The test sets a
team could afford are small samples from it.
"""

import matplotlib.pyplot as plt
import numpy as np

N_TRAIN, POOL, TEST = 1_000, 100_000, 200
PENALTY_CURRENT, PENALTY_CANDIDATE = 1e-2, 1e-3
N_BOOT, LEVEL = 2_000, 0.95
SIZES, REPEATS, SIM_BOOT = (100, 300, 1_000, 3_000, 10_000), 400, 1_000


def two_moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles in 2-D: float32 features (n, 2), int64 labels in {0, 1}."""
    labels = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, size=n)
    x = np.where(labels == 0, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle))
    features = np.stack([x, y], axis=1) + rng.normal(0.0, noise, size=(n, 2))
    order = rng.permutation(n)
    return features[order].astype(np.float32), labels[order].astype(np.int64)


def cubic_features(x):
    """1, x1, x2, x1^2, x1 x2, x2^2 and the four cubic terms."""
    a, b = x[:, 0], x[:, 1]
    return np.column_stack(
        [np.ones(len(x)), a, b, a * a, a * b, b * b, a**3, a * a * b, a * b * b, b**3]
    )


def fit_logistic(features, labels, penalty, steps=25):
    """L2-penalised logistic regression by Newton's method; returns the weights."""
    w = np.zeros(features.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-features @ w))
        grad = features.T @ (p - labels) / len(labels) + penalty * w
        hess = (features * (p * (1 - p))[:, None]).T @ features / len(labels)
        w -= np.linalg.solve(hess + penalty * np.eye(len(w)), grad)
    return w


def two_models_on_a_pool(seed=0):
    """Per-example correctness (0/1) of the current model and the candidate on the pool."""
    x, y = two_moons(N_TRAIN, 0.3, np.random.default_rng(seed))
    x_pool, y_pool = two_moons(POOL, 0.3, np.random.default_rng(seed + 1))
    f, f_pool = cubic_features(x), cubic_features(x_pool)
    correct = []
    for penalty in (PENALTY_CURRENT, PENALTY_CANDIDATE):
        w = fit_logistic(f, y, penalty)
        correct.append(((f_pool @ w > 0) == y_pool).astype(np.int8))
    return correct[0], correct[1]


# --8<-- [start:core]
def paired_bootstrap(correct_a, correct_b, rng, n_boot=N_BOOT, level=LEVEL):
    """Accuracy of B minus A, with a percentile interval. Each resample draws test examples
    with replacement and scores BOTH models on the same draw, keeping the pairing."""
    n = len(correct_a)
    idx = rng.integers(0, n, size=(n_boot, n))
    diffs = correct_b[idx].mean(axis=1) - correct_a[idx].mean(axis=1)
    lo, hi = np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2])
    return correct_b.mean() - correct_a.mean(), lo, hi, diffs


def unpaired_bootstrap(correct_a, correct_b, rng, n_boot=N_BOOT, level=LEVEL):
    """The common mistake: resample each model's results separately, as if the two models
    had been scored on different test sets. It throws the pairing away."""
    n = len(correct_a)
    acc_a = correct_a[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    acc_b = correct_b[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    lo, hi = np.quantile(acc_b - acc_a, [(1 - level) / 2, (1 + level) / 2])
    return correct_b.mean() - correct_a.mean(), lo, hi, acc_b - acc_a


def paired_bootstrap_from_counts(b_only, a_only, n, rng, n_boot=N_BOOT, level=LEVEL):
    """The same interval for accuracy, faster: a resample's difference is (B-only wins minus
    A-only wins) / n, so only the counts of the two kinds of disagreement need to be drawn.
    Accepts arrays of counts (one per test set) and returns arrays of bounds."""
    b_only, a_only = np.atleast_1d(b_only), np.atleast_1d(a_only)
    pvals = np.column_stack([b_only, a_only, n - b_only - a_only]) / n
    counts = rng.multinomial(n, pvals, size=(n_boot, len(pvals)))
    diffs = (counts[..., 0] - counts[..., 1]) / n
    return np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2], axis=0)


# --8<-- [end:core]


def repeated_test_sets(correct_a, correct_b, n, repeats, rng, n_boot=N_BOOT, level=LEVEL):
    """Draw `repeats` test sets of size n from the pool; per set, the observed difference and
    the paired interval. Returns arrays (diff, lo, hi)."""
    d = correct_b.astype(np.int16) - correct_a
    samples = d[rng.integers(0, len(d), size=(repeats, n))]
    b_only, a_only = np.sum(samples == 1, axis=1), np.sum(samples == -1, axis=1)
    lo, hi = paired_bootstrap_from_counts(b_only, a_only, n, rng, n_boot, level)
    return (b_only - a_only) / n, lo, hi


def plot_bootstrap(paired, unpaired, observed, truth, n):
    fig, ax = plt.subplots(figsize=(7, 3.6))
    # differences are multiples of 1/n: one bin per possible value
    low, high = min(paired.min(), unpaired.min()), max(paired.max(), unpaired.max())
    bins = np.arange(low - 0.5 / n, high + 1 / n, 1 / n)
    ax.hist(unpaired, bins=bins, histtype="step", lw=2, color="C1", label="unpaired resampling")
    ax.hist(paired, bins=bins, histtype="step", lw=2, color="C0", label="paired resampling")
    ax.axvline(0, color="0.55", lw=1)
    ax.axvline(observed, color="C3", ls="--", lw=1.5, label="observed on this test set")
    ax.axvline(truth, color="C2", ls=":", lw=2, label="true difference (pool)")
    ax.set_xlabel("accuracy of candidate minus current model")
    ax.set_ylabel("bootstrap resamples")
    ax.legend(fontsize=9, loc="upper left")
    fig.tight_layout()
    return fig


def main():
    rng = np.random.default_rng(0)
    correct_a, correct_b = two_models_on_a_pool()
    truth = correct_b.mean() - correct_a.mean()
    print(
        f"On the pool of {POOL:,}: current {correct_a.mean():.3f}, candidate "
        f"{correct_b.mean():.3f}, true difference {truth:+.3f}"
    )
    print(f"The models disagree on {np.mean(correct_a != correct_b):.1%} of examples.\n")

    test = rng.integers(0, POOL, TEST)
    a, b = correct_a[test], correct_b[test]
    diff, lo, hi, paired = paired_bootstrap(a, b, rng)
    _, ulo, uhi, unpaired = unpaired_bootstrap(a, b, rng)
    print(
        f"One test set of {TEST}: current {a.mean():.3f}, candidate {b.mean():.3f}, "
        f"difference {diff:+.3f}"
    )
    print(
        f"  candidate right, current wrong: {np.sum(b > a)};  current right, candidate "
        f"wrong: {np.sum(a > b)}"
    )
    print(f"  paired {LEVEL:.0%} interval   [{lo:+.3f}, {hi:+.3f}]  width {hi - lo:.3f}")
    print(f"  unpaired {LEVEL:.0%} interval [{ulo:+.3f}, {uhi:+.3f}]  width {uhi - ulo:.3f}\n")

    print(f"{REPEATS:,} test sets of each size drawn from the pool:")
    print(
        f"{'test size':>10}{'observed, 5%-95%':>19}{'candidate not ahead':>21}{'median width':>14}"
        f"{'covers truth':>14}{'excludes 0':>12}"
    )
    for n in SIZES:
        d, lo_n, hi_n = repeated_test_sets(correct_a, correct_b, n, REPEATS, rng, SIM_BOOT)
        covers = np.mean((lo_n <= truth) & (truth <= hi_n))
        band = f"{np.quantile(d, 0.05):+.3f} {np.quantile(d, 0.95):+.3f}"
        print(
            f"{n:>10,}{band:>19}{np.mean(d <= 0):>21.1%}{np.median(hi_n - lo_n):>14.3f}"
            f"{covers:>14.1%}{np.mean(lo_n > 0):>12.1%}"
        )

    fig = plot_bootstrap(paired, unpaired, diff, truth, TEST)
    alt = (
        f"Two histograms of bootstrap differences in accuracy on one test set of {TEST}. The "
        f"paired one runs from about {np.quantile(paired, 0.01):+.2f} to "
        f"{np.quantile(paired, 0.99):+.2f}, the unpaired one from "
        f"{np.quantile(unpaired, 0.01):+.2f} to {np.quantile(unpaired, 0.99):+.2f}. Lines "
        f"mark zero, the observed difference {diff:+.3f} and the true difference {truth:+.3f}."
    )
    caption = (
        "Resampling the two models' results together (paired) gives a much narrower spread "
        "than resampling them separately, because most examples are right or wrong for both "
        "models and carry no information about the difference. Only the disagreements count."
    )
    fig.savefig("paired_bootstrap.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
