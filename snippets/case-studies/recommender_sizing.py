"""Home-feed recommender: the back-of-the-envelope numbers, and the cost/recall trade-off of k.

Part 1 turns the assumptions of the case study into the numbers the design relies on: traffic,
scoring cost per request with and without a candidate-generation stage, feature-store reads,
data volumes, label delay, cost. Part 2 measures, on a SIMULATED catalogue, how much of what a
perfect ranker would show survives a candidate stage that keeps only the top k items.
"""

import math

import numpy as np

# Inputs, stated as assumptions on the page (a test checks that the page states each one).
ASSUMPTIONS = {
    "daily_active_users": 50_000_000,
    "monthly_active_users": 120_000_000,  # a nightly batch job must cover all of them
    "feed_requests_per_user_per_day": 6,  # app opens and refreshes that load a page of feed
    "peak_to_mean_ratio": 2.5,  # evening peak versus the daily average
    "catalogue_items": 10_000_000,  # videos eligible to be recommended
    "items_shown_per_request": 12,  # one page of feed
    "feed_latency_budget_ms": 200,  # p99 for the whole feed request, all stages
    "candidates_k": 500,  # items the candidate stage hands to the ranker
    "positive_rate": 0.08,  # impressions followed by a qualified watch (>= 30 s)
    "embedding_dim": 128,  # two-tower embedding size
    "ranker_flops_per_item": 5_000_000,  # multi-task ranking network, per item scored
    "ann_fraction_scanned": 0.01,  # share of the catalogue an ANN index visits per query
    "user_feature_reads_per_request": 3,  # profile, recent history, real-time counters
    "item_feature_reads_per_candidate": 1,  # one row of item features per candidate
    "logged_bytes_per_impression": 1_000,
    "gpu_tflops": 50,  # sustained TFLOP/s of one inference GPU on this model
    "gpu_hour_usd": 2.5,
    "session_timeout_min": 30,  # a watch label is final when the session ends
    "retention_window_days": 7,  # the long-term label: did the user come back within 7 days
    "exploration_fraction": 0.05,  # share of feed slots given to exploration
    "storage_usd_per_tb_month": 20,
}

SECONDS_PER_DAY = 86_400
HOURS_PER_MONTH = 730
TB = 1e12


def peak_qps(requests_per_day: float, peak_to_mean: float) -> float:
    """Requests per second in the busiest period: the daily mean times the peak-to-mean ratio."""
    return requests_per_day / SECONDS_PER_DAY * peak_to_mean


def flops_per_request(a: dict, plan: str, k: int | None = None) -> float:
    """Scoring cost of one feed request under three plans.

    "rank everything": the ranking network scores the whole catalogue.
    "dot product, then rank k": a two-tower dot product with every item, the ranker on the top k.
    "ANN, then rank k": an approximate-nearest-neighbour index visits a fraction of the items.
    """
    k = a["candidates_k"] if k is None else k
    n, dot = a["catalogue_items"], 2 * a["embedding_dim"]  # a dot product: d mults and d adds
    rank_k = k * a["ranker_flops_per_item"]
    if plan == "rank everything":
        return n * a["ranker_flops_per_item"]
    if plan == "dot product, then rank k":
        return n * dot + rank_k
    if plan == "ANN, then rank k":
        return n * a["ann_fraction_scanned"] * dot + rank_k
    raise ValueError(f"unknown plan {plan!r}")


PLANS = ("rank everything", "dot product, then rank k", "ANN, then rank k")


def plan_costs(a: dict, qps: float) -> dict[str, dict[str, float]]:
    """Per plan: GFLOP and GPU milliseconds per request, GPUs at peak, monthly GPU cost."""
    gpu_flops = a["gpu_tflops"] * 1e12
    costs = {}
    for plan in PLANS:
        flops = flops_per_request(a, plan)
        gpus = qps * flops / gpu_flops
        costs[plan] = {
            "gflop": flops / 1e9,
            "gpu_ms": flops / gpu_flops * 1e3,
            "gpus": gpus,
            "usd_per_month": math.ceil(gpus) * a["gpu_hour_usd"] * HOURS_PER_MONTH,
        }
    return costs


def sizing(a: dict) -> dict:
    """The derived numbers the design relies on, from the assumptions dict."""
    requests = a["daily_active_users"] * a["feed_requests_per_user_per_day"]
    qps = peak_qps(requests, a["peak_to_mean_ratio"])
    impressions = requests * a["items_shown_per_request"]
    logged_tb_day = impressions * a["logged_bytes_per_impression"] / TB
    reads = a["user_feature_reads_per_request"]
    reads += a["candidates_k"] * a["item_feature_reads_per_candidate"]
    return {
        "requests_per_day": requests,
        "mean_qps": requests / SECONDS_PER_DAY,
        "peak_qps": qps,
        "items_ranked_per_s": qps * a["candidates_k"],
        "feature_reads_per_s": qps * reads,
        "plans": plan_costs(a, qps),
        "brute_force_tb_scanned_per_s": qps * a["catalogue_items"] * a["embedding_dim"] * 4 / TB,
        # Batch: every monthly user gets a list each night, whether they come or not.
        "batch_to_online_compute": a["monthly_active_users"] / requests,
        "batch_store_gb": a["monthly_active_users"] * a["candidates_k"] * 8 / 1e9,  # int64 ids
        "item_embeddings_gb": a["catalogue_items"] * a["embedding_dim"] * 4 / 1e9,
        "impressions_per_day": impressions,
        "positives_per_day": impressions * a["positive_rate"],
        "exploration_impressions_per_day": impressions * a["exploration_fraction"],
        "logged_tb_per_day": logged_tb_day,
        "logged_tb_per_year": logged_tb_day * 365,
        "storage_usd_per_year_kept": logged_tb_day * 365 * a["storage_usd_per_tb_month"],
        "watch_label_delay_min": a["session_timeout_min"],
        "impressions_awaiting_retention_label": impressions * a["retention_window_days"],
    }


def recall_at_k(retrieval_scores: np.ndarray, relevant: np.ndarray, ks) -> np.ndarray:
    """Share of each user's relevant items that the candidate stage ranks in its top k.

    retrieval_scores: (users, items); relevant: (users, r) item indices. Returns the mean over
    users for every k in ks. An item's rank is the number of items scored strictly higher (ties
    go in its favour), so the recall can only grow with k, and it is 1 once k covers the
    catalogue.
    """
    target = np.take_along_axis(retrieval_scores, relevant, axis=1)  # (users, r)
    rank = np.concatenate(
        [
            (retrieval_scores[i : i + 100, None, :] > target[i : i + 100, :, None]).sum(axis=2)
            for i in range(0, len(retrieval_scores), 100)  # 100 users at a time: bounded memory
        ]
    )
    return np.array([np.mean(rank < k) for k in ks])


def simulate_catalogue(rng, n_users: int, n_items: int, dim: int, popularity_sd: float):
    """SIMULATED preferences: true score = user . item + item popularity."""
    users = rng.normal(size=(n_users, dim)) / math.sqrt(dim)
    items = rng.normal(size=(n_items, dim))
    popularity = rng.normal(0.0, popularity_sd, size=n_items)
    return users, items, popularity


def two_tower_scores(users, items, popularity, rng, noise: float) -> np.ndarray:
    """A retrieval model that approximates the true preferences: noisy embeddings and bias.

    Noise stands for what a cheap dot-product model cannot capture that the ranker can.
    """
    u = users + rng.normal(0.0, noise / math.sqrt(users.shape[1]), size=users.shape)
    v = items + rng.normal(0.0, noise, size=items.shape)
    b = popularity + rng.normal(0.0, noise, size=popularity.shape)
    return u @ v.T + b[None, :]


N_USERS, N_ITEMS, DIM = 1_000, 20_000, 32
POPULARITY_SD, NOISE = 0.5, 0.6
KS = (12, 50, 100, 200, 500, 1_000, 2_000, 5_000, N_ITEMS)


def recall_table(seed: int = 0, shown: int = ASSUMPTIONS["items_shown_per_request"], ks=KS):
    """Recall@k of the two-tower model and of 'most popular' on the SIMULATED catalogue."""
    rng = np.random.default_rng(seed)
    users, items, popularity = simulate_catalogue(rng, N_USERS, N_ITEMS, DIM, POPULARITY_SD)
    true_scores = users @ items.T + popularity[None, :]
    relevant = np.argpartition(-true_scores, shown, axis=1)[:, :shown]  # a perfect ranker's top
    model = two_tower_scores(users, items, popularity, rng, NOISE)
    return {
        "two-tower": recall_at_k(model, relevant, ks),
        "most popular": recall_at_k(np.tile(popularity, (N_USERS, 1)), relevant, ks),
    }


def main() -> None:
    a = ASSUMPTIONS
    s = sizing(a)
    print("Part 1: sizing, from the stated assumptions")
    rows = [
        ("feed requests per day", f"{s['requests_per_day']:,.0f}"),
        ("mean requests per second", f"{s['mean_qps']:,.0f}"),
        ("peak requests per second", f"{s['peak_qps']:,.0f}"),
        ("items ranked per second at peak", f"{s['items_ranked_per_s']:,.0f}"),
        ("feature-store key reads per second at peak", f"{s['feature_reads_per_s']:,.0f}"),
        ("item embeddings in memory (float32)", f"{s['item_embeddings_gb']:.1f} GB"),
        ("impressions per day", f"{s['impressions_per_day']:,.0f}"),
        ("qualified watches (positives) per day", f"{s['positives_per_day']:,.0f}"),
        ("exploration impressions per day", f"{s['exploration_impressions_per_day']:,.0f}"),
        (
            "logged impressions per day / per year",
            f"{s['logged_tb_per_day']:.1f} TB / {s['logged_tb_per_year']:,.0f} TB",
        ),
        ("storing a year of logs, per month", f"${s['storage_usd_per_year_kept']:,.0f}"),
        ("watch labels final after", f"{s['watch_label_delay_min']} min"),
        (
            "impressions awaiting a retention label",
            f"{s['impressions_awaiting_retention_label']:,.0f}",
        ),
    ]
    for label, value in rows:
        print(f"  {label:<46}{value:>22}")

    print(f"\nScoring cost per request (k = {a['candidates_k']}), GPUs and cost at peak")
    print(f"  (one GPU at {a['gpu_tflops']} TFLOP/s; feed budget {a['feed_latency_budget_ms']} ms)")
    columns = ("GFLOP/req", "GPU ms/req", "GPUs, peak", "$ per month")
    print(f"  {'plan':<26}" + "".join(f"{c:>13}" for c in columns))
    for plan, c in s["plans"].items():
        cells = (
            f"{c['gflop']:,.1f}",
            f"{c['gpu_ms']:,.2f}",
            f"{c['gpus']:,.1f}",
            f"{c['usd_per_month']:,.0f}",
        )
        print(f"  {plan:<26}" + "".join(f"{x:>13}" for x in cells))
    print(
        "  item embeddings a brute-force scan reads at peak, unbatched:"
        f" {s['brute_force_tb_scanned_per_s']:,.0f} TB/s"
    )

    print("\nBatch (nightly list per monthly user) versus online (per request), ANN plan")
    print(f"  scoring compute per day, batch / online     {s['batch_to_online_compute']:>22.2f}")
    print(f"  stored lists of k item ids (batch)          {s['batch_store_gb']:>19,.0f} GB")

    shown = a["items_shown_per_request"]
    recall = recall_table(shown=shown)
    print(f"\nPart 2: SIMULATED catalogue of {N_ITEMS:,} items and {N_USERS:,} users.")
    print(f"Recall@k: share of the true top {shown} per user that the candidate stage keeps")
    print(f"  {'k':>6}{'% of items':>12}{'two-tower':>11}{'most popular':>14}{'ranker GFLOP':>14}")
    for k, r_model, r_pop in zip(KS, recall["two-tower"], recall["most popular"], strict=True):
        gflop = k * a["ranker_flops_per_item"] / 1e9
        print(f"  {k:>6,}{k / N_ITEMS:>12.2%}{r_model:>11.3f}{r_pop:>14.3f}{gflop:>14.2f}")
    print("ranker GFLOP: cost of ranking k candidates with the assumed ranking network")


if __name__ == "__main__":
    main()
