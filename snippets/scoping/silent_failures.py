"""Operational failures raise errors; ML failures return wrong answers without one.

A small fraud model is served on five kinds of traffic. A malformed request fails loudly. A unit
change upstream, a feature that silently defaults to 0 and a change in what fraud looks like all
return well-formed probabilities and no error, while what the model does changes underneath.
Checks on the inputs catch the first two; only labels catch the last.
"""

import numpy as np

FEATURES = ("amount ($)", "account age (days)", "payments in last 24 h")
PREVALENCE = 0.03
N_TRAIN, N_LIVE = 20_000, 10_000
THRESHOLD = 0.5


def transactions(n: int, rng: np.random.Generator, fraud_uses_old_accounts: bool = False):
    """Raw feature rows (amount in dollars, account age in days, recent payment count) and labels.

    Fraud is larger, comes from young accounts and in bursts; with `fraud_uses_old_accounts`,
    fraudsters have switched to taken-over old accounts (a change in the concept, not the inputs).
    """
    fraud = rng.random(n) < PREVALENCE
    amount = np.exp(rng.normal(np.where(fraud, 4.8, 3.5), 1.0))
    young = fraud & ~fraud_uses_old_accounts
    age = rng.exponential(np.where(young, 20.0, 700.0))
    recent = rng.poisson(np.where(fraud, 6.0, 2.0))
    return np.stack([amount, age, recent], axis=1), fraud.astype(np.int64)


def encode(raw: np.ndarray) -> np.ndarray:
    """Model inputs: log amount, log account age, payment count."""
    return np.stack([np.log1p(raw[:, 0]), np.log1p(raw[:, 1]), raw[:, 2]], axis=1)


def fit_logistic(x, y, steps: int = 2000, lr: float = 0.5):
    """Standardise, then logistic regression by full-batch gradient descent (NumPy only)."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    z = np.column_stack([(x - mean) / std, np.ones(len(x))])
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        w -= lr * z.T @ (p - y) / len(y)
    return {"mean": mean, "std": std, "w": w}


# --8<-- [start:core]
def serve(model, raw: np.ndarray) -> np.ndarray:
    """The prediction service. It checks what software can check: shape and finiteness."""
    raw = np.asarray(raw, dtype=float)
    if raw.ndim != 2 or raw.shape[1] != len(FEATURES) or not np.isfinite(raw).all():
        raise ValueError(f"bad request: expected rows of {len(FEATURES)} finite numbers")
    z = np.column_stack([(encode(raw) - model["mean"]) / model["std"], np.ones(len(raw))])
    return 1 / (1 + np.exp(-z @ model["w"]))


def reference_ranges(raw_train: np.ndarray, lo: float = 0.005, hi: float = 0.995):
    """Per-feature range that holds 99% of the training data."""
    return np.quantile(raw_train, [lo, hi], axis=0)


def out_of_range_share(raw: np.ndarray, ranges) -> np.ndarray:
    """Per feature, the share of live values outside the training range (about 1% when healthy)."""
    return np.mean((raw < ranges[0]) | (raw > ranges[1]), axis=0)


def run_scenario(model, ranges, raw, labels, threshold: float = THRESHOLD) -> dict:
    """Serve one batch of traffic and collect what each kind of monitoring would see."""
    try:
        flags = serve(model, raw) >= threshold
    except ValueError:
        return {"errors": 1.0}  # every request failed, loudly
    tp = np.sum(flags & (labels == 1))
    return {
        "errors": 0.0,
        "flag rate": float(flags.mean()),
        "precision": float(tp / max(flags.sum(), 1)),
        "recall": float(tp / max(labels.sum(), 1)),
        "worst out-of-range": float(out_of_range_share(raw, ranges).max()),
    }


# --8<-- [end:core]


def main() -> None:
    rng = np.random.default_rng(0)
    raw_train, y_train = transactions(N_TRAIN, rng)
    model = fit_logistic(encode(raw_train), y_train)
    ranges = reference_ranges(raw_train)

    raw, y = transactions(N_LIVE, rng)
    cents = raw.copy()
    cents[:, 0] *= 100  # upstream now sends amounts in cents
    defaulted = raw.copy()
    defaulted[:, 1] = 0  # the account service times out; the client fills in 0
    scenarios = {
        "healthy traffic": (raw, y),
        "malformed request (2 fields)": (raw[:, :2], y),
        "amount sent in cents": (cents, y),
        "account age defaults to 0": (defaulted, y),
        "fraud moves to old accounts": transactions(N_LIVE, rng, fraud_uses_old_accounts=True),
    }
    columns = ["errors", "flag rate", "precision", "recall", "worst out-of-range"]
    print(
        f"Fraud model served on {N_LIVE:,} live transactions per scenario "
        f"({PREVALENCE:.0%} fraud), flag when p >= {THRESHOLD}\n"
    )
    print(
        f"{'scenario':<31}"
        + "".join(f"{c:>10}" if c != columns[-1] else f"{c:>20}" for c in columns)
    )
    for name, (batch, labels) in scenarios.items():
        result = run_scenario(model, ranges, batch, labels)
        cells = [f"{result[c]:>10.3f}" if c in result else f"{'-':>10}" for c in columns[:-1]]
        last = result.get(columns[-1])
        cells.append(f"{last:>20.3f}" if last is not None else f"{'-':>20}")
        print(f"{name:<31}" + "".join(cells))
    print("\nerrors: share of requests that raised. worst out-of-range: largest share of values of")
    print("one feature outside the range that holds 99% of the training data (healthy: ~0.01).")


if __name__ == "__main__":
    main()
