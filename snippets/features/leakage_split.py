"""Leakage through the split: a random split overstates accuracy on drifting or duplicated data.

Part 1: events whose label rule drifts over time, with a "days since launch" column, as most
tables have one. Part 2: posts that are reposted with small edits, so near-duplicates share a
label. For each, a k-nearest-neighbour classifier (a stand-in for any flexible model) is scored
with a random split, with the split that respects the data (by time, by group), and then on
fresh data from after the history, which is what production will see.
"""

import numpy as np

K = 9
HISTORY, FUTURE = 4000, 1000  # rows we have, rows production will send next
TEST_FRACTION = 0.2


def knn_predict(x_train, y_train, x_test, k: int = K) -> np.ndarray:
    """Majority label among the k nearest training rows (Euclidean distance)."""
    d2 = (x_test**2).sum(1)[:, None] - 2 * x_test @ x_train.T + (x_train**2).sum(1)[None, :]
    nearest = np.argpartition(d2, k, axis=1)[:, :k]
    return (y_train[nearest].mean(axis=1) > 0.5).astype(float)


def accuracy(x_train, y_train, x_test, y_test, k: int = K) -> float:
    return float(np.mean(knn_predict(x_train, y_train, x_test, k) == y_test))


def drifting_events(n: int, rng: np.random.Generator, turn: float = 3.0):
    """Rows in time order. The label is the side of a line through the origin, and the line
    turns by `turn` radians over the first HISTORY rows (the rule fraudsters, tastes or prices
    follow keeps changing). Columns: two behaviour features and days since launch."""
    day = np.arange(n) / HISTORY * 365
    angle = turn * day / 365
    x = rng.normal(size=(n, 2))
    score = x[:, 0] * np.cos(angle) + x[:, 1] * np.sin(angle) + rng.normal(0, 0.3, n)
    features = np.column_stack([x, day / 365 * 2])  # days, scaled like the other columns
    return features, (score > 0).astype(float)


def reposted_posts(n_posts: int, rng: np.random.Generator, max_copies: int = 8):
    """Posts with 5 features and a label that the features only partly explain; each post
    appears 1 to max_copies times with small edits. Returns features, labels, post ids."""
    base = rng.normal(size=(n_posts, 5))
    labels = (base[:, 0] + 0.5 * base[:, 1] + rng.normal(0, 1.0, n_posts) > 0).astype(float)
    copies = rng.integers(1, max_copies + 1, size=n_posts)
    post = np.repeat(np.arange(n_posts), copies)
    features = base[post] + rng.normal(0, 0.05, size=(len(post), 5))
    return features, labels[post], post


# --8<-- [start:core]
def random_split(n: int, rng, test_fraction: float = TEST_FRACTION):
    order = rng.permutation(n)
    n_test = int(round(test_fraction * n))
    return order[n_test:], order[:n_test]


def time_split(n: int, test_fraction: float = TEST_FRACTION):
    """Rows are in time order: train on the past, test on the most recent rows."""
    n_test = int(round(test_fraction * n))
    return np.arange(n - n_test), np.arange(n - n_test, n)


def group_split(groups: np.ndarray, rng, test_fraction: float = TEST_FRACTION):
    """Every copy of a post lands on the same side: the test set holds unseen posts only."""
    unique = rng.permutation(np.unique(groups))
    test_groups = unique[: int(round(test_fraction * len(unique)))]
    in_test = np.isin(groups, test_groups)
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)


def compare_splits(x, y, splits: dict, x_future, y_future) -> dict:
    """Accuracy under each split of the history, and of a model trained on all of the history
    and scored on future rows: the number each split is trying to predict."""
    scores = {
        name: accuracy(x[train], y[train], x[test], y[test])
        for name, (train, test) in splits.items()
    }
    scores["production (future rows)"] = accuracy(x, y, x_future, y_future)
    return scores


# --8<-- [end:core]


def print_scores(title: str, scores: dict) -> None:
    print(title)
    production = scores["production (future rows)"]
    print(f"  {'evaluation':<28}{'accuracy':>9}{'minus production':>18}")
    for name, value in scores.items():
        print(f"  {name:<28}{value:>9.3f}{value - production:>+18.3f}")


def main():
    rng = np.random.default_rng(0)

    events, labels = drifting_events(HISTORY + FUTURE, rng)
    x, y = events[:HISTORY], labels[:HISTORY]
    splits = {"random split": random_split(HISTORY, rng), "time split": time_split(HISTORY)}
    drift = compare_splits(x, y, splits, events[HISTORY:], labels[HISTORY:])
    print_scores(f"Part 1: {HISTORY:,} events with a drifting label rule, {K}-NN", drift)

    posts, post_labels, post_ids = reposted_posts(1000, rng)
    future, future_labels, _ = reposted_posts(250, rng)  # new posts, never seen before
    splits = {
        "random split": random_split(len(post_ids), rng),
        "group split (by post)": group_split(post_ids, rng),
    }
    dupes = compare_splits(posts, post_labels, splits, future, future_labels)
    train, test = splits["random split"]
    shared = np.isin(post_ids[test], post_ids[train]).mean()
    print()
    print_scores(
        f"Part 2: {len(post_ids):,} rows from {post_ids.max() + 1:,} posts with near-duplicates, "
        f"{K}-NN",
        dupes,
    )
    print(f"  random split: {shared:.0%} of test rows have a copy of their post in training")

    print("\nGap between the random split and the split that respects the data:")
    print(f"  drifting events: {drift['random split'] - drift['time split']:+.3f}")
    print(f"  near-duplicates: {dupes['random split'] - dupes['group split (by post)']:+.3f}")


if __name__ == "__main__":
    main()
