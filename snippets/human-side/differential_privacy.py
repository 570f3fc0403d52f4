"""Privacy costs accuracy, and small groups pay most: the Laplace mechanism on a mean.

A statistic is released with Laplace noise of scale sensitivity / epsilon, where the sensitivity
is how much one person can change it. For a mean of n values clipped to [0, upper] it is
upper / n, so the noise on a group's mean is inversely proportional to the group's size: at the
same epsilon, a group a hundred times smaller gets an answer a hundred times noisier.
"""

import matplotlib.pyplot as plt
import numpy as np

UPPER = 200.0  # salaries in thousands, clipped to [0, UPPER]: this bounds the sensitivity
GROUPS = {"majority (n = 20,000)": 20_000, "minority (n = 200)": 200}
EPSILONS = [0.01, 0.05, 0.1, 0.5, 1.0, 5.0]


# --8<-- [start:core]
def laplace_mechanism(value, sensitivity: float, epsilon: float, rng, size=None):
    """Release value + Laplace(0, sensitivity / epsilon): epsilon-differentially private."""
    return value + rng.laplace(0.0, sensitivity / epsilon, size)


def private_mean(x: np.ndarray, epsilon: float, rng, size=None, upper: float = UPPER):
    """Mean of values clipped to [0, upper]. Changing one person's value moves the mean by at
    most upper / n (n is treated as public)."""
    clipped = np.clip(x, 0, upper)
    return laplace_mechanism(clipped.mean(), upper / len(x), epsilon, rng, size)


def private_count(count: int, epsilon: float, rng, size=None):
    """One person changes a count by at most 1."""
    return laplace_mechanism(count, 1.0, epsilon, rng, size)


# --8<-- [end:core]


def salaries(n: int, rng) -> np.ndarray:
    return rng.lognormal(np.log(55), 0.45, n)


def relative_errors(data: dict[str, np.ndarray], rng, releases: int = 4000):
    """Mean absolute error of the released mean, as a share of the true mean, per epsilon."""
    out = {}
    for name, x in data.items():
        truth = np.clip(x, 0, UPPER).mean()
        out[name] = [
            float(np.mean(np.abs(private_mean(x, eps, rng, releases) - truth)) / truth)
            for eps in EPSILONS
        ]
    return out


def plot(errors):
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for name, err in errors.items():
        ax.plot(EPSILONS, np.array(err) * 100, "o-", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("epsilon (smaller = more private)")
    ax.set_ylabel("mean error of the mean (% of truth)")
    ax.legend()
    fig.tight_layout()
    return fig


def main():
    rng = np.random.default_rng(0)
    data = {name: salaries(n, rng) for name, n in GROUPS.items()}
    errors = relative_errors(data, rng)
    print("Mean salary per group released with the Laplace mechanism; mean absolute error")
    print("over 4,000 releases, as a share of the true mean (theory: upper / (n epsilon)).\n")
    print(f"{'epsilon':>8}" + "".join(f"{name:>24}" for name in errors))
    for i, eps in enumerate(EPSILONS):
        print(f"{eps:>8g}" + "".join(f"{errors[name][i] * 100:>23.3g}%" for name in errors))

    print("\nCounts per region, epsilon = 0.1 (noise scale 10 people), 4,000 releases:")
    print(f"{'true count':>11}{'mean abs error':>16}{'off by > 50%':>14}{'negative':>10}")
    for count in (10_000, 1_000, 100, 10):
        noisy = private_count(count, 0.1, rng, 4000)
        print(
            f"{count:>11,}{np.mean(np.abs(noisy - count)):>16.1f}"
            f"{np.mean(np.abs(noisy - count) > 0.5 * count):>14.1%}{np.mean(noisy < 0):>10.1%}"
        )

    fig = plot(errors)
    (major, major_err), (minor, minor_err) = errors.items()
    i = EPSILONS.index(1.0)
    alt = (
        "Relative error of a released mean against epsilon, both on log scales, for two groups. "
        f"Both lines fall as epsilon grows; at epsilon 1 the error is {major_err[i]:.2%} for the "
        f"{major} and {minor_err[i]:.2%} for the {minor}; the lines stay parallel."
    )
    ratio = np.mean(np.array(minor_err) / np.array(major_err))
    caption = (
        "The noise needed to hide one person is the same for everyone, so it swamps small "
        f"groups first: the minority's mean is about {ratio:.0f} times less accurate at every "
        "privacy level, the ratio of the group sizes."
    )
    fig.savefig("dp_error_by_group.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
