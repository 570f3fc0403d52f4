"""Model behaviour tests: invariance, direction and minimum functionality, as a release gate.

A model predicts whether a product listing sells within a week from its price, its rating and,
by mistake in one variant, its listing id. Three variants go through the same checks: a correct
model, one trained with the id column (ids were handed out in order and later listings sold
better, so the id carries a spurious signal), and one whose serving code passes two features in
the wrong order (training/serving skew). Accuracy alone does not catch the second.
"""

import numpy as np

N_TRAIN, N_TEST = 4_000, 2_000
PRICE_STEP = np.log(1.2)  # 20% dearer, on the log-price column


def make_listings(n, rng, period=0):
    """Columns: log price, rating (1 to 5), listing id by creation time; label. In period 0,
    later listings sold better (a passing trend); in the next period the trend is gone and
    every id is larger than any seen in training."""
    log_price = rng.normal(3.0, 0.6, n)
    rating = np.clip(rng.normal(3.8, 0.8, n), 1, 5)
    listing_id = period + np.sort(rng.random(n))  # later listings have higher ids
    trend = 1.5 * listing_id if period == 0 else 0.75
    logit = -2.0 * (log_price - 3.0) + 1.5 * (rating - 3.8) + trend - 0.75
    sold = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    return np.column_stack([log_price, rating, listing_id]), sold


def fit_logistic(x, y, steps=30):
    """Logistic regression (Newton's method) on standardised features; returns predict_proba."""
    mean, std = x.mean(0), x.std(0)
    z = np.column_stack([np.ones(len(x)), (x - mean) / std])
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        w -= np.linalg.solve(
            (z * (p * (1 - p))[:, None]).T @ z + 1e-6 * np.eye(len(w)), z.T @ (p - y)
        )
    return lambda q: 1 / (1 + np.exp(-np.column_stack([np.ones(len(q)), (q - mean) / std]) @ w))


def model_variants(rng):
    """Three predict functions taking all three columns [log price, rating, id]."""
    x, y = make_listings(N_TRAIN, rng)
    good = fit_logistic(x[:, :2], y)
    with_id = fit_logistic(x, y)
    return {
        "correct model": lambda q: good(q[:, :2]),
        "trained with the id column": with_id,
        "serving swaps two columns": lambda q: good(q[:, [1, 0]]),
    }


# --8<-- [start:core]
def invariance(predict, x, rng, column=2, tolerance=0.02):
    """Changing a field that must not matter (the listing id) must not move predictions."""
    changed = x.copy()
    changed[:, column] = rng.random(len(x))
    moved = np.mean(np.abs(predict(changed) - predict(x)) > tolerance)
    return moved <= 0.01, f"{moved:.0%} moved"


def directional(predict, x, column=0, step=PRICE_STEP):
    """A 20% higher price must not make a sale more likely (allowing for float noise)."""
    pricier = x.copy()
    pricier[:, column] += step
    wrong = np.mean(predict(pricier) > predict(x) + 1e-9)
    return wrong == 0, f"{wrong:.0%} went up"


def minimum_functionality(predict):
    """Cases anyone would get right: cheap and 5 stars sells, dear and 1 star does not."""
    cases = np.array([[2.0, 5.0, 0.5], [4.5, 1.0, 0.5]])
    p = predict(cases)
    return bool(p[0] > 0.5 > p[1]), f"p = {p[0]:.2f} and {p[1]:.2f}"


def release_gate(predict, x, y, rng):
    """All checks, each a pass/fail with a short reason. Ship only if every one passes."""
    accuracy = np.mean((predict(x) >= 0.5) == y)
    return {
        "accuracy": (accuracy >= 0.65, f"{accuracy:.1%}"),
        "invariance": invariance(predict, x, rng),
        "directional": directional(predict, x),
        "minimum": minimum_functionality(predict),
    }


# --8<-- [end:core]


def main():
    rng = np.random.default_rng(0)
    models = model_variants(rng)
    x_test, y_test = make_listings(N_TEST, rng)
    x_next, y_next = make_listings(N_TEST, rng, period=1)
    widths = {"accuracy": 15, "invariance": 16, "directional": 18, "minimum": 23}
    header = "".join(f"{name:<{w}}" for name, w in widths.items())
    print(f"{'model':<28}{header}{'verdict':<9}accuracy next period")
    for name, predict in models.items():
        gate = release_gate(predict, x_test, y_test, rng)
        cells = [f"{'ok' if ok else 'FAIL'} {why}" for ok, why in gate.values()]
        verdict = "ship" if all(ok for ok, _ in gate.values()) else "blocked"
        row = "".join(f"{c:<{w}}" for c, w in zip(cells, widths.values(), strict=True))
        later = np.mean((predict(x_next) >= 0.5) == y_next)
        print(f"{name:<28}{row}{verdict:<9}{later:.1%}")


if __name__ == "__main__":
    main()
