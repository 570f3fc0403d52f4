"""Assign by user, not by request: hashing user ids into buckets, and what goes wrong otherwise.

1. A salted hash of (experiment, user id) gives each user a stable bucket: the same arm on
   every request and every server, with the split close to the intended shares.
2. Salting with the experiment's name keeps two experiments independent; reusing one hash for
   both puts the same users in treatment twice.
3. Randomising each request instead shows most users both versions.
4. Randomising by user but analysing clicks per request as if requests were independent makes
   an A/A test "significant" far more often than alpha; the delta method fixes the variance.
"""

import hashlib
import math

import numpy as np

N_USERS = 100_000
N_BUCKETS = 10_000


# --8<-- [start:core]
def bucket(user_id: str, salt: str, n_buckets: int = N_BUCKETS) -> int:
    """A stable bucket in [0, n_buckets) from a cryptographic hash of salt and user id.

    Python's built-in hash() of a string changes from process to process, so it cannot be
    used: two servers would put the same user in different arms.
    """
    digest = hashlib.sha256(f"{salt}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % n_buckets


def assign(user_id: str, experiment: str, treatment_share: float = 0.5) -> str:
    """'treatment' for the first treatment_share of the buckets, 'control' for the rest."""
    in_treatment = bucket(user_id, experiment) < treatment_share * N_BUCKETS
    return "treatment" if in_treatment else "control"


def users_seeing_both(requests_per_user: np.ndarray, rng: np.random.Generator) -> float:
    """Share of users (with at least two requests) who meet both arms under per-request coins."""
    arms_b = rng.binomial(requests_per_user, 0.5)
    both = (arms_b > 0) & (arms_b < requests_per_user)
    return float(both[requests_per_user >= 2].mean())


def aa_false_positive_rates(n_users, reps, rng, alpha=0.05) -> dict[str, float]:
    """A/A tests randomised by user on click-through rate (clicks / requests).

    Users differ in how often they come and how often they click, so one user's requests are
    correlated. The naive test treats every request as independent; the delta method treats
    the user as the unit, as the randomisation did.
    """
    requests = 1 + rng.negative_binomial(1, 0.1, (reps, n_users))  # mean 10, heavy tail
    ctr = rng.beta(0.5, 4.5, (reps, n_users))  # mean 0.1, very different users
    clicks = rng.binomial(requests, ctr)
    arm = rng.random((reps, n_users)) < 0.5  # the user's arm: no real difference (A/A)
    z_crit = 1.959963984540054  # normal quantile for alpha = 0.05, two-sided
    naive, delta = [], []
    for group in (arm, ~arm):
        x = np.where(group, clicks, 0).astype(float)
        y = np.where(group, requests, 0).astype(float)
        n = group.sum(axis=1)
        ratio = x.sum(axis=1) / y.sum(axis=1)
        naive.append((ratio, ratio * (1 - ratio) / y.sum(axis=1)))  # binomial on requests
        mx, my = x.sum(1) / n, y.sum(1) / n  # per-user means
        cx = np.where(group, x - mx[:, None], 0)
        cy = np.where(group, y - my[:, None], 0)
        vx, vy = (cx**2).sum(1) / (n - 1), (cy**2).sum(1) / (n - 1)
        cxy = (cx * cy).sum(1) / (n - 1)
        var = (vx - 2 * ratio * cxy + ratio**2 * vy) / (n * my**2)  # delta method
        delta.append((ratio, var))
    rates = {}
    for name, ((r1, v1), (r2, v2)) in (("per request (naive)", naive), ("delta method", delta)):
        z = (r1 - r2) / np.sqrt(v1 + v2)
        rates[name] = float(np.mean(np.abs(z) > z_crit))
    return rates


# --8<-- [end:core]


def main():
    rng = np.random.default_rng(0)
    users = [f"user-{i}" for i in range(N_USERS)]

    print(f"{N_USERS:,} users hashed into {N_BUCKETS:,} buckets with SHA-256:")
    for share in (0.5, 0.05):
        got = np.mean([assign(u, "new-ranker", share) == "treatment" for u in users])
        se = math.sqrt(share * (1 - share) / N_USERS)
        print(f"  intended treatment share {share:.2f}: got {got:.4f} (chance s.e. {se:.4f})")
    repeat = all(assign(u, "new-ranker") == assign(u, "new-ranker") for u in users[:1000])
    print(f"  same user, same arm on every call: {repeat}")
    canary = [u for u in users if assign(u, "new-ranker", 0.05) == "treatment"]
    kept = all(assign(u, "new-ranker", 0.25) == "treatment" for u in canary)
    print(f"  ramp 5% -> 25%: every 5% user stays in treatment: {kept}")

    print("\nTwo experiments at 50/50: share of users in treatment for both")
    exp1 = np.array([assign(u, "new-ranker") == "treatment" for u in users])
    exp2 = np.array([assign(u, "new-thumbnails") == "treatment" for u in users])
    same = np.array([assign(u, "new-ranker") == "treatment" for u in users])  # one salt for both
    print(f"  salted by experiment name: {np.mean(exp1 & exp2):.3f} (independent: 0.25)")
    print(f"  same salt reused:          {np.mean(exp1 & same):.3f}")

    requests = 1 + rng.negative_binomial(1, 0.1, N_USERS)
    both = users_seeing_both(requests, rng)
    print(f"\nRandomising each request (mean {requests.mean():.1f} requests per user):")
    print(f"  {both:.1%} of users with 2+ requests saw both versions")

    rates = aa_false_positive_rates(n_users=1000, reps=2000, rng=rng)
    print("\nA/A tests randomised by user, 1,000 users, alpha = 0.05, 2,000 repetitions:")
    for name, rate in rates.items():
        print(f"  {name:<20} false-positive rate {rate:.3f}")


if __name__ == "__main__":
    main()
