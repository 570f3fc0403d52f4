"""A degenerate feedback loop in a recommender, and randomization as the way out.

A catalogue of items, each with a true appeal (the chance a user clicks it when it is shown at
the top) that the system does not know. Each round, every user is shown a slate of K items
ranked by a popularity score built from past clicks, plus a small personal term. Users can only
click what they are shown, and click items near the top more often. Those clicks are the next
round's training data: the loop. Measured each round: aggregate diversity (how many distinct
items were recommended to anyone) and long-tail share (the share of recommended slots that went
to items outside the launch head). The remedies: reserve a few slots for random items
(epsilon exploration), and rank by click *rate* instead of click *count*, so that an item is
judged by how often it is clicked when shown rather than by how often it was shown.
"""

import matplotlib.pyplot as plt
import numpy as np

N_ITEMS, SLATE, USERS, ROUNDS = 500, 10, 200, 40
LAUNCH_IMPRESSIONS = 20  # impressions per item in the launch period, before the loop starts
PERSONAL = 0.3  # spread of the per-user term added to each score
HEAD_SHARE = 0.2  # the top 20% of items by launch clicks form the "head"
EXAMINE = 1.0 / np.log2(np.arange(SLATE) + 2.0)  # chance a user looks at position 0, 1, ...

POLICIES = {  # name: (score, share of slots given to random items)
    "by clicks, no exploration": ("clicks", 0.0),
    "by clicks, 10% random slots": ("clicks", 0.1),
    "by click rate, 10% random slots": ("rate", 0.1),
}


def make_catalogue(rng):
    """True appeal of each item, and the clicks each got from its launch impressions."""
    appeal = rng.beta(2.0, 18.0, N_ITEMS)  # mean 0.1: most items are mediocre, a few are good
    launch_clicks = rng.binomial(LAUNCH_IMPRESSIONS, appeal * EXAMINE.mean())
    return appeal, launch_clicks


# --8<-- [start:core]
def recommend(clicks, impressions, rng, score="clicks", epsilon=0.0):
    """One slate of SLATE items per user, best first.

    score="clicks": log(1 + clicks), so items that were shown more look better.
    score="rate": smoothed clicks per impression, which judges an item by its record when shown.
    With probability epsilon each slot is handed to an item drawn uniformly from the catalogue.
    """
    base = (
        np.log1p(clicks)
        if score == "clicks"
        else np.log((clicks + 1.0) / (impressions + 10.0))  # prior: 1 click in 10 views
    )
    scores = base + PERSONAL * rng.standard_normal((USERS, N_ITEMS))
    top = np.argpartition(-scores, SLATE, axis=1)[:, :SLATE]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
    slates = np.take_along_axis(top, order, axis=1)
    explore = rng.random((USERS, SLATE)) < epsilon
    slates[explore] = rng.integers(0, N_ITEMS, explore.sum())
    return slates


def users_click(slates, appeal, rng):
    """A user clicks the item in position p with probability appeal * EXAMINE[p]."""
    return rng.random(slates.shape) < appeal[slates] * EXAMINE


def run_loop(appeal, launch_clicks, score, epsilon, rounds, rng, head):
    """Retrain on all clicks so far, recommend, log the clicks; repeat. Per-round metrics."""
    clicks = launch_clicks.astype(float)
    impressions = np.full(N_ITEMS, float(LAUNCH_IMPRESSIONS))
    history = {"distinct items": [], "long-tail share": [], "click-through rate": []}
    for _ in range(rounds):
        slates = recommend(clicks, impressions, rng, score, epsilon)
        clicked = users_click(slates, appeal, rng)
        np.add.at(clicks, slates[clicked], 1.0)
        np.add.at(impressions, slates.ravel(), 1.0)
        history["distinct items"].append(len(np.unique(slates)))
        history["long-tail share"].append(float(np.mean(~head[slates])))
        history["click-through rate"].append(float(clicked.mean()))
    return {name: np.array(values) for name, values in history.items()}


# --8<-- [end:core]


def launch_head(launch_clicks, rng):
    """The HEAD_SHARE of items with the most launch clicks (ties broken at random)."""
    order = np.lexsort((rng.random(N_ITEMS), -launch_clicks))
    head = np.zeros(N_ITEMS, dtype=bool)
    head[order[: int(HEAD_SHARE * N_ITEMS)]] = True
    return head


def simulate(seed: int = 0, rounds: int = ROUNDS):
    """Run every policy on the same catalogue (same launch data) for `rounds` rounds."""
    rng = np.random.default_rng(seed)
    appeal, launch_clicks = make_catalogue(rng)
    head = launch_head(launch_clicks, rng)
    results = {}
    for name, (score, epsilon) in POLICIES.items():
        results[name] = run_loop(
            appeal, launch_clicks, score, epsilon, rounds, np.random.default_rng(seed + 1), head
        )
    return appeal, results


def plot_rounds(results):
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
    metrics = ("distinct items", "long-tail share", "click-through rate")
    for ax, metric in zip(axes, metrics, strict=True):
        for name, history in results.items():
            ax.plot(np.arange(1, len(history[metric]) + 1), history[metric], label=name)
        ax.set_title(metric, fontsize=11)
        ax.set_xlabel("round")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("per round")
    axes[1].set_ylim(bottom=0)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncols=3, fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def main():
    appeal, results = simulate()
    best = np.sort(appeal)[::-1][:SLATE]
    ideal_ctr = float(np.mean(best * EXAMINE))
    print(f"{N_ITEMS} items, slates of {SLATE}, {USERS} users a round, {ROUNDS} rounds.")
    print(f"Click-through rate if everyone saw the {SLATE} most appealing items: {ideal_ctr:.3f}\n")
    print(f"{'policy':<33}{'distinct items':>16}{'long-tail share':>17}{'CTR':>9}")
    print(f"{'':<33}{'round 1 / last':>16}{'round 1 / last':>17}{'last 10':>9}")
    for name, history in results.items():
        items, tail = history["distinct items"], history["long-tail share"]
        ctr = history["click-through rate"][-10:].mean()
        print(
            f"{name:<33}{f'{items[0]} / {items[-1]}':>16}"
            f"{f'{tail[0]:.2f} / {tail[-1]:.2f}':>17}{ctr:>9.3f}"
        )

    fig = plot_rounds(results)
    plain = results["by clicks, no exploration"]
    explore = results["by clicks, 10% random slots"]
    rate = results["by click rate, 10% random slots"]
    alt = (
        f"Three panels over {ROUNDS} rounds for three recommenders. Distinct items recommended "
        f"per round: ranking by click count without exploration falls from "
        f"{plain['distinct items'][0]} to {plain['distinct items'][-1]}; with 10% random slots it "
        f"ends at {explore['distinct items'][-1]}; ranking by click rate with 10% random slots "
        f"ends at {rate['distinct items'][-1]}. Long-tail share of slots ends at "
        f"{plain['long-tail share'][-1]:.2f}, {explore['long-tail share'][-1]:.2f} and "
        f"{rate['long-tail share'][-1]:.2f}. Click-through rate in the last round: "
        f"{plain['click-through rate'][-1]:.3f}, {explore['click-through rate'][-1]:.3f} and "
        f"{rate['click-through rate'][-1]:.3f}."
    )
    caption = (
        "Ranking by past clicks concentrates the recommendations on whatever was shown early: "
        "the number of distinct items recommended collapses within a few rounds. Random slots "
        "keep the catalogue visible; ranking by click rate lets the exploration data change the "
        "ranking."
    )
    fig.savefig("feedback_loop_rounds.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
