"""Learning curves: how training and validation loss move as the training set grows.

A logistic regression (high bias) and a small MLP (high variance) on two moons tell apart
"get more data" from "get a more expressive model".
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

NOISE = 0.35  # enough label overlap that memorising the training set hurts
SIZES = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
VAL_SIZE = 2000
SEEDS = (0, 1, 2)
STEPS, LR = 500, 0.02


def two_moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles in 2-D, classes balanced: float32 (n, 2), int64 labels."""
    labels = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, size=n)
    x = np.where(labels == 0, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle))
    features = np.stack([x, y], axis=1) + rng.normal(0.0, noise, size=(n, 2))
    order = rng.permutation(n)
    return features[order].astype(np.float32), labels[order].astype(np.int64)


def make_logistic() -> nn.Module:
    return nn.Linear(2, 2)  # a straight decision boundary: cannot follow the moons


def make_mlp(width: int = 64) -> nn.Module:
    return nn.Sequential(
        nn.Linear(2, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 2)
    )


def side_by_side(models, x):
    """Run k networks of one architecture at once: model i gets x[i], x is (k, n, features).

    Each Linear layer becomes one batched matrix product over the k weight matrices, which
    gives what each model would compute alone, for a fraction of the per-call overhead.
    """
    layers = [list(m) if isinstance(m, nn.Sequential) else [m] for m in models]
    h = x
    for same_layer in zip(*layers, strict=True):  # layer j of every model
        if isinstance(same_layer[0], nn.Linear):
            weight = torch.stack([layer.weight for layer in same_layer])  # (k, out, in)
            bias = torch.stack([layer.bias for layer in same_layer]).unsqueeze(1)
            h = torch.baddbmm(bias, h, weight.transpose(1, 2))
        else:
            h = same_layer[0](h)  # ReLU: no parameters, the same for all
    return h


def train_full_batch(models, x, y, steps: int = STEPS, lr: float = LR):
    """Train k models side by side, model i on (x[i], y[i]); x is (k, n, 2), y is (k, n).

    The loss is the sum of the k models' own mean losses, so each model's gradient is that of
    its own loss, and Adam updates every weight on its own: the same as k separate runs.
    """
    # No regularisation and no early stopping, on purpose: we want to see raw bias and variance.
    parameters = [p for model in models for p in model.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=lr, fused=True)
    for _ in range(steps):
        optimizer.zero_grad()
        logits = side_by_side(models, x)
        nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(
            1
        ).sum().backward()
        optimizer.step()
    return models


@torch.no_grad()
def evaluate(models, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Loss and accuracy of model i on (x[i], y[i]), for every i."""
    logits = side_by_side(models, x)
    loss = nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1)
    accuracy = (logits.argmax(dim=2) == y).float().mean(1)
    return loss.numpy(), accuracy.numpy()


# --8<-- [start:core]
def learning_curve(make_model, sizes, x_val, y_val, seeds=SEEDS, steps=STEPS, lr=LR, noise=NOISE):
    """Train a fresh model on the first n points of a training pool for each n in `sizes`.

    Each seed draws its own pool, so the subsets are nested (a larger set adds points) and the
    spread over seeds reflects both the data drawn and the initialisation. The validation set
    stays fixed. Returns arrays of shape (len(sizes),), averaged over seeds.
    """
    keys = ("train_loss", "val_loss", "train_acc", "val_acc")
    runs = {key: np.zeros((len(seeds), len(sizes))) for key in keys}
    pools = [two_moons(max(sizes), noise, np.random.default_rng(seed)) for seed in seeds]
    pool_x, pool_y = (torch.from_numpy(np.stack(arrays)) for arrays in zip(*pools, strict=True))
    val_x, val_y = x_val.expand(len(seeds), -1, -1), y_val.expand(len(seeds), -1)
    for j, n in enumerate(sizes):
        models = []
        for seed in seeds:
            torch.manual_seed(seed)  # same initial weights at every size: only n changes
            models.append(make_model())
        # The seeds' runs are independent; training them side by side only saves time.
        train_full_batch(models, pool_x[:, :n], pool_y[:, :n], steps, lr)
        runs["train_loss"][:, j], runs["train_acc"][:, j] = evaluate(
            models, pool_x[:, :n], pool_y[:, :n]
        )
        runs["val_loss"][:, j], runs["val_acc"][:, j] = evaluate(models, val_x, val_y)
    return {"sizes": np.asarray(sizes), **{key: runs[key].mean(axis=0) for key in keys}}


def crossing_size(sizes, challenger, baseline):
    """First size at which `challenger` scores higher than `baseline`, or None if it never does.

    Pass accuracies as they are and losses negated (higher must mean better).
    """
    ahead = np.flatnonzero(np.asarray(challenger) > np.asarray(baseline))
    return int(sizes[ahead[0]]) if ahead.size else None


# --8<-- [end:core]


def plot_learning_curves(curves: dict):
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for colour, (name, curve) in zip(("C0", "C1"), curves.items(), strict=True):
        for split, style in (("train", "--"), ("val", "-")):
            label = f"{name}, {'training' if split == 'train' else 'validation'}"
            ax_loss.plot(curve["sizes"], curve[f"{split}_loss"], style, color=colour, label=label)
            ax_acc.plot(curve["sizes"], 100 * curve[f"{split}_acc"], style, color=colour)
    sizes = curves[next(iter(curves))]["sizes"]
    for ax in (ax_loss, ax_acc):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(n) for n in sizes], fontsize=9)
        ax.minorticks_off()
        ax.set_xlabel("training-set size (examples, log scale)")
    # Linear below 1 nat, where most curves live; logarithmic above, for the overfit MLP.
    ax_loss.set_yscale("symlog", linthresh=1.0, linscale=2.0)
    ax_loss.set_yticks([0, 0.25, 0.5, 0.75, 1, 2, 5], ["0", "0.25", "0.5", "0.75", "1", "2", "5"])
    ax_loss.set_ylim(0, None)
    ax_loss.set_ylabel("cross-entropy (nats; log scale above 1)")
    ax_acc.set_ylabel("accuracy (%)")
    fig.legend(loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    return fig


def main():
    x_val, y_val = map(torch.from_numpy, two_moons(VAL_SIZE, NOISE, np.random.default_rng(1_000)))
    curves = {
        "logistic regression": learning_curve(make_logistic, SIZES, x_val, y_val),
        "MLP 2-64-64-2": learning_curve(make_mlp, SIZES, x_val, y_val),
    }
    logistic, mlp = curves.values()

    print(f"Two moons (noise {NOISE}), fixed validation set of {VAL_SIZE} points,")
    print(f"full-batch Adam for {STEPS} steps, mean over {len(SEEDS)} seeds\n")
    print(f"{'':>6}  {'logistic regression':^29}  {'MLP 2-64-64-2':^29}".rstrip())
    columns = "train loss  val loss  val acc"
    print(f"{'n':>6}  {columns}  {columns}")
    for j, n in enumerate(SIZES):
        cells = [
            f"{c['train_loss'][j]:10.3f}  {c['val_loss'][j]:8.3f}  {c['val_acc'][j]:7.3f}"
            for c in (logistic, mlp)
        ]
        print(f"{n:>6}  {cells[0]}  {cells[1]}")

    gap = {name: c["val_loss"] - c["train_loss"] for name, c in curves.items()}
    acc_cross = crossing_size(SIZES, mlp["val_acc"], logistic["val_acc"])
    loss_cross = crossing_size(SIZES, -mlp["val_loss"], -logistic["val_loss"])
    print("\nValidation minus training loss (the generalisation gap):")
    for name, g in gap.items():
        print(f"  {name:<20} n={SIZES[0]}: {g[0]:.3f}   n={SIZES[-1]}: {g[-1]:.3f}")
    print(f"MLP validation accuracy first beats logistic regression at n = {acc_cross}")
    print(f"MLP validation loss first beats logistic regression at n = {loss_cross}")

    fig = plot_learning_curves(curves)
    close = np.abs(gap["logistic regression"]) < 0.05
    settled = next((n for j, n in enumerate(SIZES) if close[j:].all()), None)
    overtakes = f"at {acc_cross} training examples" if acc_cross else "at none of these sizes"
    alt = (
        "Two panels sharing a log-scale x axis of training-set size from "
        f"{SIZES[0]} to {SIZES[-1]} examples. Left: cross-entropy, linear below 1 nat and "
        "logarithmic above; right: accuracy in percent. Dashed lines are training, solid lines "
        "validation; blue is logistic regression, orange the MLP. Logistic regression's curves "
        f"end at a validation accuracy of {100 * logistic['val_acc'][-1]:.0f}%. The MLP's "
        f"training loss starts at {mlp['train_loss'][0]:.3f} and its validation loss at "
        f"{mlp['val_loss'][0]:.1f}; the gap narrows to {gap['MLP 2-64-64-2'][-1]:.2f} at "
        f"{SIZES[-1]} examples, where its validation accuracy is {100 * mlp['val_acc'][-1]:.0f}%."
    )
    caption = (
        "Logistic regression's training and validation losses stay within 0.05 nats of each "
        f"other from {settled} examples on, near {logistic['val_loss'][-1]:.2f}: more data will "
        "not help a model that cannot bend. The MLP starts far worse but keeps improving, and "
        f"overtakes it in validation accuracy {overtakes}."
    )
    fig.savefig("learning_curves.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
