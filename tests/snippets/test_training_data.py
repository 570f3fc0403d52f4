"""Behaviour of the training-data snippets: sampling, splits, reservoir and importance sampling,
weak supervision, active learning, missing data, focal loss and the class-imbalance experiment.
Small settings keep this file fast; the last tests read the build's record of each snippet's run."""

import math
import random

import numpy as np
import pytest
import torch
from torch import nn

from conftest import load_snippet

sampling = load_snippet("training-data/sampling_methods.py")
splits = load_snippet("training-data/stratified_split.py")
reservoir = load_snippet("training-data/reservoir_sampling.py")
importance = load_snippet("training-data/importance_sampling.py")
weak = load_snippet("training-data/weak_supervision.py")
active = load_snippet("training-data/active_learning.py")
missing = load_snippet("training-data/missing_data.py")
focal = load_snippet("training-data/focal_loss.py")
imbalance = load_snippet("training-data/class_imbalance.py")


pytestmark = pytest.mark.usefixtures("one_thread")


# --- sampling_methods.py ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def population():
    return sampling.make_population(np.random.default_rng(0))


def test_population_is_sorted_so_the_first_rows_miss_the_power_users(population):
    spend, segment = population
    assert len(spend) == sampling.N_POPULATION
    assert np.mean(segment[:400] == 2) < 0.01 < 0.04 < np.mean(segment == 2)


def test_sampling_estimators_bias_and_spread(population):
    spend, segment = population
    truth = spend.mean()
    est = sampling.run(population, repeats=300, seed=3)
    first = est["first rows (non-probability)"]
    assert np.all(first == first[0]) and first[0] < 0.5 * truth  # repeatable, and wrong
    for name in ("simple random", "stratified, proportional", "stratified, Neyman"):
        assert abs(est[name].mean() - truth) < 0.05 * truth, name
    assert abs(est["weighted, 1/pi weights"].mean() - truth) < 0.05 * truth
    assert est["weighted, weights forgotten"].mean() > 1.5 * truth
    assert est["stratified, Neyman"].std() < 0.5 * est["simple random"].std()
    assert est["weighted, 1/pi weights"].std() < est["simple random"].std()


def test_stratified_sample_takes_every_segment_in_proportion():
    segment = np.repeat([0, 1, 2], [700, 250, 50])
    spend = np.repeat([1.0, 10.0, 100.0], [700, 250, 50])  # constant within each segment
    truth = spend.mean()
    rng = np.random.default_rng(0)
    # no within-segment variance: a stratified estimate is exact every time, a random one is not
    assert sampling.stratified(spend, segment, 100, rng) == pytest.approx(truth)
    assert sampling.simple_random(spend, segment, 100, rng) != pytest.approx(truth)


# --- stratified_split.py ----------------------------------------------------------------------


def test_stratified_split_is_a_partition_with_exact_class_counts():
    labels = np.r_[np.zeros(980, int), np.ones(20, int)]
    rng = np.random.default_rng(0)
    train, val = splits.stratified_split(labels, 0.2, rng)
    assert sorted(np.r_[train, val].tolist()) == list(range(1000))
    assert len(val) == 200 and labels[val].sum() == 4 and labels[train].sum() == 16


def test_random_split_positive_count_varies_and_stratified_does_not():
    labels = np.r_[np.zeros(1980, int), np.ones(20, int)]
    rnd = splits.positives_in_validation(splits.random_split, labels, 0.2, 2000)
    strat = splits.positives_in_validation(splits.stratified_split, labels, 0.2, 200)
    assert set(strat.tolist()) == {4}
    assert rnd.mean() == pytest.approx(4, abs=0.15)
    assert 1.5 < rnd.std() < 2.1  # hypergeometric: sqrt(20 * 0.2 * 0.8 * 1980 / 1999) = 1.78
    assert np.mean(rnd == 0) > 0.003


# --- reservoir_sampling.py --------------------------------------------------------------------


def test_reservoir_keeps_k_distinct_items_from_a_generator():
    sample = reservoir.reservoir_sample((i * i for i in range(1000)), 7, random.Random(0))
    assert len(sample) == len(set(sample)) == 7
    assert all(math.isqrt(v) ** 2 == v for v in sample)
    assert reservoir.reservoir_sample(range(3), 5, random.Random(0)) == [0, 1, 2]


def test_every_item_is_kept_with_probability_k_over_n():
    n, k, trials = 20, 5, 20_000
    freq = reservoir.inclusion_frequencies(n, k, trials, seed=0)
    se = math.sqrt(k / n * (1 - k / n) / trials)
    assert np.abs(freq - k / n).max() < 4.5 * se
    assert freq.sum() == pytest.approx(k)


def test_the_off_by_one_reservoir_is_caught():
    n, k, trials = 20, 5, 20_000
    freq = reservoir.inclusion_frequencies(n, k, trials, seed=0, off_by_one=True)
    se = math.sqrt(k / n * (1 - k / n) / trials)
    assert np.abs(freq - k / n).max() > 6 * se
    assert freq[:k].mean() == pytest.approx((k - 1) / (n - 1), abs=0.01)
    assert freq[k:].mean() == pytest.approx(k / (n - 1), abs=0.01)


# --- importance_sampling.py -------------------------------------------------------------------


def test_importance_weights_are_p_over_q_and_q_equal_p_is_plain_monte_carlo():
    x = np.random.default_rng(0).normal(size=(3, 500))
    plain = importance.importance_estimate(x, importance.normal_pdf, importance.normal_pdf, np.abs)
    np.testing.assert_allclose(plain, np.abs(x).mean(axis=1))
    # E_p[X] for p = N(1, 1) from samples of q = N(0, 1): weights p/q, not 1, not q/p
    x = np.random.default_rng(1).normal(size=200_000)
    est = importance.importance_estimate(
        x, lambda v: importance.normal_pdf(v, 1.0), importance.normal_pdf, lambda v: v
    )
    assert est == pytest.approx(1.0, abs=0.02)


def test_good_proposal_beats_plain_monte_carlo_and_poor_one_is_mostly_zero():
    truth = 0.5 * math.erfc(3 / math.sqrt(2))
    plain, _, _ = importance.repeated_estimates(0.0, 1.0, n=1000, repeats=400)
    good, unweighted, ess = importance.repeated_estimates(3.0, 1.0, n=1000, repeats=400)
    poor, _, _ = importance.repeated_estimates(-1.0, 1.0, n=1000, repeats=400)
    assert good.mean() == pytest.approx(truth, rel=0.02)
    assert good.std() < plain.std() / 5
    assert np.mean(poor == 0) > 0.9
    assert unweighted.mean() == pytest.approx(0.5, abs=0.01)  # P_q(X > 3), not P_p(X > 3)
    assert np.median(ess) > 100


def test_effective_sample_size():
    assert importance.effective_sample_size(np.ones(50)) == pytest.approx(50)
    assert importance.effective_sample_size(np.r_[1.0, np.zeros(49)]) == pytest.approx(1)
    assert importance.effective_sample_size(np.zeros(5)) == 0.0


# --- weak_supervision.py ----------------------------------------------------------------------

S, H, A = weak.SPAM, weak.HAM, weak.ABSTAIN


def test_majority_vote_abstains_on_ties_and_on_no_votes():
    votes = np.array([[S, A, H], [S, S, H], [A, A, A], [H, A, A], [S, H, A]])
    assert weak.majority_vote(votes).tolist() == [A, S, A, H, A]


def test_lf_summary_on_a_hand_checked_label_matrix():
    votes = np.array([[S, S], [S, H], [A, H], [A, A]])
    truth = np.array([S, H, H, S])
    first, second = weak.lf_summary(votes, truth)
    assert first == pytest.approx(
        {"coverage": 0.5, "overlap": 0.5, "conflict": 0.25, "accuracy": 0.5}
    )
    assert second == pytest.approx(
        {"coverage": 0.75, "overlap": 0.5, "conflict": 0.25, "accuracy": 1.0}
    )


def test_labeling_functions_fire_on_their_words_only():
    x = np.zeros((2, len(weak.VOCAB)), dtype=np.float32)
    x[0, weak.VOCAB.index("prize")] = 1
    votes = weak.apply_lfs(x)
    assert votes[0].tolist() == [S, A, A, A, A]
    assert votes[1].tolist() == [A] * 5


def test_model_on_weak_labels_labels_what_the_rules_miss():
    rng = np.random.default_rng(0)
    x, y = weak.make_messages(3000, rng)
    x_test, y_test = weak.make_messages(2000, rng)
    vote = weak.majority_vote(weak.apply_lfs(x))
    keep = vote != A
    assert 0.5 < keep.mean() < 0.9
    assert np.mean(vote[keep] == y[keep]) > 0.85
    pred = weak.predict(weak.train_logistic(x[keep], vote[keep], steps=200), x_test)
    uncovered = weak.majority_vote(weak.apply_lfs(x_test)) == A
    ham_rate = 1 - y_test[uncovered].mean()
    assert np.mean(pred[uncovered] == y_test[uncovered]) > ham_rate + 0.1
    assert np.mean(pred == y_test) > 0.85


# --- active_learning.py -----------------------------------------------------------------------


def fixed_model(weight: float = 1.0) -> nn.Module:
    """Two logits whose difference is weight * x0: P(class 1) = sigmoid(weight * x0)."""
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.0, 0.0], [weight, 0.0]]))
        model.bias.zero_()
    return model


def test_uncertainty_sampling_picks_unlabelled_points_nearest_the_boundary():
    x = np.array([[-3, 0], [-0.1, 0], [0.05, 0], [2, 0], [0.0, 0], [0.2, 0]], dtype=np.float32)
    labelled = np.array([False, False, False, False, True, False])
    rng = np.random.default_rng(0)
    chosen = active.choose_next(fixed_model(), x, labelled, 2, "uncertainty sampling", rng)
    assert sorted(chosen.tolist()) == [1, 2]  # index 4 is closer but already labelled
    chosen = active.choose_next(fixed_model(), x, labelled, 5, "random", rng)
    assert sorted(chosen.tolist()) == [0, 1, 2, 3, 5]


def test_nearest_neighbour_labels():
    x_lab = np.array([[0.0, 0.0], [10.0, 0.0]])
    y_lab = np.array([0, 1])
    x_pool = np.array([[1.0, 1.0], [9.0, -2.0], [4.9, 0.0], [5.1, 0.0]])
    assert active.nearest_neighbour_labels(x_lab, y_lab, x_pool).tolist() == [0, 1, 0, 1]


def test_two_moons_is_balanced_and_repeatable():
    x, y = active.two_moons(1000, 0.2, np.random.default_rng(0))
    assert x.shape == (1000, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert y.sum() == 500
    again, _ = active.two_moons(1000, 0.2, np.random.default_rng(0))
    np.testing.assert_array_equal(x, again)


def test_active_learning_curve_has_one_point_per_round_and_learns():
    x_pool, y_pool = active.two_moons(500, 0.2, np.random.default_rng(0))
    x_test, y_test = active.two_moons(500, 0.2, np.random.default_rng(1))
    curve = active.active_learning_curve(x_pool, y_pool, x_test, y_test, "uncertainty", 0)
    assert len(curve) == (active.BUDGET - active.START) // active.STEP + 1
    assert curve[-1] > 0.93


# --- missing_data.py --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def survey():
    rng = np.random.default_rng(0)
    return (*missing.make_survey(rng), rng)


@pytest.mark.parametrize("mechanism", ["MCAR", "MAR", "MNAR"])
def test_hide_removes_the_requested_share(survey, mechanism):
    age, income, rng = survey
    answered = missing.hide(age, income, mechanism, rng)
    assert 1 - answered.mean() == pytest.approx(missing.MISSING, abs=0.001)


def test_what_each_mechanism_does_to_the_mean(survey):
    age, income, rng = survey
    truth = income.mean()

    def rel_bias(mechanism, estimator):
        answered = missing.hide(age, income, mechanism, rng)
        return estimator(answered) / truth - 1

    naive = lambda m: missing.naive_mean(income, m)  # noqa: E731
    adjusted = lambda m: missing.age_adjusted_mean(age, income, m)  # noqa: E731
    assert abs(rel_bias("MCAR", naive)) < 0.02
    assert rel_bias("MAR", naive) > 0.15  # the young, with lower incomes, answer less
    assert abs(rel_bias("MAR", adjusted)) < 0.02
    assert rel_bias("MNAR", naive) < -0.25
    assert rel_bias("MNAR", adjusted) < -0.25  # conditioning on age cannot fix MNAR


def test_age_adjusted_mean_reweights_bands_by_their_share_of_everyone():
    age = np.array([20.0, 20.0, 70.0, 70.0])
    income = np.array([1.0, 3.0, 10.0, 30.0])
    answered = np.array([True, False, True, True])
    assert missing.age_adjusted_mean(age, income, answered, (18, 50, 80)) == pytest.approx(
        0.5 * 1.0 + 0.5 * 20.0
    )


# --- focal_loss.py ----------------------------------------------------------------------------


def test_focal_loss_is_cross_entropy_at_gamma_zero_and_smaller_above():
    p = np.array([0.1, 0.5, 0.9, 0.99])
    np.testing.assert_allclose(focal.focal_loss(p, 0.0), -np.log(p))
    np.testing.assert_allclose(focal.focal_loss(p, 2.0), -((1 - p) ** 2) * np.log(p))
    assert np.all(focal.focal_loss(p, 2.0) < focal.focal_loss(p, 0.0))


def test_focal_factor_depends_on_p_t_not_on_the_class():
    # a hard majority example gets a larger factor than an easy minority one
    hard_majority = focal.p_true(0.7, 0)
    easy_minority = focal.p_true(0.95, 1)
    assert hard_majority == pytest.approx(0.3) and easy_minority == pytest.approx(0.95)
    ratio = focal.focal_loss([hard_majority, easy_minority], 2.0) / focal.focal_loss(
        [hard_majority, easy_minority], 0.0
    )
    np.testing.assert_allclose(ratio, [0.49, 0.0025])
    # swapping classes and probabilities leaves the loss unchanged
    assert focal.focal_loss(focal.p_true(0.2, 1), 2.0) == pytest.approx(
        focal.focal_loss(focal.p_true(0.8, 0), 2.0)
    )


def test_minority_share_of_loss_grows_with_gamma_on_imbalanced_data():
    x, labels = focal.imbalanced_sample(300, 100, np.random.default_rng(0))
    p = focal.bayes_posterior(x, 100)
    shares = [focal.minority_share_of_loss(p, labels, g) for g in (0.0, 1.0, 2.0, 5.0)]
    assert all(a < b for a, b in zip(shares, shares[1:], strict=False))
    assert shares[0] > 10 * labels.mean()


def test_torch_focal_loss_matches_the_numpy_formula_for_both_classes():
    logits = torch.tensor([2.0, -1.0, 0.3, -3.0])
    targets = torch.tensor([1.0, 1.0, 0.0, 0.0])
    p = torch.sigmoid(logits).numpy()
    p_t = np.where(targets.numpy() == 1, p, 1 - p)
    for gamma in (0.0, 2.0):
        expected = np.mean(-((1 - p_t) ** gamma) * np.log(p_t))
        assert imbalance.focal_loss(logits, targets, gamma).item() == pytest.approx(
            expected, rel=1e-5
        )


# --- class_imbalance.py -----------------------------------------------------------------------


def brute_force_ap(scores, labels):
    """Mean over positives of the precision among all examples scored at least as high."""
    return np.mean([np.mean(labels[scores >= s]) for s in scores[labels == 1]])


def test_average_precision_hand_checked_and_against_brute_force():
    # ranking 1, 0, 1, 0: precision at the two positives 1 and 2/3
    assert imbalance.average_precision(
        np.array([0.9, 0.8, 0.7, 0.1]), np.array([1, 0, 1, 0])
    ) == pytest.approx((1 + 2 / 3) / 2)
    assert imbalance.average_precision(np.arange(5.0), np.array([0, 0, 0, 1, 1])) == 1.0
    assert imbalance.average_precision(np.zeros(8), np.r_[np.ones(2), np.zeros(6)]) == 0.25
    rng = np.random.default_rng(0)
    labels = (rng.random(300) < 0.1).astype(float)
    scores = np.round(rng.normal(labels, 1.0), 1)  # rounding creates ties
    assert imbalance.average_precision(scores, labels) == pytest.approx(
        brute_force_ap(scores, labels)
    )


def test_threshold_metrics_and_best_f1_threshold():
    scores = np.array([0.9, 0.8, 0.4, 0.3, 0.2])
    labels = np.array([1, 0, 1, 0, 0])
    m = imbalance.threshold_metrics(scores, labels, 0.35)
    assert m == pytest.approx({"accuracy": 0.8, "precision": 2 / 3, "recall": 1.0, "f1": 0.8})
    candidates = np.r_[scores, 1.0]
    best = max(candidates, key=lambda t: imbalance.threshold_metrics(scores, labels, t)["f1"])
    assert imbalance.best_f1_threshold(scores, labels) == best == 0.4
    # a threshold takes every tied score: 0.5 flags all five (F1 4/7), 0.9 one (F1 2/3); a
    # version that cut inside the tie would claim F1 1 at 0.5 by flagging only the first two
    tied = np.array([0.9, 0.5, 0.5, 0.5, 0.5])
    assert imbalance.best_f1_threshold(tied, np.array([1, 1, 0, 0, 0])) == 0.9
    none = imbalance.threshold_metrics(scores, labels, 2.0)
    assert none["precision"] == 0.0 and none["recall"] == 0.0


def test_class_weights_give_each_class_half_the_loss():
    labels = np.r_[np.zeros(990), np.ones(10)]
    w_neg, w_pos = imbalance.class_weights(labels)
    assert 990 * w_neg == pytest.approx(10 * w_pos) == pytest.approx(500)


@pytest.fixture(scope="module")
def small_experiment():
    torch.set_num_threads(1)
    return imbalance.run_experiment(ratios=(100,), seeds=(0,), steps=300)


def test_imbalance_fixes_move_the_threshold_more_than_the_ranking(small_experiment):
    results, bayes, kept = small_experiment
    r = results[100]
    plain, weighted, over = r["cross-entropy"], r["class weights"], r["oversampling"]
    assert plain["accuracy"] > 0.98  # accuracy looks fine whatever happens to the minority
    for fixed in (weighted, over):  # at p = 0.5: far more of the minority found, less precisely
        assert fixed["recall"] > max(0.95, plain["recall"] + 0.05)
        assert fixed["precision"] < plain["precision"] - 0.3
    pr_aucs = [m["pr_auc"] for m in r.values()]
    assert max(pr_aucs) - min(pr_aucs) < 0.08
    assert max(pr_aucs) <= bayes[100] + 0.02
    tuned = [m["tuned_f1"] for m in r.values()]
    assert max(tuned) - min(tuned) < 0.08
    assert set(kept) == {"labels", "best possible", *imbalance.METHODS}
