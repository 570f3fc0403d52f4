"""Which split predicts live performance on time-ordered data? Random, holdout or rolling origin.

A product's daily demand grows with a trend, wanders with a random walk and has a weekly cycle.
Each evening a model forecasts tomorrow from lagged demand (1, 2, 7 and 14 days back), and the
model is retrained every 28 days. Two models: a linear autoregression and k nearest neighbours on
the same lags (a stand-in for any model that cannot extrapolate, such as tree ensembles).

For each of many simulated histories of two years, four offline estimates of the forecast error
are compared with the truth: the expected error of the model trained on the whole history over
the 28 days it will actually serve, computed on many simulated continuations of that history.
"""

import matplotlib.pyplot as plt
import numpy as np

HISTORY_DAYS = 730  # two years of history
HORIZON = 28  # the model is retrained every 28 days, so it serves 1 to 28 days past its data
LAGS = (1, 2, 7, 14)
TREND, WALK, SEASON, NOISE = 0.2, 0.5, 8.0, 3.0  # units per day, walk step, weekly, daily noise
K = 10  # neighbours
WORLDS, CONTINUATIONS, ORIGINS = 30, 40, 12


def simulate_demand(n_days, rng, start_day=0, start_walk=0.0):
    """Daily demand: level 50 + trend + random walk, a weekly cycle and noise.
    Returns the series and the walk's last value, so that a history can be continued."""
    day = np.arange(start_day, start_day + n_days)
    walk = start_walk + np.cumsum(rng.normal(0.0, WALK, n_days))
    weekly = SEASON * np.sin(2 * np.pi * day / 7)
    return 50 + TREND * day + walk + weekly + rng.normal(0.0, NOISE, n_days), walk[-1]


def lag_features(series):
    """Rows in time order: features are demand 1, 2, 7 and 14 days before; target is the day."""
    m = max(LAGS)
    features = np.column_stack([series[m - lag : len(series) - lag] for lag in LAGS])
    return features, series[m:]


def fit_linear(x, y):
    """Least squares with an intercept; returns a predict function."""
    design = np.column_stack([np.ones(len(x)), x])
    w = np.linalg.lstsq(design, y, rcond=None)[0]
    return lambda z: np.column_stack([np.ones(len(z)), z]) @ w


def fit_knn(x, y, k=K):
    """Mean target of the k nearest training rows; it can never predict beyond what it saw."""

    def predict(z):
        d2 = (z**2).sum(1)[:, None] - 2 * z @ x.T + (x**2).sum(1)[None, :]
        return y[np.argpartition(d2, k, axis=1)[:, :k]].mean(axis=1)

    return predict


def mae(predict, x, y) -> float:
    return float(np.mean(np.abs(predict(x) - y)))


# --8<-- [start:core]
def random_kfold(x, y, fit, rng, folds=5) -> float:
    """Shuffled k-fold cross-validation: each test row has training rows from its future."""
    parts = np.array_split(rng.permutation(len(y)), folds)
    return float(
        np.mean([mae(fit(np.delete(x, p, 0), np.delete(y, p, 0)), x[p], y[p]) for p in parts])
    )


def last_block(x, y, fit, n_test) -> float:
    """One time split: train on everything before the last n_test rows, test on those."""
    cut = len(y) - n_test
    return mae(fit(x[:cut], y[:cut]), x[cut:], y[cut:])


def rolling_origin_splits(n, horizon, n_origins):
    """Walk forward: for each origin, train on all rows before it, test on the next `horizon`
    rows. The last test window ends with the data."""
    for origin in range(n - n_origins * horizon, n - horizon + 1, horizon):
        yield np.arange(origin), np.arange(origin, origin + horizon)


def rolling_origin(x, y, fit, horizon=HORIZON, n_origins=ORIGINS) -> float:
    scores = [
        mae(fit(x[train], y[train]), x[test], y[test])
        for train, test in rolling_origin_splits(len(y), horizon, n_origins)
    ]
    return float(np.mean(scores))


def true_future_error(series, walk_end, fit, seed, continuations=CONTINUATIONS) -> float:
    """What an estimate should predict: the model trained on the whole history, scored on the
    HORIZON days it will serve, averaged over many possible futures of this history."""
    x, y = lag_features(series)
    model, errors = fit(x, y), []
    for c in range(continuations):
        rng = np.random.default_rng([seed, c])
        future, _ = simulate_demand(HORIZON, rng, start_day=len(series), start_walk=walk_end)
        xf, yf = lag_features(np.r_[series[-max(LAGS) :], future])
        errors.append(mae(model, xf, yf))
    return float(np.mean(errors))


# --8<-- [end:core]

ESTIMATORS = ("random 5-fold", "last 20% held out", "last 28 days held out", "rolling origin")


def evaluate_world(seed, fit, continuations=CONTINUATIONS) -> dict:
    """All four offline estimates and the truth for one simulated history."""
    rng = np.random.default_rng(seed)
    series, walk_end = simulate_demand(HISTORY_DAYS, rng)
    x, y = lag_features(series)
    return {
        "random 5-fold": random_kfold(x, y, fit, rng),
        "last 20% held out": last_block(x, y, fit, round(0.2 * len(y))),
        "last 28 days held out": last_block(x, y, fit, HORIZON),
        "rolling origin": rolling_origin(x, y, fit),
        "truth": true_future_error(series, walk_end, fit, seed, continuations),
    }


def compare(fit, worlds=WORLDS, continuations=CONTINUATIONS) -> dict:
    """Estimates and truth over many histories: {name: array over worlds}."""
    rows = [evaluate_world(seed, fit, continuations) for seed in range(worlds)]
    return {name: np.array([r[name] for r in rows]) for name in rows[0]}


def error_by_age(fit, worlds=10, max_age=2 * HORIZON, span=365, step=2) -> np.ndarray:
    """Mean absolute error by days since the training data ended (1 = tomorrow), over origins
    every `step` days in the last `span` days (every weekday equally)."""
    errors = []
    for seed in range(worlds):
        series, _ = simulate_demand(HISTORY_DAYS, np.random.default_rng(seed))
        x, y = lag_features(series)
        for origin in range(len(y) - span, len(y) - max_age + 1, step):
            test = slice(origin, origin + max_age)
            errors.append(np.abs(fit(x[:origin], y[:origin])(x[test]) - y[test]))
    return np.mean(errors, axis=0)


def plot_age(curves, random_cv):
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ages = np.arange(1, len(next(iter(curves.values()))) + 1)
    for (name, curve), colour in zip(curves.items(), ("C0", "C1"), strict=True):
        ax.plot(ages, curve, color=colour, label=f"{name}: error at this age")
        ax.axhline(random_cv[name], color=colour, ls="--", lw=1.2)
    ax.axvline(HORIZON, color="0.55", ls=":", lw=1.2)
    low, high = ax.get_ylim()
    ax.text(HORIZON + 0.5, low + 0.35 * (high - low), "retraining due", fontsize=9)
    ax.set_xlabel("days since the training data ended")
    ax.set_ylabel("mean absolute error (units)")
    ax.legend(title="dashed: what random 5-fold promised", loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def main():
    models = {"linear autoregression": fit_linear, "nearest neighbours": fit_knn}
    print(f"{WORLDS} simulated histories of {HISTORY_DAYS} days; the deployed model serves the")
    print(f"next {HORIZON} days. Mean absolute error of a one-day-ahead forecast (units sold).\n")
    print(f"{'estimate':<24}{'mean':>7}{'minus truth':>13}{'|error| per history':>21}")
    random_cv = {}
    for name, fit in models.items():
        results = compare(fit)
        truth = results["truth"]
        print(f"-- {name}")
        for est in ESTIMATORS:
            gap = results[est] - truth
            print(
                f"{est:<24}{results[est].mean():>7.2f}{gap.mean():>+13.2f}{np.abs(gap).mean():>21.2f}"
            )
        print(f"{'truth (next 28 days)':<24}{truth.mean():>7.2f}")
        random_cv[name] = results["random 5-fold"].mean()

    curves = {name: error_by_age(fit) for name, fit in models.items()}
    knn = curves["nearest neighbours"]
    print(
        f"\nnearest neighbours, error by model age: day 1 {knn[0]:.2f}, day {HORIZON} "
        f"{knn[HORIZON - 1]:.2f}, day {2 * HORIZON} {knn[-1]:.2f}"
    )
    fig = plot_age(curves, random_cv)
    alt = (
        f"Line chart of forecast error against days since the training data ended, 1 to "
        f"{2 * HORIZON}. The linear autoregression stays flat near "
        f"{curves['linear autoregression'].mean():.1f}; nearest neighbours rises from "
        f"{knn[0]:.1f} to {knn[-1]:.1f}. Dashed lines show the random 5-fold estimates, "
        f"{random_cv['linear autoregression']:.1f} and {random_cv['nearest neighbours']:.1f}."
    )
    caption = (
        "The random split scores a model on days surrounded by its training data, so it "
        "promises the error of a model that is never out of date. A model that cannot "
        "extrapolate the trend gets worse every day after its data ends; walk-forward "
        "evaluation measures that, and the slope says how often to retrain."
    )
    fig.savefig("error_by_model_age.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
