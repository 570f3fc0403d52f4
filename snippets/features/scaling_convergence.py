"""Feature scaling: how it changes gradient descent, and where its statistics must come from.

Linear regression on three customer features of very different scales (age in years, income in
dollars, purchases per month), fitted by full-batch gradient descent: raw, min-max normalised and
standardised. All three reach the same minimum; they differ in how many steps it takes.
"""

import matplotlib.pyplot as plt
import numpy as np

FEATURES = ("age (years)", "income ($)", "purchases/month")
N_TRAIN, N_TEST = 1000, 1000
TOL = 1e-6  # stop when the excess loss is this fraction of where it started
MAX_STEPS = 20_000


def make_customers(n: int, rng: np.random.Generator):
    """Age, income (log-normal, so right-skewed) and purchases; target: log of monthly spend."""
    age = np.clip(rng.normal(40, 12, n), 18, 90)
    income = rng.lognormal(np.log(45_000), 0.7, n)
    purchases = rng.poisson(3, n).astype(float)
    spend = 0.05 * age + 1.5 * np.log(income) + 0.3 * purchases + rng.normal(0, 1, n)
    return np.stack([age, income, purchases], axis=1), spend


# --8<-- [start:scalers]
def fit_minmax(x_train: np.ndarray):
    return x_train.min(axis=0), x_train.max(axis=0)


def minmax(x: np.ndarray, stats) -> np.ndarray:
    low, high = stats
    return (x - low) / (high - low)  # [0, 1] on the training data; new data may fall outside


def fit_standardizer(x_train: np.ndarray):
    return x_train.mean(axis=0), x_train.std(axis=0)


def standardize(x: np.ndarray, stats) -> np.ndarray:
    mean, std = stats
    return (x - mean) / std  # mean 0, standard deviation 1 on the training data


# --8<-- [end:scalers]


def design(x: np.ndarray) -> np.ndarray:
    """Prepend a column of ones for the intercept."""
    return np.column_stack([np.ones(len(x)), x])


def condition_number(x_design: np.ndarray) -> float:
    """kappa(X^T X) = largest / smallest eigenvalue: the ratio of the steepest to the flattest
    curvature of the squared loss."""
    eigenvalues = np.linalg.eigvalsh(x_design.T @ x_design)
    return float(eigenvalues[-1] / eigenvalues[0])


# --8<-- [start:core]
def gradient_descent(x_design, y, max_steps=MAX_STEPS, tol=TOL):
    """Minimise 0.5 * mean((Xw - y)^2) from w = 0 with the step 1/L, where L is the largest
    eigenvalue of the Hessian X^T X / n: the largest step that is safe in every direction.

    Returns the excess loss over the exact minimum, relative to its starting value, at every
    step, and the first step at which it fell below `tol` (None if it never did).
    """
    n = len(y)
    hessian = x_design.T @ x_design / n
    step = 1.0 / np.linalg.eigvalsh(hessian)[-1]
    w_best = np.linalg.lstsq(x_design, y, rcond=None)[0]
    best = 0.5 * np.mean((x_design @ w_best - y) ** 2)
    w = np.zeros(x_design.shape[1])
    history = []
    for k in range(max_steps + 1):
        residual = x_design @ w - y
        history.append(0.5 * np.mean(residual**2) - best)
        if history[-1] <= tol * history[0]:
            return np.array(history) / history[0], k
        w -= step * (x_design.T @ residual / n)
    return np.array(history) / history[0], None


def steps_needed(x_design, y, tol=TOL) -> int:
    """The exact number of steps gradient descent (as above) needs, without running it.

    On a quadratic, the error along the Hessian's eigenvector i shrinks by (1 - lambda_i / L)
    per step, so the relative excess loss after k steps is a sum of known geometric terms; the
    slowest term shrinks by (1 - 1/kappa) per step, hence roughly kappa * ln(1/tol) / 2 steps.
    """
    n = len(y)
    eigenvalues, vectors = np.linalg.eigh(x_design.T @ x_design / n)
    w_best = np.linalg.lstsq(x_design, y, rcond=None)[0]
    c = vectors.T @ (0 - w_best)  # starting error in the eigenbasis
    with np.errstate(divide="ignore"):
        log_weight = np.log(eigenvalues * c**2)  # each direction's share of the excess loss
        log_rate = 2 * np.log1p(-eigenvalues / eigenvalues[-1])  # -inf for the steepest one

    def relative_excess(k: int) -> float:
        terms = log_weight + (k * log_rate if k else 0.0)
        return float(np.exp(terms).sum() / np.exp(log_weight).sum())

    low, high = 0, 1
    while relative_excess(high) > tol:
        low, high = high, 2 * high
    while high - low > 1:  # smallest k with relative_excess(k) <= tol
        middle = (low + high) // 2
        low, high = (low, middle) if relative_excess(middle) <= tol else (middle, high)
    return 0 if relative_excess(0) <= tol else high


# --8<-- [end:core]


def skewness(x: np.ndarray) -> float:
    z = (x - x.mean()) / x.std()
    return float(np.mean(z**3))


def fit_and_test_mse(x_train, y_train, x_test, y_test) -> float:
    w = np.linalg.lstsq(design(x_train), y_train, rcond=None)[0]
    return float(np.mean((design(x_test) @ w - y_test) ** 2))


def plot_convergence(histories: dict, tol: float):
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, history in histories.items():
        steps = np.arange(len(history))
        ax.plot(steps + 1, np.maximum(history, 1e-12), label=name)
    ax.axhline(tol, color="grey", linestyle=":", linewidth=1.2)
    ax.text(1.2, tol * 1.8, f"tolerance {tol:g}", fontsize=9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(tol / 100, 2)
    ax.set_xlabel("gradient-descent step + 1 (log scale)")
    ax.set_ylabel("excess loss / starting excess (log scale)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def main():
    rng = np.random.default_rng(0)
    x_train, y_train = make_customers(N_TRAIN, rng)
    x_test, y_test = make_customers(N_TEST, rng)

    spread = x_train.std(axis=0).max() / x_train.std(axis=0).min()
    print(f"Training features: the largest standard deviation is {spread:.1e} times the smallest")
    print(f"{'feature':<16}{'mean':>12}{'std':>12}{'min':>12}{'max':>12}")
    for j, name in enumerate(FEATURES):
        col = x_train[:, j]
        print(
            f"{name:<16}{col.mean():>12.1f}{col.std():>12.1f}{col.min():>12.1f}{col.max():>12.1f}"
        )

    variants = {
        "raw": x_train,
        "min-max to [0, 1]": minmax(x_train, fit_minmax(x_train)),
        "standardised": standardize(x_train, fit_standardizer(x_train)),
    }
    print(f"\nFull-batch gradient descent, step 1/L, until the excess loss is {TOL:g} of its start")
    print(f"{'features':<20}{'kappa(X^T X)':>14}{'steps (run)':>13}{'steps (exact)':>15}")
    histories = {}
    for name, x in variants.items():
        x_design = design(x)
        histories[name], reached = gradient_descent(x_design, y_train)
        run = f"{reached:,}" if reached is not None else f">{MAX_STEPS:,}"
        needed = steps_needed(x_design, y_train)
        print(f"{name:<20}{condition_number(x_design):>14.3g}{run:>13}{needed:>15.3g}")
    print(
        f"('run' stops at {MAX_STEPS:,} steps; 'exact' comes from the eigenvalues, no run needed)"
    )

    print("\nA log transform for the skewed feature (standardised afterwards), on test data")
    log_train, log_test = x_train.copy(), x_test.copy()
    log_train[:, 1], log_test[:, 1] = np.log(x_train[:, 1]), np.log(x_test[:, 1])
    print(f"{'income as':<12}{'skewness':>10}{'test MSE':>10}")
    for name, (a, b) in {"dollars": (x_train, x_test), "log": (log_train, log_test)}.items():
        stats = fit_standardizer(a)
        mse = fit_and_test_mse(standardize(a, stats), y_train, standardize(b, stats), y_test)
        print(f"{name:<12}{skewness(a[:, 1]):>10.2f}{mse:>10.3f}")

    # Serving: the model was trained on standardised features, so requests must be scaled too.
    stats = fit_standardizer(log_train)
    w = np.linalg.lstsq(design(standardize(log_train, stats)), y_train, rcond=None)[0]
    rich = np.argsort(log_test[:, 1])[-20:]  # a batch of the 20 highest incomes
    batch, truth = log_test[rich], y_test[rich]
    with np.errstate(divide="ignore", invalid="ignore"):
        one = standardize(batch[:1], fit_standardizer(batch[:1]))
    errors = {
        "training statistics (correct)": design(standardize(batch, stats)) @ w - truth,
        "the batch's own statistics": design(standardize(batch, fit_standardizer(batch))) @ w
        - truth,
    }
    print("\nServing a batch of the 20 highest-income test customers")
    print(f"{'scaled with':<32}{'mean error':>12}{'MSE':>8}")
    for name, e in errors.items():
        print(f"{name:<32}{e.mean():>12.3f}{np.mean(e**2):>8.3f}")
    print(f"a batch of one, scaled with its own statistics: {one[0].tolist()}")

    fig = plot_convergence(histories, TOL)
    final = {name: h[-1] for name, h in histories.items()}
    kappa = condition_number(design(x_train))
    done = {name: len(h) - 1 for name, h in histories.items()}
    alt = (
        "Log-log plot of relative excess loss against gradient-descent step for three versions "
        f"of the same features, with a dotted line at the tolerance {TOL:g}. Standardised "
        f"features cross the tolerance after {done['standardised']} steps and min-max scaled "
        f"ones after {done['min-max to [0, 1]']:,}; the raw features' curve falls a little and "
        f"then stays flat, still at {final['raw']:.2f} of the starting excess after "
        f"{done['raw']:,} steps."
    )
    caption = (
        f"Same model, same minimum, same step rule: standardising cuts the steps from more than "
        f"{MAX_STEPS:,} to {done['standardised']}. The raw run is stuck at "
        f"{final['raw']:.0%} of its starting excess loss: the loss is {kappa:.1e} times more "
        "curved along its steepest direction (mostly income) than along its flattest, and the "
        "safe step is set by the steepest."
    )
    fig.savefig("scaling_convergence.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
