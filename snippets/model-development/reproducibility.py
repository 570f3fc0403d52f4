"""Seeds make runs repeatable; train and eval mode make the same model compute different things.

Dropout and BatchNorm behave differently in model.train() and model.eval(), and torch.no_grad()
does not switch between them.
"""

import numpy as np
import torch
from torch import nn


def two_moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles in 2-D, classes balanced: float32 (n, 2), int64 labels."""
    labels = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, size=n)
    x = np.where(labels == 0, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle))
    features = np.stack([x, y], axis=1) + rng.normal(0.0, noise, size=(n, 2))
    order = rng.permutation(n)
    return features[order].astype(np.float32), labels[order].astype(np.int64)


def make_mlp(dropout: float = 0.5) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(2, 32),
        nn.BatchNorm1d(32),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(32, 2),
    )


# --8<-- [start:seeded-run]
def train_run(seed: int, steps: int = 60, batch_size: int = 32) -> float:
    """Train a small MLP with mini-batch SGD and return the final full-data loss.

    The data are fixed; the seed controls the initial weights, the batch order and dropout.
    """
    x, y = map(torch.from_numpy, two_moons(256, noise=0.2, rng=np.random.default_rng(0)))
    torch.manual_seed(seed)
    model = make_mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        batch = torch.randperm(len(y))[:batch_size]
        optimizer.zero_grad()
        loss_fn(model(x[batch]), y[batch]).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return loss_fn(model(x), y).item()


# --8<-- [end:seeded-run]


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()


def repeat_call_difference(model: nn.Module, x: torch.Tensor, train: bool) -> float:
    """Call the model twice on the same input; how far apart are the outputs?"""
    model.train(train)
    with torch.no_grad():
        return max_abs_diff(model(x), model(x))


def batch_neighbour_difference(
    model: nn.Module,
    example: torch.Tensor,
    others_a: torch.Tensor,
    others_b: torch.Tensor,
    train: bool,
) -> float:
    """Predict one fixed example inside two different batches; how much does its output move?"""
    model.train(train)
    with torch.no_grad():
        out_a = model(torch.cat([example, others_a]))[0]
        out_b = model(torch.cat([example, others_b]))[0]
    return max_abs_diff(out_a, out_b)


# --8<-- [start:pitfall]
def running_mean_change(model: nn.Sequential, x: torch.Tensor, train: bool) -> float:
    """Evaluate under torch.no_grad() and report how far BatchNorm's running mean moved."""
    batch_norm = model[1]
    before = batch_norm.running_mean.clone()
    model.train(train)
    with torch.no_grad():  # no gradients, but BatchNorm still updates its statistics in train mode
        model(x)
    return max_abs_diff(batch_norm.running_mean, before)


# --8<-- [end:pitfall]


def first_channels(values: torch.Tensor, n: int = 3) -> str:
    return "[" + ", ".join(f"{v:+.3f}" for v in values[:n].tolist()) + "]"


def main() -> None:
    print("(a) Final training loss of three runs")
    first, again, other = train_run(seed=0), train_run(seed=0), train_run(seed=1)
    print(f"  seed 0: {first:.6f}")
    print(f"  seed 0: {again:.6f}  bit-identical to the first run: {again == first}")
    print(f"  seed 1: {other:.6f}  bit-identical to the first run: {other == first}")

    torch.manual_seed(0)
    x = torch.randn(64, 2) + 3.0  # inputs far from zero mean: BatchNorm's statistics visibly move
    print("\n(b) Max |difference| between two calls on the same input")
    model = make_mlp(dropout=0.5)
    for train in [True, False]:
        mode = "train" if train else "eval "
        print(f"  {mode} mode: {repeat_call_difference(model, x, train):.4f}")

    print("\n(c) One example's output when the rest of its batch changes (dropout off)")
    model = make_mlp(dropout=0.0)
    for train in [True, False]:
        mode = "train" if train else "eval "
        diff = batch_neighbour_difference(model, x[:1], x[1:32], x[32:], train)
        print(f"  {mode} mode: {diff:.4f}")

    print("\n(d) 'Evaluating' under torch.no_grad(): BatchNorm running_mean, first 3 channels")
    model = make_mlp()
    for train in [True, False]:
        before = first_channels(model[1].running_mean)
        change = running_mean_change(model, x, train)
        after = first_channels(model[1].running_mean)
        mode = "train" if train else "eval "
        print(f"  {mode} mode: before {before}  after {after}  max change {change:.4f}")


if __name__ == "__main__":
    main()
