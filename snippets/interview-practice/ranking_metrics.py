"""AUC-ROC from scores by ranking (the Mann-Whitney U statistic), and precision/recall at k.

AUC is the probability that a random positive scores higher than a random negative, counting a
tie as one half. Sorting once gives it in O(n log n): with average ranks for tied scores,
AUC = (sum of the positives' ranks - n_pos (n_pos + 1) / 2) / (n_pos n_neg).
"""

import numpy as np


# --8<-- [start:core]
def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of x; tied values all get the mean of the ranks they occupy."""
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    # start index of each run of equal values, and the run each sorted position belongs to
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])
    ends = np.r_[starts[1:], len(x)]  # one past the end of each run
    run = np.repeat(np.arange(len(starts)), ends - starts)
    ranks = np.empty(len(x))
    ranks[order] = (starts + ends + 1)[run] / 2.0  # mean of the 1-based ranks start+1..end
    return ranks


def auc_mann_whitney(scores: np.ndarray, labels: np.ndarray) -> float:
    """AUC-ROC in O(n log n); labels are 0/1. Undefined (ValueError) with one class only."""
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels).astype(bool)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs at least one positive and one negative")
    rank_sum = average_ranks(scores)[labels].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auc_pairwise(scores: np.ndarray, labels: np.ndarray) -> float:
    """The definition, in O(n_pos n_neg): P(score_pos > score_neg) + P(tie) / 2."""
    labels = np.asarray(labels).astype(bool)
    pos, neg = scores[labels][:, None], scores[~labels][None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def precision_recall_at_k(scores: np.ndarray, relevant: np.ndarray, k: int):
    """Precision@k and recall@k of the k highest-scored items (ties broken by position).
    Precision divides by k even when fewer than k items exist; recall is nan if nothing is
    relevant."""
    if k <= 0:
        raise ValueError("k must be positive")
    relevant = np.asarray(relevant).astype(bool)
    top = np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:k]
    hits = relevant[top].sum()
    total = relevant.sum()
    return hits / k, (hits / total if total else float("nan"))


# --8<-- [end:core]


def auc_ordinal_ranks(scores: np.ndarray, labels: np.ndarray) -> float:
    """A common bug: ranks 1..n from argsort, so ties are ordered by position, not shared."""
    labels = np.asarray(labels).astype(bool)
    ranks = np.empty(len(scores))
    ranks[np.argsort(scores, kind="stable")] = np.arange(1, len(scores) + 1)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def main():
    rng = np.random.default_rng(0)
    n = 2000
    labels = rng.random(n) < 0.2
    # A model that outputs scores rounded to one decimal: many ties.
    scores = np.round(np.clip(0.3 + 0.25 * labels + 0.2 * rng.normal(size=n), 0, 1), 1)
    print(f"{n} examples, {labels.sum()} positives, {len(np.unique(scores))} distinct scores")
    print(f"  AUC by average ranks (Mann-Whitney): {auc_mann_whitney(scores, labels):.4f}")
    print(f"  AUC by comparing all pairs:          {auc_pairwise(scores, labels):.4f}")
    print("  AUC by ordinal ranks (bug), ties broken by row order:")
    for name, first in (("positives first", ~labels), ("negatives first", labels)):
        order = np.argsort(first, kind="stable")  # same data, rows in a different order
        print(f"    {name}: {auc_ordinal_ranks(scores[order], labels[order]):.4f}")

    print("\nPrecision and recall at k for one user's 10 candidate items (3 relevant):")
    item_scores = np.array([0.9, 0.8, 0.75, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    relevant = np.array([1, 0, 1, 0, 0, 0, 1, 0, 0, 0])
    for k in (1, 3, 5, 10):
        p, r = precision_recall_at_k(item_scores, relevant, k)
        print(f"  k = {k:>2}: precision {p:.2f}, recall {r:.2f}")


if __name__ == "__main__":
    main()
