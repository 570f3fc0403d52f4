"""Dynamic batching: how long to hold a request so that others can join its batch.

A simulated prediction server with one model instance. Requests arrive at random (a Poisson
process). Whenever the model is free and a request is waiting, the batcher sends a batch as soon
as either `max_batch` requests are queued or the oldest one has waited `max_wait`; everything
queued, up to `max_batch`, goes in. A batch of b requests takes 1 ms + 0.1 ms * b, a fixed cost
per call plus a cost per request, the shape measured in latency_throughput.py. Pure simulation:
the same seed gives the same numbers on every machine.
"""

import bisect
import math

import matplotlib.pyplot as plt
import numpy as np

FIXED_MS, PER_REQUEST_MS = 1.0, 0.1  # service time of a batch of b: FIXED_MS + PER_REQUEST_MS * b
MAX_BATCH = 32
WAITS_MS = [0, 0.5, 1, 2, 5, 10, 20]
TRAFFIC = {"quiet": 400, "busy": 2000}  # requests per second
N_REQUESTS = 10_000


def service_ms(batch: int) -> float:
    return FIXED_MS + PER_REQUEST_MS * batch


def poisson_arrivals(rate_per_s: float, n: int, seed: int = 0) -> np.ndarray:
    """Arrival times in ms of n requests whose gaps are exponential with mean 1/rate."""
    gaps_ms = np.random.default_rng(seed).exponential(1e3 / rate_per_s, size=n)
    return np.cumsum(gaps_ms)


# --8<-- [start:core]
def simulate(arrivals_ms, max_batch: int, max_wait_ms: float, service=service_ms) -> dict:
    """Serve sorted arrival times with one model instance and a dynamic batcher."""
    arrivals = list(arrivals_ms)
    n = len(arrivals)
    finish = np.empty(n)
    sizes, busy_ms, free_at, i = [], 0.0, 0.0, 0
    while i < n:
        ready = max(free_at, arrivals[i])  # the model is free and request i is waiting
        full_at = arrivals[i + max_batch - 1] if i + max_batch <= n else math.inf
        # Send when the batch is full or the oldest request has waited max_wait; if it has
        # already waited that long (the model was busy), send at once.
        send = max(ready, min(full_at, arrivals[i] + max_wait_ms))
        j = min(bisect.bisect_right(arrivals, send, lo=i), i + max_batch)
        took = service(j - i)
        finish[i:j] = send + took
        sizes.append(j - i)
        busy_ms += took
        free_at, i = send + took, j
    latency = finish - np.asarray(arrivals)
    span_ms = finish.max() - arrivals[0]
    return {
        "mean_batch": float(np.mean(sizes)),
        "p50_ms": float(np.percentile(latency, 50)),
        "p99_ms": float(np.percentile(latency, 99)),
        "served_per_s": 1e3 * n / span_ms,  # achieved throughput
        "busy": busy_ms / span_ms,  # share of time the model was computing
        "per_busy_s": 1e3 * n / busy_ms,  # requests per second of model time: cost efficiency
    }


# --8<-- [end:core]


def sweep(traffic=TRAFFIC, waits=WAITS_MS, n=N_REQUESTS, seed=0) -> dict:
    """Results per traffic level: a no-batching row, then one row per max wait."""
    results = {}
    for k, (name, rate) in enumerate(traffic.items()):
        arrivals = poisson_arrivals(rate, n, seed=seed + k)
        rows = [{"max_batch": 1, "wait": 0.0, **simulate(arrivals, 1, 0.0)}]
        for wait in waits:
            rows.append(
                {"max_batch": MAX_BATCH, "wait": wait, **simulate(arrivals, MAX_BATCH, wait)}
            )
        results[name] = (rate, rows)
    return results


def plot(results):
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.8))
    for k, (name, (rate, rows)) in enumerate(results.items()):
        batched = [r for r in rows if r["max_batch"] > 1]
        waits = [r["wait"] for r in batched]
        colour = f"C{k}"
        label = f"{name}, {rate:,}/s"
        left.plot(
            waits, [r["p99_ms"] for r in batched], marker="s", color=colour, label=f"{label}: p99"
        )
        left.plot(
            waits,
            [r["p50_ms"] for r in batched],
            marker="o",
            ls="--",
            color=colour,
            label=f"{label}: p50",
        )
        right.plot(waits, [100 * r["busy"] for r in batched], marker="o", color=colour, label=label)
    left.set_ylabel("latency of a request (ms)")
    left.set_title("Latency grows with the wait", fontsize=11)
    left.legend(fontsize=8)
    right.set_ylabel("time the model is computing (%)")
    right.set_title("Model time falls as batches grow", fontsize=11)
    right.set_ylim(0, None)
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xticks(WAITS_MS, [f"{w:g}" for w in WAITS_MS])
        ax.set_xlim(-0.2, 1.25 * WAITS_MS[-1])
        ax.minorticks_off()
        ax.set_xlabel("max wait (ms)")
    fig.tight_layout()
    return fig


def main() -> None:
    results = sweep()
    print(
        f"One model instance; a batch of b takes {FIXED_MS:g} ms + {PER_REQUEST_MS:g} ms x b; "
        f"max batch {MAX_BATCH}; {N_REQUESTS:,} Poisson arrivals per run"
    )
    print(f"Capacity: {1e3 / service_ms(1):,.0f} requests/s one at a time, ", end="")
    print(f"{1e3 * MAX_BATCH / service_ms(MAX_BATCH):,.0f} requests/s in full batches\n")
    head = f"{'max batch':>9}{'max wait ms':>12}{'mean batch':>11}{'p50 ms':>10}{'p99 ms':>10}"
    print(head + f"{'served/s':>10}{'busy':>7}{'per busy s':>11}")
    for name, (rate, rows) in results.items():
        print(f"{name} traffic: {rate:,} requests/s arriving")
        for r in rows:
            print(
                f"{r['max_batch']:>9}{r['wait']:>12g}{r['mean_batch']:>11.1f}{r['p50_ms']:>10,.2f}"
                f"{r['p99_ms']:>10,.1f}{r['served_per_s']:>10,.0f}{r['busy']:>7.0%}"
                f"{r['per_busy_s']:>11,.0f}"
                + ("  overloaded" if r["served_per_s"] < 0.95 * rate else "")
            )
    print("\nserved/s: achieved throughput; busy: share of time the model computes;")
    print("per busy s: requests served per second of model time (what the hardware delivers);")
    print("overloaded: fewer served than arrive, so the queue and latency grow without limit")

    quiet, busy = results["quiet"][1], results["busy"][1]
    alt = (
        f"Two line charts against the batcher's max wait, from 0 to {WAITS_MS[-1]} ms. Left: with "
        f"quiet traffic the 99th-percentile latency grows from {quiet[1]['p99_ms']:.1f} to "
        f"{quiet[-1]['p99_ms']:.1f} ms; with busy traffic from {busy[1]['p99_ms']:.1f} to "
        f"{busy[-1]['p99_ms']:.1f} ms, and the medians follow. Right: the share of time the "
        f"model computes falls from {quiet[1]['busy']:.0%} to {quiet[-1]['busy']:.0%} (quiet) and "
        f"from {busy[1]['busy']:.0%} to {busy[-1]['busy']:.0%} (busy)."
    )
    caption = (
        "Holding requests for up to the max wait fills bigger batches, so the same traffic needs "
        "less model time: capacity left for spikes, other models or fewer replicas. The price is "
        "latency, paid almost in full when traffic is quiet and the batch never fills. Without "
        f"batching, busy traffic exceeds capacity: {busy[0]['served_per_s']:,.0f} requests/s "
        f"served of {results['busy'][0]:,} arriving."
    )
    fig = plot(results)
    fig.savefig("dynamic_batching.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
