"""An A/B test on a conversion rate: the two-proportion z-test, the sample size it needs, and a
simulation that checks both (false-positive rate near alpha, power near the target). The last
table shows what peeking at the p-value every day and stopping at the first "significant" one
does to the false-positive rate. Only numpy and math: the normal CDF comes from math.erf and
its inverse from bisection.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

BASELINE = 0.10  # conversion rate of the current model (control)
MDE = 0.01  # minimum detectable effect, absolute: 10% -> 11%
ALPHA, POWER = 0.05, 0.80
REPS = 20_000  # simulated experiments per check


# --8<-- [start:core]
def normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def normal_ppf(q: float, lo: float = -10.0, hi: float = 10.0) -> float:
    """Inverse of normal_cdf by bisection: the z with normal_cdf(z) = q."""
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if normal_cdf(mid) < q else (lo, mid)
    return (lo + hi) / 2


def two_proportion_ztest(conv_a: int, n_a: int, conv_b: int, n_b: int) -> tuple[float, float]:
    """z statistic and two-sided p-value for H0: both groups have the same rate (pooled)."""
    p_a, p_b = conv_a / n_a, conv_b / n_b
    pooled = (conv_a + conv_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (p_b - p_a) / se
    return z, 2 * (1 - normal_cdf(abs(z)))


def sample_size_per_group(p_base: float, mde: float, alpha=ALPHA, power=POWER) -> int:
    """Users per group for a two-sided test to detect p_base -> p_base + mde with this power."""
    p_new = p_base + mde
    p_bar = (p_base + p_new) / 2
    z_alpha, z_power = normal_ppf(1 - alpha / 2), normal_ppf(power)
    spread_h0 = z_alpha * math.sqrt(2 * p_bar * (1 - p_bar))
    spread_h1 = z_power * math.sqrt(p_base * (1 - p_base) + p_new * (1 - p_new))
    return math.ceil(((spread_h0 + spread_h1) / mde) ** 2)


def power_of(p_base: float, p_new: float, n: int, alpha=ALPHA) -> float:
    """Approximate power of the same test with n users per group (the formula run backwards)."""
    p_bar = (p_base + p_new) / 2
    se_h0 = math.sqrt(2 * p_bar * (1 - p_bar) / n)
    se_h1 = math.sqrt((p_base * (1 - p_base) + p_new * (1 - p_new)) / n)
    return normal_cdf((abs(p_new - p_base) - normal_ppf(1 - alpha / 2) * se_h0) / se_h1)


def rejection_rate(p_a, p_b, n, reps, rng, alpha=ALPHA) -> float:
    """Share of `reps` simulated experiments (n users per group) in which the test rejects H0."""
    conv_a, conv_b = rng.binomial(n, p_a, reps), rng.binomial(n, p_b, reps)
    pooled = (conv_a + conv_b) / (2 * n)
    z = (conv_b - conv_a) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    return float(np.mean(np.abs(z) > normal_ppf(1 - alpha / 2)))


def peeking_false_positive_rate(p, n_per_day, days, reps, rng, alpha=ALPHA) -> float:
    """A/A tests checked every day, stopped at the first p < alpha: how often one 'wins'."""
    conv = rng.binomial(n_per_day, p, (2, reps, days)).cumsum(axis=2)
    n = n_per_day * np.arange(1, days + 1)
    pooled = (conv[0] + conv[1]) / (2 * n)
    z = (conv[1] - conv[0]) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    return float(np.mean((np.abs(z) > normal_ppf(1 - alpha / 2)).any(axis=1)))


# --8<-- [end:core]


def plot(n_required, grid, simulated):
    fig, ax = plt.subplots(figsize=(7, 4))
    dense = np.linspace(grid[0], grid[-1], 200)
    ax.plot(dense, [power_of(BASELINE, BASELINE + MDE, int(n)) for n in dense], label="formula")
    ax.plot(grid, simulated, "o", ms=7, label=f"simulation ({REPS // 4:,} experiments each)")
    ax.axhline(POWER, color="0.5", ls="--", lw=1)
    ax.axvline(n_required, color="0.5", ls=":", lw=1)
    ax.annotate(
        f"n = {n_required:,}", (n_required, 0.55), xytext=(6, 0), textcoords="offset points"
    )
    ax.set_xlabel("users per group")
    ax.set_ylabel("power (share of tests that reject H0)")
    ax.set_title(
        f"Detecting {BASELINE:.0%} -> {BASELINE + MDE:.0%} at alpha = {ALPHA}", fontsize=11
    )
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    return fig


def main():
    rng = np.random.default_rng(0)
    z, p = two_proportion_ztest(200, 1000, 250, 1000)
    print(f"200/1000 vs 250/1000 conversions: z = {z:.3f}, two-sided p = {p:.4f}")

    n = sample_size_per_group(BASELINE, MDE)
    print(f"\nBaseline {BASELINE:.0%}, MDE +{MDE * 100:g} point, alpha {ALPHA}, power {POWER}:")
    print(f"  {n:,} users per group, {2 * n:,} in total")
    print("  Smaller effects need quadratically more users:")
    for lift in (0.20, 0.10, 0.05, 0.02):
        m = sample_size_per_group(BASELINE, BASELINE * lift)
        print(
            f"    relative lift {lift:>4.0%} ({BASELINE:.0%} -> {BASELINE * (1 + lift):.1%}):"
            f" {m:>10,} per group"
        )

    se = math.sqrt(ALPHA * (1 - ALPHA) / REPS)
    fpr = rejection_rate(BASELINE, BASELINE, n, REPS, rng)
    power = rejection_rate(BASELINE, BASELINE + MDE, n, REPS, rng)
    print(f"\nSimulation, {REPS:,} experiments with n = {n:,} per group:")
    real = f"real +{MDE * 100:g} point:"
    print(f"  {'no real difference:':<21}H0 rejected in {fpr:.4f} (target {ALPHA}, s.e. {se:.4f})")
    print(f"  {real:<21}H0 rejected in {power:.4f} (target {POWER})")

    print("\nPeeking: A/A tests with 1,000 users per group per day, checked daily and stopped")
    print("at the first p < 0.05 (the false-positive rate should stay at 0.05):")
    for days in (1, 7, 14, 28):
        rate = peeking_false_positive_rate(BASELINE, 1000, days, REPS // 2, rng)
        print(f"  {days:>2} looks: {rate:.3f}")

    grid = np.array([0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0]) * n
    grid = grid.astype(int)
    simulated = [rejection_rate(BASELINE, BASELINE + MDE, m, REPS // 4, rng) for m in grid]
    gap = max(
        abs(s - power_of(BASELINE, BASELINE + MDE, m)) for s, m in zip(simulated, grid, strict=True)
    )
    fig = plot(n, grid, simulated)
    alt = (
        f"Power of the two-proportion z-test against users per group, for a rate of "
        f"{BASELINE:.0%} against {BASELINE + MDE:.0%}. The formula's curve rises from "
        f"{power_of(BASELINE, BASELINE + MDE, int(grid[0])):.2f} at {grid[0]:,} users to "
        f"{power_of(BASELINE, BASELINE + MDE, int(grid[-1])):.2f} at {grid[-1]:,}; simulated "
        f"points lie on it, the largest gap being {gap:.3f}. "
        f"It crosses the target power of {POWER} at the computed n = {n:,}."
    )
    caption = (
        "The sample-size formula and a brute-force simulation agree: with the computed number of "
        f"users per group, {power:.1%} of simulated experiments detected the effect (target "
        f"{POWER:.0%}), and the curve shows how fast power falls if the test is stopped early."
    )
    fig.savefig("ab_test_power.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
