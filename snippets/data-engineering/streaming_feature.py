"""One feature, "transactions on this card in the last 10 minutes", computed two ways.

Batch: over the complete log at once, vectorised. Stream: one event at a time, keeping a sliding
window of recent timestamps per card. The two must agree exactly, or the model is trained on one
feature and served another. The stream's cost per event and its state are measured, and a last
part shows what happens when events arrive late and the stream counts by arrival time.
"""

import statistics
import time
from collections import defaultdict, deque

import numpy as np

MEASURES_TIME = True  # it times code: run it on an otherwise idle machine for steady numbers

WINDOW = 600  # seconds: the feature counts events in (t - 10 minutes, t]
DAY = 86_400
N_CARDS, MEAN_PER_CARD = 2_000, 25  # ordinary cards: about 25 transactions a day each
N_TESTED, BURST = 20, (30, 80)  # card testing: bursts of 30 to 80 attempts within minutes
REPEATS, WARMUP = 5, 1


def make_log(rng: np.random.Generator):
    """A day of transactions: (card, time in whole seconds), sorted by time as a log is."""
    per_card = rng.poisson(MEAN_PER_CARD, size=N_CARDS)
    cards = [np.repeat(np.arange(N_CARDS), per_card)]
    times = [rng.integers(0, DAY, size=per_card.sum())]
    for card in range(N_CARDS, N_CARDS + N_TESTED):  # a burst on each tested card
        n, start = rng.integers(*BURST), rng.integers(0, DAY - 900)
        cards.append(np.full(n, card))
        times.append(start + np.sort(rng.integers(0, 300, size=n)))
    cards, times = np.concatenate(cards), np.concatenate(times)
    order = np.argsort(times, kind="stable")
    return cards[order], times[order]


# --8<-- [start:core]
def count_in_window_batch(cards, times, window: int = WINDOW) -> np.ndarray:
    """For every event: events of the same card with time in (t - window, t], counting events
    at the same second only up to this one in log order. Vectorised over the whole log."""
    n = len(cards)
    order = np.lexsort((np.arange(n), times, cards))  # by card, then time, then log position
    span = int(times.max()) + window + 1  # one number per (card, time) that sorts the same way
    key = cards[order].astype(np.int64) * span + times[order]
    first = np.searchsorted(key, key - window, side="right")  # first event inside the window
    counts = np.empty(n, dtype=np.int64)
    counts[order] = np.arange(n) - first + 1
    return counts


class SlidingWindowCounter:
    """The stream version: per card, a queue of the timestamps still inside the window."""

    def __init__(self, window: int = WINDOW):
        self.window = window
        self.recent = defaultdict(deque)  # card -> timestamps, oldest first

    def update(self, card: int, t: int) -> int:
        """Add one event and return the feature value at that moment. Amortised O(1)."""
        queue = self.recent[card]
        while queue and queue[0] <= t - self.window:  # drop what fell out of the window
            queue.popleft()
        queue.append(t)
        return len(queue)

    def state(self, now: int) -> tuple[int, int, int]:
        """(cards held, timestamps held, timestamps still inside the window at `now`).

        Eviction is lazy: a card's old timestamps leave only when that card is seen again, so
        a real store also expires idle keys (a time-to-live) to keep memory bounded."""
        held = sum(len(q) for q in self.recent.values())
        live = sum(sum(t > now - self.window for t in q) for q in self.recent.values())
        return len(self.recent), held, live


def count_in_window_stream(cards, times, window: int = WINDOW) -> tuple[np.ndarray, tuple]:
    counter = SlidingWindowCounter(window)
    values = [counter.update(c, t) for c, t in zip(cards.tolist(), times.tolist(), strict=True)]
    return np.array(values), counter.state(now=int(times.max()))


# --8<-- [end:core]


def median_seconds(fn, repeats: int = REPEATS, warmup: int = WARMUP) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def arrival_order(times, rng: np.random.Generator, late_share: float = 0.02):
    """When each event reaches the stream: a second or two after it happened, and for a few
    events (phones offline, retries) up to 30 minutes later. Returns arrival times and order."""
    delay = rng.exponential(1.5, size=len(times))
    late = rng.random(len(times)) < late_share
    delay[late] = rng.uniform(60, 1800, size=late.sum())
    arrival = times + np.ceil(delay).astype(np.int64)
    return arrival, np.argsort(arrival, kind="stable")


def main():
    rng = np.random.default_rng(0)
    cards, times = make_log(rng)
    n = len(cards)
    print(f"A day of transactions: {n:,} events on {N_CARDS + N_TESTED:,} cards")
    print(f"Feature: transactions on the same card in the last {WINDOW // 60} minutes\n")

    batch = count_in_window_batch(cards, times)
    stream, (keys, held, live) = count_in_window_stream(cards, times)
    print(f"Batch and stream differ on {np.sum(batch != stream):,} of {n:,} events")
    values, freq = np.unique(batch, return_counts=True)
    print(
        f"Feature values: median {np.median(batch):.0f}, max {batch.max()} "
        f"({freq[values > 5].sum():,} events above 5)"
    )

    t_batch = median_seconds(lambda: count_in_window_batch(cards, times))
    t_stream = median_seconds(lambda: count_in_window_stream(cards, times))
    print(f"\nCost, median of {REPEATS} passes over the log after {WARMUP} warm-up:")
    print(f"{'':<28}{'whole log ms':>14}{'per event µs':>14}")
    print(f"{'batch (numpy, vectorised)':<28}{t_batch * 1e3:>14.1f}{t_batch / n * 1e6:>14.2f}")
    print(f"{'stream (Python, per event)':<28}{t_stream * 1e3:>14.1f}{t_stream / n * 1e6:>14.2f}")
    print(f"Stream state at the end of the day: {keys:,} cards, {held:,} timestamps held,")
    print(f"{live:,} of them inside the last {WINDOW // 60} minutes (the log holds {n:,} events)")

    # A tempting "equivalent" batch definition: [t - 10 min, t] instead of (t - 10 min, t].
    closed = count_in_window_batch(cards, times, window=WINDOW + 1)  # whole seconds: same thing
    print(
        f"\nBatch with a closed window [t - {WINDOW} s, t]: differs on "
        f"{np.sum(closed != stream):,} of {n:,} events"
    )

    arrival, order = arrival_order(times, rng)
    by_arrival, _ = count_in_window_stream(cards[order], arrival[order])
    late = np.empty(n, dtype=np.int64)
    late[order] = by_arrival
    wrong = late != batch
    print("\nStream that counts by arrival time, with 2% of events arriving 1 to 30 min late:")
    print(
        f"  differs from the batch value on {wrong.sum():,} events ({wrong.mean():.1%}), "
        f"largest gap {np.abs(late - batch).max()}"
    )


if __name__ == "__main__":
    main()
