"""Behaviour of the scoping snippets: thresholds from costs, silent failures, autoscaling,
framing a high-cardinality choice, multilabel heads and decoupled objectives."""

import numpy as np
import pytest
import torch

from conftest import load_snippet

costs = load_snippet("scoping/cost_threshold.py")
failures = load_snippet("scoping/silent_failures.py")
scaling = load_snippet("scoping/autoscaling.py")
cardinality = load_snippet("scoping/high_cardinality.py")
multilabel = load_snippet("scoping/multilabel.py")
decoupled = load_snippet("scoping/decoupled_objectives.py")


pytestmark = pytest.mark.usefixtures("one_thread")


# --- cost_threshold.py ----------------------------------------------------------------------


def test_optimal_threshold_formula():
    assert costs.optimal_threshold(1, 1) == pytest.approx(0.5)
    assert costs.optimal_threshold(1, 4) == pytest.approx(0.2)
    assert costs.optimal_threshold(1, 99) == pytest.approx(0.01)
    # correct decisions that cost something: only the regret of each error counts
    assert costs.optimal_threshold(5, 20, c_tp=2, c_tn=0) == pytest.approx(5 / 23)


def test_cost_per_1000_on_a_hand_checked_example():
    labels = np.array([1, 0, 1, 0])
    probs = np.array([0.9, 0.8, 0.3, 0.1])
    got = costs.cost_per_1000(labels, probs, np.array([0.5, 0.8, 0.81, 0.0]), c_fp=1, c_fn=3)
    # t=0.5 and t=0.8 (flag when p >= t): flag 0.9 and 0.8, one FP and one FN: (1 + 3) / 4
    # t=0.81: flag 0.9 only, one FN: 3 / 4; t=0: flag everything, two FP: 2 / 4
    np.testing.assert_allclose(got, [1000.0, 1000.0, 750.0, 500.0])


@pytest.fixture(scope="module")
def calibrated():
    return costs.calibrated_scores(200_000, 0.1, 2.0, np.random.default_rng(0))


def test_simulated_scores_are_calibrated(calibrated):
    labels, probs = calibrated
    for _, mean_p, rate, count in costs.calibration_table(labels, probs):
        assert count > 1000
        assert rate == pytest.approx(mean_p, abs=0.02)


def test_measured_minimum_matches_theory_and_moves_with_the_cost_ratio(calibrated):
    labels, probs = calibrated
    bests = []
    for ratio in (1, 4, 19, 99):
        curve = costs.cost_per_1000(labels, probs, costs.THRESHOLDS, 1.0, ratio)
        best_t, best_cost = costs.best_threshold(costs.THRESHOLDS, curve)
        theory = costs.optimal_threshold(1.0, ratio)
        assert best_t == pytest.approx(theory, rel=0.25)
        assert costs.cost_at(labels, probs, theory, 1.0, ratio) < best_cost * 1.01
        bests.append(best_t)
    assert bests == sorted(bests, reverse=True)  # costlier misses: lower threshold
    # with unequal costs the default 0.5 is far from optimal
    assert costs.cost_at(labels, probs, 0.5, 1.0, 19) > 2 * costs.cost_at(
        labels, probs, 0.05, 1, 19
    )


def test_downsampled_scores_need_correcting_before_the_rule(calibrated):
    labels, probs = calibrated
    q = costs.downsampled_probs(probs, 0.1)
    assert np.all(q >= probs)
    np.testing.assert_allclose(costs.corrected_probs(q, 0.1), probs, rtol=1e-9, atol=1e-12)
    raw = costs.cost_at(labels, q, 0.05, 1.0, 19)
    fixed = costs.cost_at(labels, costs.corrected_probs(q, 0.1), 0.05, 1.0, 19)
    assert raw > 1.2 * fixed


# --- silent_failures.py ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def fraud_service():
    rng = np.random.default_rng(0)
    raw_train, y_train = failures.transactions(20_000, rng)
    model = failures.fit_logistic(failures.encode(raw_train), y_train, steps=1000)
    raw, y = failures.transactions(10_000, rng)
    return model, failures.reference_ranges(raw_train), raw, y, rng


def test_malformed_requests_fail_loudly(fraud_service):
    model, ranges, raw, y, _ = fraud_service
    with pytest.raises(ValueError):
        failures.serve(model, raw[:, :2])
    broken = raw.copy()
    broken[0, 0] = np.nan
    with pytest.raises(ValueError):
        failures.serve(model, broken)
    assert failures.run_scenario(model, ranges, raw[:, :2], y) == {"errors": 1.0}


def test_unit_change_and_defaulted_feature_raise_nothing_but_inputs_checks_see_them(
    fraud_service,
):
    model, ranges, raw, y, _ = fraud_service
    healthy = failures.run_scenario(model, ranges, raw, y)
    assert healthy["errors"] == 0 and healthy["worst out-of-range"] < 0.03
    assert healthy["recall"] > 0.5 and healthy["precision"] > 0.5
    for column, change in ((0, lambda a: a * 100), (1, lambda a: a * 0)):
        shifted = raw.copy()
        shifted[:, column] = change(shifted[:, column])
        result = failures.run_scenario(model, ranges, shifted, y)
        assert result["errors"] == 0.0  # no exception: an ML failure
        assert result["flag rate"] > 3 * healthy["flag rate"]
        assert result["precision"] < healthy["precision"] / 2
        assert result["worst out-of-range"] > 0.5


def test_concept_change_is_invisible_to_input_checks_but_not_to_labels(fraud_service):
    model, ranges, _, _, rng = fraud_service
    healthy_raw, healthy_y = failures.transactions(10_000, rng)
    healthy = failures.run_scenario(model, ranges, healthy_raw, healthy_y)
    raw, y = failures.transactions(10_000, rng, fraud_uses_old_accounts=True)
    result = failures.run_scenario(model, ranges, raw, y)
    assert result["errors"] == 0.0
    assert result["worst out-of-range"] < 0.03
    assert result["recall"] < healthy["recall"] / 2


# --- autoscaling.py -------------------------------------------------------------------------


def test_autoscaler_waits_for_startup_and_cooldown():
    low, high = 0.5 * scaling.CAPACITY, 10 * scaling.CAPACITY
    traffic = np.array([low] * 10 + [high] * 30 + [low] * 40)
    startup = 4
    replicas = scaling.autoscaled(traffic, startup)
    needed_high = scaling.replicas_wanted(high)
    assert needed_high == 15  # 500 req/s at 70% of 50 req/s per replica
    # the jump is seen one minute late and served `startup` minutes after that
    assert np.all(replicas[: 11 + startup] == scaling.MIN_REPLICAS)
    assert replicas[11 + startup] == needed_high
    # scale-down waits for COOLDOWN quiet minutes
    first_down = np.flatnonzero(np.diff(replicas) < 0)[0] + 1
    assert first_down == 40 + scaling.COOLDOWN
    assert replicas[-1] == scaling.MIN_REPLICAS


def test_cost_and_overload_on_a_hand_checked_example():
    traffic = np.array([100.0, 160.0, 40.0])
    result = scaling.cost_and_overload(traffic, np.array([3, 3, 3]))  # 150 req/s capacity
    assert result == {"replica-hours": 9 / 60, "overloaded min": 1, "requests over": 600.0}


def test_autoscaling_beats_fixed_provisioning_and_slow_startup_hurts():
    traffic = scaling.daily_traffic(np.random.default_rng(0))
    peak = scaling.cost_and_overload(
        traffic, scaling.fixed(traffic, int(np.ceil(traffic.max() / scaling.CAPACITY)))
    )
    fast = scaling.cost_and_overload(traffic, scaling.autoscaled(traffic, 2))
    slow = scaling.cost_and_overload(traffic, scaling.autoscaled(traffic, 15))
    assert peak["overloaded min"] == 0
    assert fast["replica-hours"] < 0.7 * peak["replica-hours"]
    assert slow["overloaded min"] > 2 * fast["overloaded min"]
    assert slow["requests over"] > 2 * fast["requests over"]


# --- high_cardinality.py --------------------------------------------------------------------


def test_hits_at_k_counts_ties_against_the_model():
    scores = np.array([[0.9, 0.5, 0.5, 0.1], [0.0, 0.0, 0.0, 0.0], [0.1, 0.2, 0.3, 0.4]])
    truth = np.array([1, 0, 3])
    np.testing.assert_array_equal(cardinality.hits_at_k(scores, truth, k=2), [0, 0, 1])
    np.testing.assert_array_equal(cardinality.hits_at_k(scores, truth, k=3), [1, 0, 1])


def test_binary_framing_scores_new_items_and_multiclass_cannot():
    hits, groups, params, _ = cardinality.compare_framings(np.random.default_rng(0))
    new, frequent = groups["new (added after training)"], groups["frequent (>= 10 in training)"]
    multi, pair = hits["multiclass, one output/item"], hits["binary per (user, item)"]
    assert new.sum() > 100 and frequent.sum() > 500
    assert multi[new].mean() == 0.0
    assert pair[new].mean() > 0.5
    assert pair.mean() > multi.mean() > hits["popularity (most picked)"].mean()
    # where the multiclass model has data for an item, its own output layer does well
    assert multi[frequent].mean() > 0.75
    assert params["binary per (user, item)"] * 10 < params["multiclass, one output/item"]


# --- multilabel.py --------------------------------------------------------------------------


def test_softmax_cannot_give_two_labels_more_than_half():
    logits = torch.randn(10_000, 4) * 5
    probs = torch.softmax(logits, dim=1)
    assert torch.allclose(probs.sum(dim=1), torch.ones(10_000))
    assert int(((probs >= 0.5).sum(dim=1) > 1).sum()) == 0


def test_set_metrics_on_a_hand_checked_example():
    y = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32)
    pred = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    m = multilabel.set_metrics(y, pred)
    assert m["exact set"] == pytest.approx(1 / 3)
    assert m["micro-F1"] == pytest.approx(2 * 2 / (3 + 3))
    assert m["2+ tags found"] == 0.0


def test_sigmoid_heads_find_several_tags_and_softmax_does_not():
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(multilabel.DIM, len(multilabel.TAGS))) * 1.2
    biases = np.full(len(multilabel.TAGS), -1.0)
    x, y = multilabel.make_tagged_data(2000, weights, biases, rng)
    x_test, y_test = multilabel.make_tagged_data(2000, weights, biases, rng)
    assert (y_test.sum(axis=1) >= 2).mean() > 0.2
    results = {}
    for head in ("sigmoid", "softmax"):
        model = multilabel.train(x, y, head, steps=150)
        probs = multilabel.tag_probabilities(model, x_test, head)
        results[head] = multilabel.set_metrics(y_test, multilabel.predict_sets(probs, 0.5))
        if head == "softmax":
            tuned = multilabel.tune_threshold(probs, y_test)
            tuned_metrics = multilabel.set_metrics(y_test, multilabel.predict_sets(probs, tuned))
    assert results["softmax"]["2+ tags found"] == 0.0
    assert results["sigmoid"]["2+ tags found"] > 0.4
    assert results["sigmoid"]["exact set"] > results["softmax"]["exact set"] + 0.1
    # even a threshold tuned on the very data it is scored on leaves softmax behind
    assert results["sigmoid"]["exact set"] > tuned_metrics["exact set"] + 0.05


# --- decoupled_objectives.py ----------------------------------------------------------------


def test_feed_outcome_and_combined_on_hand_checked_examples():
    q, e = np.array([0.9, 0.1, 0.5, 0.2]), np.array([0.1, 0.9, 0.6, 0.3])
    np.testing.assert_allclose(decoupled.combined(q, e, 0.25), 0.25 * q + 0.75 * e)
    assert decoupled.feed_outcome(q, q, e, share=0.5) == pytest.approx((0.7, 0.35))
    assert decoupled.feed_outcome(e, q, e, share=0.5) == pytest.approx((0.3, 0.75))


@pytest.fixture(scope="module")
def feed():
    rng = np.random.default_rng(0)
    x, _, _, labels = decoupled.make_posts(4000, rng)
    x_test, true_q, true_e, _ = decoupled.make_posts(10_000, rng)
    quality = decoupled.probability(decoupled.train(x, labels, (1.0, 0.0), steps=200), x_test)
    engagement = decoupled.probability(decoupled.train(x, labels, (0.0, 1.0), steps=200), x_test)
    return x, labels, x_test, true_q, true_e, quality, engagement


def test_changing_alpha_trades_quality_for_engagement_without_retraining(feed):
    _, _, _, true_q, true_e, p_q, p_e = feed
    outcomes = [
        decoupled.feed_outcome(decoupled.combined(p_q, p_e, a), true_q, true_e)
        for a in (0.0, 0.5, 1.0)
    ]
    qualities, engagements = zip(*outcomes, strict=True)
    assert list(qualities) == sorted(qualities) and list(engagements) == sorted(engagements)[::-1]
    # the proxy trap: optimising engagement alone gives a feed worse than random on quality
    assert qualities[0] < true_q.mean() - 0.05


def test_weighted_loss_model_lands_next_to_the_combined_scores(feed):
    x, labels, x_test, true_q, true_e, p_q, p_e = feed
    joint = decoupled.probability(decoupled.train(x, labels, (0.5, 0.5), steps=200), x_test)
    assert decoupled.rank_correlation(joint, decoupled.combined(p_q, p_e, 0.5)) > 0.9
    jq, je = decoupled.feed_outcome(joint, true_q, true_e)
    dq, de = decoupled.feed_outcome(decoupled.combined(p_q, p_e, 0.5), true_q, true_e)
    assert jq == pytest.approx(dq, abs=0.03) and je == pytest.approx(de, abs=0.03)
