"""Team-draft interleaving against an A/B test: how many users each needs to detect that one
ranker is better.

Two rankers order the same 25 candidates per query; ranker A sees relevance with less
noise than ranker B. Users click by a position-based model: they examine rank k with
probability 1/k and click an examined result with its relevance times their own activity level
(users differ a lot: most click rarely, a few click often). The A/B test compares clicks
per query between two groups of users; interleaving shows every user one merged list and asks,
query by query, whose results got more clicks.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

CANDIDATES, K = 25, 10  # candidates per query, results shown
NOISE_A, NOISE_B = 0.10, 0.20  # how noisily each ranker sees relevance
ACTIVITY_SHAPE = 0.3  # users' activity: gamma with mean 1; smaller shape, more different users
POOL = 150_000  # simulated queries per condition, resampled for each experiment
USERS = (100, 200, 400, 800, 1600, 3200, 6400, 12800)
REPS = 200
Z_CRIT = 1.959963984540054  # two-sided alpha = 0.05


# --8<-- [start:core]
def rankings(relevance, noise, rng, depth=2 * K):
    """Each ranker sorts the candidates by relevance plus its own noise: its top `depth`.

    Team drafting never reads past rank 2K of either list, so deeper orderings are not needed.
    """
    scores = relevance + rng.normal(0, noise, relevance.shape)
    top = np.argpartition(-scores, depth, axis=1)[:, :depth]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


def team_draft(list_a, list_b, k, rng):
    """Team-draft interleaving, vectorised over queries (one row each).

    Like picking teams in a schoolyard: the team with fewer picks so far (a coin decides ties)
    adds its highest-ranked result not already shown. Returns the shown results and, for each
    position, True when team A contributed it.
    """
    q = len(list_a)
    rows = np.arange(q)
    shown, team_a = np.zeros((q, k), int), np.zeros((q, k), bool)
    used = np.zeros((q, max(list_a.max(), list_b.max()) + 1), bool)  # used[query, doc]
    ptr = {True: np.zeros(q, int), False: np.zeros(q, int)}
    picks_a, picks_b = np.zeros(q, int), np.zeros(q, int)
    for slot in range(k):
        a_turn = (picks_a < picks_b) | ((picks_a == picks_b) & (rng.random(q) < 0.5))
        doc = np.empty(q, int)
        for is_a, ranked in ((True, list_a), (False, list_b)):
            mine = a_turn == is_a
            p = ptr[is_a]
            while True:  # skip documents the other team already placed
                taken = mine & used[rows, ranked[rows, p]]
                if not taken.any():
                    break
                p[taken] += 1
            doc[mine] = ranked[rows, p][mine]
            p[mine] += 1
        used[rows, doc] = True
        shown[:, slot], team_a[:, slot] = doc, a_turn
        picks_a, picks_b = picks_a + a_turn, picks_b + ~a_turn
    return shown, team_a


def clicks_on(shown, relevance, rng):
    """Position-based clicks: rank k (from 1) is examined with probability 1/k, and an examined
    result is clicked with probability relevance x the user's activity (capped at 1)."""
    activity = rng.gamma(ACTIVITY_SHAPE, 1 / ACTIVITY_SHAPE, (len(shown), 1))
    rel = np.minimum(1.0, activity * np.take_along_axis(relevance, shown, axis=1))
    examined = rng.random(shown.shape) < 1 / np.arange(1, shown.shape[1] + 1)
    return examined & (rng.random(shown.shape) < rel)


def simulate_pools(rng, pool=POOL, noise_a=NOISE_A, noise_b=NOISE_B):
    """Per-query outcomes: clicks under A alone, under B alone, and interleaving's verdict."""
    out = {}
    for name in ("A", "B", "interleaved"):
        relevance = 0.9 * rng.random((pool, CANDIDATES)) ** 4  # mostly low, a few high
        if name == "interleaved":
            list_a, list_b = rankings(relevance, noise_a, rng), rankings(relevance, noise_b, rng)
            shown, team_a = team_draft(list_a, list_b, K, rng)
            clicks = clicks_on(shown, relevance, rng)
            out[name] = np.sign((clicks & team_a).sum(1) - (clicks & ~team_a).sum(1))
        else:
            shown = rankings(relevance, noise_a if name == "A" else noise_b, rng)[:, :K]
            out[name] = clicks_on(shown, relevance, rng).sum(1)
    return out


def power(pools, users, reps, rng) -> dict[str, float]:
    """Share of experiments with `users` users (one query each) that find a significant winner."""
    half = users // 2
    a = pools["A"][rng.integers(0, len(pools["A"]), (reps, half))]
    b = pools["B"][rng.integers(0, len(pools["B"]), (reps, half))]
    se = np.sqrt(a.var(1, ddof=1) / half + b.var(1, ddof=1) / half)
    z_ab = (a.mean(1) - b.mean(1)) / se
    verdict = pools["interleaved"][rng.integers(0, len(pools["interleaved"]), (reps, users))]
    wins_a, wins_b = (verdict > 0).sum(1), (verdict < 0).sum(1)
    z_il = (wins_a - wins_b) / np.sqrt(np.maximum(wins_a + wins_b, 1))  # sign test
    return {
        "A/B test": float(np.mean(np.abs(z_ab) > Z_CRIT)),
        "interleaving": float(np.mean(np.abs(z_il) > Z_CRIT)),
    }


# --8<-- [end:core]


def users_for(target, users, curve):
    """Users at which power first reaches the target, interpolated on log2(users); or None."""
    for i in range(1, len(users)):
        if curve[i - 1] < target <= curve[i]:
            lo, hi = math.log2(users[i - 1]), math.log2(users[i])
            share = (target - curve[i - 1]) / (curve[i] - curve[i - 1])
            return round(2 ** (lo + share * (hi - lo)), -2)
    return None


def main():
    rng = np.random.default_rng(0)
    pools = simulate_pools(rng)
    a, b, verdict = pools["A"], pools["B"], pools["interleaved"]
    print(
        f"Clicks per query: ranker A {a.mean():.4f}, ranker B {b.mean():.4f} "
        f"(relative difference {(a.mean() - b.mean()) / b.mean():.1%})"
    )
    print(
        f"Interleaved queries: A wins {np.mean(verdict > 0):.3f}, B wins "
        f"{np.mean(verdict < 0):.3f}, no preference {np.mean(verdict == 0):.3f}\n"
    )
    curves = {"A/B test": [], "interleaving": []}
    print(f"{'users':>7}{'power A/B':>11}{'power interleaving':>20}")
    for users in USERS:
        result = power(pools, users, REPS, rng)
        for name, value in result.items():
            curves[name].append(value)
        print(f"{users:>7,}{result['A/B test']:>11.2f}{result['interleaving']:>20.2f}")
    need = {name: users_for(0.8, USERS, curve) for name, curve in curves.items()}
    print("\nUsers needed for 80% power (interpolated between grid points):")
    for name, n in need.items():
        print(f"  {name:<14}{n:>7,.0f}" if n else f"  {name:<14} more than {USERS[-1]:,}")

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, curve in curves.items():
        ax.plot(USERS, curve, "o-", label=name)
    ax.axhline(0.8, color="0.5", ls="--", lw=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(USERS, [f"{u:,}" for u in USERS], rotation=45)
    ax.minorticks_off()
    ax.set_xlabel("users in the experiment (one query each)")
    ax.set_ylabel("power at alpha = 0.05")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right")
    fig.tight_layout()
    said = {k: f"about {n:,.0f}" if n else f"more than {USERS[-1]:,}" for k, n in need.items()}
    alt = (
        f"Power against the number of users, on a log scale from {USERS[0]} to {USERS[-1]:,}, "
        f"for an A/B test and for team-draft interleaving of the same two rankers. "
        f"Interleaving reaches 80% power at {said['interleaving']} users; the A/B test needs "
        f"{said['A/B test']}."
    )
    ratio = need["A/B test"] / need["interleaving"] if all(need.values()) else math.nan
    fewer = f"about {ratio:.0f} times fewer" if all(need.values()) else "far fewer"
    caption = (
        f"Interleaving needed {fewer} users here: each user compares both rankers on the same "
        "query, so differences between users cancel out. It answers only which ranker users "
        "prefer, not by how much a business metric moves."
    )
    fig.savefig("interleaving_power.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
