"""Behaviour of the continual-learning snippets: stateless versus stateful training, when to
retrain, the A/B test and its sample size, assignment by user, interleaving and bandits. Small
settings keep this file fast; whether each snippet ran is checked in test_every_snippet.py."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import SNIPPETS, load_snippet

CHAPTER = "continual-learning"
stateful = load_snippet(f"{CHAPTER}/stateless_vs_stateful.py")
trigger = load_snippet(f"{CHAPTER}/retrain_trigger.py")
ab = load_snippet(f"{CHAPTER}/ab_test.py")
assignment = load_snippet(f"{CHAPTER}/assignment.py")
interleaving = load_snippet(f"{CHAPTER}/interleaving.py")
bandits = load_snippet(f"{CHAPTER}/bandits.py")


# --- stateless_vs_stateful.py -----------------------------------------------------------------


@pytest.fixture(scope="module")
def strategies():
    return {name: stateful.run(name, days=70) for name in stateful.STRATEGIES}


def test_stateful_training_is_far_cheaper_and_as_accurate_on_a_drifting_stream(strategies):
    scratch, warm = strategies["stateless daily"], strategies["stateful daily"]
    assert warm["updates"] == scratch["updates"]  # same number of updates ...
    assert warm["examples"] < 0.05 * scratch["examples"]  # ... for a small share of the compute
    assert warm["accuracy"].mean() >= scratch["accuracy"].mean() - 0.01
    assert np.mean(warm["oracle"]) - warm["accuracy"].mean() < 0.03


def test_a_model_never_updated_decays_and_weekly_retraining_sits_in_between(strategies):
    acc = {name: r["accuracy"].mean() for name, r in strategies.items()}
    assert acc["never update"] < acc["stateless weekly"] - 0.05
    never = strategies["never update"]["accuracy"]
    assert never[-10:].mean() < never[:10].mean() - 0.15  # it gets worse as the rule turns
    weekly, daily = strategies["stateless weekly"], strategies["stateless daily"]
    assert weekly["examples"] < 0.25 * daily["examples"]


def test_sgd_from_scratch_recovers_a_stationary_rule():
    rng = np.random.default_rng(5)
    x, y = stateful.day_data(0, rng, n=4000)
    w, seen = stateful.sgd(np.zeros(3), x, y, epochs=5, rng=rng)
    assert seen == 5 * 4000
    truth = stateful.true_weights(0)
    cosine = w[:2] @ truth / np.linalg.norm(w[:2]) / np.linalg.norm(truth)
    assert cosine > 0.99 and abs(w[2]) < 0.2


# --- retrain_trigger.py -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def stream():
    return trigger.make_stream(trigger.DAYS)


@pytest.fixture(scope="module")
def policies(stream):
    return {name: trigger.simulate(stream, **kw) for name, kw in trigger.POLICIES.items()}


def test_degradation_rule_retrains_far_less_than_daily_for_similar_error(policies):
    rule = policies[list(trigger.POLICIES)[-1]]
    daily, weekly, monthly = policies["daily"], policies["weekly"], policies["every 30 days"]
    assert len(rule[1]) < 0.25 * len(daily[1])
    assert rule[0].mean() <= daily[0].mean() + 0.005
    # no more retrains than a weekly calendar, and a lower error: it retrains at the right time
    assert len(rule[1]) <= len(weekly[1]) and rule[0].mean() < weekly[0].mean()
    assert monthly[0].mean() > rule[0].mean() + 0.03


def test_rule_retrains_right_after_the_abrupt_changes(policies):
    retrains = np.array(policies[list(trigger.POLICIES)[-1]][1])
    for day in trigger.JUMPS:
        soon = (retrains > day) & (retrains <= day + trigger.LATENCY + trigger.ROLLING + 3)
        assert soon.any(), day


def test_rule_stays_quiet_when_nothing_changes(monkeypatch):
    monkeypatch.setattr(trigger, "JUMPS", {})
    monkeypatch.setattr(trigger, "SLOW_DRIFT_DEG", 0.0)
    quiet = trigger.make_stream(120, seed=3)
    _, retrains = trigger.simulate(quiet, "degradation")
    assert len(retrains) <= 1


def test_label_latency_raises_the_error(stream):
    errors = [trigger.simulate(stream, "calendar", latency=lat)[0].mean() for lat in (0, 7, 14)]
    assert errors[0] < errors[1] < errors[2]


# --- ab_test.py -------------------------------------------------------------------------------


def test_normal_cdf_and_its_inverse():
    assert ab.normal_cdf(0) == pytest.approx(0.5)
    assert ab.normal_cdf(1.959964) == pytest.approx(0.975, abs=1e-6)
    assert ab.normal_ppf(0.975) == pytest.approx(1.959964, abs=1e-5)
    assert ab.normal_ppf(0.8) == pytest.approx(0.841621, abs=1e-5)


def test_two_proportion_ztest_matches_a_hand_computed_value():
    # pooled p = 450/2000 = 0.225, se = sqrt(0.225 * 0.775 * 2/1000) = 0.018675, z = 2.6774
    z, p = ab.two_proportion_ztest(200, 1000, 250, 1000)
    assert z == pytest.approx(2.6774, abs=1e-3)
    assert p == pytest.approx(0.00742, abs=5e-5)
    assert ab.two_proportion_ztest(100, 1000, 100, 1000) == pytest.approx((0.0, 1.0))


def test_sample_size_formula_gives_the_target_power_in_simulation():
    n = ab.sample_size_per_group(0.10, 0.01)
    assert 14_500 < n < 15_000  # the textbook answer for 10% -> 11%, alpha 0.05, power 0.8
    assert ab.sample_size_per_group(0.10, 0.02) == pytest.approx(n / 4, rel=0.1)  # ~1/mde^2
    assert ab.power_of(0.10, 0.11, n) == pytest.approx(0.80, abs=0.005)
    rng = np.random.default_rng(11)
    assert ab.rejection_rate(0.10, 0.11, n, 8000, rng) == pytest.approx(0.80, abs=0.02)
    assert ab.rejection_rate(0.10, 0.10, n, 8000, rng) == pytest.approx(0.05, abs=0.01)
    assert ab.rejection_rate(0.10, 0.11, n // 4, 8000, rng) < 0.4


def test_peeking_inflates_the_false_positive_rate():
    rng = np.random.default_rng(2)
    once = ab.peeking_false_positive_rate(0.1, 1000, 1, 8000, rng)
    daily = ab.peeking_false_positive_rate(0.1, 1000, 14, 8000, rng)
    assert once == pytest.approx(0.05, abs=0.01)
    assert daily > 0.12


# --- assignment.py ----------------------------------------------------------------------------


def test_hash_assignment_is_balanced_stable_and_ramps_monotonically():
    users = [f"u{i}" for i in range(20_000)]
    share = np.mean([assignment.assign(u, "exp") == "treatment" for u in users])
    assert abs(share - 0.5) < 4 * math.sqrt(0.25 / len(users))
    small = {u for u in users if assignment.assign(u, "exp", 0.05) == "treatment"}
    large = {u for u in users if assignment.assign(u, "exp", 0.25) == "treatment"}
    assert small < large and abs(len(small) / len(users) - 0.05) < 0.006
    salted = np.mean(
        [assignment.assign(u, "a") == assignment.assign(u, "b") == "treatment" for u in users]
    )
    assert abs(salted - 0.25) < 0.015


def test_bucket_is_the_same_in_a_fresh_process_unlike_builtin_hash():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import assignment as a; "
        "print(a.bucket('user-42', 'exp'), hash('user-42'))"
    )
    outs = [
        subprocess.run(
            [sys.executable, "-c", code, str(SNIPPETS / CHAPTER)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for seed in ("1", "2")
    ]
    assert outs[0][0] == outs[1][0] == str(assignment.bucket("user-42", "exp"))
    assert outs[0][1] != outs[1][1]  # Python's own str hash depends on the process


def test_per_request_randomisation_shows_users_both_versions():
    rng = np.random.default_rng(0)
    assert assignment.users_seeing_both(np.full(20_000, 2), rng) == pytest.approx(0.5, abs=0.02)
    ten = assignment.users_seeing_both(np.full(20_000, 10), rng)
    assert ten == pytest.approx(1 - 2 * 0.5**10, abs=0.005)


def test_request_level_analysis_of_a_user_randomised_test_is_overconfident():
    rates = assignment.aa_false_positive_rates(600, 1200, np.random.default_rng(4))
    assert rates["per request (naive)"] > 0.15
    assert 0.03 < rates["delta method"] < 0.075


# --- interleaving.py --------------------------------------------------------------------------


def test_team_draft_interleaving_is_a_fair_draft():
    rng = np.random.default_rng(0)
    relevance = rng.random((500, interleaving.CANDIDATES))
    list_a = interleaving.rankings(relevance, 0.1, rng)
    list_b = interleaving.rankings(relevance, 0.5, rng)
    shown, team_a = interleaving.team_draft(list_a, list_b, interleaving.K, rng)
    for row in range(len(shown)):
        assert len(set(shown[row])) == interleaving.K  # no result shown twice
        picks = np.cumsum(np.where(team_a[row], 1, -1))
        assert np.all(np.abs(picks) <= 1)  # the teams' sizes never differ by more than one
        for ranked, mine in ((list_a[row], team_a[row]), (list_b[row], ~team_a[row])):
            ranks = [list(ranked).index(d) for d in shown[row][mine]]
            assert ranks == sorted(ranks)  # each team adds its results in its own order
        assert shown[row][0] == (list_a[row][0] if team_a[row][0] else list_b[row][0])
    assert 0.4 < team_a[:, 0].mean() < 0.6  # a coin decides who picks first


def test_interleaving_detects_the_better_ranker_with_fewer_users():
    rng = np.random.default_rng(1)
    pools = interleaving.simulate_pools(rng, pool=60_000)
    assert pools["A"].mean() > pools["B"].mean()
    assert np.mean(pools["interleaved"] > 0) > np.mean(pools["interleaved"] < 0)
    power = interleaving.power(pools, 4000, 300, rng)
    assert power["interleaving"] > 0.6
    assert power["interleaving"] > power["A/B test"] + 0.3


def test_neither_test_finds_a_difference_between_equal_rankers():
    rng = np.random.default_rng(2)
    pools = interleaving.simulate_pools(rng, pool=40_000, noise_b=interleaving.NOISE_A)
    power = interleaving.power(pools, 2000, 600, rng)
    assert power["A/B test"] < 0.1 and power["interleaving"] < 0.1


# --- bandits.py -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regret():
    return {
        name: bandits.simulate(name, horizon=30_000, runs=20, seed=1)[0].mean(0)
        for name in bandits.POLICIES
    }


def test_thompson_regret_is_sublinear_and_far_below_the_50_50_split(regret):
    ts, split = regret["Thompson sampling"], regret["A/B split 50/50"]
    half = len(ts) // 2
    assert ts[-1] < split[-1] / 5
    assert ts[-1] - ts[half - 1] < 0.5 * ts[half - 1]  # second half adds much less than first
    assert split[-1] - split[half - 1] == pytest.approx(split[half - 1], rel=0.1)  # linear
    assert ts[-1] < regret["epsilon-greedy"][-1]


def test_epsilon_greedy_keeps_paying_and_test_then_ship_stops(regret):
    eps, ship = regret["epsilon-greedy"], regret["A/B test, then ship"]
    half = len(eps) // 2
    gap = bandits.RATES.max() - bandits.RATES.min()
    per_request = (eps[-1] - eps[half - 1]) / (len(eps) - half) / bandits.BATCH
    assert per_request == pytest.approx(bandits.EPSILON / 2 * gap, rel=0.25)
    assert ship[-1] == pytest.approx(ship[half - 1], abs=1.0)  # flat after the test


def test_bandit_and_ab_snippets_agree_on_the_sample_size():
    for p, mde in ((0.10, 0.03), (0.10, 0.01), (0.3, 0.05)):
        assert bandits.ab_test_size(p, mde) == ab.sample_size_per_group(p, mde)


def test_thompson_sampling_follows_a_confident_posterior():
    rng = np.random.default_rng(0)
    wins, pulls = np.array([[100.0, 300.0]]), np.array([[1000.0, 1000.0]])
    arms = bandits.choose("Thompson sampling", wins, pulls, 10_000, rng, 100)
    assert arms.mean() == 1.0
    unsure = bandits.choose("Thompson sampling", np.array([[1.0, 1.0]]), pulls / 500, 0, rng, 100)
    assert 0.2 < unsure.mean() < 0.8
