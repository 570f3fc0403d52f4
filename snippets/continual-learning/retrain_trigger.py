"""When to retrain: a rule tied to measured degradation against a fixed calendar.

A toy click model runs for 180 days. Its label rule drifts slowly and, three times, changes
abruptly. Labels arrive some days late. Each policy retrains a logistic regression on the last
7 days of labelled data; they differ only in when they do it: every day, every week, every 30
days, or when the error measured on the latest labelled feedback exceeds the launch error by a
margin. A second table shows what label latency alone does to the error.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

DAYS = 180
PER_DAY = 500  # requests per day, all of which get a label eventually
SHARPNESS = 3.0
SLOW_DRIFT_DEG = 0.15  # gradual drift per day
JUMPS = {45: 60.0, 100: -70.0, 150: 50.0}  # day -> abrupt change of the rule, in degrees
WINDOW = 7  # days of labelled data each retrain uses
LATENCY = 2  # labels for day d are known from day d + LATENCY + 1 on
ROLLING = 3  # days of labelled feedback the rule looks at
MARGIN = 0.03  # retrain when rolling error > launch error + MARGIN


# --8<-- [start:core]
def rule_angle(day: int) -> float:
    return SLOW_DRIFT_DEG * day + sum(deg for start, deg in JUMPS.items() if day >= start)


def make_stream(days: int, seed: int = 0):
    """Per day: inputs (n, 2) and labels; only the rule from inputs to labels changes."""
    rng = np.random.default_rng(seed)
    stream = []
    for day in range(days):
        a = math.radians(rule_angle(day))
        x = rng.normal(size=(PER_DAY, 2))
        p = 1 / (1 + np.exp(-SHARPNESS * (x @ np.array([math.cos(a), math.sin(a)]))))
        stream.append((x, (rng.random(PER_DAY) < p).astype(float)))
    return stream


def fit(x, y, steps: int = 8):
    """Logistic regression by Newton's method: (w1, w2, bias)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(3)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xb @ w)))
        hessian = xb.T @ (xb * (p * (1 - p))[:, None]) + 1e-6 * np.eye(3)
        w -= np.linalg.solve(hessian, xb.T @ (p - y))
    return w


def error(w, x, y) -> float:
    return float(np.mean(((x @ w[:2] + w[2]) > 0) != (y == 1)))


def simulate(stream, policy: str, latency: int = LATENCY, every: int = 1, margin=MARGIN):
    """Serve day by day. Before day t only days <= t - 1 - latency have labels.

    policy "calendar" retrains every `every` days; policy "degradation" retrains when the
    deployed model's error on the last ROLLING labelled days exceeds the launch error + margin.
    Returns the daily error on live traffic and the days on which a retrain happened.
    """

    def train(last_labelled):
        days = range(max(0, last_labelled - WINDOW + 1), last_labelled + 1)
        return fit(
            np.vstack([stream[d][0] for d in days]), np.concatenate([stream[d][1] for d in days])
        )

    def rolling_error(w, last_labelled):
        days = range(last_labelled - ROLLING + 1, last_labelled + 1)
        return np.mean([error(w, *stream[d]) for d in days])

    start = WINDOW + latency + 1
    w = train(start - 1 - latency)
    launch_error = rolling_error(w, start - 1 - latency)  # accepted at launch
    daily, retrains = [], []
    for t in range(start, len(stream)):
        last_labelled = t - 1 - latency
        if policy == "calendar":
            due = (t - start) % every == every - 1
        else:
            due = rolling_error(w, last_labelled) > launch_error + margin
        if due:
            w = train(last_labelled)
            retrains.append(t)
        daily.append(error(w, *stream[t]))
    return np.array(daily), retrains


POLICIES = {
    "daily": {"policy": "calendar", "every": 1},
    "weekly": {"policy": "calendar", "every": 7},
    "every 30 days": {"policy": "calendar", "every": 30},
    f"error > launch + {MARGIN:g}": {"policy": "degradation"},
}
# --8<-- [end:core]


def plot(stream_start, results, names):
    fig, (ax, rug) = plt.subplots(
        2, 1, figsize=(7.5, 4.6), sharex=True, gridspec_kw={"height_ratios": [4, 1.2]}
    )
    for name in names:
        daily, _ = results[name]
        ax.plot(np.arange(stream_start, stream_start + len(daily)), daily, lw=1.4, label=name)
    for day in JUMPS:
        ax.axvline(day, color="0.5", ls=":", lw=1)
    ax.set_ylabel("error on the day's traffic")
    ax.legend(fontsize=9, loc="upper left", ncol=3)
    for i, name in enumerate(names):
        rug.plot(results[name][1], np.full(len(results[name][1]), i), "|", ms=9, color=f"C{i}")
    rug.set_yticks(range(len(names)), names, fontsize=8)
    rug.set_ylim(-0.6, len(names) - 0.4)
    rug.grid(False)
    rug.set_xlabel("day (dotted: abrupt changes of the rule; ticks below: retrains)")
    fig.tight_layout()
    return fig


def main():
    stream = make_stream(DAYS)
    print(f"{DAYS} days x {PER_DAY} requests; slow drift {SLOW_DRIFT_DEG:g} deg/day; abrupt")
    print(f"changes on days {sorted(JUMPS)}; labels {LATENCY} days late; window {WINDOW} days.\n")
    results = {name: simulate(stream, **kwargs) for name, kwargs in POLICIES.items()}
    print(f"{'policy':<22}{'retrains':>9}{'mean error':>12}{'worst 7-day':>13}")
    for name, (daily, retrains) in results.items():
        worst = np.convolve(daily, np.ones(7) / 7, "valid").max()
        print(f"{name:<22}{len(retrains):>9}{daily.mean():>12.4f}{worst:>13.4f}")

    print("\nLabel latency alone (same stream, mean error):")
    print(f"{'latency (days)':<16}{'daily':>8}{'rule':>8}{'rule retrains':>15}")
    for latency in (0, 2, 7, 14):
        daily, _ = simulate(stream, "calendar", latency=latency)
        ruled, retrains = simulate(stream, "degradation", latency=latency)
        print(f"{latency:<16}{daily.mean():>8.4f}{ruled.mean():>8.4f}{len(retrains):>15}")

    rule_name = list(POLICIES)[-1]
    shown = ["daily", "every 30 days", rule_name]
    start = WINDOW + LATENCY + 1
    fig = plot(start, results, shown)
    n = {name: len(results[name][1]) for name in results}
    err = {name: results[name][0].mean() for name in results}
    alt = (
        f"Daily error on live traffic from day {start} to day {DAYS - 1} for three retraining "
        f"policies, with dotted lines at the abrupt changes on days {sorted(JUMPS)}. After each "
        "change the error of every policy jumps. Daily retraining and the degradation rule come "
        "back down within about ten days; retraining every 30 days stays high until its next "
        f"scheduled retrain. A strip below marks the retrains: {n['daily']} for daily, "
        f"{n['every 30 days']} for every 30 days and {n[rule_name]} for the rule, clustered "
        "after the changes."
    )
    caption = (
        f"The rule retrained {n[rule_name]} times against {n['daily']} for the daily schedule, "
        f"for a mean error of {err[rule_name]:.3f} against {err['daily']:.3f}: it spends its "
        "retrains right after the changes, where they help, and few in quiet weeks."
    )
    fig.savefig("retrain_trigger.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
