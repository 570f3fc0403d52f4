"""Missing values: delete rows, delete the column, impute, or impute and flag.

A loan-default model whose income field is empty for about 30% of applicants. When values are
missing completely at random (MCAR) the choices barely differ; when low earners skip the field
more often (missing not at random, MNAR) the missingness itself carries signal, and deleting or
silently imputing throws it away.
"""

import numpy as np

N = 5000
MECHANISMS = ("MCAR", "MNAR")
STRATEGIES = ("delete rows", "delete column", "impute mean", "impute mean + flag")


def make_applicants(n: int, mechanism: str, rng: np.random.Generator):
    """Age, income (thousands, log-normal) and debt; label 1 = default. Lower income and higher
    debt raise the default rate. Returns features with NaN where income is missing, the labels
    and the full income column (which a real data set would not give you)."""
    age = rng.normal(45, 12, n)
    income = rng.lognormal(np.log(50), 0.5, n)
    debt = rng.gamma(2, 10, n)
    z_income = (np.log(income) - np.log(50)) / 0.5
    logit = -0.5 - 1.0 * z_income + 0.04 * (debt - 20) - 0.01 * (age - 45)
    labels = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    if mechanism == "MCAR":
        p_missing = np.full(n, 0.3)  # a coin flip, unrelated to anything
    elif mechanism == "MNAR":
        p_missing = 1 / (1 + np.exp(1.2 + 1.5 * z_income))  # the lower the income, the likelier
    else:
        raise ValueError(f"unknown mechanism {mechanism!r}")
    observed = np.where(rng.random(n) < p_missing, np.nan, income)
    return np.stack([age, observed, debt], axis=1), labels, income


# --8<-- [start:core]
def prepare(x, strategy: str, fill_value: float):
    """Turn raw rows into model inputs for one strategy. Income enters as log(income).

    `fill_value` is the training mean of the observed incomes: like every statistic a feature
    uses, it comes from the training data and is stored for serving.
    """
    missing = np.isnan(x[:, 1])
    income = np.log(np.where(missing, fill_value, x[:, 1]))
    if strategy == "delete column":
        return np.stack([x[:, 0], x[:, 2]], axis=1)
    if strategy == "impute mean + flag":
        return np.stack([x[:, 0], income, x[:, 2], missing.astype(float)], axis=1)
    # "delete rows" trains on complete rows only, but serving still receives incomplete ones;
    # they can only be filled in, so it serves exactly like "impute mean".
    return np.stack([x[:, 0], income, x[:, 2]], axis=1)


def training_rows(x, strategy: str) -> np.ndarray:
    """Which training rows a strategy keeps."""
    if strategy == "delete rows":
        return ~np.isnan(x).any(axis=1)
    return np.ones(len(x), dtype=bool)


# --8<-- [end:core]


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


def predict(w, x) -> np.ndarray:
    return 1 / (1 + np.exp(-np.column_stack([np.ones(len(x)), x]) @ w))


def log_loss(p, y) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def evaluate(strategy: str, x_train, y_train, x_test, y_test) -> dict:
    """Train with one strategy, test on every test row (as production would send them)."""
    fill_value = float(np.nanmean(x_train[:, 1]))
    keep = training_rows(x_train, strategy)
    z_train = prepare(x_train[keep], strategy, fill_value)
    mean, std = z_train.mean(axis=0), z_train.std(axis=0)
    w = fit_logistic((z_train - mean) / std, y_train[keep])
    p = predict(w, (prepare(x_test, strategy, fill_value) - mean) / std)
    missing = np.isnan(x_test[:, 1])
    return {
        "kept": float(keep.mean()),
        "loss": log_loss(p, y_test),
        "loss_missing": log_loss(p[missing], y_test[missing]),
        "loss_complete": log_loss(p[~missing], y_test[~missing]),
        "accuracy": float(np.mean((p > 0.5) == y_test)),
    }


def complete_row_fraction(n_rows: int, n_columns: int, rate: float, rng) -> float:
    """Share of rows with no missing value when each cell is missing independently."""
    return float(np.mean((rng.random((n_rows, n_columns)) >= rate).all(axis=1)))


def main():
    rng = np.random.default_rng(0)
    print(f"{N:,} training and {N:,} test applicants per mechanism; logistic regression.")
    print("Test loss: cross-entropy over all test rows (lower is better), then split by whether")
    print("income was missing. 'delete rows' fills missing test rows with the training mean,")
    print("because production cannot delete the requests it must answer.\n")
    for mechanism in MECHANISMS:
        x_train, y_train, income = make_applicants(N, mechanism, rng)
        x_test, y_test, _ = make_applicants(N, mechanism, rng)
        missing = np.isnan(x_train[:, 1])
        print(
            f"{mechanism}: income missing for {missing.mean():.0%} of rows; mean income "
            f"{income.mean():.1f}k in truth, {np.nanmean(x_train[:, 1]):.1f}k among the observed"
        )
        print(
            f"  default rate: {y_train[missing].mean():.2f} where income is missing, "
            f"{y_train[~missing].mean():.2f} where it is present"
        )
        print(
            f"  {'strategy':<20}{'rows kept':>10}{'test loss':>11}{'  on missing':>13}"
            f"{'  on complete':>14}{'accuracy':>10}"
        )
        for strategy in STRATEGIES:
            r = evaluate(strategy, x_train, y_train, x_test, y_test)
            print(
                f"  {strategy:<20}{r['kept']:>10.2f}{r['loss']:>11.3f}{r['loss_missing']:>13.3f}"
                f"{r['loss_complete']:>14.3f}{r['accuracy']:>10.3f}"
            )
        print()
    for columns in (3, 20, 50):
        kept = complete_row_fraction(N, columns, 0.05, rng)
        print(
            f"{columns} columns, each 5% missing at random: {kept:.0%} of rows are complete "
            f"(theory (1 - 0.05)^{columns} = {0.95**columns:.0%})"
        )


if __name__ == "__main__":
    main()
