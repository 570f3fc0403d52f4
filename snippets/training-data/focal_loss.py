"""Focal loss against cross-entropy: what the factor (1 - p_t)^gamma really down-weights.

p_t is the probability the model gives to the TRUE class of an example, whichever class that is.
The factor shrinks the loss of examples the model already gets right, majority or minority alike.
"""

import matplotlib.pyplot as plt
import numpy as np

GAMMAS = (0.0, 0.5, 1.0, 2.0, 5.0)
RATIO = 100  # majority examples per minority example in the second part


# --8<-- [start:core]
def focal_loss(p_t, gamma: float):
    """-(1 - p_t)^gamma * log(p_t), elementwise; gamma = 0 gives cross-entropy, -log(p_t)."""
    p_t = np.asarray(p_t, dtype=np.float64)
    return -((1.0 - p_t) ** gamma) * np.log(p_t)


def p_true(p_minority, label):
    """Probability of the true class: p for a minority example (label 1), 1 - p otherwise."""
    p_minority, label = np.asarray(p_minority, dtype=np.float64), np.asarray(label)
    return np.where(label == 1, p_minority, 1.0 - p_minority)


def minority_share_of_loss(p_minority, labels, gamma: float) -> float:
    """Fraction of the total loss that comes from minority examples."""
    losses = focal_loss(p_true(p_minority, labels), gamma)
    return float(losses[labels == 1].sum() / losses.sum())


# --8<-- [end:core]


def bayes_posterior(x: np.ndarray, ratio: int) -> np.ndarray:
    """P(minority | x) for a standard-normal majority and an N((2.5, 2.5), 0.7^2 I) minority,
    at a prior of 1 : ratio: the calibrated probabilities of the best possible model."""
    scale = 0.7
    log_lik_ratio = (x**2).sum(1) / 2 - ((x - 2.5) ** 2).sum(1) / (2 * scale**2) - 2 * np.log(scale)
    return 1.0 / (1.0 + np.exp(-(log_lik_ratio - np.log(ratio))))


def imbalanced_sample(n_minority: int, ratio: int, rng: np.random.Generator):
    x = np.vstack([rng.normal(size=(n_minority * ratio, 2)), rng.normal(size=(n_minority, 2))])
    x[n_minority * ratio :] = x[n_minority * ratio :] * 0.7 + 2.5
    labels = np.r_[np.zeros(n_minority * ratio, int), np.ones(n_minority, int)]
    return x, labels


def plot_focal(gammas=GAMMAS):
    p = np.linspace(0.01, 1.0, 400)
    fig, (ax_loss, ax_weight) = plt.subplots(1, 2, figsize=(10, 4))
    for gamma in gammas:
        label = r"cross-entropy ($\gamma$ = 0)" if gamma == 0 else rf"$\gamma$ = {gamma:g}"
        ax_loss.plot(p, focal_loss(p, gamma), label=label)
        ax_weight.plot(p, (1 - p) ** gamma, label=label)
    ax_loss.set_ylim(0, 4)
    ax_loss.set_ylabel(r"loss  $-(1 - p_t)^\gamma \log p_t$")
    ax_weight.set_ylabel(r"focal / cross-entropy $= (1 - p_t)^\gamma$")
    for ax in (ax_loss, ax_weight):
        ax.set_xlabel(r"$p_t$: probability given to the true class")
        ax.axvspan(0.6, 1.0, color="0.6", alpha=0.15, lw=0)
    ax_weight.text(0.8, 0.9, "well classified", ha="center", fontsize=10)
    ax_loss.legend(fontsize=9, loc="upper center")
    fig.tight_layout()
    return fig


def main():
    print("Four predictions of a model at 1:100 imbalance (p = predicted P(minority)):\n")
    examples = [
        ("majority, easy", 0.01, 0),
        ("majority, hard", 0.70, 0),
        ("minority, easy", 0.95, 1),
        ("minority, hard", 0.20, 1),
    ]
    head = f"{'example':<16}{'p':>6}{'p_t':>7}{'CE':>8}{'focal γ=2':>11}{'factor':>9}"
    print(head)
    for name, p, label in examples:
        pt = float(p_true(p, label))
        ce, fl = float(focal_loss(pt, 0.0)), float(focal_loss(pt, 2.0))
        print(f"{name:<16}{p:>6.2f}{pt:>7.2f}{ce:>8.3f}{fl:>11.4f}{fl / ce:>9.4f}")

    rng = np.random.default_rng(0)
    x, labels = imbalanced_sample(2_000, RATIO, rng)
    p_min = bayes_posterior(x, RATIO)
    pt = p_true(p_min, labels)
    print(f"\nThe best possible model on 1:{RATIO} data ({len(labels):,} examples):")
    print(
        f"median p_t: majority {np.median(pt[labels == 0]):.4f},"
        f" minority {np.median(pt[labels == 1]):.3f}"
    )
    print(f"{'gamma':>6}{'minority share of the loss':>30}")
    shares = {g: minority_share_of_loss(p_min, labels, g) for g in GAMMAS}
    for gamma, share in shares.items():
        print(f"{gamma:>6g}{share:>30.3f}")
    print(f"(minority share of the examples: {labels.mean():.3f})")

    fig = plot_focal()
    alt = (
        "Two panels against p_t, the probability given to the true class, from 0 to 1. Left: "
        f"focal loss for gamma {', '.join(f'{g:g}' for g in GAMMAS)}; gamma 0 is cross-entropy, "
        "and larger gammas bend the curve down towards zero as p_t grows. Right: the ratio of "
        "focal loss to cross-entropy, (1 - p_t) to the power gamma, which is 1 at p_t = 0 and "
        f"falls to 0 at p_t = 1; at p_t = 0.9 and gamma 2 it is {0.1**2:.2f}."
    )
    caption = (
        "Focal loss only depends on p_t, never on the class: it shrinks the loss of any example "
        f"the model already gets right (at p_t = 0.9 and γ = 2, to {0.1**2:.0%} of cross-entropy), "
        f"majority or minority. On 1:{RATIO} data minority examples are the hard ones, so their "
        f"share of the loss rises from {shares[0.0]:.0%} (γ = 0) to {shares[2.0]:.0%} (γ = 2), "
        "but that is a side effect, not a class weight."
    )
    fig.savefig("focal_loss.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
