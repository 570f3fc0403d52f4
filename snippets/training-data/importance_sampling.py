"""Importance sampling: estimate an expectation under p from samples drawn from q.

Draw x from q, weight each sample by w(x) = p(x) / q(x), and average w(x) f(x). The estimate is
unbiased for any q that is positive wherever p(x) f(x) is not zero; its variance depends on how
well q covers the region that matters. Here: the tail probability P(X > 3) for X ~ N(0, 1).
"""

import functools
import math

import matplotlib.pyplot as plt
import numpy as np

THRESHOLD = 3.0
N_SAMPLES, REPEATS = 1_000, 2_000
PROPOSALS = {  # name: (mean, standard deviation) of a normal q
    "q = p = N(0, 1): plain Monte Carlo": (0.0, 1.0),
    "q = N(3, 1): good, covers the tail": (3.0, 1.0),
    "q = N(-1, 1): poor, misses the tail": (-1.0, 1.0),
}


def normal_pdf(x, mean=0.0, std=1.0):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def f(x):
    return (x > THRESHOLD).astype(np.float64)  # the indicator of the rare event


# --8<-- [start:core]
def importance_estimate(x: np.ndarray, p_pdf, q_pdf, f) -> np.ndarray:
    """Estimate E_p[f(X)] from x drawn from q: the mean of w(x) f(x), with w = p(x) / q(x).

    Works along the last axis, so a (repeats, n) array gives one estimate per repeat.
    """
    w = p_pdf(x) / q_pdf(x)
    return np.mean(w * f(x), axis=-1)


def effective_sample_size(w: np.ndarray) -> np.ndarray:
    """Kish's effective sample size (sum w)^2 / sum w^2: n when all weights are equal."""
    squares = (w**2).sum(axis=-1)
    return np.divide(w.sum(axis=-1) ** 2, squares, out=np.zeros_like(squares), where=squares > 0)


def repeated_estimates(mean, std, n=N_SAMPLES, repeats=REPEATS, seed=0):
    """`repeats` independent estimates of P(X > 3) under N(0, 1), each from n draws of q."""
    x = np.random.default_rng(seed).normal(mean, std, size=(repeats, n))
    q_pdf = functools.partial(normal_pdf, mean=mean, std=std)
    estimates = importance_estimate(x, normal_pdf, q_pdf, f)
    forgot_weights = f(x).mean(axis=-1)  # what you get if you ignore w: E_q[f], not E_p[f]
    w_tail = np.where(x > THRESHOLD, normal_pdf(x) / q_pdf(x), 0.0)  # weights that count
    ess = effective_sample_size(w_tail)
    return estimates, forgot_weights, ess


# --8<-- [end:core]


def settled_after(path, truth, tolerance=0.1):
    """Samples after which a running estimate stays within `tolerance` of the truth, or None."""
    outside = np.flatnonzero(np.abs(path / truth - 1) > tolerance)
    if outside.size == 0:
        return 1
    return int(outside[-1] + 2) if outside[-1] + 1 < len(path) else None


def plot_importance(truth, running):
    fig, (ax_pdf, ax_run) = plt.subplots(1, 2, figsize=(10, 4))
    grid = np.linspace(-4.5, 6.5, 500)
    ax_pdf.plot(grid, normal_pdf(grid), color="0.55", lw=2.5, label="p = N(0, 1), the target")
    for i, (name, (mean, std)) in enumerate(list(PROPOSALS.items())[1:], start=1):
        ax_pdf.plot(grid, normal_pdf(grid, mean, std), color=f"C{i}", label=name.split(":")[0])
    ax_pdf.axvspan(THRESHOLD, grid[-1], color="C5", alpha=0.15, lw=0)
    ax_pdf.text(4.75, 0.45, "x > 3", ha="center")
    ax_pdf.set_xlabel("x")
    ax_pdf.set_ylabel("density")
    ax_pdf.set_ylim(0, 0.58)
    ax_pdf.legend(fontsize=9, loc="upper left")
    counts = np.arange(1, running.shape[1] + 1)
    for i, (name, path) in enumerate(zip(PROPOSALS, running, strict=True)):
        colour = "0.55" if i == 0 else f"C{i}"  # grey like p: plain Monte Carlo draws from p
        ax_run.plot(counts, path / truth, color=colour, lw=1.5, label=name.split(":")[0])
    ax_run.axhline(1.0, color="0.55", lw=1, ls="--")
    ax_run.set_xscale("log")
    ax_run.set_ylim(-0.08, 3)
    ax_run.set_xlabel("samples drawn from q (log scale)")
    ax_run.set_ylabel("running estimate / true value")
    ax_run.legend(fontsize=9, loc="upper right")
    fig.tight_layout()
    return fig


def main():
    truth = 0.5 * math.erfc(THRESHOLD / math.sqrt(2))
    print(f"Target: P(X > {THRESHOLD:g}) for X ~ N(0, 1) = {truth:.6f}")
    print(f"Each estimate uses n = {N_SAMPLES:,} draws from q; {REPEATS:,} repeats per q.\n")
    head = (
        f"{'proposal q':<38}{'mean est.':>11}{'rel. std':>10}{'zero est.':>11}"
        f"{'median ESS':>12}{'no weights':>12}"
    )
    print(head)
    summary = {}
    for name, (mean, std) in PROPOSALS.items():
        est, unweighted, ess = repeated_estimates(mean, std)
        summary[name] = est
        print(
            f"{name:<38}{est.mean():>11.6f}{est.std() / truth:>10.2f}{np.mean(est == 0):>11.1%}"
            f"{np.median(ess):>12.1f}{unweighted.mean():>12.4f}"
        )
    print("\nrel. std: spread of the estimates divided by the true value (lower is better).")
    print("ESS: effective number of samples among those with x > 3.")
    print("no weights: the plain share of draws with x > 3, which estimates P_q(X > 3), not P_p.")

    rng = np.random.default_rng(7)
    running = []
    for mean, std in PROPOSALS.values():
        x = rng.normal(mean, std, size=20_000)
        terms = normal_pdf(x) / normal_pdf(x, mean, std) * f(x)
        running.append(np.cumsum(terms) / np.arange(1, len(x) + 1))
    running = np.array(running)
    fig = plot_importance(truth, running)

    rel = {name: est.std() / truth for name, est in summary.items()}
    plain, good, poor = rel.values()
    zero_poor = np.mean(list(summary.values())[2] == 0)
    settle = [settled_after(path, truth) for path in running]
    settle = ["never" if n is None else f"after {n:,}" for n in settle]
    zeros = int(np.argmax(running[2] > 0)) if np.any(running[2] > 0) else running.shape[1]
    zeros = "throughout" if zeros == running.shape[1] else f"for the first {zeros:,} samples"
    alt = (
        "Left: the target density N(0, 1) and two proposal densities, N(3, 1) and N(-1, 1), "
        "with the region x > 3 shaded. Right: the running estimate of P(X > 3), divided by the "
        f"true value, against the number of samples, up to {running.shape[1]:,}, on a log scale. "
        f"Staying within 10% of the truth: the good proposal {settle[1]} samples, plain Monte "
        f"Carlo {settle[0]}, the poor proposal {settle[2]}; its estimate is 0 {zeros}."
    )
    caption = (
        f"With {N_SAMPLES:,} samples, the relative spread of the estimate is {plain:.2f} for plain "
        f"Monte Carlo, {good:.3f} with q = N(3, 1) and {poor:.2f} with q = N(-1, 1), whose "
        f"estimate is exactly 0 in {zero_poor:.0%} of the repeats. Unbiased is not enough: q must "
        "put its samples where p(x) f(x) is large."
    )
    fig.savefig("importance_sampling.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
