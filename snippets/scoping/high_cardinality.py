"""Framing a high-cardinality choice: one output per class, or "is this the right item?" per item.

A catalogue of items, each described by a feature vector. Users pick one item. Framed as
multiclass classification, the model needs one output (and enough examples) per item and cannot
score an item added after training. Framed as a binary question asked of every candidate
(user features, item features) -> "is this the one?", the parameters are shared across items.
"""

import numpy as np
import torch
from torch import nn

DIM = 16  # features per user and per item
N_ITEMS = 600  # the catalogue at test time
N_NEW = 120  # the last N_NEW items are added after training
N_TRAIN, N_TEST = 4_000, 2_000
NEGATIVES = 5  # sampled wrong items per right one, for the binary framing
TOP_K = 10
SHARPNESS = 1.0  # scales the true preferences: higher means more predictable choices
STEPS = 100


def make_world(rng: np.random.Generator):
    """Item features, and the true preference matrix: user x likes item i with logit x A v_i."""
    items = rng.normal(size=(N_ITEMS, DIM)).astype(np.float32)
    preference = (rng.normal(size=(DIM, DIM)) / np.sqrt(DIM)).astype(np.float32)
    return items, SHARPNESS * preference


def sample_choices(n: int, items, preference, n_available: int, rng: np.random.Generator):
    """Users (feature vectors) and the item each picks among the first n_available items."""
    users = rng.normal(size=(n, DIM)).astype(np.float32)
    logits = users @ preference @ items[:n_available].T
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    cumulative = probs.cumsum(axis=1)
    choice = (cumulative < rng.random((n, 1))).sum(axis=1)
    return users, np.minimum(choice, n_available - 1).astype(np.int64)


# --8<-- [start:core]
def train_multiclass(users, choices, n_classes: int, steps: int = STEPS) -> nn.Module:
    """One logit per item: a DIM x n_classes output layer, each column learned from its item."""
    x, y = torch.from_numpy(users), torch.from_numpy(choices)
    model = nn.Linear(DIM, n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=1e-4)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model


class PairScorer(nn.Module):
    """Binary framing: logit of "this item is the one the user picks" = user^T W item."""

    def __init__(self, dim: int = DIM):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(dim, dim))

    def forward(self, users, items):  # (n, DIM), (n, DIM) -> (n,)
        return ((users @ self.weight) * items).sum(dim=1)


def train_pairwise(users, choices, items, n_available, rng, steps: int = STEPS) -> PairScorer:
    """Each example becomes 1 positive pair and NEGATIVES pairs with random wrong items."""
    n = len(choices)
    wrong = rng.integers(0, n_available, size=(n, NEGATIVES))
    pair_items = np.concatenate([choices[:, None], wrong], axis=1).ravel()
    targets = np.tile([1.0] + [0.0] * NEGATIVES, n).astype(np.float32)
    u = torch.from_numpy(np.repeat(users, NEGATIVES + 1, axis=0))
    v, t = torch.from_numpy(items[pair_items]), torch.from_numpy(targets)
    model = PairScorer()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(u, v), t).backward()
        optimizer.step()
    return model


@torch.no_grad()
def pairwise_scores(model: PairScorer, users, items) -> np.ndarray:
    """Score every (user, item) pair: any item with features can be ranked, old or new."""
    return (torch.from_numpy(users) @ model.weight @ torch.from_numpy(items).T).numpy()


def hits_at_k(scores: np.ndarray, truth: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """1 where the true item is among the k highest-scored items, else 0 (ties count against)."""
    true_scores = scores[np.arange(len(truth)), truth]
    others_as_high = (scores >= true_scores[:, None]).sum(axis=1) - 1
    return (others_as_high < k).astype(float)


# --8<-- [end:core]


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def compare_framings(rng: np.random.Generator):
    """Train both framings on the same choices; return hits@k per scorer, test groups, counts."""
    items, preference = make_world(rng)
    n_old = N_ITEMS - N_NEW
    users, choices = sample_choices(N_TRAIN, items, preference, n_old, rng)
    test_users, test_choices = sample_choices(N_TEST, items, preference, N_ITEMS, rng)
    counts = np.bincount(choices, minlength=N_ITEMS)

    multiclass = train_multiclass(users, choices, n_old)
    pairwise = train_pairwise(users, choices, items, n_old, rng)
    with torch.no_grad():
        known = multiclass(torch.from_numpy(test_users)).numpy()
    # The multiclass model has no output for new items: they can never be recommended.
    multiclass_scores = np.concatenate([known, np.full((N_TEST, N_NEW), -np.inf)], axis=1)
    scorers = {
        "popularity (most picked)": np.tile(counts.astype(float), (N_TEST, 1)),
        "multiclass, one output/item": multiclass_scores,
        "binary per (user, item)": pairwise_scores(pairwise, test_users, items),
        "true preferences (ceiling)": test_users @ preference @ items.T,
    }
    hits = {name: hits_at_k(scores, test_choices) for name, scores in scorers.items()}
    seen = counts[test_choices]
    groups = {
        "frequent (>= 10 in training)": seen >= 10,
        "rare (0-9 in training)": (seen < 10) & (test_choices < n_old),
        "new (added after training)": test_choices >= n_old,
    }
    params = {
        "multiclass, one output/item": parameter_count(multiclass),
        "binary per (user, item)": parameter_count(pairwise),
    }
    return hits, groups, params, counts[:n_old]


def main() -> None:
    torch.manual_seed(0)  # the multiclass model's initial weights
    rng = np.random.default_rng(0)
    torch.set_num_threads(1)  # tiny models: a second thread costs more than it saves
    hits, groups, params, counts = compare_framings(rng)
    print(f"{N_ITEMS:,} items with {DIM} features each; {N_NEW} of them added after training.")
    print(
        f"{N_TRAIN:,} training choices among the other {len(counts):,}: "
        f"median {np.median(counts):.0f} per item, {np.sum(counts == 0)} items never picked."
    )
    print(f"{N_TEST:,} test choices among all {N_ITEMS:,} items.\n")
    print(f"Hit rate @{TOP_K}: share of test choices whose item is in the model's top {TOP_K}")
    print(f"{'model':<30}{'params':>8}{'all':>7}" + "".join(f"{n.split()[0]:>10}" for n in groups))
    print(
        f"{'(test choices in group)':<30}{'':>8}{N_TEST:>7}"
        + "".join(f"{int(g.sum()):>10}" for g in groups.values())
    )
    for name, hit in hits.items():
        cells = "".join(f"{hit[g].mean():>10.3f}" for g in groups.values())
        print(f"{name:<30}{params.get(name, ''):>8}{hit.mean():>7.3f}{cells}")
    print(f"\nrandom guessing scores {TOP_K / N_ITEMS:.3f} in every column")


if __name__ == "__main__":
    main()
