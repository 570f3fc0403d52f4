"""Covariate shift, label shift and concept drift on one small problem, measured, not asserted.

The joint distribution factors two ways, P(X, Y) = P(Y | X) P(X) = P(X | Y) P(Y), and each kind
of shift changes one factor while keeping its partner fixed:

- covariate shift: P(X) changes, P(Y | X) stays;
- label shift:     P(Y) changes, P(X | Y) stays (so P(X) and P(Y | X) change with it);
- concept drift:   P(Y | X) changes, P(X) stays.

The snippet draws a source sample and one target sample per kind of shift, estimates each factor
from the samples, runs a KS test on the inputs alone, and scores two models trained on the source:
a linear logistic regression and one with a squared term. For label shift it also estimates the
new class prior from unlabelled target inputs (black-box shift estimation) and corrects the
model's probabilities with it.
"""

import math

import numpy as np

N_SOURCE, N_TARGET = 20_000, 5_000
LABEL_SHIFT_PRIOR = 0.85  # P(Y = 1) after the label shift
X_PROBE = 1.5  # where P(Y = 1 | X) is read off


def true_logit(x, drifted: bool = False):
    """log-odds of Y = 1 given x: positive for 0 < x < 2 before the drift. Concept drift moves
    that region to -0.75 < x < 1.25: the same input now means something else."""
    x = x + 0.75 if drifted else x
    return 4.0 * x - 2.0 * x**2


def sample(n: int, rng, x_mean: float = 0.0, drifted: bool = False):
    """Draw X ~ N(x_mean, 1), then Y ~ Bernoulli(sigmoid(true_logit(X)))."""
    x = rng.normal(x_mean, 1.0, n)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-true_logit(x, drifted)))).astype(int)
    return x, y


def resample_labels(x, y, prior: float, n: int, rng):
    """Label shift done right: keep each class's inputs as they are (P(X | Y) fixed) and only
    change how often each class occurs."""
    n_pos = int(round(prior * n))
    pos = rng.choice(np.flatnonzero(y == 1), n_pos, replace=True)
    neg = rng.choice(np.flatnonzero(y == 0), n - n_pos, replace=True)
    idx = rng.permutation(np.concatenate([pos, neg]))
    return x[idx], y[idx]


def make_targets(rng):
    return {
        "covariate shift": sample(N_TARGET, rng, x_mean=1.5),
        "label shift": resample_labels(
            *sample(4 * N_TARGET, rng), LABEL_SHIFT_PRIOR, N_TARGET, rng
        ),
        "concept drift": sample(N_TARGET, rng, drifted=True),
    }


def features(x, quadratic: bool):
    columns = [np.ones_like(x), x] + ([x**2] if quadratic else [])
    return np.stack(columns, axis=1)


def fit_logistic(x, y, quadratic: bool, steps: int = 25):
    """Logistic regression by Newton's method (iteratively reweighted least squares)."""
    design = features(x, quadratic)
    w = np.zeros(design.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-design @ w))
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 1e-6 * np.eye(len(w))
        w += np.linalg.solve(hessian, design.T @ (y - p))
    return w


def predict_proba(w, x, quadratic: bool):
    return 1.0 / (1.0 + np.exp(-features(x, quadratic) @ w))


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
def describe(x, y):
    """Each factor of P(X, Y), estimated from a sample."""
    near = np.abs(x - X_PROBE) < 0.1
    return {
        "mean X": x.mean(),  # P(X)
        "P(Y=1)": y.mean(),  # P(Y)
        f"P(Y=1|X~{X_PROBE})": y[near].mean(),  # P(Y | X)
        "mean X|Y=1": x[y == 1].mean(),  # P(X | Y)
    }


def estimate_label_shift(p_val, y_val, p_target):
    """Black-box shift estimation (Lipton et al., 2018): with C[i, j] = P(yhat = i, y = j) on
    held-out source data and mu[i] = P(yhat = i) on unlabelled target inputs, label shift gives
    mu = C w, where w[j] = q(y = j) / p(y = j). Solve for w."""
    yhat_val, yhat_target = (p_val > 0.5).astype(int), (p_target > 0.5).astype(int)
    confusion = np.array(
        [[np.mean((yhat_val == i) & (y_val == j)) for j in (0, 1)] for i in (0, 1)]
    )
    mu = np.array([np.mean(yhat_target == i) for i in (0, 1)])
    return np.linalg.solve(confusion, mu)


def correct_for_label_shift(p, w):
    """Bayes' rule with the new prior: q(y | x) is proportional to w[y] * p(y | x)."""
    return w[1] * p / (w[1] * p + w[0] * (1 - p))


# --8<-- [end:core]


def run(seed: int = 0):
    rng = np.random.default_rng(seed)
    x_src, y_src = sample(N_SOURCE, rng)
    x_val, y_val = sample(N_TARGET, rng)  # held-out source data
    models = {q: fit_logistic(x_src, y_src, q) for q in (False, True)}
    rows = {"source (held out)": (x_val, y_val)} | make_targets(rng)
    table = {}
    for name, (x, y) in rows.items():
        stats = describe(x, y)
        stats["KS p (X only)"] = ks_pvalue(x_val, x) if name != "source (held out)" else None
        for q, label in ((False, "acc linear"), (True, "acc squared")):
            stats[label] = np.mean((predict_proba(models[q], x, q) > 0.5) == y)
        table[name] = stats
    x_t, y_t = rows["label shift"]
    p_val, p_t = (predict_proba(models[True], v, True) for v in (x_val, x_t))
    w = estimate_label_shift(p_val, y_val, p_t)
    prior_hat = w[1] * y_val.mean()
    corrected = np.mean((correct_for_label_shift(p_t, w) > 0.5) == y_t)
    return table, prior_hat, corrected


def main():
    table, prior_hat, corrected = run()
    columns = list(next(iter(table.values())))
    print(f"{'':<18}" + "".join(f"{c:>{max(len(c) + 2, 9)}}" for c in columns))
    for name, stats in table.items():
        cells = []
        for c in columns:
            value = stats[c]
            if value is None:
                text = "-"
            elif "KS" in c:
                text = f"{value:.0e}" if value >= 1e-16 else "<1e-16"
            else:
                text = f"{value:.2f}"
            cells.append(f"{text:>{max(len(c) + 2, 9)}}")
        print(f"{name:<18}" + "".join(cells))
    print(f"\nLabel shift, true P(Y=1) = {LABEL_SHIFT_PRIOR}; estimated from unlabelled target")
    print(f"inputs with the squared model's confusion matrix: {prior_hat:.2f}")
    print(
        f"Squared model after correcting its probabilities for the new prior: "
        f"accuracy {corrected:.2f}"
    )


if __name__ == "__main__":
    main()
