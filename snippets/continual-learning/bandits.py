"""Multi-armed bandits against A/B splits: cumulative regret of two versions of a model.

Version A converts 10% of requests, version B 13%; nobody knows which is better. Four ways of
routing 50,000 requests are compared by their regret: the conversions lost against always
serving the better version. The policies see the outcomes in batches of 100 requests, as a
production system that updates every few minutes would. Averaged over 60 runs.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

RATES = np.array([0.10, 0.13])  # true conversion rates of A and B (unknown to the policies)
HORIZON, BATCH, RUNS = 50_000, 100, 60
EPSILON = 0.1
Z_ALPHA, Z_POWER = 1.959964, 0.841621  # normal quantiles for alpha = 0.05 and power = 0.8


# --8<-- [start:core]
def ab_test_size(p_base: float, mde: float) -> int:
    """Users per group for a two-proportion z-test (see ab_test.py), used by 'test then ship'."""
    p_new, p_bar = p_base + mde, p_base + mde / 2
    spread = Z_ALPHA * math.sqrt(2 * p_bar * (1 - p_bar))
    spread += Z_POWER * math.sqrt(p_base * (1 - p_base) + p_new * (1 - p_new))
    return math.ceil((spread / mde) ** 2)


def choose(policy: str, wins, pulls, step: int, rng, test_size: int) -> np.ndarray:
    """Arms (0 or 1) for the next BATCH requests of every run, from the counts so far."""
    runs = len(wins)
    if policy == "A/B split 50/50" or (policy == "A/B test, then ship" and step < 2 * test_size):
        return rng.integers(0, 2, (runs, BATCH))
    if policy == "A/B test, then ship":  # after the test: the observed winner, for good
        best = np.argmax(wins / pulls, axis=1)
        return np.repeat(best[:, None], BATCH, axis=1)
    if policy == "Thompson sampling":  # draw a rate for each arm from its Beta posterior
        draws = rng.beta(
            1 + wins[:, None, :], 1 + pulls[:, None, :] - wins[:, None, :], (runs, BATCH, 2)
        )
        return np.argmax(draws, axis=2)
    # epsilon-greedy: the best-looking arm, except a random one with probability EPSILON
    means = np.where(pulls > 0, wins / np.maximum(pulls, 1), 1.0)  # untried arms look best
    greedy = np.argmax(means + 1e-9 * rng.random(means.shape), axis=1)  # random tie-break
    explore = rng.random((runs, BATCH)) < EPSILON
    return np.where(explore, rng.integers(0, 2, (runs, BATCH)), greedy[:, None])


def simulate(policy: str, rates=RATES, horizon=HORIZON, runs=RUNS, seed=0):
    """Cumulative regret after every batch (runs x batches) and the final pulls per arm."""
    rng = np.random.default_rng(seed)
    test_size = ab_test_size(rates[0], rates[1] - rates[0])
    wins, pulls = np.zeros((runs, 2)), np.zeros((runs, 2))
    gap = rates.max() - rates  # regret of one request on each arm
    regret = np.zeros((runs, horizon // BATCH))
    for b, step in enumerate(range(0, horizon, BATCH)):
        arms = choose(policy, wins, pulls, step, rng, test_size)
        converted = rng.random(arms.shape) < rates[arms]
        for arm in (0, 1):
            pulls[:, arm] += (arms == arm).sum(1)
            wins[:, arm] += (converted & (arms == arm)).sum(1)
        regret[:, b] = gap[arms].sum(1)
    return regret.cumsum(axis=1), pulls


POLICIES = ("A/B split 50/50", "A/B test, then ship", "epsilon-greedy", "Thompson sampling")
# --8<-- [end:core]


def plot(curves):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    t = np.arange(1, HORIZON // BATCH + 1) * BATCH
    for ax, names in zip(axes, (POLICIES, POLICIES[1:]), strict=True):
        for name in names:
            ax.plot(t, curves[name].mean(0), label=name, color=f"C{POLICIES.index(name)}")
        ax.set_xlabel("requests")
        ax.set_ylim(bottom=0)
    axes[0].set_ylabel(f"cumulative regret (mean of {RUNS} runs)")
    axes[0].set_title("all four policies", fontsize=10)
    axes[1].set_title("zoom: without the permanent 50/50 split", fontsize=10)
    axes[0].legend(fontsize=9, loc="upper left")
    fig.tight_layout()
    return fig


def main():
    n_test = ab_test_size(RATES[0], RATES[1] - RATES[0])
    print(f"Rates A {RATES[0]:.2f}, B {RATES[1]:.2f}; {HORIZON:,} requests in batches of {BATCH};")
    print(f"'test then ship' runs a {n_test:,}-per-group test, then serves the observed winner.\n")
    curves, pulls = {}, {}
    for name in POLICIES:
        curves[name], pulls[name] = simulate(name)
    marks = [HORIZON // 10, HORIZON // 2, HORIZON]
    head = "".join(f"{'regret@' + f'{m // 1000}k':>12}" for m in marks)
    print(f"{'policy':<22}{head}{'pulls of A':>12}{'B - A, 95% CI':>15}")
    for name in POLICIES:
        mean = curves[name].mean(0)
        cells = "".join(f"{mean[m // BATCH - 1]:>12.1f}" for m in marks)
        n = pulls[name]
        half_width = Z_ALPHA * np.sqrt((RATES * (1 - RATES) / n).sum(1)).mean()
        print(f"{name:<22}{cells}{n[:, 0].mean():>12,.0f}{'+/- ' + f'{half_width:.4f}':>15}")
    print("\npulls of A: requests sent to the worse version; B - A, 95% CI: how precisely the")
    print(f"data collected can estimate the true lift of {RATES[1] - RATES[0]:.2f} afterwards.")

    fig = plot(curves)
    end = {name: curves[name].mean(0)[-1] for name in POLICIES}
    half = {name: curves[name].mean(0)[HORIZON // BATCH // 2 - 1] for name in POLICIES}
    ts = "Thompson sampling"
    alt = (
        f"Cumulative regret over {HORIZON:,} requests, averaged over {RUNS} runs. The permanent "
        f"50/50 split grows in a straight line to {end['A/B split 50/50']:.0f} lost conversions. "
        f"The test-then-ship policy rises until its test ends, then stays flat at "
        f"{end['A/B test, then ship']:.0f}. Epsilon-greedy keeps growing slowly in a straight "
        f"line to {end['epsilon-greedy']:.0f}. Thompson sampling bends over and ends at "
        f"{end[ts]:.0f}, having added only {end[ts] - half[ts]:.0f} in the second half."
    )
    caption = (
        f"Thompson sampling's regret grows ever more slowly (sublinearly), ending "
        f"{end['A/B split 50/50'] / end[ts]:.0f} times below the permanent 50/50 split. "
        "Epsilon-greedy never stops paying for exploration. A fixed-size A/B test that ships "
        "its winner also stops losing once it ends."
    )
    fig.savefig("bandit_regret.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
