"""Fail smoothly on time: answer with a fast, simpler model when the main model is late.

A simulated stream of requests. The main model is more accurate, and its latency has a heavy
tail: it grows with the size of the input, and now and then a request stalls (a pause for
garbage collection, a cold cache, a queue). The fallback is a small model that is fast and
predictable but less accurate. Five policies answer the same requests; the table compares
their accuracy, their median and 99th-percentile latency, and how many model calls they make.
"""

import matplotlib.pyplot as plt
import numpy as np

N_REQUESTS = 50_000
MAIN_ACCURACY, FALLBACK_ACCURACY = 0.93, 0.86
DEADLINE_MS = 100.0


def simulate_requests(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    size = rng.lognormal(np.log(200), 0.6, n)  # input size, e.g. tokens: known up front
    main = (15 + 0.12 * size) * rng.lognormal(0, 0.25, n)
    stall = rng.random(n) < 0.02
    main = main + stall * rng.exponential(250, n)  # occasional stalls nobody can predict
    fallback = (2 + 0.01 * size) * rng.lognormal(0, 0.1, n)
    hardness = rng.random(n)  # easy requests are right under both models
    return {
        "size": size,
        "main_ms": main,
        "fallback_ms": fallback,
        "main_right": hardness < MAIN_ACCURACY,
        "fallback_right": hardness < FALLBACK_ACCURACY,
    }


# --8<-- [start:core]
def serve(r: dict, policy: str, deadline: float = DEADLINE_MS, predicted_ms=None):
    """Latency (ms), correctness, whether the fallback answered, and model calls per request."""
    main, fast = r["main_ms"], r["fallback_ms"]
    late = main > deadline
    if policy == "always main":
        used_fallback, latency, calls = np.zeros_like(late), main, 1.0
    elif policy == "always fallback":
        used_fallback, latency, calls = np.ones_like(late), fast, 1.0
    elif policy == "timeout, then fallback":  # start the fallback when the deadline passes
        used_fallback = late
        latency = np.where(late, deadline + fast, main)
        calls = 1 + late.mean()
    elif policy == "both at once, deadline":  # hedge: the fallback's answer is ready anyway
        used_fallback = late
        latency = np.where(late, np.maximum(deadline, fast), main)
        calls = 2.0
    elif policy == "route by predicted latency":  # skip the main model for big inputs
        used_fallback = predicted_ms > deadline
        latency = np.where(used_fallback, fast, main)
        calls = 1.0
    else:
        raise ValueError(policy)
    right = np.where(used_fallback, r["fallback_right"], r["main_right"])
    return latency, right, used_fallback, calls


# --8<-- [end:core]

POLICIES = [
    "always main",
    "always fallback",
    "timeout, then fallback",
    "both at once, deadline",
    "route by predicted latency",
]


def latency_predictor(r: dict) -> np.ndarray:
    """What the main model's latency looks like from the input size alone (no stalls)."""
    return 15 + 0.12 * r["size"]


def plot(r):
    deadlines = np.geomspace(1, 600, 40)
    points = []
    for d in deadlines:
        latency, right, _, _ = serve(r, "timeout, then fallback", d)
        points.append((np.percentile(latency, 99), right.mean()))
    points = np.array(points)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(points[:, 0], points[:, 1], "-", label="timeout, then fallback (deadline varies)")
    for policy, marker in (("always main", "s"), ("always fallback", "D")):
        latency, right, _, _ = serve(r, policy)
        ax.plot([np.percentile(latency, 99)], [right.mean()], marker, ms=8, label=policy)
    latency, right, _, _ = serve(r, "timeout, then fallback")
    ax.plot([np.percentile(latency, 99)], [right.mean()], "o", ms=8, label="deadline 100 ms")
    ax.set_xscale("log")
    ax.set_xlabel("99th-percentile latency (ms)")
    ax.set_ylabel("accuracy")
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    return fig


def main():
    rng = np.random.default_rng(0)
    r = simulate_requests(N_REQUESTS, rng)
    predicted = latency_predictor(r)
    print(f"{N_REQUESTS:,} requests; main model right {MAIN_ACCURACY:.0%} of the time, fallback")
    print(f"{FALLBACK_ACCURACY:.0%}; deadline {DEADLINE_MS:.0f} ms.\n")
    head = f"{'policy':<28}{'accuracy':>9}{'p50 ms':>8}{'p99 ms':>8}{'fallback':>9}{'calls':>7}"
    print(head)
    for policy in POLICIES:
        latency, right, used, calls = serve(r, policy, predicted_ms=predicted)
        p50, p99 = np.percentile(latency, [50, 99])
        print(
            f"{policy:<28}{right.mean():>9.3f}{p50:>8.0f}{p99:>8.0f}{used.mean():>9.1%}"
            f"{calls:>7.2f}"
        )
    late = r["main_ms"] > DEADLINE_MS
    print(f"\nThe main model misses the deadline on {late.mean():.1%} of requests;")
    stalled = late & (predicted <= DEADLINE_MS)
    print(f"{stalled.mean():.1%} of requests are late although their size predicted them fast.")

    fig = plot(r)
    main_lat, main_right, _, _ = serve(r, "always main")
    dl_lat, dl_right, _, _ = serve(r, "timeout, then fallback")
    alt = (
        "Accuracy against 99th-percentile latency on a log axis. Always using the main model "
        f"gives accuracy {main_right.mean():.3f} at a p99 of "
        f"{np.percentile(main_lat, 99):.0f} ms; a 100 ms deadline with a fallback gives "
        f"{dl_right.mean():.3f} at {np.percentile(dl_lat, 99):.0f} ms. The curve of deadlines "
        "rises from the always-fallback point to the always-main point."
    )
    caption = (
        "A deadline cuts the tail of the latency distribution and costs accuracy only on the "
        "few requests that were late. Lowering the deadline moves along the curve towards the "
        "fallback model."
    )
    fig.savefig("latency_fallback.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
