"""The two-sample Kolmogorov-Smirnov test, written out in NumPy.

The statistic is the largest vertical gap between the two empirical CDFs. Its p-value comes from
Kolmogorov's limiting distribution, and the critical value at level alpha from the first term of
that distribution's series. The checks: the fast statistic equals a brute-force one, the
formulas reproduce textbook values, and with a large enough sample a shift too small to matter
is still "significant".
"""

import math

import matplotlib.pyplot as plt
import numpy as np


# --8<-- [start:core]
def ks_statistic(a, b) -> float:
    """D = max over x of |F_a(x) - F_b(x)|, the largest gap between the two empirical CDFs.

    Both CDFs are step functions that only jump at data points, so checking every observed
    value is enough. side="right" counts values <= x, which also handles ties correctly.
    """
    a, b = np.sort(a), np.sort(b)
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def kolmogorov_sf(t: float, terms: int = 100) -> float:
    """P(K > t) for Kolmogorov's distribution: 2 * sum_j (-1)^(j-1) exp(-2 j^2 t^2)."""
    if t <= 0.0:
        return 1.0
    j = np.arange(1, terms + 1)
    value = 2.0 * np.sum((-1.0) ** (j - 1) * np.exp(-2.0 * j**2 * t**2))
    return float(min(max(value, 0.0), 1.0))


def ks_pvalue(d: float, n: int, m: int) -> float:
    """Asymptotic p-value: under 'same distribution', D * sqrt(nm / (n + m)) tends to K."""
    return kolmogorov_sf(d * math.sqrt(n * m / (n + m)))


def ks_critical_value(alpha: float, n: int, m: int) -> float:
    """Reject 'same distribution' at level alpha when D exceeds c(alpha) * sqrt((n + m) / nm),
    with c(alpha) = sqrt(-ln(alpha / 2) / 2) (the first term of the series; c(0.05) = 1.358)."""
    return math.sqrt(-math.log(alpha / 2.0) / 2.0) * math.sqrt((n + m) / (n * m))


# --8<-- [end:core]


def ks_statistic_brute_force(a, b) -> float:
    """The definition, literally: evaluate both empirical CDFs at every observed value."""
    gaps = [abs(np.mean(a <= x) - np.mean(b <= x)) for x in np.concatenate([a, b])]
    return float(max(gaps))


def significance_table(rng, shifts, sizes):
    """D and p-value for a mean shift of `shift` standard deviations, n = m = size."""
    rows = []
    for size in sizes:
        for shift in shifts:
            a = rng.normal(0.0, 1.0, size)
            b = rng.normal(shift, 1.0, size)
            d = ks_statistic(a, b)
            rows.append((size, shift, d, ks_pvalue(d, size, size)))
    return rows


def plot_ecdfs(reference, window):
    """The two empirical CDFs and the vertical segment where their gap is largest."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    points = np.concatenate([reference, window])
    grid = np.linspace(points.min(), points.max(), 300)  # a grid keeps the SVG small
    for sample, label in ((reference, "reference"), (window, "current window")):
        cdf = np.searchsorted(np.sort(sample), grid, side="right") / len(sample)
        ax.step(grid, cdf, where="post", label=label)
    gaps = np.searchsorted(np.sort(reference), points, side="right") / len(reference)
    gaps -= np.searchsorted(np.sort(window), points, side="right") / len(window)
    x_star = points[np.argmax(np.abs(gaps))]
    f_ref = np.mean(reference <= x_star)
    f_win = np.mean(window <= x_star)
    ax.plot([x_star, x_star], [f_ref, f_win], color="#D55E00", lw=3, label="largest gap D")
    ax.set_xlabel("feature value")
    ax.set_ylabel("share of values <= x")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig, x_star, abs(f_ref - f_win)


def main():
    rng = np.random.default_rng(0)
    worst = 0.0
    for n, m in ((5, 7), (50, 80), (300, 200)):
        a = rng.normal(size=n)
        b = np.round(rng.normal(0.3, 1.0, size=m), 1)  # rounded: many ties
        worst = max(worst, abs(ks_statistic(a, b) - ks_statistic_brute_force(a, b)))
    print(f"Fast statistic vs brute force, largest difference over 3 cases: {worst:.1e}")
    print(f"Identical samples: D = {ks_statistic([1, 2, 3], [1, 2, 3]):.3f}")
    print(f"Disjoint samples:  D = {ks_statistic([1, 2, 3], [4, 5, 6]):.3f}")
    print(f"Interleaved 1,3,5 vs 2,4,6: D = {ks_statistic([1, 3, 5], [2, 4, 6]):.3f} (1/3)\n")

    print("Kolmogorov's distribution, textbook values:")
    for t in (1.224, 1.358, 1.628):
        print(f"  P(K > {t}) = {kolmogorov_sf(t):.4f}")
    print("Critical D for a reference of 1,000 and a window of 200:")
    for alpha in (0.10, 0.05, 0.01, 0.001):
        print(f"  alpha = {alpha:<6} D > {ks_critical_value(alpha, 1000, 200):.3f}")

    print("\nSignificant is not the same as important (n = m, normal data, mean shift in s.d.):")
    print(f"{'n':>9}{'shift':>8}{'D':>8}{'p-value':>10}")
    for size, shift, d, p in significance_table(rng, (0.0, 0.02, 0.2), (200, 5_000, 200_000)):
        p_text = f"{p:.1e}" if p >= 1e-16 else "< 1e-16"
        print(f"{size:>9,}{shift:>8.2f}{d:>8.3f}{p_text:>10}")

    reference = rng.normal(0.0, 1.0, 1000)
    window = rng.normal(0.4, 1.0, 200)
    fig, x_star, gap = plot_ecdfs(reference, window)
    d = ks_statistic(reference, window)
    alt = (
        "Two empirical cumulative distribution functions: a reference sample of 1000 values and "
        f"a window of 200 values whose mean is 0.4 higher. The window's curve lies to the right; "
        f"the largest vertical gap between the curves, D = {gap:.3f}, is at x = {x_star:.2f}."
    )
    caption = (
        f"The KS statistic is the longest vertical segment between the two step curves (here "
        f"D = {d:.3f}, p = {ks_pvalue(d, 1000, 200):.1e}). It ignores where the gap is and how "
        "the tails look, which is why it is sensitive to shifts of the middle of a distribution "
        "and weak in the tails."
    )
    fig.savefig("ks_ecdf_gap.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
