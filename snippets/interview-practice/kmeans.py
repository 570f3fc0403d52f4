"""k-means with k-means++ seeding (Lloyd's algorithm) in NumPy.

Each iteration assigns every point to its nearest centroid, then moves every centroid to the
mean of its points. Neither step can increase the within-cluster sum of squares (the inertia),
and there are finitely many partitions, so the algorithm stops, at a local optimum that depends
on the seeding. k-means++ seeds far-apart centroids; several restarts keep the best run.
"""

import numpy as np


# --8<-- [start:core]
def squared_distances(X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """(n, k) matrix of squared Euclidean distances."""
    return ((X[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)


def kmeans_plus_plus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """First centroid uniform; each next one drawn with probability proportional to the
    squared distance to the nearest centroid chosen so far."""
    centroids = [X[rng.integers(len(X))]]
    for _ in range(1, k):
        d2 = squared_distances(X, np.array(centroids)).min(axis=1)
        if d2.sum() == 0:  # fewer distinct points than k: any point will do
            centroids.append(X[rng.integers(len(X))])
        else:
            centroids.append(X[rng.choice(len(X), p=d2 / d2.sum())])
    return np.array(centroids, dtype=float)


def kmeans(X: np.ndarray, k: int, rng: np.random.Generator, max_iter: int = 100):
    """Return (centroids, labels, inertia after each iteration)."""
    centroids = kmeans_plus_plus(X, k, rng)
    history = []
    for _ in range(max_iter):
        d2 = squared_distances(X, centroids)
        labels = d2.argmin(axis=1)  # assignment step
        history.append(float(d2[np.arange(len(X)), labels].sum()))
        new = centroids.copy()
        for j in range(k):  # update step
            members = X[labels == j]
            if len(members):
                new[j] = members.mean(axis=0)
            else:  # empty cluster: move it to the point that is worst served
                new[j] = X[d2[np.arange(len(X)), labels].argmax()]
        if np.allclose(new, centroids):
            break
        centroids = new
    return centroids, labels, history


def best_of(X: np.ndarray, k: int, restarts: int, seed: int = 0):
    """Run k-means `restarts` times and keep the run with the lowest final inertia."""
    rng = np.random.default_rng(seed)
    runs = [kmeans(X, k, rng) for _ in range(restarts)]
    return min(runs, key=lambda run: run[2][-1])


# --8<-- [end:core]


def make_blobs(rng: np.random.Generator, centres, n_per: int, scale: float = 0.6):
    centres = np.asarray(centres, dtype=float)
    X = np.concatenate([c + scale * rng.normal(size=(n_per, 2)) for c in centres])
    return X, np.repeat(np.arange(len(centres)), n_per)


def main():
    rng = np.random.default_rng(0)
    centres = [(0, 0), (5, 1), (2, 5)]
    X, truth = make_blobs(rng, centres, n_per=100, scale=1.0)
    centroids, labels, history = kmeans(X, 3, np.random.default_rng(1))
    print("Inertia after each iteration (never increases):")
    print("  " + "  ".join(f"{h:.1f}" for h in history))
    print("\nTrue centre -> nearest fitted centroid, and the share of its points in one cluster:")
    for j, c in enumerate(centres):
        nearest = np.argmin(((centroids - c) ** 2).sum(axis=1))
        share = np.mean(labels[truth == j] == nearest)
        print(
            f"  {c!s:<8} -> ({centroids[nearest, 0]:.2f}, {centroids[nearest, 1]:.2f})  {share:.0%}"
        )

    # A single run can stop at a poor local optimum; restarts are cheap insurance.
    X4, _ = make_blobs(np.random.default_rng(2), [(0, 0), (0, 3), (8, 0), (8, 3)], 50, 0.4)
    finals = [kmeans(X4, 4, np.random.default_rng(s))[2][-1] for s in range(20)]
    print(
        f"\nFour blobs, 20 single runs: final inertia from {min(finals):.1f} to {max(finals):.1f};"
    )
    print(f"best of 10 restarts: {best_of(X4, 4, restarts=10)[2][-1]:.1f}")


if __name__ == "__main__":
    main()
