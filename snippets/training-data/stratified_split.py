"""Random versus stratified train/validation splits when one class is rare.

With 20 positives among 2,000 examples, a random 20% validation set holds 4 positives on average,
but often 1 or 7, and sometimes none. A stratified split holds exactly 4 every time.
"""

import matplotlib.pyplot as plt
import numpy as np

N, N_POSITIVE, VAL_FRACTION, SPLITS = 2_000, 20, 0.2, 10_000


# --8<-- [start:core]
def random_split(labels: np.ndarray, val_fraction: float, rng: np.random.Generator):
    """Shuffle all indices and cut: (train_idx, val_idx)."""
    order = rng.permutation(len(labels))
    n_val = round(val_fraction * len(labels))
    return order[n_val:], order[:n_val]


def stratified_split(labels: np.ndarray, val_fraction: float, rng: np.random.Generator):
    """Shuffle and cut within each class, so every class keeps its share in both parts."""
    train, val = [], []
    for value in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == value))
        n_val = round(val_fraction * len(members))
        val.append(members[:n_val])
        train.append(members[n_val:])
    return np.concatenate(train), np.concatenate(val)


def positives_in_validation(split, labels, val_fraction, splits, seed=0) -> np.ndarray:
    """Number of positives that land in the validation set, for `splits` different seeds."""
    rng = np.random.default_rng(seed)
    return np.array([labels[split(labels, val_fraction, rng)[1]].sum() for _ in range(splits)])


# --8<-- [end:core]


def plot_counts(counts: dict[str, np.ndarray], expected: float):
    fig, ax = plt.subplots(figsize=(7, 3.8))
    top = max(c.max() for c in counts.values())
    bins = np.arange(-0.5, top + 1.5)
    for (name, c), offset in zip(counts.items(), (-0.2, 0.2), strict=True):
        share = np.histogram(c, bins=bins)[0] / len(c)
        ax.bar(np.arange(top + 1) + offset, share, width=0.4, label=name)
    ax.axvline(expected, color="0.55", ls="--", lw=1)
    ax.set_xticks(np.arange(top + 1))
    ax.set_xlabel("positives in the validation set")
    ax.set_ylabel("share of splits")
    ax.legend()
    fig.tight_layout()
    return fig


def main():
    labels = np.zeros(N, dtype=int)
    labels[:N_POSITIVE] = 1
    expected = N_POSITIVE * VAL_FRACTION
    print(f"{N:,} examples, {N_POSITIVE} positives ({N_POSITIVE / N:.1%}); validation share")
    print(f"{VAL_FRACTION:.0%}, so {expected:g} positives expected there; {SPLITS:,} splits.\n")
    counts = {
        "random split": positives_in_validation(random_split, labels, VAL_FRACTION, SPLITS),
        "stratified split": positives_in_validation(stratified_split, labels, VAL_FRACTION, SPLITS),
    }
    n_val = round(VAL_FRACTION * N)
    print(
        f"{'':<18}{'mean':>6}{'std':>6}{'min':>5}{'max':>5}{'share std':>11}{'relative':>10}"
        f"{'P(0 positives)':>16}{'P(<= 2)':>9}"
    )
    for name, c in counts.items():
        print(
            f"{name:<18}{c.mean():>6.2f}{c.std():>6.2f}{c.min():>5}{c.max():>5}"
            f"{(c / n_val).std():>11.4f}{(c / n_val).std() / (N_POSITIVE / N):>10.0%}"
            f"{np.mean(c == 0):>16.2%}{np.mean(c <= 2):>9.1%}"
        )
    print("\nshare std: standard deviation of the positive share of the validation set;")
    print(f"relative: the same, divided by the overall share of {N_POSITIVE / N:.1%}.")

    random_counts = counts["random split"]
    fig = plot_counts(counts, expected)
    alt = (
        f"Bar chart of how often the validation set of a split holds 0, 1, 2 and more positives, "
        f"over {SPLITS:,} splits. Random splits spread from {random_counts.min()} to "
        f"{random_counts.max()} positives, with {np.mean(random_counts == expected):.0%} of "
        f"splits at the expected {expected:g}; stratified splits put all their mass on exactly "
        f"{expected:g}."
    )
    caption = (
        f"A random split gives the validation set anywhere from {random_counts.min()} to "
        f"{random_counts.max()} of the {N_POSITIVE} positives ({np.mean(random_counts == 0):.1%} "
        "of splits have none, and then recall cannot be measured at all). Stratifying by class "
        "removes that source of noise; the small number of positives remains."
    )
    fig.savefig("stratified_split.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
