"""Multilabel framing: one sigmoid per label with binary cross-entropy, or one softmax?

Each example can carry any number of four tags. A softmax's outputs sum to 1, so at most one of
them can exceed 0.5 and the labels compete for probability; independent sigmoids do not.
"""

import numpy as np
import torch
from torch import nn

TAGS = ("sports", "politics", "tech", "finance")
DIM = 8
N_TRAIN, N_VAL, N_TEST = 4000, 2000, 4000
STEPS = 300


def make_tagged_data(n: int, weights, biases, rng: np.random.Generator):
    """Features and a multi-hot label matrix: tag j is on when x . w_j + b_j + noise > 0.

    The noise is logistic, so P(tag j | x) = sigmoid(x . w_j + b_j) exactly, independently per
    tag: an example can have no tag, one, or several.
    """
    x = rng.normal(size=(n, DIM)).astype(np.float32)
    noise = rng.logistic(size=(n, len(TAGS)))
    return x, (x @ weights + biases + noise > 0).astype(np.float32)


# --8<-- [start:core]
def train(x, y, head: str, steps: int = STEPS) -> nn.Module:
    """A linear model with either independent sigmoids or one softmax over the tags.

    "sigmoid": one logit per tag, binary cross-entropy per tag.
    "softmax": cross-entropy against the multi-hot row normalised to sum to 1 (the usual way to
    force a softmax onto several labels), plus a "none" class for rows without any tag.
    """
    n_out = y.shape[1] + (head == "softmax")
    model = nn.Linear(x.shape[1], n_out)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    if head == "softmax":
        none = (yt.sum(dim=1, keepdim=True) == 0).float()
        target = torch.cat([yt, none], dim=1)
        target = target / target.sum(dim=1, keepdim=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        if head == "sigmoid":
            loss = nn.functional.binary_cross_entropy_with_logits(model(xt), yt)
        else:
            loss = nn.functional.cross_entropy(model(xt), target)  # accepts probability targets
        loss.backward()
        optimizer.step()
    return model


@torch.no_grad()
def tag_probabilities(model: nn.Module, x, head: str) -> np.ndarray:
    """Per-tag scores in [0, 1]; for the softmax, the "none" column is dropped."""
    logits = model(torch.from_numpy(x))
    if head == "sigmoid":
        return torch.sigmoid(logits).numpy()
    return torch.softmax(logits, dim=1)[:, :-1].numpy()


def predict_sets(probs: np.ndarray, threshold: float) -> np.ndarray:
    return (probs >= threshold).astype(np.float32)


def set_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Exact-set accuracy, micro-F1 over all (example, tag) cells, and the recall of examples
    with two or more tags (all of their tags predicted)."""
    tp = np.sum(y_true * y_pred)
    f1 = 2 * tp / (y_true.sum() + y_pred.sum())
    several = y_true.sum(axis=1) >= 2
    complete = np.all(y_pred[several] >= y_true[several], axis=1)
    return {
        "exact set": float(np.mean(np.all(y_true == y_pred, axis=1))),
        "micro-F1": float(f1),
        "2+ tags found": float(complete.mean()),
    }


def tune_threshold(probs, y, candidates=None) -> float:
    """The threshold with the best exact-set accuracy on (validation) data."""
    candidates = np.linspace(0.05, 0.95, 91) if candidates is None else candidates
    scores = [set_metrics(y, predict_sets(probs, t))["exact set"] for t in candidates]
    return float(candidates[int(np.argmax(scores))])


# --8<-- [end:core]


def main() -> None:
    torch.manual_seed(0)  # the models' initial weights
    rng = np.random.default_rng(0)
    torch.set_num_threads(1)  # tiny models: a second thread costs more than it saves
    weights = rng.normal(size=(DIM, len(TAGS))) * 1.2
    biases = np.full(len(TAGS), -1.0)
    x, y = make_tagged_data(N_TRAIN, weights, biases, rng)
    x_val, y_val = make_tagged_data(N_VAL, weights, biases, rng)
    x_test, y_test = make_tagged_data(N_TEST, weights, biases, rng)
    tag_counts = np.bincount(y_test.sum(axis=1).astype(int), minlength=len(TAGS) + 1)
    print(
        "Test examples by number of tags: "
        + ", ".join(f"{k}: {c}" for k, c in enumerate(tag_counts))
        + "\n"
    )

    probs = {}
    for head in ("sigmoid", "softmax"):
        model = train(x, y, head)
        probs[head] = (
            tag_probabilities(model, x_val, head),
            tag_probabilities(model, x_test, head),
        )

    rows = {"sigmoid + BCE, threshold 0.5": predict_sets(probs["sigmoid"][1], 0.5)}
    rows["softmax, threshold 0.5"] = predict_sets(probs["softmax"][1], 0.5)
    tuned = tune_threshold(probs["softmax"][0], y_val)
    rows[f"softmax, tuned threshold {tuned:.2f}"] = predict_sets(probs["softmax"][1], tuned)
    oracle = 1 / (1 + np.exp(-(x_test @ weights + biases)))
    rows["true probabilities, 0.5 (ceiling)"] = predict_sets(oracle, 0.5)

    names = ["exact set", "micro-F1", "2+ tags found"]
    print(f"{'model':<36}" + "".join(f"{n:>15}" for n in names))
    for label, pred in rows.items():
        metrics = set_metrics(y_test, pred)
        print(f"{label:<36}" + "".join(f"{metrics[n]:>15.3f}" for n in names))
    most = probs["softmax"][1].max(axis=1)
    second = np.sort(probs["softmax"][1], axis=1)[:, -2]
    print(f"\nsoftmax: largest second-highest tag probability on the test set: {second.max():.3f}")
    both_high = np.sum((most >= 0.5) & (second >= 0.5))
    print(f"softmax: examples where two tags both reach 0.5: {both_high}")

    both = np.flatnonzero(y_test.sum(axis=1) == 2)[0]
    true_tags = [tag for tag, on in zip(TAGS, y_test[both], strict=True) if on]
    print(f"\nOne test example, true tags: {true_tags}")
    print(f"{'tag':<10}{'true P':>8}{'sigmoid':>9}{'softmax':>9}")
    for j, tag in enumerate(TAGS):
        print(
            f"{tag:<10}{oracle[both, j]:>8.3f}{probs['sigmoid'][1][both, j]:>9.3f}"
            f"{probs['softmax'][1][both, j]:>9.3f}"
        )
    print(
        f"{'sum':<10}{oracle[both].sum():>8.3f}{probs['sigmoid'][1][both].sum():>9.3f}"
        f"{probs['softmax'][1][both].sum():>9.3f}  (softmax: plus 'none')"
    )


if __name__ == "__main__":
    main()
