"""Logistic regression trained by batch gradient descent in NumPy.

Loss: mean binary cross-entropy plus (l2 / 2) * ||w||^2 (the bias is not penalised).
Gradient: X^T (p - y) / n + l2 * w for the weights and mean(p - y) for the bias, where
p = sigmoid(X w + b). The loss is convex, so with a small enough step gradient descent reaches
the global minimum, which is unique when l2 > 0.
"""

import numpy as np


# --8<-- [start:core]
def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow for large |z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def loss_and_grad(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, l2: float = 0.0):
    z = X @ w + b
    # mean BCE from logits: max(z, 0) - z y + log(1 + exp(-|z|))
    loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))) + 0.5 * l2 * w @ w
    residual = sigmoid(z) - y
    return float(loss), X.T @ residual / len(y) + l2 * w, float(residual.mean())


def fit(X: np.ndarray, y: np.ndarray, lr: float = 0.5, steps: int = 500, l2: float = 0.0):
    """Batch gradient descent from zero; returns (w, b, loss before each step)."""
    w, b, history = np.zeros(X.shape[1]), 0.0, []
    for _ in range(steps):
        loss, grad_w, grad_b = loss_and_grad(w, b, X, y, l2)
        history.append(loss)
        w -= lr * grad_w
        b -= lr * grad_b
    return w, b, history


def safe_learning_rate(X: np.ndarray, l2: float = 0.0) -> float:
    """1/L, where L bounds the curvature of the loss: sigmoid' <= 1/4, so the Hessian is at
    most ||[X, 1]||_2^2 / (4n) + l2. With this step the loss decreases at every step."""
    Xb = np.hstack([X, np.ones((len(X), 1))])
    return 1.0 / (np.linalg.norm(Xb, 2) ** 2 / (4 * len(X)) + l2)


# --8<-- [end:core]


def make_data(rng: np.random.Generator, n: int, w_true, b_true: float):
    X = rng.normal(size=(n, len(w_true)))
    y = (rng.random(n) < sigmoid(X @ np.asarray(w_true) + b_true)).astype(float)
    return X, y


def main():
    rng = np.random.default_rng(0)
    w_true, b_true = np.array([2.0, -1.0, 0.0]), 0.5
    X, y = make_data(rng, 2000, w_true, b_true)
    lr = safe_learning_rate(X)
    w, b, history = fit(X, y, lr=lr, steps=300)
    print(f"n = {len(y)}, step size 1/L = {lr:.2f}")
    print(
        "Loss at steps 0, 10, 50, 100, 299:",
        " ".join(f"{history[i]:.4f}" for i in (0, 10, 50, 100, 299)),
    )
    rises = sum(c > a + 1e-12 for a, c in zip(history[:-1], history[1:], strict=True))
    print(f"Steps at which the loss rose by more than rounding error (1e-12): {rises}")
    print(f"Fitted w = {np.round(w, 2)}, b = {b:.2f}   (true w = {w_true}, b = {b_true})")
    accuracy = np.mean((sigmoid(X @ w + b) >= 0.5) == (y == 1))
    print(f"Training accuracy at threshold 0.5: {accuracy:.3f}")

    # Separable data: without a penalty the weights grow for ever; l2 keeps them finite.
    Xs = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    ys = np.array([0.0, 0.0, 1.0, 1.0])
    for l2 in (0.0, 0.1):
        norms = [abs(fit(Xs, ys, lr=1.0, steps=s, l2=l2)[0][0]) for s in (100, 1000, 10000)]
        print(
            f"Separable data, l2 = {l2}: |w| after 100, 1000, 10000 steps:",
            " ".join(f"{v:.2f}" for v in norms),
        )


if __name__ == "__main__":
    main()
