"""A day of traffic: fixed replicas or an autoscaler, and why start-up time matters.

Simulated requests per second over 24 hours (a daily cycle plus a sudden campaign spike), served
by replicas of a model server that each handle a fixed load. Compares fixed provisioning with a
reactive autoscaler whose new replicas need time to start (pull the image, load the weights).
"""

import numpy as np

MINUTES = 24 * 60
CAPACITY = 50.0  # requests per second one replica serves within its latency target
TARGET_UTILISATION = 0.7  # the autoscaler aims to keep replicas 70% busy
COOLDOWN = 10  # minutes of lower demand before the autoscaler removes replicas
MIN_REPLICAS = 2


def daily_traffic(rng: np.random.Generator, spike_at: int = 19 * 60) -> np.ndarray:
    """Requests per second for each minute of one day: quiet at night, busy in the evening,
    and a campaign at 19:00 that doubles traffic within five minutes for half an hour."""
    t = np.arange(MINUTES)
    daily = 600 + 450 * np.sin(2 * np.pi * (t - 9 * 60) / MINUTES)
    ramp = np.clip((t - spike_at) / 5, 0, 1) * (t < spike_at + 30)
    return np.maximum(daily * (1 + ramp) + rng.normal(0, 25, MINUTES), 0)


# --8<-- [start:core]
def fixed(traffic: np.ndarray, replicas: int) -> np.ndarray:
    return np.full(len(traffic), replicas)


def replicas_wanted(load: float) -> int:
    """Replicas that serve `load` requests per second at the target utilisation."""
    return max(MIN_REPLICAS, int(np.ceil(load / (CAPACITY * TARGET_UTILISATION))))


def autoscaled(traffic: np.ndarray, startup_minutes: int) -> np.ndarray:
    """Replicas serving in each minute under a reactive autoscaler.

    Each minute it compares the last minute's load with what the running replicas can take at
    the target utilisation, orders new replicas (ready `startup_minutes` later) and removes
    spare ones only after COOLDOWN quiet minutes.
    """
    ready = np.full(len(traffic), replicas_wanted(traffic[0]))  # the day starts provisioned
    ordered = ready[0]  # replicas running or starting
    arrivals = np.zeros(len(traffic) + startup_minutes + 1, dtype=int)
    quiet = 0
    for minute in range(1, len(traffic)):
        ready[minute] = ready[minute - 1] + arrivals[minute]
        wanted = replicas_wanted(traffic[minute - 1])
        if wanted > ordered:
            arrivals[minute + startup_minutes] += wanted - ordered
            ordered, quiet = wanted, 0
        elif wanted < ordered:
            quiet += 1
            if quiet >= COOLDOWN and ready[minute] == ordered:  # never cancel a pending start
                ready[minute] = ordered = wanted
                quiet = 0
        else:
            quiet = 0
    return ready


def cost_and_overload(traffic: np.ndarray, replicas: np.ndarray) -> dict:
    """Replica-hours paid, minutes in which demand exceeded capacity, and the requests then
    beyond capacity (dropped, or served far outside the latency target)."""
    excess = np.maximum(traffic - replicas * CAPACITY, 0)
    return {
        "replica-hours": float(replicas.sum() / 60),
        "overloaded min": int(np.sum(excess > 0)),
        "requests over": float(excess.sum() * 60),
    }


# --8<-- [end:core]


def main() -> None:
    rng = np.random.default_rng(0)
    traffic = daily_traffic(rng)
    mean_need = int(np.ceil(traffic.mean() / CAPACITY))
    peak_need = int(np.ceil(traffic.max() / CAPACITY))
    print(
        f"Traffic: mean {traffic.mean():,.0f} req/s, peak {traffic.max():,.0f} req/s;"
        f" one replica serves {CAPACITY:.0f} req/s\n"
    )
    plans = {
        f"fixed at the mean ({mean_need} replicas)": fixed(traffic, mean_need),
        f"fixed at the peak ({peak_need} replicas)": fixed(traffic, peak_need),
        "autoscaled, replicas start in 2 min": autoscaled(traffic, 2),
        "autoscaled, replicas start in 15 min": autoscaled(traffic, 15),
    }
    columns = ["replica-hours", "overloaded min", "requests over"]
    print(f"{'provisioning':<40}" + "".join(f"{c:>16}" for c in columns))
    for name, replicas in plans.items():
        result = cost_and_overload(traffic, replicas)
        print(
            f"{name:<40}{result['replica-hours']:>16,.0f}{result['overloaded min']:>16,}"
            f"{result['requests over']:>16,.0f}"
        )
    print(
        f"\nAutoscaler: target utilisation {TARGET_UTILISATION:.0%}, scale-down after "
        f"{COOLDOWN} quiet minutes, at least {MIN_REPLICAS} replicas."
    )


if __name__ == "__main__":
    main()
