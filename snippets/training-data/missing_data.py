"""Missing data: what MCAR, MAR and MNAR each do to the mean of the values you still have.

A survey asks for age (always answered) and income (sometimes skipped). Income rises with age.
We hide 40% of incomes in three ways and compare three estimates of the mean income: the naive
mean of the answers, and a mean that conditions on age (the answers' mean within each age band,
weighted by the band's share of everyone surveyed).
"""

import numpy as np

N, MISSING, REPEATS = 20_000, 0.4, 200
COARSE_BANDS = (18, 30, 45, 60, 80)  # 4 age bands
FINE_BANDS = tuple(range(18, 81, 4))  # 16 age bands of 4 years (the last one, 78-80, shorter)


def make_survey(rng: np.random.Generator):
    """Age (uniform 18-80) and log-normal income whose median grows with age."""
    age = rng.uniform(18, 80, N)
    income = np.exp(rng.normal(np.log(20_000) + 0.025 * (age - 18), 0.5))
    return age, income


# --8<-- [start:core]
def hide(age, income, mechanism: str, rng: np.random.Generator) -> np.ndarray:
    """A mask of answered incomes, hiding about MISSING of them.

    MCAR: every income is equally likely to be missing.
    MAR: the young skip the question more; missingness depends on age, which we observe.
    MNAR: high earners skip it more; missingness depends on the missing value itself.
    """
    if mechanism == "MCAR":
        score = rng.random(len(age))
    elif mechanism == "MAR":
        score = -age + rng.normal(0, 10, len(age))  # lower age: more likely hidden
    elif mechanism == "MNAR":
        score = np.log(income) + rng.normal(0, 0.3, len(age))  # higher income: more hidden
    else:
        raise ValueError(mechanism)
    return score < np.quantile(score, 1 - MISSING)  # hide the top MISSING share of scores


def naive_mean(income, answered) -> float:
    return float(income[answered].mean())


def age_adjusted_mean(age, income, answered, bands=FINE_BANDS) -> float:
    """Mean of the answers within each age band, weighted by each band's share of ALL people.

    Correct under MAR (within a band, who answers does not depend on income); it cannot fix
    MNAR, where the answers within every band are still the lower incomes. Bands must be narrow
    enough that, within one, age no longer moves both income and the chance of answering.
    """
    band = np.digitize(age, bands[1:-1])
    total = 0.0
    for b in np.unique(band):
        in_band = band == b
        total += in_band.mean() * income[in_band & answered].mean()
    return float(total)


# --8<-- [end:core]


def main():
    rng = np.random.default_rng(0)
    print(f"{N:,} people per survey, {MISSING:.0%} of incomes hidden, {REPEATS} surveys.\n")
    keys = ("naive", "coarse", "fine", "truth")
    results = {m: {k: [] for k in keys} for m in ("MCAR", "MAR", "MNAR")}
    for _ in range(REPEATS):
        age, income = make_survey(rng)
        for mechanism, r in results.items():
            answered = hide(age, income, mechanism, rng)
            r["truth"].append(income.mean())
            r["naive"].append(naive_mean(income, answered))
            r["coarse"].append(age_adjusted_mean(age, income, answered, COARSE_BANDS))
            r["fine"].append(age_adjusted_mean(age, income, answered, FINE_BANDS))
    truth = np.mean(results["MCAR"]["truth"])
    print(f"True mean income (average over surveys): {truth:,.0f}\n")
    print("Mean of the estimates, and bias relative to the true mean:\n")
    heads = ("naive mean", "by age, 4 bands", "by age, 16 bands")
    print(f"{'':<10}" + "".join(f"{h:>20}" for h in heads))
    for mechanism, r in results.items():
        cells = []
        for key in ("naive", "coarse", "fine"):
            bias = np.mean(np.array(r[key]) - r["truth"]) / truth
            cells.append(f"{np.mean(r[key]):>12,.0f} {bias:>+6.1%}")
        print(f"{mechanism:<10}" + "".join(f"{c:>20}" for c in cells))
    spread = np.std(np.array(results["MCAR"]["naive"]) - results["MCAR"]["truth"]) / truth
    print(f"\nSurvey-to-survey noise of the naive mean under MCAR: {spread:.1%} of the truth.")


if __name__ == "__main__":
    main()
