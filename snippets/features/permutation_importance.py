"""Permutation importance: find the feature a model leans on, and catch a leaked one.

A churn model is trained on an export of customer data. One column, "days since last login",
was computed on the day of the export, after the churn window: customers who left had stopped
logging in, so the column nearly gives the label away. At prediction time the same column is
computed today, before anyone has left, and carries almost no signal.
"""

import numpy as np

FEATURES = (
    "tenure (months)",
    "support tickets",
    "monthly charge",
    "logins (30 d)",
    "days since login",
)
LEAKED = FEATURES.index("days since login")
N_TRAIN, N_VAL, N_PRODUCTION = 4000, 2000, 2000
REPEATS = 10


def make_customers(n: int, rng: np.random.Generator, at_export: bool):
    """Features and churn labels (1 = churned in the 30 days after the snapshot).

    With at_export=True, "days since login" is measured at the export, after the churn window
    (the leak); with at_export=False it is measured at the snapshot, as a live system must.
    """
    tenure = rng.gamma(2, 12, n)
    tickets = rng.poisson(1.0, n).astype(float)
    charge = rng.normal(60, 20, n)
    logins = rng.poisson(12, n).astype(float)
    logit = (
        -0.6
        - 0.04 * (tenure - 24)
        + 0.5 * (tickets - 1)
        + 0.02 * (charge - 60)
        - 0.08 * (logins - 12)
    )
    churn = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    days_since_login = rng.exponential(3, n)
    if at_export:  # churners stopped logging in somewhere in the 30-day window
        days_since_login = np.where(churn == 1, rng.uniform(5, 35, n), days_since_login)
    return np.stack([tenure, tickets, charge, logins, days_since_login], axis=1), churn


def fit_logistic(x, y, l2: float = 1e-4, steps: int = 25) -> np.ndarray:
    """Logistic regression by Newton's method on [1, x]; weights including the intercept."""
    x = np.column_stack([np.ones(len(x)), x])
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - y) / len(y) + l2 * w
        hessian = (x.T * (p * (1 - p))) @ x / len(y) + l2 * np.eye(len(w))
        w -= np.linalg.solve(hessian, gradient)
    return w


def make_model(x_train, y_train, columns):
    """Train on the chosen columns (standardised with training statistics); return a
    function from a full feature matrix to churn probabilities, and the columns it uses."""
    columns = list(columns)
    mean, std = x_train[:, columns].mean(axis=0), x_train[:, columns].std(axis=0)
    w = fit_logistic((x_train[:, columns] - mean) / std, y_train)

    def predict(x):
        z = np.column_stack([np.ones(len(x)), (x[:, columns] - mean) / std])
        return 1 / (1 + np.exp(-z @ w))

    predict.columns = columns
    return predict


def accuracy(predict, x, y) -> float:
    return float(np.mean((predict(x) > 0.5) == y))


# --8<-- [start:core]
def permutation_importance(predict, x, y, rng, repeats: int = REPEATS):
    """Drop in accuracy when one column is shuffled, which breaks its link to the label while
    keeping its distribution. Works for any model; returns (mean, std) per column.

    Compute it on held-out data: on training data it also rewards what the model memorised.
    """
    base = accuracy(predict, x, y)
    drops = np.zeros((x.shape[1], repeats))
    for j in range(x.shape[1]):
        for r in range(repeats):
            shuffled = x.copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            drops[j, r] = base - accuracy(predict, shuffled, y)
    return drops.mean(axis=1), drops.std(axis=1)


# --8<-- [end:core]


def main():
    rng = np.random.default_rng(0)
    x_train, y_train = make_customers(N_TRAIN, rng, at_export=True)
    x_val, y_val = make_customers(N_VAL, rng, at_export=True)  # same export: same leak
    x_live, y_live = make_customers(N_PRODUCTION, rng, at_export=False)
    all_columns = range(len(FEATURES))
    models = {
        "all features": make_model(x_train, y_train, all_columns),
        "without days since login": make_model(
            x_train, y_train, [j for j in all_columns if j != LEAKED]
        ),
    }
    print(
        f"churn rate {y_train.mean():.2f}; always predicting 'stays' scores "
        f"{1 - y_val.mean():.3f} on validation and {1 - y_live.mean():.3f} in production\n"
    )
    print(f"Permutation importance on validation data (accuracy drop, mean ± std of {REPEATS})")
    print(f"{'feature':<20}" + "".join(f"{name:>28}" for name in models))
    importances = {
        name: permutation_importance(predict, x_val, y_val, rng) for name, predict in models.items()
    }
    for j, feature in enumerate(FEATURES):
        cells = [
            f"{f'{mean[j]:.3f} ± {std[j]:.3f}' if j in models[name].columns else 'not used':>28}"
            for name, (mean, std) in importances.items()
        ]
        print(f"{feature:<20}" + "".join(cells))

    print(f"\n{'model':<28}{'validation':>11}{'production':>11}")
    for name, predict in models.items():
        print(
            f"{name:<28}{accuracy(predict, x_val, y_val):>11.3f}"
            f"{accuracy(predict, x_live, y_live):>11.3f}"
        )
    print(f"(production: {N_PRODUCTION:,} new customers, features computed at prediction time)")


if __name__ == "__main__":
    main()
