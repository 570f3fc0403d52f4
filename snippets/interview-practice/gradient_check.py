"""Check an analytic gradient against central finite differences.

(f(x + eps e_i) - f(x - eps e_i)) / (2 eps) has truncation error O(eps^2) and round-off error
about (machine epsilon * |f|) / eps, so eps near 1e-5 to 1e-6 is right in float64, and float32
is too coarse for a check. Compare with a relative error, which does not depend on the scale of
the gradient.
"""

import math

import matplotlib.pyplot as plt
import numpy as np


# --8<-- [start:core]
def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences, one coordinate at a time (2 * x.size calls of f)."""
    x = np.array(x, dtype=np.float64)  # a copy, in float64
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||), 0 when both are 0."""
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


def check_gradient(f, grad_f, x: np.ndarray, eps: float = 1e-6, tol: float = 1e-6) -> bool:
    return relative_error(grad_f(x), numerical_gradient(f, x, eps)) < tol


# --8<-- [end:core]


def logistic_loss_functions(X: np.ndarray, y: np.ndarray, l2: float):
    """The loss of logistic regression in w, its gradient, and a gradient with a classic bug."""

    def loss(w):
        z = X @ w
        return np.mean(np.logaddexp(0, z) - y * z) + 0.5 * l2 * w @ w

    def grad(w):
        p = 1 / (1 + np.exp(-(X @ w)))
        return X.T @ (p - y) / len(y) + l2 * w

    def grad_forgot_penalty(w):  # the regulariser's gradient left out
        p = 1 / (1 + np.exp(-(X @ w)))
        return X.T @ (p - y) / len(y)

    return loss, grad, grad_forgot_penalty


def derivative_errors(steps: np.ndarray, x: float = 1.0):
    """|finite difference - exact| for d/dx exp(x), forward and central."""
    exact = math.exp(x)
    forward = [abs((math.exp(x + h) - math.exp(x)) / h - exact) for h in steps]
    central = [abs((math.exp(x + h) - math.exp(x - h)) / (2 * h) - exact) for h in steps]
    return np.array(forward), np.array(central)


def main():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 4)), (rng.random(50) < 0.5).astype(float)
    loss, grad, buggy = logistic_loss_functions(X, y, l2=0.1)
    w = rng.normal(size=4)
    print("Gradient check of logistic regression (4 weights, l2 = 0.1):")
    for name, g in (("correct gradient", grad), ("penalty forgotten", buggy)):
        err = relative_error(g(w), numerical_gradient(loss, w))
        verdict = "passes" if err < 1e-6 else "FAILS"
        magnitude = math.floor(math.log10(err))
        print(f"  {name:<18} relative error < 1e-6: {verdict} (order of magnitude 1e{magnitude})")

    steps = np.logspace(-1, -12, 12)
    forward, central = derivative_errors(steps)
    print("\nError of d/dx exp(x) at x = 1 for step sizes 1e-1 ... 1e-12 (float64):")
    print(f"  {'step':>7}{'forward':>10}{'central':>10}")
    for h, fe, ce in zip(steps, forward, central, strict=True):
        print(f"  {h:>7.0e}{fe:>10.0e}{ce:>10.0e}")

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.loglog(steps, forward, "o-", label="forward: (f(x+h) - f(x)) / h")
    ax.loglog(steps, central, "s-", label="central: (f(x+h) - f(x-h)) / 2h")
    ax.invert_xaxis()
    ax.set_xlabel("step size h (smaller to the right)")
    ax.set_ylabel("absolute error of the derivative")
    ax.legend(fontsize=9)
    fig.tight_layout()
    best_f, best_c = steps[np.argmin(forward)], steps[np.argmin(central)]
    alt = (
        "Log-log plot of the error of a finite-difference derivative of exp at 1 against the "
        f"step size from 1e-1 to 1e-12. Both curves fall, then rise again as round-off takes "
        f"over. The forward difference is most accurate at h = {best_f:.0e}, the central "
        f"difference at h = {best_c:.0e}, where its error is about "
        f"{central.min() / forward.min():.0e} times the forward difference's best."
    )
    caption = (
        "Shrinking the step helps only until round-off dominates: the error is V-shaped. "
        "Central differences fall faster (error proportional to h squared) and reach their "
        "best at a larger step than forward differences."
    )
    fig.savefig("finite_difference_error.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
