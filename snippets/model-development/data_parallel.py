"""Why data parallelism works: averaging per-shard gradients reproduces the full-batch gradient.

Each "worker" holds a replica of the model and a shard of the batch; all-reduce averages their
gradients. With unequal shards a plain average is wrong; weighting by shard size fixes it.
(Model parallelism, which splits the model instead of the batch, is not shown here.)
"""

import copy

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


def make_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))


def gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    """Gradient of the mean cross-entropy over (x, y), one tensor per parameter."""
    model.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()  # mean over the examples given
    return [p.grad.clone() for p in model.parameters()]


def split_batch(x: torch.Tensor, y: torch.Tensor, sizes: list[int]):
    return list(zip(torch.split(x, sizes), torch.split(y, sizes), strict=True))


# --8<-- [start:core]
def data_parallel_gradients(
    model: nn.Module, shards, weight_by_size: bool = True
) -> list[torch.Tensor]:
    """Each worker computes its shard's gradient on its own replica; then combine them.

    weight_by_size=True weights shard i by n_i / n, which equals a plain average (what
    all-reduce with averaging does) when all shards have the same size. The result equals the
    full-batch gradient because the loss is a mean of per-example terms; a layer that mixes
    examples, such as BatchNorm, breaks this unless its statistics are synchronised too.
    """
    replicas = [copy.deepcopy(model) for _ in shards]  # every worker starts from the same weights
    per_worker = [gradients(r, xs, ys) for r, (xs, ys) in zip(replicas, shards, strict=True)]
    sizes = torch.tensor([len(ys) for _, ys in shards], dtype=torch.float32)
    weights = sizes / sizes.sum() if weight_by_size else torch.ones_like(sizes) / len(sizes)
    return [
        sum(w * g for w, g in zip(weights, grads, strict=True))
        for grads in zip(*per_worker, strict=True)  # one parameter at a time
    ]


# --8<-- [end:core]


def max_abs_difference(grads_a: list[torch.Tensor], grads_b: list[torch.Tensor]) -> float:
    return max((a - b).abs().max().item() for a, b in zip(grads_a, grads_b, strict=True))


def main() -> None:
    torch.manual_seed(0)  # the model's initial weights
    features, labels = two_moons(64, noise=0.2, rng=np.random.default_rng(0))
    x, y = torch.from_numpy(features), torch.from_numpy(labels)
    model = make_model()
    full_batch = gradients(model, x, y)
    largest = max(g.abs().max().item() for g in full_batch)
    print(f"Batch of {len(y)} examples split across 4 workers; largest |gradient| {largest:.3f}\n")

    cases = [
        ([16, 16, 16, 16], False, "plain average"),
        ([8, 8, 16, 32], False, "plain average"),
        ([8, 8, 16, 32], True, "weighted by shard size"),
    ]
    print(f"{'shard sizes':<16}{'combine':<26}max |difference| vs full-batch gradient")
    for sizes, weighted, label in cases:
        combined = data_parallel_gradients(model, split_batch(x, y, sizes), weighted)
        diff = max_abs_difference(combined, full_batch)
        print(f"{', '.join(map(str, sizes)):<16}{label:<26}{diff:.0e}")


if __name__ == "__main__":
    main()
