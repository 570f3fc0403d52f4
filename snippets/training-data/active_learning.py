"""Getting more from few labels: active learning, self-training and nearest-neighbour labels.

Part 1: with a labelling budget, ask for the labels the current model is least sure about
(uncertainty sampling) instead of random ones, and compare test accuracy as the budget grows.
Part 2: with 20 labels, add machine-made labels for the unlabelled pool, either from the
model's own confident predictions (self-training) or from the nearest labelled neighbour.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

POOL, TEST, NOISE = 2_000, 2_000, 0.2
START, STEP, BUDGET = 10, 10, 100
SEEDS = (0, 1, 2)
FEW_LABELS, PART2_SEEDS = 20, (0, 1, 2, 3, 4)
TRAIN_STEPS = 120


def two_moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles in 2-D, classes balanced: float32 (n, 2), int64 labels."""
    labels = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, size=n)
    x = np.where(labels == 0, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle))
    features = np.stack([x, y], axis=1) + rng.normal(0.0, noise, size=(n, 2))
    order = rng.permutation(n)
    return features[order].astype(np.float32), labels[order].astype(np.int64)


def train(x: np.ndarray, y: np.ndarray, seed: int, steps: int = TRAIN_STEPS) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
    model.append(nn.Linear(32, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=1e-3, fused=True)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(xt), yt).backward()
        optimizer.step()
    return model


@torch.no_grad()
def probabilities(model: nn.Module, x: np.ndarray) -> np.ndarray:
    return torch.softmax(model(torch.from_numpy(x)), dim=1)[:, 1].numpy()


def accuracy(model, x, y) -> float:
    return float(np.mean((probabilities(model, x) > 0.5) == y))


# --8<-- [start:core]
def choose_next(model, x_pool, labelled: np.ndarray, k: int, strategy: str, rng) -> np.ndarray:
    """Indices of k unlabelled pool points to send to the labellers next."""
    candidates = np.flatnonzero(~labelled)
    if strategy == "random":
        return rng.choice(candidates, k, replace=False)
    uncertainty = -np.abs(probabilities(model, x_pool[candidates]) - 0.5)  # near 0.5: unsure
    return candidates[np.argsort(uncertainty)[-k:]]


def active_learning_curve(x_pool, y_pool, x_test, y_test, strategy: str, seed: int):
    """Test accuracy after each round: START random labels, then STEP more per round."""
    rng = np.random.default_rng(seed)
    labelled = np.zeros(len(y_pool), dtype=bool)
    labelled[rng.choice(len(y_pool), START, replace=False)] = True
    curve = []
    while True:
        model = train(x_pool[labelled], y_pool[labelled], seed)
        curve.append(accuracy(model, x_test, y_test))
        if labelled.sum() >= BUDGET:
            return np.array(curve)
        labelled[choose_next(model, x_pool, labelled, STEP, strategy, rng)] = True


def self_training(x_lab, y_lab, x_pool, seed: int, rounds: int = 3, confident: float = 0.95):
    """Train, add the pool points predicted with probability >= `confident` as pseudo-labels,
    retrain on labels plus pseudo-labels; repeat. Returns the last model."""
    x, y = x_lab, y_lab
    for _ in range(rounds):
        model = train(x, y, seed)
        p = probabilities(model, x_pool)
        sure = (p >= confident) | (p <= 1 - confident)
        x = np.concatenate([x_lab, x_pool[sure]])
        y = np.concatenate([y_lab, (p[sure] > 0.5).astype(np.int64)])
    return train(x, y, seed)


def nearest_neighbour_labels(x_lab, y_lab, x_pool) -> np.ndarray:
    """Give every pool point the label of its nearest labelled point (Euclidean)."""
    distances = ((x_pool[:, None, :] - x_lab[None, :, :]) ** 2).sum(axis=2)
    return y_lab[np.argmin(distances, axis=1)]


# --8<-- [end:core]


def plot_curves(sizes, curves):
    fig, ax = plt.subplots(figsize=(7, 4))
    for strategy, runs in curves.items():
        mean = runs.mean(axis=0)
        ax.plot(sizes, 100 * mean, "o-", label=f"{strategy} (mean of {len(runs)} seeds)")
        ax.fill_between(sizes, 100 * runs.min(axis=0), 100 * runs.max(axis=0), alpha=0.2, lw=0)
    ax.set_xlabel("labels bought")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def main():
    torch.set_num_threads(1)
    x_test, y_test = two_moons(TEST, NOISE, np.random.default_rng(100))
    sizes = np.arange(START, BUDGET + 1, STEP)
    curves = {"random": [], "uncertainty sampling": []}
    for seed in SEEDS:
        x_pool, y_pool = two_moons(POOL, NOISE, np.random.default_rng(seed))
        for strategy in curves:
            curves[strategy].append(
                active_learning_curve(x_pool, y_pool, x_test, y_test, strategy, seed)
            )
    curves = {k: np.array(v) for k, v in curves.items()}
    print(f"Part 1. Two moons (noise {NOISE}), pool of {POOL:,} unlabelled points, test set of")
    print(f"{TEST:,}; {START} random labels, then {STEP} per round. Test accuracy, mean of")
    print(f"{len(SEEDS)} seeds:\n")
    print(f"{'labels':>7}" + "".join(f"{name:>22}" for name in curves))
    for j, n in enumerate(sizes):
        print(f"{n:>7}" + "".join(f"{c[:, j].mean():>22.3f}" for c in curves.values()))

    print(
        f"\nPart 2. {FEW_LABELS} random labels and the unlabelled pool; {len(PART2_SEEDS)} seeds\n"
    )
    rows = {f"{FEW_LABELS} labels only": [], "self-training": [], "nearest-neighbour labels": []}
    for seed in PART2_SEEDS:
        x_pool, y_pool = two_moons(POOL, NOISE, np.random.default_rng(seed))
        lab = np.random.default_rng(seed + 50).choice(POOL, FEW_LABELS, replace=False)
        x_lab, y_lab = x_pool[lab], y_pool[lab]
        rows[f"{FEW_LABELS} labels only"].append(
            accuracy(train(x_lab, y_lab, seed), x_test, y_test)
        )
        model = self_training(x_lab, y_lab, x_pool, seed)
        rows["self-training"].append(accuracy(model, x_test, y_test))
        y_nn = nearest_neighbour_labels(x_lab, y_lab, x_pool)
        rows["nearest-neighbour labels"].append(accuracy(train(x_pool, y_nn, seed), x_test, y_test))
    print(f"{'method':<28}{'mean':>8}{'worst':>8}{'best':>8}")
    for name, accs in rows.items():
        print(f"{name:<28}{np.mean(accs):>8.3f}{np.min(accs):>8.3f}{np.max(accs):>8.3f}")

    rnd, unc = (c.mean(axis=0) for c in curves.values())
    fig = plot_curves(sizes, curves)
    alt = (
        f"Test accuracy against the number of labels bought, from {START} to {BUDGET}, for "
        "random labelling and uncertainty sampling, with shaded bands from the worst to the "
        f"best of {len(SEEDS)} seeds. Both start at {100 * rnd[0]:.0f}%. At {sizes[4]} labels "
        f"random reaches {100 * rnd[4]:.1f}% and uncertainty sampling {100 * unc[4]:.1f}%; at "
        f"{BUDGET}, {100 * rnd[-1]:.1f}% and {100 * unc[-1]:.1f}%."
    )
    reach = np.flatnonzero(unc >= rnd[-1])
    reach = f"{sizes[reach[0]]} labels" if reach.size else "none of these budgets"
    worst = curves["uncertainty sampling"].min(axis=0)
    dip = int(np.argmin(worst - curves["random"].min(axis=0)))
    caption = (
        f"Random labelling reaches {100 * rnd[-1]:.1f}% with {BUDGET} labels; asking for the "
        f"points the model is least sure about gets there with {reach}. Early on it is riskier: "
        f"a poor first model asks about the wrong region, and one seed falls to "
        f"{100 * worst[dip]:.0f}% at {sizes[dip]} labels."
    )
    fig.savefig("active_learning.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
