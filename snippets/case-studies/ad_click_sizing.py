"""Ad click-through prediction: the back-of-the-envelope numbers, and why calibration matters.

Part 1 turns the assumptions of the case study into the numbers the design relies on: traffic,
scoring load, feature-store reads, data volumes, label delay, cost. Part 2 runs SIMULATED
auctions to show that an ad ranked by bid x pCTR loses revenue when pCTR is off by a factor that
differs between segments of ads, even when the ranking within each segment is unchanged.
"""

import math
from statistics import NormalDist

import numpy as np

# Inputs, stated as assumptions on the page (a test checks that the page states each one).
ASSUMPTIONS = {
    "ad_requests_per_day": 1_000_000_000,  # page views with ad slots that run an auction
    "peak_to_mean_ratio": 3.0,  # busiest minute versus the daily average
    "candidates_per_request": 500,  # ads left after targeting, scored by the CTR model
    "ads_shown_per_request": 2.0,  # impressions per auction (some slots go unfilled)
    "ctr": 0.015,  # clicks per impression
    "conversions_per_click": 0.03,  # purchases, sign-ups... reported by advertisers
    "user_feature_reads_per_request": 2,  # user profile row, real-time user counters
    "ad_feature_reads_per_candidate": 1,  # user x advertiser counters (ad rows are cached)
    "logged_bytes_per_impression": 2_000,  # features logged at serving time, plus context
    "negative_keep_rate": 0.10,  # fraction of non-clicked impressions kept for training
    "scoring_budget_ms": 15,  # share of the auction's latency budget for the CTR model
    "model_flops_per_candidate": 2_000_000,  # embeddings plus a small MLP, per ad scored
    "core_gflops": 20,  # sustained GFLOP/s of one serving CPU core
    "core_hour_usd": 0.05,
    "embedding_rows": 500_000_000,  # hashed rows over all sparse features
    "embedding_dim": 16,
    "click_delay_median_s": 30,  # click delay is roughly log-normal
    "click_delay_log_sd": 1.2,  # standard deviation of log(delay)
    "conversion_delay_mean_days": 2.0,  # conversion delay is roughly exponential
    "storage_usd_per_tb_month": 20,
}

SECONDS_PER_DAY = 86_400
HOURS_PER_MONTH = 730
TB = 1e12


def peak_qps(requests_per_day: float, peak_to_mean: float) -> float:
    """Requests per second in the busiest period: the daily mean times the peak-to-mean ratio."""
    return requests_per_day / SECONDS_PER_DAY * peak_to_mean


def click_delay_quantile(q: float, median_s: float, log_sd: float) -> float:
    """Seconds within which a fraction q of clicks arrive, for log-normal click delays."""
    return median_s * math.exp(log_sd * NormalDist().inv_cdf(q))


def conversions_observed_by(days: float, mean_days: float) -> float:
    """Fraction of eventual conversions seen `days` after the click (exponential delays)."""
    return 1.0 - math.exp(-days / mean_days)


def positive_rate_after_downsampling(p: float, keep_rate: float) -> float:
    """Base rate in training data that keeps every positive and `keep_rate` of the negatives."""
    return p / (p + (1.0 - p) * keep_rate)


def undo_downsampling(q: np.ndarray | float, keep_rate: float):
    """Map a prediction learned on downsampled data back to the real click probability.

    Inverse of positive_rate_after_downsampling: the odds were multiplied by 1/keep_rate.
    """
    return q / (q + (1.0 - q) / keep_rate)


def sizing(a: dict) -> dict[str, float]:
    """The derived numbers the design relies on, from the assumptions dict."""
    qps = peak_qps(a["ad_requests_per_day"], a["peak_to_mean_ratio"])
    impressions = a["ad_requests_per_day"] * a["ads_shown_per_request"]
    clicks = impressions * a["ctr"]
    kept_rows = clicks + (impressions - clicks) * a["negative_keep_rate"]
    train_tb_day = kept_rows * a["logged_bytes_per_impression"] / TB
    reads = a["user_feature_reads_per_request"]
    reads += a["candidates_per_request"] * a["ad_feature_reads_per_candidate"]
    flops_per_request = a["candidates_per_request"] * a["model_flops_per_candidate"]
    core_flops = a["core_gflops"] * 1e9
    cores = qps * flops_per_request / core_flops
    one_core_ms = flops_per_request / core_flops * 1e3
    click_p99_s = click_delay_quantile(0.99, a["click_delay_median_s"], a["click_delay_log_sd"])
    conversion_mean = a["conversion_delay_mean_days"]
    return {
        "mean_qps": a["ad_requests_per_day"] / SECONDS_PER_DAY,
        "peak_qps": qps,
        "candidates_scored_per_s": qps * a["candidates_per_request"],
        "feature_reads_per_s": qps * reads,
        "impressions_per_day": impressions,
        "clicks_per_day": clicks,
        "conversions_per_day": clicks * a["conversions_per_click"],
        "logged_tb_per_day": impressions * a["logged_bytes_per_impression"] / TB,
        "training_rows_per_day": kept_rows,
        "training_tb_per_day": train_tb_day,
        "training_tb_per_year": train_tb_day * 365,
        "training_positive_rate": positive_rate_after_downsampling(
            a["ctr"], a["negative_keep_rate"]
        ),
        "one_core_ms_per_request": one_core_ms,
        "cores_per_request": math.ceil(one_core_ms / a["scoring_budget_ms"]),
        "serving_cores_at_peak": cores,
        "serving_usd_per_month": math.ceil(cores) * a["core_hour_usd"] * HOURS_PER_MONTH,
        "storage_usd_per_year_kept": train_tb_day * 365 * a["storage_usd_per_tb_month"],
        "embedding_gb": a["embedding_rows"] * a["embedding_dim"] * 4 / 1e9,
        "click_wait_p99_min": click_p99_s / 60,
        "conversions_seen_after_1_day": conversions_observed_by(1.0, conversion_mean),
        "conversion_wait_95_days": -conversion_mean * math.log(0.05),  # exponential quantile
    }


def normalised_cross_entropy(y: np.ndarray, q: np.ndarray) -> float:
    """Log loss divided by the entropy of the base rate: 1.0 is 'predict the average CTR'.

    Lower is better; a model that cannot beat 1.0 knows nothing beyond the base rate.
    """
    y = np.asarray(y, dtype=np.float64)
    q = np.clip(np.asarray(q, dtype=np.float64), 1e-12, 1 - 1e-12)
    log_loss = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
    b = y.mean()
    base_entropy = -(b * math.log(b) + (1 - b) * math.log(1 - b))
    return float(log_loss / base_entropy)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve via the rank-sum statistic; tied scores share their mean rank."""
    y = np.asarray(y).astype(bool)
    order = np.argsort(score, kind="stable")
    _, inverse, counts = np.unique(
        np.asarray(score)[order], return_inverse=True, return_counts=True
    )
    mean_rank = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based mean rank of each tie group
    ranks = np.empty(len(order))
    ranks[order] = mean_rank[inverse]
    n_pos, n_neg = y.sum(), (~y).sum()
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def mean_auc_within_segments(y: np.ndarray, score: np.ndarray, segment: np.ndarray) -> float:
    """AUC computed inside each segment, averaged: blind to factors that differ by segment."""
    return float(np.mean([auc(y[segment == s], score[segment == s]) for s in np.unique(segment)]))


def auction_revenue(bids: np.ndarray, true_ctr: np.ndarray, pctr: np.ndarray) -> float:
    """Expected revenue per auction when the ad with the highest bid x pCTR wins the slot.

    Arrays have shape (auctions, ads). The winner pays its bid per click (first price), so the
    expected revenue of an auction is bid x true CTR of the winner.
    """
    winner = np.argmax(bids * pctr, axis=1)
    rows = np.arange(len(bids))
    return float(np.mean(bids[rows, winner] * true_ctr[rows, winner]))


def simulate_auctions(rng, n_auctions: int, n_ads: int, n_segments: int, ctr: float):
    """SIMULATED auctions: per-ad true CTR (log-normal, mean `ctr`), bids, segments and clicks."""
    log_sd = 0.7
    mu = math.log(ctr) - log_sd**2 / 2  # so that the mean CTR is `ctr`
    true_ctr = np.exp(rng.normal(mu, log_sd, size=(n_auctions, n_ads)))
    bids = np.exp(rng.normal(math.log(0.5), 0.8, size=(n_auctions, n_ads)))  # $ per click
    segment = rng.integers(0, n_segments, size=(n_auctions, n_ads))
    clicks = rng.random((n_auctions, n_ads)) < true_ctr
    return true_ctr, bids, segment, clicks, (mu, log_sd)


def calibrated_model(true_ctr: np.ndarray, rng, prior: tuple[float, float], noise_sd: float):
    """An imperfect but calibrated model: E[true CTR | what the model saw].

    The model sees log(true CTR) plus Gaussian noise and predicts the posterior mean of the CTR
    under the log-normal prior, so among ads it scores q, the average true CTR is q.
    """
    mu, s = prior
    z = np.log(true_ctr) + rng.normal(0.0, noise_sd, size=true_ctr.shape)
    shrink = s**2 / (s**2 + noise_sd**2)
    post_mean, post_var = mu + shrink * (z - mu), shrink * noise_sd**2
    return np.exp(post_mean + post_var / 2)


def per_segment_factors(pred, clicks, segment, n_segments: int) -> np.ndarray:
    """Multiplicative recalibration per segment: observed clicks / predicted clicks."""
    return np.array(
        [clicks[segment == s].sum() / pred[segment == s].sum() for s in range(n_segments)]
    )


SEGMENT_FACTORS = (0.5, 0.8, 1.25, 2.0)  # how far off the model is, per segment of ads
N_AUCTIONS, N_ADS = 100_000, 20


def compare_predictors(seed: int = 0, n_auctions: int = N_AUCTIONS, n_ads: int = N_ADS):
    """Simulate auctions and score each kind of predictor on the second half of them.

    Returns {predictor: {"nce", "auc", "auc_in_segments", "pred_over_actual", "revenue"}} with
    revenue as a share of ranking by the true CTR, and the fitted recalibration factors.
    """
    rng = np.random.default_rng(seed)
    k = len(SEGMENT_FACTORS)
    true_ctr, bids, segment, clicks, prior = simulate_auctions(
        rng, n_auctions, n_ads, k, ASSUMPTIONS["ctr"]
    )
    model = calibrated_model(true_ctr, rng, prior, noise_sd=0.5)
    skewed = model * np.asarray(SEGMENT_FACTORS)[segment]
    half = n_auctions // 2  # fit recalibration on the first half, evaluate on the second
    factors = per_segment_factors(skewed[:half], clicks[:half], segment[:half], k)
    predictors = {
        "true CTR (oracle)": true_ctr,
        "base rate only": np.full_like(true_ctr, clicks[:half].mean()),
        "calibrated model": model,
        "same model x 2 everywhere": 2 * model,
        "same model x segment factor": skewed,
        "  ... recalibrated per segment": skewed * factors[segment],
    }
    ev = slice(half, None)
    oracle = auction_revenue(bids[ev], true_ctr[ev], true_ctr[ev])
    y, seg = clicks[ev].ravel(), segment[ev].ravel()
    table = {}
    for name, pred in predictors.items():
        q = pred[ev].ravel()
        table[name] = {
            "nce": normalised_cross_entropy(y, q),
            "auc": auc(y, q),
            "auc_in_segments": mean_auc_within_segments(y, q, seg),
            "pred_over_actual": float(q.sum() / y.sum()),
            "revenue": auction_revenue(bids[ev], true_ctr[ev], pred[ev]) / oracle,
        }
    return table, factors


def main() -> None:
    a = ASSUMPTIONS
    s = sizing(a)
    print("Part 1: sizing, from the stated assumptions")
    rows = [
        ("mean requests per second", f"{s['mean_qps']:,.0f}"),
        ("peak requests per second", f"{s['peak_qps']:,.0f}"),
        ("candidates scored per second at peak", f"{s['candidates_scored_per_s']:,.0f}"),
        ("feature-store key reads per second at peak", f"{s['feature_reads_per_s']:,.0f}"),
        ("impressions per day", f"{s['impressions_per_day']:,.0f}"),
        ("clicks (positives) per day", f"{s['clicks_per_day']:,.0f}"),
        ("conversions per day", f"{s['conversions_per_day']:,.0f}"),
        ("logged impressions per day", f"{s['logged_tb_per_day']:.1f} TB"),
        ("training rows per day after downsampling", f"{s['training_rows_per_day']:,.0f}"),
        (
            "training data per day / per year",
            f"{s['training_tb_per_day']:.2f} TB / {s['training_tb_per_year']:.0f} TB",
        ),
        ("click rate in the downsampled training data", f"{s['training_positive_rate']:.1%}"),
        (
            "  ... mapped back by undo_downsampling",
            f"{undo_downsampling(s['training_positive_rate'], a['negative_keep_rate']):.1%}",
        ),
        ("one core scoring all candidates of a request", f"{s['one_core_ms_per_request']:.0f} ms"),
        ("cores one request must be spread over", f"{s['cores_per_request']}"),
        ("serving cores at peak (compute only)", f"{s['serving_cores_at_peak']:,.0f}"),
        ("serving compute per month, sized for peak", f"${s['serving_usd_per_month']:,.0f}"),
        ("storing a year of training data, per month", f"${s['storage_usd_per_year_kept']:,.0f}"),
        ("embedding tables (float32)", f"{s['embedding_gb']:.0f} GB"),
        ("wait for 99% of clicks", f"{s['click_wait_p99_min']:.1f} min"),
        ("conversions seen 1 day after the click", f"{s['conversions_seen_after_1_day']:.0%}"),
        ("wait for 95% of conversions", f"{s['conversion_wait_95_days']:.1f} days"),
    ]
    for label, value in rows:
        print(f"  {label:<46}{value:>20}")

    table, factors = compare_predictors()
    evaluated = N_AUCTIONS - N_AUCTIONS // 2
    print(f"\nPart 2: SIMULATED auctions, {evaluated:,} evaluated, {N_ADS} ads each, ranked by")
    print(f"bid x pCTR; the skewed model is off by factors {SEGMENT_FACTORS} per segment")
    header = ("NCE", "AUC", "seg. AUC", "pred/obs", "revenue")
    print(f"  {'predictor':<30}" + "".join(f"{h:>10}" for h in header))
    for name, m in table.items():
        cells = (
            f"{m['nce']:.3f}",
            f"{m['auc']:.3f}",
            f"{m['auc_in_segments']:.3f}",
            f"{m['pred_over_actual']:.2f}",
            f"{m['revenue']:.1%}",
        )
        print(f"  {name:<30}" + "".join(f"{c:>10}" for c in cells))
    print("seg. AUC: mean AUC within segments; pred/obs: predicted over observed clicks")
    print("revenue: expected revenue per auction as a share of ranking by the true CTR")
    print(f"recalibration factors fitted per segment: {np.round(factors, 2).tolist()}")


if __name__ == "__main__":
    main()
