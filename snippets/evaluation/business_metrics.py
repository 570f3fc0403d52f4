"""A metric that matches the business objective: the cost of a fraud-review policy.

Four ways to decide which card transactions to send to manual review are compared: approve
everything, today's rule (flag large amounts), a logistic regression at the default threshold,
and the same model at the threshold its error costs imply. Accuracy ranks them one way and
money another. A paired bootstrap then asks whether the model's saving over the rule is real,
on a large and on a small test set.
"""

import numpy as np
import torch
from torch import nn

N_TRAIN, N_TEST, N_SMALL = 20_000, 20_000, 2_000
COST_MISSED_FRAUD = 100.0  # money lost on a fraud that is approved
COST_FALSE_ALARM = 5.0  # a review by an analyst and an annoyed customer
FEATURES = ("log amount", "new device", "distance from home", "night time")


def make_transactions(n: int, rng: np.random.Generator):
    """Standardised features and fraud labels (about 2% fraud)."""
    amount, distance = rng.normal(size=n), rng.normal(size=n)
    new_device, night = rng.random(n) < 0.1, rng.random(n) < 0.2
    logit = -5.0 + 1.0 * amount + 1.8 * new_device + 0.8 * distance + 1.0 * night
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    x = np.stack([amount, new_device, distance, night], axis=1).astype(np.float32)
    return x, y


def fit_logistic(x: np.ndarray, y: np.ndarray, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Linear(x.shape[1], 1)
    optimizer = torch.optim.LBFGS(model.parameters(), max_iter=50, line_search_fn="strong_wolfe")
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).float()

    def closure():
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(xt).squeeze(1), yt)
        loss.backward()
        return loss

    optimizer.step(closure)
    return model


@torch.no_grad()
def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    return torch.sigmoid(model(torch.from_numpy(x)).squeeze(1)).double().numpy()


# --8<-- [start:core]
def cost_per_example(flagged, fraud) -> np.ndarray:
    """What each decision costs: a missed fraud or a needless review; the rest cost nothing."""
    flagged, fraud = np.asarray(flagged, bool), np.asarray(fraud, bool)
    return COST_MISSED_FRAUD * (fraud & ~flagged) + COST_FALSE_ALARM * (~fraud & flagged)


def cost_threshold(cost_missed: float = COST_MISSED_FRAUD, cost_alarm: float = COST_FALSE_ALARM):
    """Flag when the expected cost of approving, p * cost_missed, exceeds that of reviewing,
    (1 - p) * cost_alarm: p > cost_alarm / (cost_alarm + cost_missed). Needs calibrated p."""
    return cost_alarm / (cost_alarm + cost_missed)


def tune_rule(amount: np.ndarray, fraud: np.ndarray) -> float:
    """Today's rule, 'review amounts above t', with t chosen on TRAINING data to minimise cost:
    a heuristic baseline deserves the same tuning as the model."""
    candidates = np.quantile(amount, np.linspace(0.5, 0.999, 300))
    costs = [cost_per_example(amount > t, fraud).mean() for t in candidates]
    return float(candidates[int(np.argmin(costs))])


def report(flagged, fraud) -> dict[str, float]:
    flagged, fraud = np.asarray(flagged, bool), np.asarray(fraud, bool)
    tp = np.sum(flagged & fraud)
    return {
        "accuracy": float(np.mean(flagged == fraud)),
        "precision": float(tp / flagged.sum()) if flagged.any() else 0.0,
        "recall": float(tp / fraud.sum()),
        "flagged": float(flagged.mean()),
        "cost per 1000": float(1000 * cost_per_example(flagged, fraud).mean()),
    }


def paired_bootstrap(cost_a, cost_b, rng, repeats: int = 1000, level: float = 0.95):
    """Mean of cost_a - cost_b per 1000 transactions, with a percentile interval from
    resampling TRANSACTIONS (both policies see the same resample, hence 'paired')."""
    diff = 1000 * (np.asarray(cost_a) - np.asarray(cost_b))
    means = [diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(repeats)]
    tail = (1 - level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(diff.mean()), float(low), float(high)


# --8<-- [end:core]


def policies(seed: int = 0):
    """Each policy's review decisions on the test set, and the test labels."""
    rng = np.random.default_rng(seed)
    x_train, y_train = make_transactions(N_TRAIN, rng)
    x_test, y_test = make_transactions(N_TEST, rng)
    rule_t = tune_rule(x_train[:, 0], y_train)
    p = predict(fit_logistic(x_train, y_train, seed), x_test)
    return {
        "approve everything": np.zeros(N_TEST, bool),
        "rule: amount > t": x_test[:, 0] > rule_t,
        "model, p > 0.5": p > 0.5,
        f"model, p > {cost_threshold():.3f}": p > cost_threshold(),
    }, y_test


def main():
    torch.set_num_threads(1)
    decisions, fraud = policies()
    print(f"Test set: {N_TEST:,} transactions, {fraud.mean():.1%} fraud. Costs: missed fraud")
    print(f"{COST_MISSED_FRAUD:.0f}, needless review {COST_FALSE_ALARM:.0f}.\n")
    print(f"{'policy':<22}{'accuracy':>10}{'precision':>11}{'recall':>8}{'flagged':>9}", end="")
    print(f"{'cost/1000':>11}")
    for name, flagged in decisions.items():
        r = report(flagged, fraud)
        print(f"{name:<22}{r['accuracy']:>10.4f}{r['precision']:>11.3f}{r['recall']:>8.3f}", end="")
        print(f"{r['flagged']:>9.3f}{r['cost per 1000']:>11.0f}")

    names = list(decisions)
    model, rule = decisions[names[3]], decisions[names[1]]
    cost_model, cost_rule = cost_per_example(model, fraud), cost_per_example(rule, fraud)
    rng = np.random.default_rng(1)
    print(f"\nCost of '{names[3]}' minus cost of the rule, per 1000 transactions:")
    for label, n in (
        (f"all {N_TEST:,} test transactions", N_TEST),
        (f"first {N_SMALL:,}", N_SMALL),
    ):
        mean, low, high = paired_bootstrap(cost_model[:n], cost_rule[:n], rng)
        print(f"  {label:<30}{mean:>8.0f}   95% interval {low:>6.0f} to {high:>5.0f}")


if __name__ == "__main__":
    main()
