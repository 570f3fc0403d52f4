"""Debugging habit: before training for real, check the model can overfit one small batch.

The labels here are random, so only memorisation can drive the loss to zero. A classic bug, a
softmax in front of nn.CrossEntropyLoss, puts a floor under the loss that no training removes.
"""

import math

import torch
from torch import nn


def make_classifier(n_features: int, softmax_bug: bool = False) -> nn.Sequential:
    layers = [nn.Linear(n_features, 64), nn.ReLU(), nn.Linear(64, 2)]
    if softmax_bug:
        layers.append(nn.Softmax(dim=1))  # BUG: CrossEntropyLoss applies log-softmax itself
    return nn.Sequential(*layers)


# --8<-- [start:core]
def train_on_one_batch(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 200, lr: float = 0.01
) -> list[float]:
    """Fit the same batch again and again; return the loss at every step."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()  # expects raw logits
    history = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return history


# --8<-- [end:core]


def softmax_bug_loss_floor() -> tuple[float, float]:
    """Lowest loss reachable when CrossEntropyLoss gets probabilities instead of logits.

    With 2 classes it sees "logits" (p, 1 - p), p in [0, 1], and the loss for the true class is
    log(1 + e^(1 - 2p)), smallest at p = 1: log(1 + e^-1). Returns that formula's value and the
    smallest loss PyTorch computes over a grid of p.
    """
    formula = math.log1p(math.exp(-1.0))
    p = torch.linspace(0.0, 1.0, 1001)
    as_logits = torch.stack([p, 1.0 - p], dim=1)
    target = torch.zeros(len(p), dtype=torch.long)
    losses = nn.functional.cross_entropy(as_logits, target, reduction="none")
    return formula, losses.min().item()


def random_batch(n: int = 32, n_features: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Random features with random labels: nothing to learn, everything to memorise."""
    return torch.randn(n, n_features), torch.randint(0, 2, (n,))


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def main() -> None:
    torch.manual_seed(0)  # the batch and the initial weights
    x, y = random_batch()
    correct = make_classifier(x.shape[1])
    buggy = make_classifier(x.shape[1], softmax_bug=True)
    buggy.load_state_dict(correct.state_dict())  # same starting weights: only the bug differs
    correct_losses = train_on_one_batch(correct, x, y, steps=200)
    buggy_losses = train_on_one_batch(buggy, x, y, steps=200)

    print(f"One batch: {len(y)} examples, {x.shape[1]} random features, random labels\n")
    print(f"{'step':>6}{'correct':>12}{'softmax bug':>14}")
    for step in [1, 25, 50, 100, 150, 200]:
        print(f"{step:>6}{correct_losses[step - 1]:>12.4f}{buggy_losses[step - 1]:>14.4f}")

    formula, computed = softmax_bug_loss_floor()
    print(f"\nLoss floor with the bug: log(1 + e^-1) = {formula:.4f}")
    print(f"  smallest cross_entropy((p, 1 - p), 0) for p in [0, 1] = {computed:.4f}")
    acc_correct, acc_buggy = accuracy(correct, x, y), accuracy(buggy, x, y)
    print(f"Accuracy on the batch: correct {acc_correct:.3f}, softmax bug {acc_buggy:.3f}")


if __name__ == "__main__":
    main()
