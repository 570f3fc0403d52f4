"""Back-of-the-envelope numbers for moderating posts and images on a social platform.

Every input is in ASSUMPTIONS and CATEGORIES; everything printed is derived from them. The model
scores are SIMULATED (calibrated scores from two overlapping normal distributions per policy
category), not from a real model: they show how to spend a fixed review capacity, not how good a
moderation model is. Costs are in review units: one human review costs 1.
"""

import math
from statistics import NormalDist

import numpy as np

ASSUMPTIONS = {
    "posts_per_day": 100_000_000,
    "image_share": 0.3,  # share of posts that carry an image
    "peak_to_average": 2.5,
    "lookups_per_post": 3,  # author history, the thread, the reputation of linked domains
    "bytes_logged_per_post": 2_000,  # scores per category, decision, model version, features
    "latency_budget_ms": 150,  # p99 for the checks that run before a post is published
    "p99_hash_match_ms": 10,
    "p99_feature_reads_ms": 20,
    "p99_text_model_ms": 30,
    "p99_image_model_ms": 60,
    "text_model_cpu_ms": 5,
    "cpu_target_utilisation": 0.5,
    "images_per_gpu_second": 400,
    "gpu_target_utilisation": 0.6,
    "reviewers": 1_000,  # full-time equivalents on the queue, all shifts together
    "reviews_per_reviewer_per_day": 400,
    "audit_sample_per_day": 20_000,  # random posts labelled to measure prevalence and recall
    "recall_margin": 0.05,  # +/- this, at 95% confidence, when measuring recall per category
    "appeal_rate": 0.05,  # share of removals that the author appeals
    "dialect_benign_shift": 0.5,  # SIMULATED bias: benign posts in a minority dialect score higher
    "low_resource_separation": 1.5,  # SIMULATED: weaker hate model in a low-resource language
}

# prevalence: share of posts that violate; harm: cost of one violating post left up, in reviews;
# separation: SIMULATED model quality, the distance between the classes in standard deviations.
CATEGORIES = {
    "spam and scams": {"prevalence": 0.01, "harm": 2, "separation": 3.5},
    "adult nudity": {"prevalence": 0.003, "harm": 5, "separation": 3.5},
    "harassment": {"prevalence": 0.002, "harm": 10, "separation": 2.5},
    "hate speech": {"prevalence": 0.001, "harm": 20, "separation": 2.5},
    "graphic violence": {"prevalence": 0.0005, "harm": 20, "separation": 3.0},
    "self-harm": {"prevalence": 0.0002, "harm": 50, "separation": 2.5},
}

THRESHOLDS_TO_SHOW = [0.5, 0.2, 0.1, 0.05, 0.02, 0.01]
SIMULATED_POSTS = 2_000_000  # one simulated sample, scaled up to a day
SECONDS_PER_DAY = 86_400


def peak_rate(per_day: float, peak_to_average: float) -> float:
    """Requests per second at the peak: the daily average rate times the peak factor."""
    return per_day / SECONDS_PER_DAY * peak_to_average


def machines_needed(peak_per_second: float, per_machine_per_second: float, utilisation: float):
    return math.ceil(peak_per_second / per_machine_per_second / utilisation)


def labels_for_margin(margin: float, confidence: float = 0.95) -> int:
    """Positives needed so that a measured recall is within +/- margin (worst case, recall 0.5)."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return math.ceil(z**2 * 0.25 / margin**2)


def calibrated_scores(n, prevalence, separation, rng, benign_shift=0.0):
    """SIMULATED labels and calibrated probabilities for one category.

    The latent score is N(0, 1) for benign and N(separation, 1) for violating posts; the
    probability is the exact posterior for that model. benign_shift moves benign posts up
    without the model knowing, which makes their probabilities too high: a biased model.
    """
    violating = rng.random(n) < prevalence
    latent = rng.normal(size=n) + separation * violating + benign_shift * ~violating
    prior = math.log(prevalence / (1 - prevalence))
    logit = prior + separation * latent - separation**2 / 2
    return violating, 1 / (1 + np.exp(-logit))


def review_cost(flagged, violating, harm: float, cost_per_review: float = 1.0) -> dict:
    """Expected cost of sending the flagged posts to review, for one category.

    Reviewers are assumed to decide correctly, so a flagged post costs one review and a
    violating post that is not flagged costs `harm`.
    """
    flagged, violating = np.asarray(flagged, bool), np.asarray(violating, bool)
    missed = int(np.sum(violating & ~flagged))
    reviews = int(flagged.sum())
    return {
        "reviews": reviews,
        "missed": missed,
        "caught": int(np.sum(violating & flagged)),
        "total": cost_per_review * reviews + harm * missed,
    }


def best_threshold(probability, violating, harm, candidates) -> float:
    """The candidate threshold with the lowest expected cost."""
    totals = [review_cost(probability >= t, violating, harm)["total"] for t in candidates]
    return float(candidates[int(np.argmin(totals))])


def fill_queue(priority, capacity: int):
    """Flags for the `capacity` posts with the highest priority (all of them if fewer)."""
    flags = np.zeros(len(priority), bool)
    flags[np.argsort(-priority, kind="stable")[:capacity]] = True
    return flags


def simulate_posts(n: int, rng: np.random.Generator) -> dict:
    """SIMULATED posts: per category, the violation labels and calibrated probabilities."""
    return {
        name: calibrated_scores(n, c["prevalence"], c["separation"], rng)
        for name, c in CATEGORIES.items()
    }


def sizing(a: dict) -> dict:
    peak = peak_rate(a["posts_per_day"], a["peak_to_average"])
    images = peak * a["image_share"]
    return {
        "peak_per_second": peak,
        "images_per_second": images,
        "feature_reads_per_second": peak * a["lookups_per_post"],
        "text_cores": machines_needed(
            peak, 1000 / a["text_model_cpu_ms"], a["cpu_target_utilisation"]
        ),
        "gpus": machines_needed(images, a["images_per_gpu_second"], a["gpu_target_utilisation"]),
        "tb_per_year": a["posts_per_day"] * a["bytes_logged_per_post"] * 365 / 1e12,
        "latency_used_ms": sum(v for k, v in a.items() if k.startswith("p99_")),
        "capacity": a["reviewers"] * a["reviews_per_reviewer_per_day"] - a["audit_sample_per_day"],
        "labels_needed": labels_for_margin(a["recall_margin"]),
    }


def print_sizing(a: dict, s: dict) -> None:
    print("Traffic and serving")
    print(f"  peak posts                   {s['peak_per_second']:>9,.0f} /s")
    print(f"  peak images                  {s['images_per_second']:>9,.0f} /s")
    print(f"  feature-store reads at peak  {s['feature_reads_per_second']:>9,.0f} /s")
    print(f"  CPU cores for text at peak   {s['text_cores']:>9,d}")
    print(f"  GPUs for images at peak      {s['gpus']:>9,d}   (no redundancy)")
    print(f"  logged data                  {s['tb_per_year']:>9,.0f} TB per year")
    spare = a["latency_budget_ms"] - s["latency_used_ms"]
    print(f"  pre-publication p99 parts    {s['latency_used_ms']:>9d} ms, {spare} ms spare")

    print("\nViolations and labels per day")
    print(f"  {'category':<18}{'violating':>11}{'in audit':>10}{'days to':>9}")
    needed = s["labels_needed"]
    for name, c in CATEGORIES.items():
        per_day = a["posts_per_day"] * c["prevalence"]
        audit = a["audit_sample_per_day"] * c["prevalence"]
        print(f"  {name:<18}{per_day:>11,.0f}{audit:>10,.0f}{needed / audit:>9,.0f}")
    print(f"  ('days to': days of random audit to find {needed} violations, enough to")
    print(
        f"   measure recall within +/-{a['recall_margin']:.0%}; reviews are labels too, but biased)"
    )
    print(f"  review capacity for the model's flags: {s['capacity']:,d} posts per day")


def print_one_category(a: dict, name: str, rng: np.random.Generator) -> float:
    """Expected cost of one category at several thresholds, with no capacity limit."""
    c = CATEGORIES[name]
    violating, p = calibrated_scores(SIMULATED_POSTS, c["prevalence"], c["separation"], rng)
    scale = a["posts_per_day"] / SIMULATED_POSTS
    best = best_threshold(p, violating, c["harm"], np.geomspace(0.002, 0.9, 400))
    print(f"\n{name} alone, no capacity limit: cost per day in review units (SIMULATED)")
    print(f"  {'threshold':<16}{'reviews':>10}{'recall':>9}{'precision':>11}{'cost':>11}")
    for t in [*THRESHOLDS_TO_SHOW, best]:
        r = review_cost(p >= t, violating, c["harm"])
        precision = f"{r['caught'] / r['reviews']:.1%}" if r["reviews"] else "-"
        label = f"best {t:.3f}" if t == best else f"{t:g}"
        print(
            f"  {label:<16}{r['reviews'] * scale:>10,.0f}{r['caught'] / violating.sum():>9.1%}"
            f"{precision:>11}{r['total'] * scale:>11,.0f}"
        )
    print(f"  for calibrated scores, theory says review cost / harm = {1 / c['harm']:.3f}")
    return best


def print_queue(a: dict, capacity: int, rng: np.random.Generator) -> None:
    """Spend a fixed review capacity: harm-weighted priority versus one shared threshold."""
    posts = simulate_posts(SIMULATED_POSTS, rng)
    scale = a["posts_per_day"] / SIMULATED_POSTS
    harms = {name: c["harm"] for name, c in CATEGORIES.items()}
    value = sum(harms[n] * p for n, (_, p) in posts.items())  # expected harm a review removes
    unlimited = int(np.sum(value > 1) * scale)
    print("\nReview queue, all categories (SIMULATED; one review covers all categories)")
    print(f"  reviews wanted where expected harm > review cost: {unlimited:,d} per day")
    print(f"  reviews available:                                {capacity:,d} per day")
    slots = int(capacity / scale)
    policies = {
        "harm-weighted": fill_queue(value, slots),
        "one threshold": fill_queue(np.max([p for _, p in posts.values()], axis=0), slots),
    }
    print("  recall per category    " + "".join(f"{k:>15}" for k in policies))
    missed_harm = dict.fromkeys(policies, 0.0)
    for name, (violating, _) in posts.items():
        row = []
        for policy, flags in policies.items():
            r = review_cost(flags, violating, harms[name])
            missed_harm[policy] += harms[name] * r["missed"] * scale
            row.append(f"{r['caught'] / violating.sum():>15.1%}")
        print(f"  {name:<23}" + "".join(row))
    print(f"  {'harm left up (units)':<23}" + "".join(f"{v:>15,.0f}" for v in missed_harm.values()))
    flags = policies["harm-weighted"]
    any_violation = np.any([v for v, _ in posts.values()], axis=0)
    removals = np.sum(flags & any_violation) * scale
    print(
        f"  harm-weighted queue: {np.mean(any_violation[flags]):.0%} of reviews find a violation,"
    )
    print(f"  {removals:,.0f} removals and {removals * a['appeal_rate']:,.0f} appeals per day")


def print_fairness(a: dict, threshold: float, rng: np.random.Generator) -> None:
    """The same hate-speech threshold applied to three SIMULATED groups of posts."""
    c = CATEGORIES["hate speech"]
    groups = {
        "majority dialect": (c["separation"], 0.0),
        "minority dialect": (c["separation"], a["dialect_benign_shift"]),
        "low-resource lang.": (a["low_resource_separation"], 0.0),
    }
    print(f"\nhate speech at threshold {threshold:.3f}, by group (SIMULATED)")
    print(f"  {'group':<20}{'benign flagged':>16}{'recall':>9}")
    for name, (separation, shift) in groups.items():
        violating, p = calibrated_scores(SIMULATED_POSTS, c["prevalence"], separation, rng, shift)
        flags = p >= threshold
        fpr = np.sum(flags & ~violating) / np.sum(~violating)
        recall = np.sum(flags & violating) / violating.sum()
        print(f"  {name:<20}{fpr:>16.3%}{recall:>9.1%}")


def main() -> None:
    a = ASSUMPTIONS
    rng = np.random.default_rng(0)
    s = sizing(a)
    print_sizing(a, s)
    best = print_one_category(a, "hate speech", rng)
    print_queue(a, s["capacity"], rng)
    print_fairness(a, best, rng)


if __name__ == "__main__":
    main()
