"""Latency versus throughput: batching requests raises both.

A small MLP scores batches of 1 to 256 requests. Latency is the time from a request's arrival to
its answer; throughput is answers per second. Timings: warm-up, then the median of many rounds.
"""

import platform
import statistics
import time

import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import LogLocator
from torch import nn

MEASURES_TIME = True  # it times code: run it on an otherwise idle machine for steady numbers

BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256]
N_FEATURES = 128
WARMUP, REPEATS, ROUNDS = 3, 10, 5  # per batch size: 5 rounds of 3 warm-up + 10 timed
TRAFFIC = 3  # requests arrive at 3x what one-at-a-time serving can handle on this machine


def make_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(N_FEATURES, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    ).eval()


# --8<-- [start:core]
def time_batches(model: nn.Module, batches, rounds: int = ROUNDS, repeats: int = REPEATS) -> dict:
    """Median seconds of one forward pass, per batch size.

    Each round times every batch size in turn: WARMUP passes that are discarded, then `repeats`
    timed ones. Spreading the rounds over time means a burst of load from another process
    slows all batch sizes alike instead of spoiling one.
    """
    inputs = {b: torch.randn(b, N_FEATURES) for b in batches}
    times = {b: [] for b in batches}
    with torch.inference_mode():
        for _ in range(rounds):
            for b in batches:
                for i in range(WARMUP + repeats):
                    start = time.perf_counter()
                    model(inputs[b])
                    if i >= WARMUP:
                        times[b].append(time.perf_counter() - start)
    return {b: statistics.median(t) for b, t in times.items()}


def serving_numbers(batch: int, seconds: float, arrival_rate: float) -> dict:
    """Throughput and latency of serving requests that arrive steadily, in batches of `batch`.

    A request first waits for its batch to fill: the k-th of b requests waits (b - k) / rate,
    (b - 1) / (2 rate) on average. Then every request in the batch waits for the whole forward
    pass. If the server cannot keep up with the arrivals, a queue grows without limit.
    """
    throughput = batch / seconds  # requests per second while the server is busy
    wait = (batch - 1) / (2 * arrival_rate)
    return {
        "compute_ms": 1e3 * seconds,
        "throughput": throughput,
        "utilisation": arrival_rate / throughput,  # above 1: the queue grows without limit
        "keeps_up": throughput > arrival_rate,
        "wait_ms": 1e3 * wait,
        "latency_ms": 1e3 * (wait + seconds),  # queueing delay not included
    }


# --8<-- [end:core]


def batching_is_exact(model: nn.Module, batch: int = 64) -> float:
    """Largest difference between batched predictions and one-request-at-a-time predictions."""
    x = torch.randn(batch, N_FEATURES)
    with torch.inference_mode():
        together = model(x)
        alone = torch.cat([model(row[None]) for row in x])
    return (together - alone).abs().max().item()


def plot_tradeoff(rows, arrival_rate: float):
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.8))
    batches = [r["batch"] for r in rows]
    left.plot(batches, [r["compute_ms"] for r in rows], marker="o", label="forward pass")
    served = [r for r in rows if r["keeps_up"]]  # elsewhere the queue, and latency, grow forever
    left.plot(
        [r["batch"] for r in served],
        [r["latency_ms"] for r in served],
        marker="o",
        label="+ wait to fill the batch",
    )
    left.set_ylabel("latency per request (ms)")
    left.legend()
    right.plot(batches, [r["throughput"] for r in rows], marker="o", color="C2", label="capacity")
    right.axhline(arrival_rate, linestyle="--", color="C5", label="arriving traffic")
    right.set_ylabel("throughput (requests/s)")
    right.legend()
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(batches, [str(b) for b in batches])
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.minorticks_off()
        ax.yaxis.set_major_formatter("{x:,.6g}")
        ax.set_xlabel("batch size (requests)")
    fig.tight_layout()
    return fig


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)  # per-core numbers, steady even when other processes share the CPU
    model = make_model()
    seconds = time_batches(model, BATCHES)
    arrival_rate = TRAFFIC * 1 / seconds[1]
    rows = [{"batch": b, **serving_numbers(b, seconds[b], arrival_rate)} for b in BATCHES]

    print(f"torch {torch.__version__}, threads: {torch.get_num_threads()}, {platform.machine()}")
    print(
        f"MLP {N_FEATURES}-256-256-10; median of {ROUNDS} x {REPEATS} passes per batch size,"
        f" each block after {WARMUP} warm-up passes"
    )
    print(f"Traffic: {arrival_rate:,.0f} requests/s arriving ({TRAFFIC}x the batch-1 capacity)\n")
    print(f"{'batch':>6}{'forward ms':>12}{'requests/s':>12}{'utilisation':>13}{'latency ms':>12}")
    for r in rows:
        latency = f"{r['latency_ms']:.3f}" if r["keeps_up"] else "unbounded"
        print(
            f"{r['batch']:>6}{r['compute_ms']:>12.3f}{r['throughput']:>12,.0f}"
            f"{r['utilisation']:>13.0%}{latency:>12}"
        )
    print("\nutilisation = arriving requests / capacity; above 100% the queue grows without limit")
    print("latency = mean wait for the batch to fill + forward pass (queueing delay not included)")
    print(f"Batched vs one-at-a-time predictions, max |difference|: {batching_is_exact(model):.1e}")

    first, last = rows[0], rows[-1]
    smallest = next((r for r in rows if r["keeps_up"]), None)
    enough = (
        f"the smallest batch that keeps up is {smallest['batch']}, at "
        f"{smallest['latency_ms']:.2f} ms per request"
        if smallest
        else "no batch size keeps up"
    )
    alt = (
        f"Two log-log line charts against batch size from {first['batch']} to {last['batch']}. "
        f"Left: the forward pass takes {first['compute_ms']:.3f} ms at batch {first['batch']} and "
        f"{last['compute_ms']:.2f} ms at batch {last['batch']}; adding the wait for the batch to "
        f"fill, drawn only for batch sizes whose capacity exceeds the traffic, latency per request "
        f"reaches {last['latency_ms']:.2f} ms. Right: throughput rises "
        f"from {first['throughput']:,.0f} to {last['throughput']:,.0f} requests per second, "
        f"against a dashed line at the {arrival_rate:,.0f} requests per second arriving."
    )
    caption = (
        f"Batching {last['batch']} requests instead of 1 multiplied throughput by "
        f"{last['throughput'] / first['throughput']:.1f} and made every request slower. At this "
        f"traffic {enough}; bigger batches only add latency."
    )
    fig = plot_tradeoff(rows, arrival_rate)
    fig.savefig("batching.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
