"""Loss versus accuracy: the four ways they can move together, on real models.

Four models are scored on the same test set: a logistic regression, a small network stopped at
its best validation loss, the same network trained far too long, and the stopped network fed
through a buggy feature pipeline that swaps two columns. Comparing pairs of them produces each of
the four combinations (accuracy up or down, loss up or down), and splitting the loss into the
part carried by correct and by wrong predictions says why.
"""

import copy

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

N_TRAIN, N_VAL, N_TEST = 500, 2_000, 6_000
NOISE = 0.35  # overlapping classes: no model can be right everywhere
STEPS, LR, EVAL_EVERY = 1_000, 0.01, 20


def two_moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles in 2-D, classes balanced: float32 (n, 2), int64 labels."""
    labels = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, size=n)
    x = np.where(labels == 0, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle))
    features = np.stack([x, y], axis=1) + rng.normal(0.0, noise, size=(n, 2))
    order = rng.permutation(n)
    return features[order].astype(np.float32), labels[order].astype(np.int64)


def make_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    return [two_moons(n, noise=NOISE, rng=rng) for n in (N_TRAIN, N_VAL, N_TEST)]


def train_linear(x, y, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Linear(2, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).float()
    for _ in range(300):
        loss = nn.functional.binary_cross_entropy_with_logits(model(xt).squeeze(1), yt)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def train_network(x, y, x_val, y_val, steps: int = STEPS, seed: int = 0):
    """Train a 2-64-64-1 network; return the checkpoint with the lowest validation loss, the
    final one, and the validation curve as (step, loss, accuracy) rows."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
    model.append(nn.Linear(64, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).float()
    best, best_loss, curve = None, np.inf, []
    for step in range(1, steps + 1):
        loss = nn.functional.binary_cross_entropy_with_logits(model(xt).squeeze(1), yt)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % EVAL_EVERY == 0:
            d = describe(logits_of(model, x_val), y_val)
            curve.append((step, d["loss"], d["accuracy"]))
            if d["loss"] < best_loss:
                best, best_loss = copy.deepcopy(model), d["loss"]
    return best, model, np.array(curve)


@torch.no_grad()
def logits_of(model: nn.Module, x: np.ndarray) -> np.ndarray:
    return model(torch.from_numpy(np.ascontiguousarray(x))).squeeze(1).double().numpy()


def fit_temperature(z, y) -> float:
    """The temperature with the lowest log loss, searched on a fine log-spaced grid."""
    grid = np.exp(np.linspace(np.log(0.2), np.log(50.0), 400))
    losses = [log_loss_from_logits(np.asarray(z) / t, y).mean() for t in grid]
    return float(grid[int(np.argmin(losses))])


# --8<-- [start:core]
def log_loss_from_logits(z, y) -> np.ndarray:
    """Per-example log loss, computed stably from logits: log(1 + e^z) - y z."""
    z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.logaddexp(0.0, z) - y * z


def describe(z, y) -> dict[str, float]:
    """Accuracy and mean log loss, and how the loss splits between right and wrong answers."""
    losses = log_loss_from_logits(z, y)
    wrong = (np.asarray(z) >= 0) != (np.asarray(y) == 1)
    confidence = 1.0 / (1.0 + np.exp(-np.abs(np.asarray(z, dtype=np.float64))))  # max(p, 1 - p)
    return {
        "accuracy": float(1 - wrong.mean()),
        "loss": float(losses.mean()),
        "errors": int(wrong.sum()),
        "loss per error": float(losses[wrong].mean()),
        "loss per correct": float(losses[~wrong].mean()),
        "confident errors": int(np.sum(wrong & (confidence >= 0.99))),
        "share of loss from errors": float(losses[wrong].sum() / losses.sum()),
    }


def quadrant(before: dict, after: dict) -> str:
    """Name the movement from `before` to `after` (both from `describe`, same test set)."""

    def direction(key: str) -> str:
        change = after[key] - before[key]
        return "up" if change > 1e-9 else "down" if change < -1e-9 else "unchanged"

    return f"accuracy {direction('accuracy')}, loss {direction('loss')}"


def score_models(seed: int = 0, steps: int = STEPS):
    """Test-set logits of every model, the test labels, the network's validation curve, and
    the temperature fitted (on validation data) to the network trained too long."""
    (x, y), (x_val, y_val), (x_test, y_test) = make_data(seed)
    linear = train_linear(x, y, seed)
    early, late, curve = train_network(x, y, x_val, y_val, steps, seed)
    temperature = fit_temperature(logits_of(late, x_val), y_val)
    logits = {
        "logistic regression": logits_of(linear, x_test),
        "network, stopped early": logits_of(early, x_test),
        "network, trained too long": logits_of(late, x_test),
        "too long, temperature-scaled": logits_of(late, x_test) / temperature,
        "stopped early, columns swapped": logits_of(early, x_test[:, ::-1]),
    }
    return logits, y_test, curve, temperature


COMPARISONS = [  # (before, after, what the change was)
    ("logistic regression", "network, stopped early", "a better model"),
    ("logistic regression", "network, trained too long", "more capacity, trained too long"),
    ("network, trained too long", "logistic regression", "back to the simple model"),
    ("network, stopped early", "stopped early, columns swapped", "a feature pipeline bug"),
    ("network, trained too long", "too long, temperature-scaled", "the same, temperature-scaled"),
]


# --8<-- [end:core]


def plot_curve(curve, early_step: int):
    steps, loss, accuracy = curve.T
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6), sharex=True)
    ax1.plot(steps, loss, color="C0")
    ax1.set_ylabel("validation log loss")
    ax2.plot(steps, accuracy, color="C1")
    ax2.set_ylabel("validation accuracy")
    for ax in (ax1, ax2):
        ax.axvline(early_step, color="0.55", ls="--", lw=1.2)
        ax.set_xlabel("training step")
    ax1.text(early_step, loss.max(), "  lowest loss", va="top", fontsize=9)
    ax2.set_ylim(min(0.75, accuracy.min() - 0.02), max(0.95, accuracy.max() + 0.02))
    fig.tight_layout()
    return fig


def main():
    torch.set_num_threads(1)
    logits, y_test, curve, temperature = score_models()
    stats = {name: describe(z, y_test) for name, z in logits.items()}

    print(f"Test set: {N_TEST} examples. Temperature fitted for the long-trained network:", end="")
    print(f" {temperature:.1f}")
    print(f"\n{'model':<32}{'acc':>7}{'loss':>7}{'errors':>8}{'loss/err':>10}", end="")
    print(f"{'loss/ok':>9}{'errors at p>=0.99':>19}")
    for name, s in stats.items():
        print(f"{name:<32}{s['accuracy']:>7.3f}{s['loss']:>7.3f}{s['errors']:>8}", end="")
        print(f"{s['loss per error']:>10.2f}{s['loss per correct']:>9.3f}", end="")
        print(f"{s['confident errors']:>19}")

    print(f"\n{'change':<32}{'d acc':>8}{'d loss':>8}   movement")
    for before, after, why in COMPARISONS:
        b, a = stats[before], stats[after]
        print(
            f"{why:<32}{a['accuracy'] - b['accuracy']:>+8.3f}{a['loss'] - b['loss']:>+8.3f}", end=""
        )
        print(f"   {quadrant(b, a)}")

    early_step = int(curve[np.argmin(curve[:, 1]), 0])
    fig = plot_curve(curve, early_step)
    final_loss, final_acc = curve[-1, 1], curve[-1, 2]
    best = curve[np.argmin(curve[:, 1])]
    alt = (
        "Two line charts over training steps of the small network. Left: validation log loss "
        f"falls to {best[1]:.2f} at step {early_step}, marked by a dashed line, then climbs to "
        f"{final_loss:.2f} by step {int(curve[-1, 0])}. Right: validation accuracy is "
        f"{best[2]:.3f} at the dashed line and {final_acc:.3f} at the end, a much smaller change."
    )
    caption = (
        "Training past the lowest validation loss: the loss climbs steeply while the accuracy "
        "barely moves. The network keeps most of its decisions but becomes ever more certain "
        "of them, including the wrong ones."
    )
    fig.savefig("loss_vs_accuracy_curve.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
