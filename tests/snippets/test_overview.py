"""Behaviour of the overview snippets: covariate shift, the cost of mistakes, batching, and
handwritten rules against a learned model."""

import numpy as np
import pytest
import torch

from conftest import load_snippet

shift = load_snippet("overview/covariate_shift.py")
costs = load_snippet("overview/error_costs.py")
batching = load_snippet("overview/batching.py")
rules = load_snippet("overview/rules_vs_learned.py")

torch.set_num_threads(1)


# --- covariate_shift.py ---------------------------------------------------------------------


def test_only_the_inputs_drift_the_label_rule_stays():
    rng = np.random.default_rng(0)
    x0, y0 = shift.month_data(0, 20_000, rng)
    x6, y6 = shift.month_data(6, 20_000, rng)
    assert x6[:, 0].mean() - x0[:, 0].mean() == pytest.approx(6 * shift.DRIFT_PER_MONTH, abs=0.05)
    assert x6[:, 1].mean() == pytest.approx(x0[:, 1].mean(), abs=0.05)
    # same rule: the noiseless label agrees with the drawn label about equally often in both
    for x, y in ((x0, y0), (x6, y6)):
        noiseless = x[:, 1] > 1.5 * np.sin(x[:, 0])
        assert np.mean(noiseless == y) > 0.93


def test_share_beyond_counts_values_above_the_reference_quantile():
    reference = np.arange(101, dtype=float)  # 99th percentile: exactly 99
    assert shift.share_beyond(np.array([10.0, 99.0, 99.5, 200.0]), reference) == 0.5
    assert shift.share_beyond(reference, reference) == pytest.approx(1 / 101)


def test_a_model_frozen_on_month_0_degrades_and_retraining_recovers():
    rng = np.random.default_rng(1)
    x0, y0 = shift.month_data(0, 1000, rng)
    x6, y6 = shift.month_data(6, 1000, rng)
    x6_fresh, y6_fresh = shift.month_data(6, 1000, rng)
    frozen = shift.fit(shift.make_linear, x0, y0)
    same_month = shift.accuracy(frozen, *shift.month_data(0, 1000, rng))
    assert same_month > 0.9
    assert shift.accuracy(frozen, x6, y6) < same_month - 0.25
    retrained = shift.fit(shift.make_mlp, x6_fresh, y6_fresh)
    assert shift.accuracy(retrained, x6, y6) > 0.9


# --- error_costs.py -------------------------------------------------------------------------


def test_hybrid_cost_on_a_hand_checked_example():
    probs = np.array([0.9, 0.6, 0.2, 0.45])
    labels = np.array([1, 0, 0, 1])  # model alone: 0.6 and 0.45 are wrong
    alone = costs.hybrid_cost(probs, labels, 0.0, error_cost=100.0, human_cost=5.0)
    assert alone["error_rate"] == 0.5
    assert alone["cost"] == pytest.approx((4 * costs.MODEL_COST + 2 * 100.0) / 4)
    # deferring half sends the two least confident (0.45, then 0.6) to people
    half = costs.hybrid_cost(probs, labels, 0.5, error_cost=100.0, human_cost=5.0)
    human_errors = 2 * costs.HUMAN_ERROR_RATE
    assert half["error_rate"] == pytest.approx(human_errors / 4)
    expected = (2 * costs.MODEL_COST + 2 * 5.0 + human_errors * 100.0) / 4
    assert half["cost"] == pytest.approx(expected)


def test_at_the_break_even_accuracy_model_and_people_cost_the_same():
    error_cost, human_cost = 200.0, 10.0
    accuracy = costs.break_even_accuracy(error_cost, human_cost)
    n = 100_000
    n_wrong = int(round((1 - accuracy) * n))
    labels = np.ones(n, dtype=np.int64)
    probs = np.where(np.arange(n) < n_wrong, 0.1, 0.9)
    model = costs.hybrid_cost(probs, labels, 0.0, error_cost, human_cost)["cost"]
    people = costs.hybrid_cost(probs, labels, 1.0, error_cost, human_cost)["cost"]
    assert model == pytest.approx(people, abs=0.01)


@pytest.fixture(scope="module")
def scores():
    return costs.train_scores()


def test_the_same_model_pays_off_only_where_mistakes_are_cheap(scores):
    probs, labels = scores
    accuracy = np.mean((probs >= 0.5) == labels)
    (cheap, cheap_costs), (costly, costly_costs) = costs.SETTINGS.items()
    assert costs.break_even_accuracy(cheap_costs["error"], cheap_costs["human"]) < accuracy
    assert costs.break_even_accuracy(costly_costs["error"], costly_costs["human"]) > accuracy
    cheap_curve = costs.cost_curve(probs, labels, cheap_costs)
    costly_curve = costs.cost_curve(probs, labels, costly_costs)
    assert cheap_curve[0]["cost"] < cheap_curve[-1]["cost"]  # model alone beats people
    assert costly_curve[0]["cost"] > costly_curve[-1]["cost"]  # people beat the model alone
    best = min(c["cost"] for c in costly_curve)
    assert best < 0.8 * costly_curve[-1]["cost"]  # ... and the hybrid beats both


def test_the_per_case_rule_defers_more_when_mistakes_cost_more_and_is_near_the_best(scores):
    probs, labels = scores
    fractions = {}
    for name, setting in costs.SETTINGS.items():
        fractions[name] = f = costs.rule_fraction(probs, setting["error"], setting["human"])
        by_rule = costs.hybrid_cost(probs, labels, f, setting["error"], setting["human"])["cost"]
        best = min(c["cost"] for c in costs.cost_curve(probs, labels, setting))
        assert by_rule <= 1.05 * best
    cheap, costly = fractions.values()
    assert 0.0 < cheap < costly < 1.0


# --- batching.py ----------------------------------------------------------------------------


def test_serving_numbers_on_a_hand_checked_example():
    numbers = batching.serving_numbers(4, 0.001, arrival_rate=1000)
    assert numbers["throughput"] == pytest.approx(4000)
    assert numbers["wait_ms"] == pytest.approx(1.5)  # waits of 3, 2, 1 and 0 ms
    assert numbers["latency_ms"] == pytest.approx(2.5)
    assert numbers["utilisation"] == pytest.approx(0.25) and numbers["keeps_up"]
    overloaded = batching.serving_numbers(1, 0.002, arrival_rate=1000)
    assert overloaded["utilisation"] == pytest.approx(2.0) and not overloaded["keeps_up"]


def test_time_batches_times_every_batch_size():
    # shape only: timings are never asserted, they depend on the machine and its load
    medians = batching.time_batches(batching.make_model(), [1, 8], rounds=1, repeats=2)
    assert set(medians) == {1, 8}
    assert all(0.0 < seconds < 10.0 for seconds in medians.values())


def test_batching_does_not_change_predictions():
    assert batching.batching_is_exact(batching.make_model()) < 1e-5


# --- rules_vs_learned.py --------------------------------------------------------------------


def test_best_stump_finds_a_single_threshold():
    rng = np.random.default_rng(0)
    x, y = rules.sample(rules.one_threshold, 1000, rng)
    errors, feature, threshold, above, below = rules.best_stump(x, y, n_thresholds=200)
    assert feature == 0 and (above, below) == (1, 0)
    assert threshold == pytest.approx(0.3, abs=0.05)
    assert errors <= 5


def test_two_level_rule_is_exact_on_a_pattern_it_can_express():
    rng = np.random.default_rng(0)
    x, y = rules.sample(lambda x: (x[:, 0] > 0) & (x[:, 1] > 0), 2000, rng)
    x_test, y_test = rules.sample(lambda x: (x[:, 0] > 0) & (x[:, 1] > 0), 2000, rng)
    assert np.mean(rules.fit_two_level_rule(x, y, n_thresholds=81)(x_test) == y_test) > 0.99


def test_rule_hits_a_ceiling_on_the_checkerboard_that_the_mlp_passes():
    rng = np.random.default_rng(0)
    x, y = rules.sample(rules.checkerboard, 2000, rng)
    x_test, y_test = rules.sample(rules.checkerboard, 2000, rng)
    rule_accuracy = np.mean(rules.fit_two_level_rule(x, y)(x_test) == y_test)
    mlp_accuracy = np.mean(rules.fit_mlp(x, y)(x_test) == y_test)
    assert rule_accuracy < 0.75
    assert mlp_accuracy > 0.9
