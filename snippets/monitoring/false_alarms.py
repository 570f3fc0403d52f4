"""How often a drift detector fires on data that has not changed, and what stricter rules cost.

Each check of a window at level alpha has a chance alpha of a false alarm. Checking every hour
means many checks, and the chance that *some* check fires grows quickly with their number (the
multiple-testing problem). Two remedies are compared on the same simulated streams: a stricter
level (Bonferroni: alpha divided by the number of checks in a day) and requiring several
consecutive alarms. Both buy fewer false alarms with slower or missed detection.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

REFERENCE_SIZE, WINDOW = 1000, 200
CHECKS_PER_DAY = 24  # one check per hour
ALPHA = 0.05
SHIFT = 0.15  # mean shift, in standard deviations, for the detection experiment


def ks_critical_value(alpha: float, n: int, m: int) -> float:
    """Asymptotic critical value of the two-sample KS statistic (see ks_test.py)."""
    return math.sqrt(-math.log(alpha / 2.0) / 2.0) * math.sqrt((n + m) / (n * m))


def ks_statistics(reference, windows):
    """KS statistic of one reference sample against each row of `windows`, all at once.

    Between two consecutive values of a window its CDF is flat, so the largest gap sits at a
    window value or just before it: D = max_i max(|F_ref(x_i) - i/w|, |F_ref(x_i-) - (i-1)/w|),
    with x_1 <= ... <= x_w the sorted window. Exact when a window holds no repeated values.
    """
    reference = np.sort(reference)
    windows = np.sort(windows, axis=1)
    w = windows.shape[1]
    i = np.arange(1, w + 1)
    at = np.searchsorted(reference, windows, side="right") / len(reference)
    before = np.searchsorted(reference, windows, side="left") / len(reference)
    return np.maximum(np.abs(at - i / w), np.abs(before - (i - 1) / w)).max(axis=1)


def simulate(runs: int, checks: int, rng, shift_at: int | None = None, shift: float = SHIFT):
    """KS statistics of `runs` independent streams, `checks` windows each; every stream has its
    own reference sample. From window `shift_at` on, the mean is shifted by `shift`."""
    stats = np.empty((runs, checks))
    for r in range(runs):
        reference = rng.normal(0.0, 1.0, REFERENCE_SIZE)
        windows = rng.normal(0.0, 1.0, (checks, WINDOW))
        if shift_at is not None:
            windows[shift_at:] += shift
        stats[r] = ks_statistics(reference, windows)
    return stats


# --8<-- [start:core]
def alarms(stats, alpha: float, consecutive: int = 1):
    """Alarm at a check when D exceeded the level-alpha critical value at this check and the
    `consecutive - 1` checks before it."""
    exceeded = stats > ks_critical_value(alpha, REFERENCE_SIZE, WINDOW)
    streak = np.zeros(stats.shape[0], dtype=int)
    fired = np.zeros_like(exceeded)
    for k in range(stats.shape[1]):
        streak = np.where(exceeded[:, k], streak + 1, 0)
        fired[:, k] = streak >= consecutive
    return fired


POLICIES = {  # name: (alpha per check, consecutive exceedances required)
    "alpha 0.05, every check": (ALPHA, 1),
    "alpha 0.05/24 (Bonferroni)": (ALPHA / CHECKS_PER_DAY, 1),
    "alpha 0.05, 2 in a row": (ALPHA, 2),
    "alpha 0.05, 3 in a row": (ALPHA, 3),
}


def false_alarm_rates(null_stats, alpha, consecutive):
    """Share of checks that alarm, and share of days with at least one alarm, on unshifted
    data (each row of null_stats is one day of checks)."""
    fired = alarms(null_stats, alpha, consecutive)
    return fired.mean(), fired.any(axis=1).mean()


def detection(shifted_stats, shift_at, alpha, consecutive):
    """Share of streams with an alarm at or after the shift, and the median delay in checks
    (0 = the first shifted window) among those."""
    fired = alarms(shifted_stats, alpha, consecutive)[:, shift_at:]
    caught = fired.any(axis=1)
    delays = fired[caught].argmax(axis=1)
    return caught.mean(), (float(np.median(delays)) if caught.any() else math.inf)


# --8<-- [end:core]


def plot_any_alarm(long_null, theory_alpha=ALPHA):
    fig, ax = plt.subplots(figsize=(7, 3.8))
    checks = np.arange(1, long_null.shape[1] + 1)
    for name, (alpha, consecutive) in POLICIES.items():
        fired = alarms(long_null, alpha, consecutive)
        share = np.maximum.accumulate(fired, axis=1).mean(axis=0)
        ax.plot(checks, share, label=name)
    theory = 1 - (1 - theory_alpha) ** checks
    ax.plot(checks, theory, color="0.5", ls=":", lw=1.5, label="1 - 0.95^k (independent)")
    ax.axvline(CHECKS_PER_DAY, color="0.6", lw=1)
    ax.set_xlabel("number of hourly checks so far (vertical line: one day)")
    ax.set_ylabel("share of streams with\nat least one false alarm")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8.5, loc="center right")
    fig.tight_layout()
    return fig


def main():
    rng = np.random.default_rng(0)
    days = 400
    null_stats = simulate(days, CHECKS_PER_DAY, rng)
    shifted = simulate(days, 2 * CHECKS_PER_DAY, rng, shift_at=CHECKS_PER_DAY)
    print(f"Reference {REFERENCE_SIZE} values, hourly windows of {WINDOW}, {days} simulated days.")
    print(f"Unshifted data for the false alarms; a {SHIFT} s.d. mean shift for detection.\n")
    head = f"{'policy':<28}{'per check':>10}{'days with one+':>16}{'caught in 24h':>15}"
    print(head + f"{'median delay (h)':>18}")
    for name, (alpha, consecutive) in POLICIES.items():
        per_check, per_day = false_alarm_rates(null_stats, alpha, consecutive)
        caught, delay = detection(shifted, CHECKS_PER_DAY, alpha, consecutive)
        print(f"{name:<28}{per_check:>10.4f}{per_day:>16.2f}{caught:>15.2f}{delay:>18.0f}")
    independent = 1 - (1 - ALPHA) ** CHECKS_PER_DAY
    print(
        f"\nIf the {CHECKS_PER_DAY} checks were independent: "
        f"1 - 0.95^{CHECKS_PER_DAY} = {independent:.2f} of days."
    )

    long_null = simulate(300, 120, rng)
    fig = plot_any_alarm(long_null)
    finals = []
    for name, (alpha, consecutive) in POLICIES.items():
        fired = alarms(long_null, alpha, consecutive)
        day, end = fired[:, :CHECKS_PER_DAY].any(axis=1).mean(), fired.any(axis=1).mean()
        finals.append(f"{name}: {day:.2f} after one day, {end:.2f} after five")
    alt = (
        "Share of 300 unshifted streams that have raised at least one false alarm, against the "
        f"number of hourly checks, up to {long_null.shape[1]}. " + "; ".join(finals) + ". A "
        "dotted curve shows 1 - 0.95^k, the share expected if the checks were independent."
    )
    caption = (
        "Every check has the same small false-alarm rate, but the chance that some check has "
        "fired keeps growing with the number of checks. A stricter level or a run of alarms "
        "flattens the curve; nothing makes it stop growing, so a real system also needs a rule "
        "for what happens after an alarm (inspect, re-baseline, or silence)."
    )
    fig.savefig("false_alarms_over_time.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
