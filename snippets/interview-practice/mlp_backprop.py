"""Backpropagation for a two-layer MLP in NumPy, checked against PyTorch autograd.

Forward:  z1 = X W1 + b1,  h = relu(z1),  logits = h W2 + b2,  L = mean cross-entropy.
Backward (chain rule, from the loss down):
  dlogits = (softmax(logits) - onehot(y)) / n
  dW2 = h^T dlogits,   db2 = sum over rows of dlogits,   dh = dlogits W2^T
  dz1 = dh * (z1 > 0), dW1 = X^T dz1,   db1 = sum over rows of dz1
"""

import numpy as np
import torch


# --8<-- [start:core]
def init_params(d_in: int, d_hidden: int, d_out: int, rng: np.random.Generator) -> dict:
    """He initialisation for the ReLU layer, small weights for the output layer."""
    return {
        "W1": rng.normal(0, np.sqrt(2 / d_in), size=(d_in, d_hidden)),
        "b1": np.zeros(d_hidden),
        "W2": rng.normal(0, np.sqrt(1 / d_hidden), size=(d_hidden, d_out)),
        "b2": np.zeros(d_out),
    }


def loss_and_grads(params: dict, X: np.ndarray, y: np.ndarray):
    """Mean cross-entropy of the MLP and its gradient with respect to every parameter."""
    n = len(y)
    z1 = X @ params["W1"] + params["b1"]
    h = np.maximum(z1, 0)
    logits = h @ params["W2"] + params["b2"]
    shifted = logits - logits.max(axis=1, keepdims=True)  # stable log-softmax
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()

    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    dh = dlogits @ params["W2"].T
    dz1 = dh * (z1 > 0)  # relu'(z) = 1 for z > 0, else 0 (PyTorch's choice at 0 too)
    grads = {"W2": h.T @ dlogits, "b2": dlogits.sum(0), "W1": X.T @ dz1, "b1": dz1.sum(0)}
    return float(loss), grads


def torch_loss_and_grads(params: dict, X: np.ndarray, y: np.ndarray):
    """The same network in PyTorch (float64); autograd computes the gradients."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    hidden = torch.relu(torch.as_tensor(X) @ t["W1"] + t["b1"])
    loss = torch.nn.functional.cross_entropy(hidden @ t["W2"] + t["b2"], torch.as_tensor(y))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


def train(params: dict, X: np.ndarray, y: np.ndarray, lr: float = 0.5, steps: int = 300):
    """Full-batch gradient descent; returns the loss before each step."""
    history = []
    for _ in range(steps):
        loss, grads = loss_and_grads(params, X, y)
        history.append(loss)
        for name in params:
            params[name] -= lr * grads[name]
    return history


# --8<-- [end:core]


def make_rings(rng: np.random.Generator, n: int):
    """Two concentric rings: no straight line separates them, a hidden layer can."""
    y = rng.integers(0, 2, size=n)
    radius = 1.0 + 1.5 * y + 0.25 * rng.normal(size=n)
    angle = rng.uniform(0, 2 * np.pi, size=n)
    return np.c_[radius * np.cos(angle), radius * np.sin(angle)], y


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X, y = make_rings(rng, 400)
    params = init_params(2, 16, 2, rng)

    loss_np, grads_np = loss_and_grads(params, X, y)
    loss_pt, grads_pt = torch_loss_and_grads(params, X, y)
    print(f"torch {torch.__version__}; loss NumPy {loss_np:.6f}, PyTorch {loss_pt:.6f}")
    print(f"  {'parameter':<10}{'shape':<10}{'max |NumPy - autograd|':>24}")
    for name in ("W1", "b1", "W2", "b2"):
        diff = np.abs(grads_np[name] - grads_pt[name]).max()
        print(f"  {name:<10}{grads_np[name].shape!s:<10}{'< 1e-12' if diff < 1e-12 else diff:>24}")

    history = train(params, X, y)
    logits = np.maximum(X @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]
    print("\nTraining on two rings (400 points, 16 hidden units, 300 full-batch steps):")
    print(
        "  loss at steps 0, 50, 100, 200, 299:",
        " ".join(f"{history[i]:.3f}" for i in (0, 50, 100, 200, 299)),
    )
    print(f"  training accuracy: {np.mean(logits.argmax(1) == y):.3f}")


if __name__ == "__main__":
    main()
