"""Pick a decision threshold from a cost matrix, on simulated calibrated scores.

Expected cost per 1,000 decisions against the threshold, its minimum, the theoretical optimum
c_fp / (c_fp + c_fn) for calibrated probabilities, and how the optimum moves with the cost ratio.
"""

import matplotlib.pyplot as plt
import numpy as np

PREVALENCE = 0.10  # share of positives (think: fraudulent transactions, churners)
SEPARATION = 2.0  # how far apart the classes' scores lie, in standard deviations
N = 200_000  # simulated validation set
RATIOS = (1, 2, 4, 9, 19, 49, 99)  # cost of a false negative / cost of a false positive
PLOTTED = (1, 4, 19, 99)
THRESHOLDS = np.round(np.arange(0.001, 1.0, 0.001), 3)


def calibrated_scores(n: int, prevalence: float, separation: float, rng: np.random.Generator):
    """Labels and exactly calibrated probabilities from two overlapping normal score distributions.

    Negatives score N(0, 1), positives N(separation, 1). Bayes' rule turns a score s into
    P(y = 1 | s), which is logistic in s; so P(y = 1 | p) = p holds by construction. This stands
    in for a well-calibrated model; it says nothing about how good any real model is.
    """
    labels = (rng.random(n) < prevalence).astype(np.int64)
    scores = rng.normal(size=n) + separation * labels
    log_odds = np.log(prevalence / (1 - prevalence)) + separation * scores - separation**2 / 2
    return labels, 1 / (1 + np.exp(-log_odds))


# --8<-- [start:core]
def optimal_threshold(c_fp: float, c_fn: float, c_tp: float = 0.0, c_tn: float = 0.0) -> float:
    """The probability above which acting (predicting positive) has the lower expected cost.

    Act when p * c_tp + (1 - p) * c_fp < p * c_fn + (1 - p) * c_tn, that is when
    p > (c_fp - c_tn) / ((c_fp - c_tn) + (c_fn - c_tp)). With free correct decisions this is
    c_fp / (c_fp + c_fn). Valid only if p is a calibrated probability.
    """
    regret_fp, regret_fn = c_fp - c_tn, c_fn - c_tp
    return regret_fp / (regret_fp + regret_fn)


def cost_per_1000(labels, probs, thresholds, c_fp: float, c_fn: float) -> np.ndarray:
    """Cost of flagging every example with probability >= t, per 1,000 decisions, for each t."""
    order = np.argsort(probs)
    sorted_probs, sorted_labels = probs[order], labels[order]
    cut = np.searchsorted(sorted_probs, thresholds, side="left")  # examples below each threshold
    positives_below = np.concatenate([[0], np.cumsum(sorted_labels)])[cut]  # false negatives
    negatives_above = (len(labels) - labels.sum()) - (cut - positives_below)  # false positives
    return 1000 * (c_fp * negatives_above + c_fn * positives_below) / len(labels)


def best_threshold(thresholds, costs) -> tuple[float, float]:
    i = int(np.argmin(costs))
    return float(thresholds[i]), float(costs[i])


# --8<-- [end:core]


def cost_at(labels, probs, threshold: float, c_fp: float, c_fn: float) -> float:
    return float(cost_per_1000(labels, probs, np.array([threshold]), c_fp, c_fn)[0])


def downsampled_probs(probs, keep_negatives: float):
    """What a model trained on every positive and a fraction of the negatives would output.

    Keeping negatives with probability w multiplies the odds by 1 / w: q = p / (p + (1 - p) w).
    """
    return probs / (probs + (1 - probs) * keep_negatives)


def corrected_probs(q, keep_negatives: float):
    """Undo downsampling: multiply the odds back by w."""
    return q * keep_negatives / (q * keep_negatives + (1 - q))


def calibration_table(labels, probs, edges=(0, 0.05, 0.2, 0.5, 0.8, 1.0)):
    """(bin, mean predicted probability, observed positive rate, count) per probability bin."""
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (probs >= lo) & (probs < hi) if hi < 1 else (probs >= lo)
        rows.append(
            (f"{lo:.2f}-{hi:.2f}", probs[inside].mean(), labels[inside].mean(), inside.sum())
        )
    return rows


def plot_costs(curves: dict, bests: dict):
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    for colour, (ratio, costs) in zip(("C0", "C1", "C2", "C3"), curves.items(), strict=True):
        theory = optimal_threshold(1, ratio)
        t, c = bests[ratio]
        ax.plot(THRESHOLDS, costs, color=colour, label=f"c_fn/c_fp = {ratio}")
        ax.axvline(theory, color=colour, linestyle=":", linewidth=1.2)
        ax.plot([t], [c], "o", color=colour, markersize=8, markeredgecolor="white")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks([0.001, 0.01, 0.05, 0.2, 0.5, 1], ["0.001", "0.01", "0.05", "0.2", "0.5", "1"])
    ax.minorticks_off()
    ax.set_xlabel("decision threshold (flag when p >= t, log scale)")
    ax.set_ylabel("cost per 1,000 decisions\n(units of c_fp, log scale)")
    ax.legend(
        loc="upper left", fontsize=9, title="dots: measured minimum\ndotted: c_fp/(c_fp+c_fn)"
    )
    fig.tight_layout()
    return fig


def main() -> None:
    rng = np.random.default_rng(0)
    labels, probs = calibrated_scores(N, PREVALENCE, SEPARATION, rng)
    print(f"Simulated validation set: {N:,} decisions, {labels.mean():.1%} positives,")
    print(f"scores separated by {SEPARATION} standard deviations, calibrated by construction\n")
    print(f"{'probability bin':<16}{'mean p':>8}{'observed rate':>15}{'count':>9}")
    for name, mean_p, rate, count in calibration_table(labels, probs):
        print(f"{name:<16}{mean_p:>8.3f}{rate:>15.3f}{count:>9,}")

    print("\nCost per 1,000 decisions, in units of c_fp (a false alarm costs 1, a miss costs r)")
    header = ["r", "theory t*", "best t", "cost@best", "cost@t*", "cost@0.5", "flag none"]
    print(f"{header[0]:>4}" + "".join(f"{h:>11}" for h in header[1:]))
    curves, bests = {}, {}
    for ratio in RATIOS:
        costs = cost_per_1000(labels, probs, THRESHOLDS, c_fp=1.0, c_fn=ratio)
        bests[ratio] = best_threshold(THRESHOLDS, costs)
        if ratio in PLOTTED:
            curves[ratio] = costs
        theory = optimal_threshold(1.0, ratio)
        at_theory = cost_at(labels, probs, theory, 1.0, ratio)
        at_half = cost_at(labels, probs, 0.5, 1.0, ratio)
        flag_none = 1000 * ratio * labels.mean()
        row = (theory, *bests[ratio], at_theory, at_half, flag_none)
        print(
            f"{ratio:>4}"
            + "".join(f"{v:>11.3f}" if i < 2 else f"{v:>11.1f}" for i, v in enumerate(row))
        )

    ratio, keep = 19, 0.1
    theory = optimal_threshold(1.0, ratio)
    q = downsampled_probs(probs, keep)
    print(f"\nSame rule t* = {theory:.3f} (r = {ratio}) on scores that are NOT calibrated:")
    print(f"  model trained on all positives and {keep:.0%} of negatives, scores used as they are")
    print(
        f"    cost per 1,000: {cost_at(labels, q, theory, 1.0, ratio):7.1f}"
        f"   flag rate {np.mean(q >= theory):.1%}"
    )
    print("  same model, scores corrected for the downsampling first")
    fixed = corrected_probs(q, keep)
    print(
        f"    cost per 1,000: {cost_at(labels, fixed, theory, 1.0, ratio):7.1f}"
        f"   flag rate {np.mean(fixed >= theory):.1%}"
    )

    fig = plot_costs(curves, bests)
    lo, hi = PLOTTED[0], PLOTTED[-1]
    alt = (
        "Line chart, both axes logarithmic: cost per 1,000 decisions against the decision "
        f"threshold for four cost ratios c_fn/c_fp of {', '.join(map(str, PLOTTED))}. Each curve "
        "is U-shaped with a dot at its measured minimum and a dotted vertical line at the "
        "theoretical threshold c_fp/(c_fp+c_fn). Measured minima: "
        + "; ".join(f"ratio {r}: t = {bests[r][0]:.3f}, cost {bests[r][1]:.0f}" for r in PLOTTED)
        + "."
    )
    caption = (
        "Each minimum sits next to its dotted line: for calibrated probabilities the best "
        "threshold is c_fp/(c_fp+c_fn). Raising the cost of a miss from "
        f"{lo} to {hi} times that of a false alarm moves the best threshold from "
        f"{bests[lo][0]:.2f} to {bests[hi][0]:.3f}. The curves are flat near their minima, so a "
        "roughly right threshold costs little, while the default 0.5 is far off whenever the "
        "costs are unequal."
    )
    fig.savefig("cost_threshold.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
