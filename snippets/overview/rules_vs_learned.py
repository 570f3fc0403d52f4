"""Traditional software: inputs + rules -> outputs. ML: inputs + outputs -> rules.

Three patterns of growing complexity. The "rule" is the best a person could write with at most
two nested if-statements on single features (its thresholds searched on the training data, so
it is about as good as such a handwritten rule can be). The learned model is one small MLP,
trained by the same code on each pattern's examples.
"""

import numpy as np
import torch
from torch import nn


# --8<-- [start:patterns]
def one_threshold(x: np.ndarray) -> np.ndarray:
    return x[:, 0] > 0.3  # e.g. "flag orders above an amount"


def ring(x: np.ndarray) -> np.ndarray:
    return x[:, 0] ** 2 + x[:, 1] ** 2 < 1.5  # positive inside a circle


def checkerboard(x: np.ndarray) -> np.ndarray:
    return (np.floor(x[:, 0]) + np.floor(x[:, 1])) % 2 == 0  # 4 x 4 squares on [-2, 2]^2


PATTERNS = {"one threshold": one_threshold, "ring": ring, "checkerboard": checkerboard}
# --8<-- [end:patterns]


def sample(pattern, n: int, rng: np.random.Generator):
    x = rng.uniform(-2.0, 2.0, size=(n, 2)).astype(np.float32)
    return x, pattern(x).astype(np.int64)


def best_stump(x: np.ndarray, y: np.ndarray, n_thresholds: int = 40):
    """The single `if x[f] > t: a else: b` with the fewest errors on (x, y).

    Returns (errors, feature, threshold, label_if_above, label_if_not).
    """
    best = (len(y) + 1, 0, 0.0, 1, 0)
    if len(y) == 0:
        return (0, 0, 0.0, 1, 0)
    for f in range(x.shape[1]):
        thresholds = np.quantile(x[:, f], np.linspace(0.0, 1.0, n_thresholds))
        above = x[:, f][None, :] > thresholds[:, None]  # (thresholds, examples)
        pos_above = (above & (y == 1)).sum(axis=1)
        pos_below = ((~above) & (y == 1)).sum(axis=1)
        n_above = above.sum(axis=1)
        # each side takes its majority label; errors are the minority on each side
        errors = np.minimum(pos_above, n_above - pos_above) + np.minimum(
            pos_below, len(y) - n_above - pos_below
        )
        i = int(np.argmin(errors))
        if errors[i] < best[0]:
            label_above = int(pos_above[i] * 2 >= n_above[i])
            label_below = int(pos_below[i] * 2 >= len(y) - n_above[i])
            best = (int(errors[i]), f, float(thresholds[i]), label_above, label_below)
    return best


# --8<-- [start:core]
def fit_two_level_rule(x: np.ndarray, y: np.ndarray, n_thresholds: int = 40):
    """The best rule with two nested ifs: one split, then one split on each side.

    Searched exhaustively over thresholds at quantiles of each feature. Returns a function that
    applies the rule to new inputs.
    """
    best_errors, best_rule = len(y) + 1, None
    for f in range(x.shape[1]):
        for t in np.quantile(x[:, f], np.linspace(0.0, 1.0, n_thresholds)):
            side = x[:, f] > t
            above, below = best_stump(x[side], y[side]), best_stump(x[~side], y[~side])
            if above[0] + below[0] < best_errors:
                best_errors, best_rule = above[0] + below[0], (f, t, above, below)
    f, t, above, below = best_rule

    def rule(x_new: np.ndarray) -> np.ndarray:
        def leaf(stump, rows):
            _, g, s, label_above, label_below = stump
            return np.where(rows[:, g] > s, label_above, label_below)

        return np.where(x_new[:, f] > t, leaf(above, x_new), leaf(below, x_new))

    return rule


def fit_mlp(x: np.ndarray, y: np.ndarray, steps: int = 400, seed: int = 0):
    """A small MLP learns the rule from the examples; returns a prediction function."""
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2)
    )
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(xt), yt).backward()
        optimizer.step()
    model.eval()

    def predict(x_new: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x_new)).argmax(dim=1).numpy()

    return predict


# --8<-- [end:core]


def compare(n_train: int = 2000, n_test: int = 5000, seed: int = 0) -> dict[str, dict]:
    rng = np.random.default_rng(seed)
    results = {}
    for name, pattern in PATTERNS.items():
        x_train, y_train = sample(pattern, n_train, rng)
        x_test, y_test = sample(pattern, n_test, rng)
        rule, mlp = fit_two_level_rule(x_train, y_train), fit_mlp(x_train, y_train)
        results[name] = {
            "majority": max(y_test.mean(), 1 - y_test.mean()),
            "rule": np.mean(rule(x_test) == y_test),
            "mlp": np.mean(mlp(x_test) == y_test),
        }
    return results


def main() -> None:
    torch.set_num_threads(1)  # a tiny model: more threads only add overhead
    results = compare()
    print("Test accuracy on fresh examples (2,000 training examples per pattern)\n")
    print(f"{'pattern':<15}{'majority class':>16}{'best 2-if rule':>16}{'learned MLP':>13}")
    for name, r in results.items():
        print(f"{name:<15}{r['majority']:>16.3f}{r['rule']:>16.3f}{r['mlp']:>13.3f}")


if __name__ == "__main__":
    main()
