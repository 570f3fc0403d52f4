"""Batch prediction versus online prediction for a day of recommendation requests.

A simulated service with 100,000 registered users. Each user has their own chance of visiting
on a given day (most rarely visit, a few visit daily), a visitor makes a few requests spread over
the day, and some visitors signed up today. Three ways to serve predictions:

- batch: at midnight, predict for every registered user and store the results; a request reads
  its user's row;
- online: compute a prediction when a request arrives, from features as they are now;
- hybrid: precompute only for the regulars (users likely to visit), compute the rest online.

Compute is counted in "batch units": one prediction inside a large offline batch costs 1, and one
computed on request costs ONLINE_COST, because small batches use the hardware worse (see
latency_throughput.py for the measured ratio on your machine). Pure simulation, seeded.
"""

import numpy as np

N_USERS = 100_000
ONLINE_COST = 4.0  # cost of one online prediction, in units of one prediction in a big batch
NEW_USER_SHARE = 0.03  # share of today's visitors who signed up today (no row in the table)
REGULAR_THRESHOLD = 0.5  # hybrid: precompute for users who visit on at least half of all days


# --8<-- [start:core]
def simulate_day(n_users: int = N_USERS, seed: int = 0) -> dict:
    """Who visits today, how often and when (hours after midnight)."""
    rng = np.random.default_rng(seed)
    visit_chance = rng.beta(0.25, 2.5, size=n_users)  # mean about 9%, a long tail of regulars
    visitors = np.flatnonzero(rng.random(n_users) < visit_chance)
    n_new = int(round(NEW_USER_SHARE * len(visitors) / (1 - NEW_USER_SHARE)))
    new_ids = np.arange(n_users, n_users + n_new)  # signed up today: not in the midnight table
    people = np.concatenate([visitors, new_ids])
    requests_each = 1 + rng.poisson(2.0, size=len(people))
    user = np.repeat(people, requests_each)
    hour = np.sort(rng.uniform(0, 24, size=len(user)))  # any order of times is fine per user
    rng.shuffle(user)
    return {"visit_chance": visit_chance, "user": user, "hour": hour, "n_users": n_users}


def compare(day: dict, online_cost: float = ONLINE_COST, threshold=REGULAR_THRESHOLD) -> dict:
    """Compute spent, waste, coverage and freshness of the three strategies for one day."""
    user, hour, n_users = day["user"], day["hour"], day["n_users"]
    registered = user < n_users
    regular = np.zeros(len(user), dtype=bool)
    regular[registered] = day["visit_chance"][user[registered]] >= threshold
    n_regulars = int((day["visit_chance"] >= threshold).sum())
    # A user's later requests follow something they did today, which only a fresh prediction
    # (online, with streaming features) can take into account.
    _, first = np.unique(user, return_index=True)
    seen_today = np.ones(len(user), dtype=bool)
    seen_today[first] = False

    def summary(from_table, online, computed, cost, used):
        """from_table / online: which requests read a stored row / got a fresh prediction."""
        return {
            "computed": computed,  # predictions made today
            "cost": cost,
            "unused": 1 - used / computed,  # share of predictions no request needed
            "fallback": float(np.mean(~from_table & ~online)),  # no prediction at all
            "median_age_h": float(np.median(hour[from_table])) if from_table.any() else 0.0,
            "blind": float(np.mean(from_table & seen_today)),  # stale after the user acted
        }

    everyone, nobody = np.ones(len(user), dtype=bool), np.zeros(len(user), dtype=bool)
    n_online = int((~regular).sum())
    return {
        "batch (all users at midnight)": summary(
            registered, nobody, n_users, n_users, len(np.unique(user[registered]))
        ),
        "online (every request)": summary(
            nobody, everyone, len(user), online_cost * len(user), len(user)
        ),
        "hybrid (regulars precomputed)": summary(
            regular,
            ~regular,
            n_regulars + n_online,
            n_regulars + online_cost * n_online,
            len(np.unique(user[regular])) + n_online,
        ),
    }


# --8<-- [end:core]


def main() -> None:
    day = simulate_day()
    n_requests, n_people = len(day["user"]), len(np.unique(day["user"]))
    print(
        f"{N_USERS:,} registered users; today {n_people:,} people "
        f"({n_people / N_USERS:.1%} of the registered count) made {n_requests:,} requests"
    )
    print(
        f"Cost units: 1 per prediction in a big offline batch, {ONLINE_COST:g} per prediction "
        "computed on request\n"
    )
    rows = compare(day)
    head = f"{'strategy':<31}{'predictions':>12}{'cost':>9}{'unused':>8}{'fallback':>9}"
    print(head + f"{'median age':>11}{'blind':>7}")
    for name, r in rows.items():
        print(
            f"{name:<31}{r['computed']:>12,}{r['cost']:>9,.0f}{r['unused']:>8.0%}"
            f"{r['fallback']:>9.1%}{r['median_age_h']:>10.1f}h{r['blind']:>7.0%}"
        )
    print("\nunused: predictions no request read; fallback: requests with no prediction")
    print("(new users, served a default); median age: hours since a served prediction was")
    print("computed; blind: requests answered from the table after the user already acted today")
    n_regulars = int((day["visit_chance"] >= REGULAR_THRESHOLD).sum())
    print(f"hybrid: {n_regulars:,} regulars (visit on at least {REGULAR_THRESHOLD:.0%} of days)")
    ratio = n_requests / N_USERS
    print(
        f"\nBreak-even: online is cheaper while requests per registered user ({ratio:.2f} today) "
        f"stay below 1 / {ONLINE_COST:g} = {1 / ONLINE_COST:.2f}"
    )


if __name__ == "__main__":
    main()
