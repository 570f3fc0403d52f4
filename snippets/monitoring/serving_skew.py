"""Train-serving skew: the model is fine, the features it receives in production are not.

A model is trained on 20 features computed by the offline pipeline. In production the same
features are computed again by the online service, and two classic bugs creep in: one feature
arrives in minutes where training used hours, and for another the online code fills missing
values with 0 where the offline pipeline filled them with the training mean. Nothing crashes and
every request succeeds. Comparing each served feature with its training distribution (a KS test
per feature) finds both, and the share of positive predictions moves before any label arrives.
Checking 20 features at once needs a correction for multiple tests, or healthy traffic raises
alarms too.
"""

import math

import numpy as np

N_FEATURES, N_TRAIN, N_SERVE = 20, 20_000, 2_000
HOURS = 3  # feature 3: hours since the last visit
IMPUTED = 7  # feature 7: minutes watched last week, often missing; mean filled offline
MISSING_RATE = 0.3
ALPHA = 0.05


def make_rows(n: int, rng):
    """Features, with feature HOURS on an hour scale and feature IMPUTED partly missing (NaN),
    and labels that depend on several features."""
    x = rng.normal(0.0, 1.0, (n, N_FEATURES))
    x[:, HOURS] = rng.exponential(24.0, n)
    x[:, IMPUTED] = rng.gamma(4.0, 15.0, n)  # mean 60 minutes
    x[rng.random(n) < MISSING_RATE, IMPUTED] = np.nan
    beta = np.zeros(N_FEATURES)
    beta[[0, 1, 2]] = [1.0, -1.0, 0.5]
    watched = np.where(np.isnan(x[:, IMPUTED]), 60.0, x[:, IMPUTED])
    logit = x[:, :3] @ beta[:3] + 0.03 * (watched - 60.0) - 0.05 * (x[:, HOURS] - 24.0)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return x, y


def offline_features(x, train_mean):
    """The training pipeline: fill missing values with the training mean."""
    x = x.copy()
    gaps = np.isnan(x)
    x[gaps] = np.take(train_mean, np.nonzero(gaps)[1])
    return x


def online_features(x, train_mean, minutes_bug=False, zero_fill_bug=False):
    """The serving code path: meant to be identical to the offline one, with two optional bugs."""
    # The bug: the online code fills gaps with 0 instead of the training mean.
    x = np.nan_to_num(x, nan=0.0) if zero_fill_bug else offline_features(x, train_mean)
    if minutes_bug:
        x[:, HOURS] *= 60.0  # the upstream service changed its unit to minutes
    return x


def fit_logistic(x, y, steps: int = 20):
    """Logistic regression on standardised features, by Newton's method."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    design = np.column_stack([np.ones(len(x)), (x - mean) / std])
    w = np.zeros(design.shape[1])
    for _ in range(steps):
        p = 0.5 * (1.0 + np.tanh(0.5 * (design @ w)))
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 1e-6 * np.eye(len(w))
        w += np.linalg.solve(hessian, design.T @ (y - p))
    return w, mean, std


def predict(model, x):
    w, mean, std = model
    z = w[0] + ((x - mean) / std) @ w[1:]
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, without overflow


def ks_pvalue(a, b) -> float:
    """Two-sample KS test, asymptotic p-value (see ks_test.py)."""
    a, b = np.sort(a), np.sort(b)
    points = np.concatenate([a, b])
    gap = np.searchsorted(a, points, side="right") / len(a)
    gap -= np.searchsorted(b, points, side="right") / len(b)
    t = np.max(np.abs(gap)) * math.sqrt(len(a) * len(b) / (len(a) + len(b)))
    j = np.arange(1, 101)
    return float(np.clip(2 * np.sum((-1.0) ** (j - 1) * np.exp(-2 * j**2 * t**2)), 0, 1))


# --8<-- [start:core]
def feature_report(train, served, alpha=ALPHA):
    """KS p-value of every served feature against training; the features flagged at level
    alpha per test, and at alpha / (number of features) (Bonferroni)."""
    pvalues = np.array([ks_pvalue(train[:, j], served[:, j]) for j in range(train.shape[1])])
    naive = np.flatnonzero(pvalues < alpha)
    bonferroni = np.flatnonzero(pvalues < alpha / train.shape[1])
    return pvalues, naive, bonferroni


def serving_day(model, train, served, labels):
    """What a monitoring job can compute: feature flags and prediction statistics right away;
    accuracy only once the labels have arrived."""
    _, naive, bonferroni = feature_report(train, served)
    scores = predict(model, served)
    return {
        "flagged at 0.05": naive,
        "flagged, Bonferroni": bonferroni,
        "positive rate": float(np.mean(scores > 0.5)),
        "accuracy": float(np.mean((scores > 0.5) == labels)),
    }


# --8<-- [end:core]


def run(seed: int = 0, days: int = 1, bugs: bool = True):
    rng = np.random.default_rng(seed)
    raw_train, y_train = make_rows(N_TRAIN, rng)
    train_mean = np.nanmean(raw_train, axis=0)
    train = offline_features(raw_train, train_mean)
    model = fit_logistic(train, y_train)
    results = {}
    for _ in range(days):
        raw, labels = make_rows(N_SERVE, rng)
        scenarios = {"healthy": online_features(raw, train_mean)}
        if bugs:
            scenarios["hours sent as minutes"] = online_features(raw, train_mean, minutes_bug=True)
            scenarios["missing filled with 0"] = online_features(
                raw, train_mean, zero_fill_bug=True
            )
        for name, served in scenarios.items():
            results.setdefault(name, []).append(serving_day(model, train, served, labels))
    return results


def main():
    results = run()
    print(f"{N_FEATURES} features, training on {N_TRAIN:,} rows, one day of {N_SERVE:,} requests.")
    print(
        f"{'serving path':<24}{'flagged at 0.05':>17}{'Bonferroni':>12}{'pos. rate':>11}"
        f"{'accuracy':>10}"
    )
    for name, (day,) in results.items():
        naive = ",".join(f"f{j}" for j in day["flagged at 0.05"]) or "-"
        bonf = ",".join(f"f{j}" for j in day["flagged, Bonferroni"]) or "-"
        print(
            f"{name:<24}{naive:>17}{bonf:>12}{day['positive rate']:>11.2f}{day['accuracy']:>10.2f}"
        )
    days = run(seed=1, days=30, bugs=False)["healthy"]
    naive = np.mean([len(d["flagged at 0.05"]) > 0 for d in days])
    bonf = np.mean([len(d["flagged, Bonferroni"]) > 0 for d in days])
    print(f"\nHealthy traffic, 30 days: days with a flagged feature {naive:.2f} at 0.05 per test,")
    print(f"{bonf:.2f} with Bonferroni (alpha / {N_FEATURES} per test).")


if __name__ == "__main__":
    main()
