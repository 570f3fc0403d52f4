"""Back-of-the-envelope numbers for card-not-present fraud scoring in the authorisation path.

Every input is in ASSUMPTIONS; everything printed is derived from it. The model scores are
SIMULATED (a calibrated score from two overlapping normal distributions), not from a real model:
they show how to choose a threshold from error costs, not how good a fraud model is.
"""

import math
from statistics import NormalDist

import numpy as np

ASSUMPTIONS = {
    "transactions_per_day": 20_000_000,  # card-not-present authorisations
    "peak_to_average": 3,  # busiest second of the year versus the daily average
    "fraud_rate": 0.001,  # share of transactions that are fraud
    "median_amount": 40,  # dollars; amounts are lognormal, the same for fraud and legitimate
    "amount_log_sigma": 1.0,  # spread of log(amount)
    "chargeback_fee": 15,  # dollars, paid on top of the amount for each missed fraud
    "false_alarm_cost": 10,  # dollars per good customer stopped: support call, friction, churn
    "entity_lookups_per_transaction": 7,  # card, account, device, IP, email, address, merchant
    "bytes_logged_per_transaction": 2_000,  # request, features as served, score, decision
    "latency_budget_ms": 100,  # p99 the payments team gives the fraud check
    "p99_network_ms": 10,
    "p99_feature_reads_ms": 25,  # the lookups run in parallel
    "p99_model_ms": 10,
    "p99_rules_ms": 5,
    "model_cpu_ms": 2,  # CPU time to score one transaction
    "cpu_target_utilisation": 0.5,  # headroom so queueing does not eat the latency budget
    "chargeback_median_days": 30,  # label delay: lognormal through these two quantiles
    "chargeback_p90_days": 70,
    "fraud_reported_share": 0.9,  # share of fraud that the cardholder ever disputes
    "recall_margin": 0.02,  # +/- this, at 95% confidence, when measuring recall on a slice
    "slice_share": 0.001,  # a small slice to evaluate: one merchant or one country
    "reviewers": 40,
    "reviews_per_reviewer_per_day": 250,
    "model_separation": 3.5,  # SIMULATED scores: distance between the classes in std units
}

THRESHOLDS_TO_SHOW = [0.5, 0.2, 0.1, 0.05, 0.02, 0.01]
SIMULATED_TRANSACTIONS = 2_000_000  # one simulated sample, scaled up to a day
SECONDS_PER_DAY = 86_400


def peak_rate(per_day: float, peak_to_average: float) -> float:
    """Requests per second at the peak: the daily average rate times the peak factor."""
    return per_day / SECONDS_PER_DAY * peak_to_average


def storage_tb_per_year(per_day: float, bytes_each: float) -> float:
    return per_day * bytes_each * 365 / 1e12


def cores_needed(peak_per_second: float, cpu_ms: float, utilisation: float) -> int:
    return math.ceil(peak_per_second * cpu_ms / 1000 / utilisation)


def label_delay(median_days: float, p90_days: float) -> NormalDist:
    """Distribution of log(days until the chargeback), lognormal through two quantiles."""
    sigma = (math.log(p90_days) - math.log(median_days)) / NormalDist().inv_cdf(0.9)
    return NormalDist(math.log(median_days), sigma)


def share_arrived(delay: NormalDist, days: float) -> float:
    """Share of one day's eventual chargebacks that have arrived `days` later."""
    return delay.cdf(math.log(days))


def days_until_share(delay: NormalDist, share: float) -> float:
    return math.exp(delay.inv_cdf(share))


def labels_for_margin(margin: float, confidence: float = 0.95) -> int:
    """Positives needed so that a measured recall is within +/- margin (worst case, recall 0.5)."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return math.ceil(z**2 * 0.25 / margin**2)


def simulate_scores(n: int, a: dict, rng: np.random.Generator):
    """SIMULATED transactions: fraud flag, amount, and a calibrated fraud probability.

    A latent score is N(0, 1) for legitimate and N(d, 1) for fraud transactions; the probability
    is the exact posterior given that score, so it is calibrated by construction.
    """
    is_fraud = rng.random(n) < a["fraud_rate"]
    amounts = a["median_amount"] * np.exp(a["amount_log_sigma"] * rng.normal(size=n))
    d = a["model_separation"]
    latent = rng.normal(size=n) + d * is_fraud
    prior = math.log(a["fraud_rate"] / (1 - a["fraud_rate"]))
    probability = 1 / (1 + np.exp(-(prior + d * latent - d * d / 2)))
    return is_fraud, amounts, probability


def error_cost(flagged, is_fraud, amounts, fee: float, false_alarm_cost: float) -> dict:
    """Cost of the errors of one decision rule; flagged = declined or stepped up.

    A missed fraud costs its amount plus the chargeback fee; a flagged good transaction costs
    false_alarm_cost. Caught fraud and approved good transactions cost nothing here.
    """
    flagged, is_fraud = np.asarray(flagged, bool), np.asarray(is_fraud, bool)
    missed = is_fraud & ~flagged
    false_alarms = ~is_fraud & flagged
    fraud_loss = float(np.sum(np.asarray(amounts)[missed]) + fee * missed.sum())
    friction = float(false_alarm_cost * false_alarms.sum())
    return {
        "flagged": int(flagged.sum()),
        "missed": int(missed.sum()),
        "false_alarms": int(false_alarms.sum()),
        "fraud_loss": fraud_loss,
        "friction": friction,
        "total": fraud_loss + friction,
    }


def best_threshold(probability, is_fraud, amounts, fee, false_alarm_cost, candidates) -> float:
    """The candidate threshold with the lowest total error cost."""
    totals = [
        error_cost(probability >= t, is_fraud, amounts, fee, false_alarm_cost)["total"]
        for t in candidates
    ]
    return float(candidates[int(np.argmin(totals))])


def amount_aware_flags(probability, amounts, fee: float, false_alarm_cost: float):
    """Flag when the expected fraud loss exceeds the expected cost of stopping a good customer."""
    return probability * (amounts + fee) > (1 - probability) * false_alarm_cost


def sizing(a: dict) -> dict:
    """The derived numbers that do not need the simulation."""
    peak = peak_rate(a["transactions_per_day"], a["peak_to_average"])
    frauds = a["transactions_per_day"] * a["fraud_rate"]
    labels = frauds * a["fraud_reported_share"]
    delay = label_delay(a["chargeback_median_days"], a["chargeback_p90_days"])
    needed = labels_for_margin(a["recall_margin"])
    slice_days = needed / (labels * a["slice_share"])
    return {
        "average_per_second": a["transactions_per_day"] / SECONDS_PER_DAY,
        "peak_per_second": peak,
        "feature_reads_per_second": peak * a["entity_lookups_per_transaction"],
        "model_cores": cores_needed(peak, a["model_cpu_ms"], a["cpu_target_utilisation"]),
        "tb_per_year": storage_tb_per_year(
            a["transactions_per_day"], a["bytes_logged_per_transaction"]
        ),
        "latency_used_ms": sum(v for k, v in a.items() if k.startswith("p99_")),
        "frauds_per_day": frauds,
        "labels_per_day": labels,
        "delay": delay,
        "days_to_95_percent": days_until_share(delay, 0.95),
        "labels_needed": needed,
        "slice_days": slice_days,
    }


def print_sizing(a: dict, s: dict) -> None:
    print("Traffic and serving")
    print(f"  average rate                 {s['average_per_second']:>9,.0f} /s")
    print(f"  peak rate                    {s['peak_per_second']:>9,.0f} /s")
    print(f"  feature-store reads at peak  {s['feature_reads_per_second']:>9,.0f} /s")
    print(f"  CPU cores for the model      {s['model_cores']:>9,d}   (at peak, no redundancy)")
    print(f"  logged data                  {s['tb_per_year']:>9,.1f} TB per year")
    spare = a["latency_budget_ms"] - s["latency_used_ms"]
    print(f"  latency, sum of p99 parts    {s['latency_used_ms']:>9d} ms, {spare} ms spare")

    print("\nPositives and labels")
    print(f"  fraud per day                {s['frauds_per_day']:>9,.0f}")
    print(f"  fraud labels per day         {s['labels_per_day']:>9,.0f}   (once chargebacks land)")
    days = (7, 14, 30, 60, 90, 120)
    print("  days after the transaction " + "".join(f"{d:>6}" for d in days))
    print(
        "  chargebacks arrived        "
        + "".join(f"{share_arrived(s['delay'], d):>6.0%}" for d in days)
    )
    print(f"  days until 95% have arrived  {s['days_to_95_percent']:>9.0f}")
    margin = a["recall_margin"]
    print(f"  fraud labels for recall +/-{margin:.0%} {s['labels_needed']:>7,d}")
    wait = s["slice_days"] + s["days_to_95_percent"]
    print(
        f"  a {a['slice_share']:.1%} slice gathers them in {s['slice_days']:.0f} days of traffic,"
    )
    print(f"  and can be evaluated {wait:.0f} days after its first transaction")


def dollars(amount: float) -> str:
    return f"${amount / 1e3:,.0f}k"


def print_costs(a: dict, rng: np.random.Generator) -> None:
    print("\nError costs per day (SIMULATED calibrated scores, scaled to the daily volume)")
    is_fraud, amounts, probability = simulate_scores(SIMULATED_TRANSACTIONS, a, rng)
    scale = a["transactions_per_day"] / SIMULATED_TRANSACTIONS
    fee, fa_cost = a["chargeback_fee"], a["false_alarm_cost"]
    chosen = best_threshold(
        probability, is_fraud, amounts, fee, fa_cost, np.geomspace(0.001, 0.9, 400)
    )
    rules = {"approve everything": np.zeros_like(is_fraud)}
    rules |= {f"threshold {t:g}": probability >= t for t in THRESHOLDS_TO_SHOW}
    rules[f"best threshold {chosen:.3f}"] = probability >= chosen
    rules["amount-aware rule"] = amount_aware_flags(probability, amounts, fee, fa_cost)
    print(
        f"  {'rule':<20}{'flagged':>9}{'recall':>8}{'precision':>10}"
        f"{'fraud loss':>12}{'friction':>10}{'total':>9}"
    )
    for name, flags in rules.items():
        c = error_cost(flags, is_fraud, amounts, fee, fa_cost)
        caught = c["flagged"] - c["false_alarms"]
        precision = f"{caught / c['flagged']:.1%}" if c["flagged"] else "-"
        print(
            f"  {name:<20}{c['flagged'] * scale:>9,.0f}{caught / is_fraud.sum():>8.1%}"
            f"{precision:>10}{dollars(c['fraud_loss'] * scale):>12}"
            f"{dollars(c['friction'] * scale):>10}{dollars(c['total'] * scale):>9}"
        )
    theory = fa_cost / (fa_cost + float(np.mean(amounts)) + fee)
    print(f"  theory for calibrated scores: c_fp / (c_fp + mean loss) = {theory:.3f}")

    print("\nReview queue")
    capacity = a["reviewers"] * a["reviews_per_reviewer_per_day"]
    flagged = np.sort(amounts[probability >= chosen])[::-1]
    per_day = len(flagged) * scale
    print(f"  capacity                     {capacity:>9,d} reviews per day")
    share = capacity / per_day
    print(f"  flags at the best threshold  {per_day:>9,.0f} per day, {share:.0%} reviewable")
    cutoff = flagged[int(capacity / scale) - 1]
    covered = flagged[flagged >= cutoff].sum() / flagged.sum()
    print(f"  reviewing flags of ${cutoff:,.0f} and more covers {covered:.0%} of flagged dollars")


def main() -> None:
    print_sizing(ASSUMPTIONS, sizing(ASSUMPTIONS))
    print_costs(ASSUMPTIONS, np.random.default_rng(0))


if __name__ == "__main__":
    main()
