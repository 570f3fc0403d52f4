"""Five ways to pick 400 of 20,000 users, judged by how well they estimate the mean spend.

The table is sorted by sign-up date, and spend depends on the user's segment. Taking the first
rows is biased; simple random sampling is unbiased; stratifying by segment removes the noise that
comes from how many users of each segment the sample happens to contain; and sampling some users
more often is fine as long as each is weighted by the inverse of its inclusion probability.
"""

import numpy as np

SEGMENTS = {  # name: (share of users, median spend, spread of log spend)
    "occasional": (0.70, 8.0, 0.8),
    "regular": (0.25, 40.0, 0.6),
    "power": (0.05, 250.0, 0.9),
}
N_POPULATION, N_SAMPLE, REPEATS = 20_000, 400, 2_000


def make_population(rng: np.random.Generator):
    """Spend per user and segment index, ordered by sign-up date: power users signed up first."""
    sizes = [round(share * N_POPULATION) for share, _, _ in SEGMENTS.values()]
    segment = np.repeat(np.arange(len(SEGMENTS)), sizes)
    params = np.array([(np.log(median), spread) for _, median, spread in SEGMENTS.values()])
    spend = np.exp(rng.normal(params[segment, 0], params[segment, 1]))
    signup = rng.normal(-segment, 1.0)  # earlier sign-ups in higher segments, with overlap
    order = np.argsort(signup)[::-1]  # newest first, as a table sorted by date often is
    return spend[order], segment[order]


# --8<-- [start:core]
def first_rows(spend, segment, n, rng):
    """Non-probability (convenience) sample: whatever is easiest to get, here the top rows."""
    return spend[:n].mean()


def simple_random(spend, segment, n, rng):
    """Every subset of size n equally likely."""
    return spend[rng.choice(len(spend), n, replace=False)].mean()


def stratified(spend, segment, n, rng, allocation="proportional"):
    """Sample within each segment, then combine the segment means with population shares.

    Proportional allocation: n_h proportional to the segment's size N_h. Neyman allocation:
    n_h proportional to N_h times the segment's standard deviation (assumed known here, as
    from a pilot study), which spends the sample where the values vary most.
    """
    groups = [np.flatnonzero(segment == h) for h in np.unique(segment)]
    sizes = np.array([len(g) for g in groups])
    if allocation == "neyman":
        share = sizes * np.array([spend[g].std() for g in groups])
    else:
        share = sizes.astype(float)
    n_h = np.maximum(2, np.round(n * share / share.sum()).astype(int))
    means = [
        spend[rng.choice(g, k, replace=False)].mean() for g, k in zip(groups, n_h, strict=True)
    ]
    return float(np.dot(sizes / sizes.sum(), means))


def weighted(spend, segment, n, rng, boost=(1.0, 2.0, 8.0)):
    """Poisson sampling: user i is included with probability pi_i, larger for some segments.

    The estimate weights each sampled user by 1 / pi_i (Hajek's ratio form); returns the
    weighted estimate and, to show what goes wrong, the plain mean of the same sample.
    """
    pi = np.asarray(boost)[segment]
    pi = pi * n / pi.sum()  # expected sample size n
    take = rng.random(len(spend)) < pi
    w = 1.0 / pi[take]
    return float(np.sum(w * spend[take]) / np.sum(w)), float(spend[take].mean())


# --8<-- [end:core]


def run(population, repeats=REPEATS, n=N_SAMPLE, seed=1):
    spend, segment = population
    rng = np.random.default_rng(seed)
    methods = {
        "first rows (non-probability)": lambda: first_rows(spend, segment, n, rng),
        "simple random": lambda: simple_random(spend, segment, n, rng),
        "stratified, proportional": lambda: stratified(spend, segment, n, rng),
        "stratified, Neyman": lambda: stratified(spend, segment, n, rng, "neyman"),
        "weighted, 1/pi weights": lambda: weighted(spend, segment, n, rng)[0],
        "weighted, weights forgotten": lambda: weighted(spend, segment, n, rng)[1],
    }
    return {name: np.array([draw() for _ in range(repeats)]) for name, draw in methods.items()}


def main():
    rng = np.random.default_rng(0)
    spend, segment = make_population(rng)
    truth = spend.mean()
    print(f"Population: {N_POPULATION:,} users, true mean spend {truth:.2f}")
    for h, name in enumerate(SEGMENTS):
        print(
            f"  {name:<11} {np.mean(segment == h):>5.0%} of users, mean spend"
            f" {spend[segment == h].mean():7.2f}, std {spend[segment == h].std():7.2f}"
        )
    print(f"  in the first {N_SAMPLE} rows: {np.mean(segment[:N_SAMPLE] == 2):.1%} power users\n")

    estimates = run((spend, segment))
    print(f"{REPEATS:,} samples of about {N_SAMPLE} users each:\n")
    print(f"{'method':<30}{'mean est.':>10}{'bias':>9}{'std':>8}{'RMSE':>8}")
    for name, est in estimates.items():
        bias, std = est.mean() - truth, est.std()
        rmse = np.sqrt(np.mean((est - truth) ** 2))
        print(f"{name:<30}{est.mean():>10.2f}{bias:>9.2f}{std:>8.2f}{rmse:>8.2f}")
    srs, neyman = estimates["simple random"].std(), estimates["stratified, Neyman"].std()
    print(f"\nNeyman-stratified sampling needs about {(srs / neyman) ** 2:.1f}x fewer users than")
    print("simple random sampling for the same standard error.")


if __name__ == "__main__":
    main()
