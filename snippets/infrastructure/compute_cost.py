"""Cloud or own hardware? A year of hourly GPU demand, priced three ways.

Cloud capacity is paid per hour used; owned capacity is paid per hour whether used or not. So
the question is utilisation: owning a GPU pays when it is busy more often than the break-even
share, owned cost per hour divided by cloud price per hour. With a mix (own some, rent the
peaks), the cheapest number to own is the level that demand exceeds for more than that share of
the year. The prices below are illustrative assumptions, not quotes: put in your own.
"""

import matplotlib.pyplot as plt
import numpy as np

HOURS = 365 * 24
CLOUD_PER_GPU_HOUR = 2.50  # on-demand price, assumed
PURCHASE_PER_GPU = 25_000.0  # GPU plus its share of server, network and storage, assumed
LIFETIME_YEARS = 4
RUNNING_PER_GPU_HOUR = 0.40  # power, cooling, space and staff, per GPU, assumed


# --8<-- [start:core]
def owned_per_gpu_hour() -> float:
    """What one owned GPU costs per hour of the year, busy or idle."""
    return PURCHASE_PER_GPU / (LIFETIME_YEARS * HOURS) + RUNNING_PER_GPU_HOUR


def yearly_cost(demand: np.ndarray, owned: int) -> float:
    """Own `owned` GPUs all year; rent whatever demand exceeds them from the cloud."""
    burst = np.maximum(demand - owned, 0).sum()
    return owned * owned_per_gpu_hour() * HOURS + burst * CLOUD_PER_GPU_HOUR


def best_owned(demand: np.ndarray) -> int:
    """Owning one more GPU saves the cloud price in every hour demand exceeds it: worth it
    while that happens more often than the break-even share of hours."""
    break_even = owned_per_gpu_hour() / CLOUD_PER_GPU_HOUR
    return int(np.ceil(np.quantile(demand, 1 - break_even)))


# --8<-- [end:core]


def bursty_team(rng) -> np.ndarray:
    """A team that experiments: a few GPUs in working hours, now and then a large training run."""
    hour = np.arange(HOURS)
    working = ((hour // 24) % 7 < 5) & (hour % 24 >= 9) & (hour % 24 < 19)
    demand = np.where(working, rng.poisson(6, HOURS), rng.poisson(1, HOURS))
    for start in rng.choice(HOURS - 72, size=12, replace=False):
        demand[start : start + 72] += 64  # twelve three-day runs on 64 GPUs
    return demand.astype(float)


def steady_fleet(rng) -> np.ndarray:
    """A large, steady workload: serving plus scheduled retraining, with a daily cycle."""
    hour = np.arange(HOURS)
    daily = 1 + 0.15 * np.sin(2 * np.pi * (hour % 24) / 24)
    return np.round(300 * daily + rng.normal(0, 10, HOURS)).clip(0)


def summarise(name, demand):
    peak = int(demand.max())
    k = best_owned(demand)
    return {
        "name": name,
        "mean": demand.mean(),
        "peak": peak,
        "cloud": yearly_cost(demand, 0),
        "owned at peak": yearly_cost(demand, peak),
        "mixed": yearly_cost(demand, k),
        "k": k,
        "utilisation at peak": demand.mean() / peak,
    }


def plot(profiles):
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
    for ax, (name, demand) in zip(axes, profiles.items(), strict=True):
        peak = int(demand.max())
        ks = np.arange(0, peak + 1, max(1, peak // 100))
        costs = np.array([yearly_cost(demand, k) for k in ks]) / 1e6
        k = best_owned(demand)
        ax.plot(ks, costs)
        ax.plot([k], [yearly_cost(demand, k) / 1e6], "o", color="#D55E00")
        ax.set_title(name, fontsize=11)
        ax.set_xlabel("GPUs owned (the rest rented)")
        ax.set_ylim(0, costs.max() * 1.05)
    axes[0].set_ylabel("cost per year (millions)")
    fig.tight_layout()
    return fig


def main():
    rng = np.random.default_rng(0)
    profiles = {"bursty team": bursty_team(rng), "steady fleet": steady_fleet(rng)}
    per_hour = owned_per_gpu_hour()
    print(f"Owned GPU: {per_hour:.2f} per hour of the year; cloud: {CLOUD_PER_GPU_HOUR:.2f} per")
    print(f"hour used. Break-even utilisation: {per_hour / CLOUD_PER_GPU_HOUR:.0%}.\n")
    rows = [summarise(name, d) for name, d in profiles.items()]
    head = {"mean GPUs": 10, "peak": 6, "cloud only": 12, "own peak": 11, "mixed": 11}
    print(f"{'':<14}" + "".join(f"{h:>{w}}" for h, w in head.items()) + f"{'GPUs owned':>12}")
    for r in rows:
        print(
            f"{r['name']:<14}{r['mean']:>10.1f}{r['peak']:>6}{r['cloud']:>12,.0f}"
            f"{r['owned at peak']:>11,.0f}{r['mixed']:>11,.0f}{r['k']:>12}"
        )
    print("\n(costs per year; mixed = own the best number of GPUs, rent the rest)")
    for r in rows:
        print(f"{r['name']}: owning for the peak leaves {1 - r['utilisation at peak']:.0%} idle")

    fig = plot(profiles)
    team, fleet = rows
    alt = (
        "Two panels of yearly cost against the number of GPUs owned, the rest rented. For the "
        f"bursty team the cost is lowest, {team['mixed'] / 1e6:.2f} million, at {team['k']} "
        f"owned GPUs and climbs to {team['owned at peak'] / 1e6:.2f} million when owning the "
        f"peak of {team['peak']}. For the steady fleet it falls from "
        f"{fleet['cloud'] / 1e6:.2f} million with no GPU owned to {fleet['mixed'] / 1e6:.2f} "
        f"million at {fleet['k']} owned GPUs, then rises to {fleet['owned at peak'] / 1e6:.2f} "
        f"million at the peak of {fleet['peak']}."
    )
    caption = (
        "Each dot is the cheapest mix: own the capacity that demand exceeds for more than the "
        "break-even share of hours, rent the rest. Spiky demand belongs in the cloud; steady, "
        "high demand is cheaper owned."
    )
    fig.savefig("compute_cost.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
