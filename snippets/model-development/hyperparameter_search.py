"""Grid, random and Bayesian hyperparameter search with the same budget on a real objective.

The objective is the validation loss of a small MLP as a function of log10 learning rate (which
matters a lot) and log10 weight decay (which matters little), as in Bergstra and Bengio (2012).
"""

import functools
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

# Search space, in log10 units: (low, high) for learning rate, then weight decay.
BOUNDS = np.array([[-4.0, 0.0], [-6.0, -2.0]])
NAMES = ("log10 learning rate", "log10 weight decay")
BUDGET = 9  # trials per search: a 3 x 3 grid
SEEDS = (0, 1, 2, 3, 4)
N_INITIAL = 3  # random trials before Bayesian optimisation starts modelling


def two_moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles in 2-D, classes balanced: float32 (n, 2), int64 labels."""
    labels = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, size=n)
    x = np.where(labels == 0, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle))
    features = np.stack([x, y], axis=1) + rng.normal(0.0, noise, size=(n, 2))
    order = rng.permutation(n)
    return features[order].astype(np.float32), labels[order].astype(np.int64)


def make_objective(n_train: int = 1000, steps: int = 100, width: int = 32):
    """Return f(log10_lr, log10_wd) -> validation cross-entropy of an MLP on two moons.

    Data and initial weights are fixed, so the objective is a deterministic function of the two
    hyperparameters and every search method faces exactly the same problem.
    """
    x, y = map(torch.from_numpy, two_moons(n_train, 0.3, np.random.default_rng(0)))
    x_val, y_val = map(torch.from_numpy, two_moons(1000, 0.3, np.random.default_rng(1)))
    worst = math.log(2)  # loss of a coin flip: what a diverged run is worth

    # Deterministic, so a trial asked for twice (Bayesian search starts from the same random
    # points as random search with the same seed) is trained once and then looked up.
    @functools.cache
    def validation_loss(log10_lr: float, log10_wd: float) -> float:
        torch.manual_seed(0)  # the same initial weights for every trial
        model = nn.Sequential(
            nn.Linear(2, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 2)
        )
        opt = torch.optim.Adam(
            model.parameters(), lr=10**log10_lr, weight_decay=10**log10_wd, fused=True
        )
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        with torch.no_grad():
            loss = nn.functional.cross_entropy(model(x_val), y_val).item()
        # A trial that blows up must not wreck the surrogate model's scale.
        return min(loss, worst) if math.isfinite(loss) else worst

    return validation_loss


def from_unit(u: np.ndarray) -> np.ndarray:
    """Map points of the unit square to the search space."""
    return BOUNDS[:, 0] + u * (BOUNDS[:, 1] - BOUNDS[:, 0])


def run_trials(objective, points: np.ndarray):
    losses = np.array([objective(*p) for p in points])
    return points, losses


def grid_search(objective, budget: int = BUDGET):
    # A k x k grid spends its budget on only k distinct values of each hyperparameter.
    k = math.isqrt(budget)
    axis = np.linspace(0.0, 1.0, k)
    grid = np.array([(a, b) for a in axis for b in axis])
    return run_trials(objective, from_unit(grid))


def random_search(objective, budget: int = BUDGET, rng=None):
    rng = rng if rng is not None else np.random.default_rng(0)
    return run_trials(objective, from_unit(rng.random((budget, 2))))


# --8<-- [start:core]
def rbf_kernel(a: np.ndarray, b: np.ndarray, length_scale: float = 0.2) -> np.ndarray:
    sq_dist = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1)
    return np.exp(-0.5 * sq_dist / length_scale**2)


def gp_posterior(x_train, y_train, x_query, length_scale: float = 0.2, noise: float = 1e-6):
    """Mean and variance of a zero-mean, unit-variance Gaussian process at `x_query`."""
    k_train = rbf_kernel(x_train, x_train, length_scale) + noise * np.eye(len(x_train))
    k_cross = rbf_kernel(x_train, x_query, length_scale)
    chol = np.linalg.cholesky(k_train)  # stable solve instead of an explicit inverse
    alpha = np.linalg.solve(chol.T, np.linalg.solve(chol, y_train))
    v = np.linalg.solve(chol, k_cross)
    mean = k_cross.T @ alpha
    variance = np.clip(1.0 - (v**2).sum(axis=0), 0.0, None)
    return mean, variance


def expected_improvement(mean, variance, best: float, xi: float = 0.01):
    """Expected amount by which a point beats `best` (we minimise), under the GP's belief."""
    sd = np.sqrt(variance)
    improvement = best - mean - xi
    z = improvement / np.maximum(sd, 1e-12)
    cdf = 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * z**2) / math.sqrt(2.0 * math.pi)
    ei = improvement * cdf + sd * pdf
    return np.where(sd > 1e-12, np.maximum(ei, 0.0), np.maximum(improvement, 0.0))


def bayesian_search(objective, budget: int = BUDGET, rng=None, n_candidates: int = 2000):
    """A few random trials, then each next trial maximises expected improvement."""
    rng = rng if rng is not None else np.random.default_rng(0)
    units = list(rng.random((N_INITIAL, 2)))
    losses = [objective(*from_unit(u)) for u in units]
    while len(losses) < budget:
        y = np.array(losses)
        y_norm = (y - y.mean()) / (y.std() if y.std() > 0 else 1.0)  # GP assumes unit scale
        candidates = rng.random((n_candidates, 2))
        mean, variance = gp_posterior(np.array(units), y_norm, candidates)
        best_next = candidates[np.argmax(expected_improvement(mean, variance, y_norm.min()))]
        units.append(best_next)
        losses.append(objective(*from_unit(best_next)))
    return from_unit(np.array(units)), np.array(losses)


# --8<-- [end:core]


def distinct_values(points: np.ndarray, column: int, decimals: int = 2) -> int:
    return len(np.unique(points[:, column].round(decimals)))


def plot_best_so_far(curves: dict, grid_best: float, budget: int, zoom_from: int = 4):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    trials = np.arange(1, budget + 1)
    for ax in axes:
        # A grid's best-so-far curve depends on the order its cells are visited; its final
        # value does not, so the grid is drawn as a level line.
        ax.axhline(grid_best, color="C0", linestyle="--", label=f"grid, best of all {budget}")
        for colour, (name, runs) in zip(("C1", "C2"), curves.items(), strict=True):
            median = np.median(runs, axis=0)
            ax.plot(trials, median, marker="o", color=colour, label=f"{name}, median")
            ax.fill_between(trials, runs.min(axis=0), runs.max(axis=0), color=colour, alpha=0.2)
        ax.set_xlabel("trial number")
        ax.set_ylabel("best validation loss so far (nats)")
        ax.set_xticks(trials)
    axes[0].set_title("all trials")
    axes[0].legend()
    # Zoom on the last trials, where the differences between methods are small.
    tail = np.concatenate([runs[:, zoom_from - 1 :].ravel() for runs in curves.values()])
    margin = 0.1 * (max(tail.max(), grid_best) - tail.min())
    axes[1].set_xlim(zoom_from - 0.3, budget + 0.3)
    axes[1].set_ylim(tail.min() - margin, max(tail.max(), grid_best) + margin)
    axes[1].set_title(f"zoom on trials {zoom_from} to {budget}")
    fig.tight_layout()
    return fig


def print_grid(points, losses):
    k = math.isqrt(len(losses))
    print("Grid: validation loss (nats); rows = learning rate, columns = weight decay")
    print(f"{'lr / wd':>9}" + "".join(f"{10**w:>9.0e}" for w in points[:k, 1]))
    for row in range(k):
        cells = "".join(f"{v:>9.3f}" for v in losses[row * k : (row + 1) * k])
        print(f"{10 ** points[row * k, 0]:>9.0e}{cells}")


def print_summary(results):
    print(f"\n{BUDGET} trials per search. Random and Bayesian search (GP + EI after {N_INITIAL}")
    print(f"random trials) ran with {len(SEEDS)} seeds; the grid is deterministic.")
    print("Best validation loss found (nats), and distinct values tried (to 0.01 decade):")
    print(f"{'method':<10}{'median':>8}{'min':>8}{'max':>8}{'distinct lr':>13}{'distinct wd':>13}")
    for name, runs in results.items():
        best = np.array([losses.min() for _, losses in runs])
        lrs = np.median([distinct_values(points, 0) for points, _ in runs])
        wds = np.median([distinct_values(points, 1) for points, _ in runs])
        stats = f"{np.median(best):>8.3f}{best.min():>8.3f}{best.max():>8.3f}"
        print(f"{name:<10}{stats}{lrs:>13.0f}{wds:>13.0f}")
    all_losses = np.concatenate([losses for runs in results.values() for _, losses in runs])
    print(f"Lowest loss in any of the {all_losses.size} trials run here: {all_losses.min():.3f}")


def main():
    objective = make_objective()
    results = {"grid": [grid_search(objective)]}  # deterministic: one run stands for all seeds
    # Same seed, same first trials: Bayesian search starts from random search's first points.
    results["random"] = [random_search(objective, rng=np.random.default_rng(s)) for s in SEEDS]
    results["Bayesian"] = [bayesian_search(objective, rng=np.random.default_rng(s)) for s in SEEDS]
    grid_points, grid_losses = results["grid"][0]
    print_grid(grid_points, grid_losses)
    print_summary(results)

    curves = {
        name: np.array([np.minimum.accumulate(losses) for _, losses in results[name]])
        for name in ("random", "Bayesian")
    }
    finals = {"grid": grid_losses.min(), **{n: np.median(c[:, -1]) for n, c in curves.items()}}
    winner = min(finals, key=finals.get)
    alt = (
        f"Two panels plotting the best validation loss found so far against trial number, 1 to "
        f"{BUDGET}; the left shows all trials, the right zooms on the last ones. A dashed level "
        "line marks the grid's best after all its trials; random and Bayesian search are drawn "
        "as medians over seeds with a band from the best to the worst seed, and share their "
        f"first {N_INITIAL} trials. Final values: grid {finals['grid']:.3f}, random "
        f"{finals['random']:.3f}, Bayesian {finals['Bayesian']:.3f} nats."
    )
    caption = (
        f"With {BUDGET} trials the grid tries {distinct_values(grid_points, 0)} learning rates and "
        f"random search {BUDGET}. After {BUDGET} trials the three methods end within "
        f"{max(finals.values()) - min(finals.values()):.3f} nats of each other; {winner} search "
        "is lowest."
    )
    fig = plot_best_so_far(curves, grid_losses.min(), BUDGET)
    fig.savefig("hyperparameter_search.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
