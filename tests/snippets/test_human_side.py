"""Behaviour of the human-side snippets: consistent answers, stable lists, latency fallbacks,
per-group evaluation with proxies, the Laplace mechanism, and pruning by group. Small settings
keep this file fast; whether each snippet ran is checked in test_every_snippet.py."""

import numpy as np
import pytest
import torch
from torch import nn

from conftest import load_snippet

answers = load_snippet("human-side/consistent_answers.py")
stable = load_snippet("human-side/stable_recommendations.py")
latency = load_snippet("human-side/latency_fallback.py")
bias = load_snippet("human-side/subgroup_bias.py")
dp = load_snippet("human-side/differential_privacy.py")
prune = load_snippet("human-side/compression_fairness.py")


pytestmark = pytest.mark.usefixtures("one_thread")


# --- consistent_answers.py --------------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    return answers.make_model(20_000, 6, np.random.default_rng(0))


def test_the_toy_model_is_calibrated(model):
    p, truth = model
    top = p.argmax(axis=1)
    confidence = p.max(axis=1)
    for lo, hi in ((0.3, 0.5), (0.5, 0.7), (0.7, 0.9)):
        m = (confidence >= lo) & (confidence < hi)
        assert np.mean(top[m] == truth[m]) == pytest.approx(confidence[m].mean(), abs=0.02)


def test_sampling_is_right_and_self_consistent_sum_p_squared_of_the_time(model):
    p, truth = model
    rng = np.random.default_rng(1)
    first, second = answers.sample(p, rng), answers.sample(p, rng)
    expected = (p**2).sum(axis=1).mean()
    assert np.mean(first == truth) == pytest.approx(expected, abs=0.015)
    assert np.mean(first == second) == pytest.approx(expected, abs=0.015)
    assert expected < p.max(axis=1).mean() - 0.05  # the most probable answer is more accurate


def test_majority_vote_and_seeding(model):
    p, truth = model
    rng = np.random.default_rng(2)
    single = np.mean(answers.sample(p, rng) == truth)
    vote = answers.majority_of(p, 5, rng)
    assert single + 0.03 < np.mean(vote == truth) < p.max(axis=1).mean()
    ids = [f"q{i}" for i in range(2000)]
    a, b = answers.seeded_sample(p[:2000], ids), answers.seeded_sample(p[:2000], ids)
    assert np.array_equal(a, b)  # same input, same answer
    assert len(set(a.tolist())) == 6  # but not always the same answer
    assert np.mean(a == truth[:2000]) == pytest.approx((p[:2000] ** 2).sum(1).mean(), abs=0.04)


def test_temperature_limits_and_exact_rates(model):
    p, _ = model
    np.testing.assert_allclose(answers.with_temperature(p, 1.0), p, atol=1e-12)
    cold = answers.with_temperature(p, 1e-3)
    assert np.array_equal(cold.argmax(1), p.argmax(1)) and np.mean(cold.max(1) > 0.99) > 0.99
    acc, agree = answers.exact_rates(p, 1.0)
    assert acc == pytest.approx(agree)
    acc_cold, agree_cold = answers.exact_rates(p, 0.05)
    acc_hot, agree_hot = answers.exact_rates(p, 3.0)
    assert acc_hot < acc < acc_cold and agree_hot < agree < agree_cold


def test_top_k_contains():
    p = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]])
    assert answers.top_k_contains(p, np.array([1, 0]), 2) == 0.5
    assert answers.top_k_contains(p, np.array([1, 0]), 3) == 1.0


# --- stable_recommendations.py ----------------------------------------------------------------


@pytest.fixture(scope="module")
def sessions():
    return stable.simulate_estimates(np.random.default_rng(0), sessions=300)


def test_margin_zero_is_reranking_and_a_huge_margin_is_freezing(sessions):
    _, estimates = sessions
    rng = np.random.default_rng(0)
    for est in estimates[:50, -1]:
        shown = set(rng.choice(stable.N_ITEMS, stable.SHOWN, replace=False).tolist())
        assert stable.with_margin(0.0)(est, shown) == stable.rerank_every_view(est, shown)
        assert stable.with_margin(1e9)(est, shown) == shown


def test_the_trade_off_between_precision_and_churn(sessions):
    relevance, estimates = sessions
    every = stable.run_policy(stable.rerank_every_view, relevance, estimates)
    margin = stable.run_policy(stable.with_margin(0.5), relevance, estimates)
    frozen = stable.run_policy(stable.freeze, relevance, estimates)
    assert frozen[1] == 0.0
    assert every[0] > margin[0] > frozen[0] + 0.1  # precision
    assert every[1] > margin[1] * 1.3 > 0  # items replaced per view
    assert every[0] - margin[0] < 0.03


# --- latency_fallback.py ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def requests_():
    return latency.simulate_requests(20_000, np.random.default_rng(0))


def test_main_is_slow_in_the_tail_and_more_accurate(requests_):
    r = requests_
    main_lat, main_right, _, _ = latency.serve(r, "always main")
    fast_lat, fast_right, _, _ = latency.serve(r, "always fallback")
    assert main_right.mean() == pytest.approx(latency.MAIN_ACCURACY, abs=0.01)
    assert fast_right.mean() == pytest.approx(latency.FALLBACK_ACCURACY, abs=0.01)
    assert np.percentile(main_lat, 99) > 2 * latency.DEADLINE_MS
    assert np.percentile(main_lat, 99) / np.median(main_lat) > 4  # heavy tail


def test_deadline_policies_bound_latency_and_keep_most_accuracy(requests_):
    r, d = requests_, latency.DEADLINE_MS
    lat, right, used, calls = latency.serve(r, "timeout, then fallback", d)
    assert lat.max() <= d + r["fallback_ms"].max()
    assert np.array_equal(used, r["main_ms"] > d)
    assert calls == pytest.approx(1 + used.mean())
    main_acc = latency.serve(r, "always main")[1].mean()
    assert main_acc - 0.01 < right.mean() < main_acc
    lat, right2, _, calls = latency.serve(r, "both at once, deadline", d)
    assert lat.max() <= max(d, r["fallback_ms"].max()) and calls == 2
    assert np.array_equal(right, right2)
    with pytest.raises(ValueError):
        latency.serve(r, "guess")


def test_routing_by_predicted_latency_cannot_see_stalls(requests_):
    r = requests_
    predicted = latency.latency_predictor(r)
    lat, _, used, _ = latency.serve(r, "route by predicted latency", predicted_ms=predicted)
    assert np.array_equal(used, predicted > latency.DEADLINE_MS)
    assert np.percentile(lat, 99) > 1.5 * latency.DEADLINE_MS


# --- subgroup_bias.py -------------------------------------------------------------------------


def tpr_gap(bias_kind, features):
    m = bias.evaluate(bias_kind, bias.FEATURE_SETS[features], n=20_000)
    return m["A"]["tpr"] - m["B"]["tpr"]


def test_logistic_regression_recovers_known_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 2))
    y = (rng.random(20_000) < 1 / (1 + np.exp(-(2 * x[:, 0] - x[:, 1] + 0.5)))).astype(float)
    np.testing.assert_allclose(bias.fit_logistic(x, y), [2, -1, 0.5], atol=0.1)


def test_group_metrics_by_hand():
    pred = np.array([1, 0, 1, 1, 0, 0.0])
    truth = np.array([1, 1, 0, 1, 1, 0.0])
    group = np.array([0, 0, 0, 1, 1, 1.0])
    m = bias.group_metrics(pred, truth, group)
    assert m["A"] == pytest.approx({"accuracy": 1 / 3, "tpr": 0.5, "fpr": 1.0, "approved": 2 / 3})
    assert m["B"] == pytest.approx({"accuracy": 2 / 3, "tpr": 0.5, "fpr": 0.0, "approved": 1 / 3})


def test_dropping_the_group_leaves_the_gap_through_the_proxy():
    with_group = tpr_gap("labels", "score, proxy, group")
    unaware = tpr_gap("labels", "score, proxy")
    no_proxy = tpr_gap("labels", "score only")
    assert with_group > 0.15
    assert unaware > 0.6 * with_group
    assert abs(no_proxy) < 0.05


def test_with_measurement_bias_unawareness_makes_it_worse():
    assert abs(tpr_gap("measurement", "score, proxy, group")) < 0.05
    assert tpr_gap("measurement", "score only") > 0.2


# --- differential_privacy.py ------------------------------------------------------------------


def test_laplace_noise_has_the_right_scale_and_no_bias():
    rng = np.random.default_rng(0)
    noisy = dp.laplace_mechanism(10.0, 2.0, 0.5, rng, 200_000)
    assert noisy.mean() == pytest.approx(10.0, abs=0.05)
    assert np.mean(np.abs(noisy - 10)) == pytest.approx(2.0 / 0.5, rel=0.02)


def test_neighbouring_counts_are_hard_to_tell_apart():
    """The definition: for counts differing by one person, every outcome's probability changes
    by at most a factor e^epsilon."""
    rng = np.random.default_rng(0)
    eps = 0.5
    a = dp.private_count(100, eps, rng, 400_000)
    b = dp.private_count(101, eps, rng, 400_000)
    bins = np.arange(90, 112, 2.0)
    ha, _ = np.histogram(a, bins)
    hb, _ = np.histogram(b, bins)
    ratio = np.maximum(ha / hb, hb / ha)
    assert ratio.max() < np.exp(eps) * 1.05
    assert ratio.max() > np.exp(eps) * 0.8  # and the bound is nearly reached: it is tight


def test_clipping_bounds_what_one_person_can_do():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, 50)
    y = x.copy()
    y[0] = 1e9  # one outlier
    diff = np.clip(y, 0, dp.UPPER).mean() - np.clip(x, 0, dp.UPPER).mean()
    assert 0 < diff <= dp.UPPER / len(x)


def test_small_groups_get_proportionally_larger_errors():
    rng = np.random.default_rng(0)
    data = {"big": dp.salaries(10_000, rng), "small": dp.salaries(100, rng)}
    errors = dp.relative_errors(data, rng, releases=4000)
    ratio = np.array(errors["small"]) / np.array(errors["big"])
    means = [np.clip(x, 0, dp.UPPER).mean() for x in data.values()]
    np.testing.assert_allclose(ratio, 100 * means[0] / means[1], rtol=0.1)
    assert all(a > b for a, b in zip(errors["big"], errors["big"][1:], strict=False))


# --- compression_fairness.py ------------------------------------------------------------------


def test_magnitude_prune_zeroes_the_smallest_weights():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 2))
    before = torch.cat(
        [p.detach().abs().flatten() for n, p in model.named_parameters() if "w" in n]
    )
    biases = [model[0].bias.clone(), model[2].bias.clone()]
    masks = prune.magnitude_prune(model, 0.6)
    after = torch.cat([p.detach().flatten() for n, p in model.named_parameters() if "w" in n])
    assert (after == 0).float().mean().item() == pytest.approx(0.6, abs=0.01)
    assert before[after == 0].max() <= before[after != 0].min()
    assert torch.equal(model[0].bias, biases[0]) and torch.equal(model[2].bias, biases[1])
    assert sum(m.sum().item() for m in masks.values()) == (after != 0).sum().item()


def test_pruning_costs_the_rare_group_more():
    runs = np.stack([prune.prune_and_evaluate(s, sparsities=[0.0, 0.75]) for s in (0, 1)])
    dense, pruned = runs.mean(axis=0)
    assert dense[0] > 0.93 and dense[1] < dense[0] - 0.05  # B is already worse when dense
    lost = dense - pruned
    assert lost[1] > 1.5 * lost[0] > 0
