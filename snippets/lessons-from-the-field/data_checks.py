"""Data tests: small validation functions run on every batch before it reaches the model.

A batch of payment events is a table held as {column: NumPy array}. Expectations come from a
profile of a reference batch (the training data), computed once and stored, plus a few facts
written down by hand (the schema and the valid ranges). Each check returns a
list of problems, empty when the batch passes, so that one run reports everything wrong at once.
A clean batch and six batches with one planted corruption each go through the same checks.
"""

import numpy as np

ROWS = 2_000
COUNTRIES = np.array(["DE", "FR", "GB", "NL", "US"])
COUNTRY_SHARES = np.array([0.3, 0.2, 0.2, 0.1, 0.2])
SCHEMA = {"amount": "f", "account_age_days": "f", "country": "U", "hour": "i"}  # dtype kinds
RANGES = {"amount": (0.01, 20_000.0), "account_age_days": (0.0, 20_000.0), "hour": (0, 23)}
PSI_LIMIT = 0.2  # a common rule of thumb: below 0.1 stable, above 0.2 a real shift
NULL_MARGIN = 0.02  # allowed null rate: the reference rate plus this


def make_batch(rows, rng):
    """Amounts in dollars (log-normal), account age in days with 1% missing, country codes,
    and the local hour of day, busiest in the afternoon."""
    age = rng.exponential(700.0, rows)
    age[rng.random(rows) < 0.01] = np.nan
    hour_weights = 1 + np.sin((np.arange(24) - 9) / 24 * 2 * np.pi)
    return {
        "amount": np.round(rng.lognormal(3.5, 1.0, rows), 2),
        "account_age_days": age,
        "country": rng.choice(COUNTRIES, rows, p=COUNTRY_SHARES),
        "hour": rng.choice(24, rows, p=hour_weights / hour_weights.sum()),
    }


# --8<-- [start:core]
def check_schema(batch, schema=SCHEMA):
    problems = [f"missing column {c!r}" for c in schema if c not in batch]
    problems += [f"unexpected column {c!r}" for c in batch if c not in schema]
    for column, kind in schema.items():
        if column in batch and batch[column].dtype.kind != kind:
            problems.append(f"{column}: dtype {batch[column].dtype}, expected kind {kind!r}")
    return problems


def check_ranges(batch, ranges=RANGES):
    problems = []
    for column, (low, high) in ranges.items():
        values = batch.get(column)
        if values is None or values.dtype.kind not in "fi":
            continue  # the schema check reports it
        outside = np.mean((values < low) | (values > high))  # NaN counts as inside: see nulls
        if outside > 0:
            problems.append(f"{column}: {outside:.1%} of values outside [{low}, {high}]")
    return problems


def null_rate(values):
    return float(np.mean(np.isnan(values))) if values.dtype.kind == "f" else 0.0


def shares(values, profile):
    """Shares per known category, or per decile of the reference for numbers (NaN left out)."""
    if "categories" in profile:
        return np.array([np.mean(values == c) for c in profile["categories"]])
    counts = np.bincount(np.searchsorted(profile["edges"], values[~np.isnan(values)]), minlength=10)
    return counts / max(counts.sum(), 1)


def fit_profile(reference):
    """What the checks compare against, computed once from the reference batch and stored:
    per column the dtype, null rate, known categories or decile edges, and the shares."""
    profiles = {}
    for column, values in reference.items():
        p = {"kind": values.dtype.kind, "null_rate": null_rate(values)}
        if p["kind"] == "U":
            p["categories"] = np.unique(values)
        else:
            known = values[~np.isnan(values)]
            p["edges"] = np.quantile(known, np.linspace(0, 1, 11))[1:-1]
        p["shares"] = shares(values, p)
        profiles[column] = p
    return profiles


def check_nulls(batch, profiles, margin=NULL_MARGIN):
    problems = []
    for column, p in profiles.items():
        if column in batch and batch[column].dtype.kind == p["kind"]:
            rate, allowed = null_rate(batch[column]), p["null_rate"] + margin
            if rate > allowed:
                problems.append(f"{column}: {rate:.1%} missing, at most {allowed:.1%} expected")
    return problems


def check_categories(batch, profiles, max_unseen=0.001):
    problems = []
    for column, p in profiles.items():
        if column in batch and "categories" in p:
            unseen = ~np.isin(batch[column], p["categories"])
            if unseen.mean() > max_unseen:
                examples = ", ".join(sorted(set(batch[column][unseen].tolist()))[:3])
                problems.append(f"{column}: {unseen.mean():.1%} unseen values ({examples})")
    return problems


def psi(expected, actual, eps=1e-4):
    """Population stability index of two share vectors: sum (a - e) * ln(a / e)."""
    expected, actual = np.maximum(expected, eps), np.maximum(actual, eps)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def check_distributions(batch, profiles, limit=PSI_LIMIT):
    problems = []
    for column, p in profiles.items():
        if column in batch and batch[column].dtype.kind == p["kind"]:
            value = psi(p["shares"], shares(batch[column], p))
            if value > limit:
                problems.append(f"{column}: PSI {value:.2f} against the reference")
    return problems


def run_checks(batch, profiles):
    return {
        "schema": check_schema(batch),
        "ranges": check_ranges(batch),
        "nulls": check_nulls(batch, profiles),
        "categories": check_categories(batch, profiles),
        "distribution": check_distributions(batch, profiles),
    }


# --8<-- [end:core]


def corrupted_batches(rng):
    """One clean batch and six with a single planted corruption, each a real incident type."""

    def corrupt(change):
        batch = make_batch(ROWS, rng)
        change(batch)
        return batch

    def renamed(b):
        b["amount_usd"] = b.pop("amount")

    def cents(b):
        b["amount"] = np.round(b["amount"] * 100)

    def strings(b):
        b["amount"] = b["amount"].astype(str)

    def failed_join(b):
        b["account_age_days"][rng.random(ROWS) < 0.3] = np.nan

    def lowercase(b):
        b["country"] = np.char.lower(b["country"])

    def utc(b):
        b["hour"] = (b["hour"] - 7) % 24

    return {
        "clean": make_batch(ROWS, rng),
        "column renamed upstream": corrupt(renamed),
        "amount sent in cents": corrupt(cents),
        "amount sent as text": corrupt(strings),
        "account join failed (30%)": corrupt(failed_join),
        "country codes lower-case": corrupt(lowercase),
        "hour in UTC, not local": corrupt(utc),
    }


def ks_pvalue(a, b):
    """Two-sample Kolmogorov-Smirnov test, asymptotic p-value (Numerical Recipes form)."""
    a, b = np.sort(a), np.sort(b)
    grid = np.r_[a, b]
    d = np.max(
        np.abs(
            np.searchsorted(a, grid, "right") / len(a) - np.searchsorted(b, grid, "right") / len(b)
        )
    )
    en = np.sqrt(len(a) * len(b) / (len(a) + len(b)))
    lam = (en + 0.12 + 0.11 / en) * d
    k = np.arange(1, 101)
    return float(np.clip(2 * np.sum((-1) ** (k - 1) * np.exp(-2 * k**2 * lam**2)), 0, 1)), float(d)


def main():
    rng = np.random.default_rng(0)
    profiles = fit_profile(make_batch(20_000, rng))
    batches = corrupted_batches(rng)
    names = list(run_checks(batches["clean"], profiles))
    print(f"{'batch':<28}" + "".join(f"{n:>13}" for n in names))
    found = {}
    for label, batch in batches.items():
        results = run_checks(batch, profiles)
        print(f"{label:<28}" + "".join(f"{'FAIL' if p else 'ok':>13}" for p in results.values()))
        found[label] = [p for problems in results.values() for p in problems]
    print()
    for label, problems in found.items():
        if problems:
            print(
                f"{label}: {problems[0]}"
                + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
            )

    flagged = sum(any(run_checks(make_batch(ROWS, rng), profiles).values()) for _ in range(200))
    print(f"\nClean batches flagged by any check: {flagged} of 200")

    big, drifted = make_batch(200_000, rng), make_batch(200_000, rng)
    drifted["amount"] = drifted["amount"] * 1.03  # prices up 3%: real, but harmless
    p, d = ks_pvalue(big["amount"], drifted["amount"])
    amount = fit_profile({"amount": big["amount"]})["amount"]
    value = psi(amount["shares"], shares(drifted["amount"], amount))
    print(f"Amounts up 3% on 200,000 rows: KS statistic {d:.3f}, p-value {p:.1e}; PSI {value:.3f}")


if __name__ == "__main__":
    main()
