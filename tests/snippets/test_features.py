"""Behaviour of the feature-engineering snippets: scaling and gradient descent, missing values,
hashing collisions, feature crosses, leakage through the split and permutation importance.
Small settings keep this file fast; timings are never asserted."""

import math

import numpy as np
import pytest

from conftest import load_snippet

scaling = load_snippet("features/scaling_convergence.py")
missing = load_snippet("features/missing_values.py")
hashing = load_snippet("features/hashing_trick.py")
crossing = load_snippet("features/feature_crossing.py")
leakage = load_snippet("features/leakage_split.py")
importance = load_snippet("features/permutation_importance.py")


# --- scaling_convergence.py -------------------------------------------------------------------


@pytest.fixture(scope="module")
def customers():
    rng = np.random.default_rng(0)
    return scaling.make_customers(600, rng), scaling.make_customers(600, rng)


def test_scalers_use_the_training_statistics_they_are_given(customers):
    (x_train, _), (x_test, _) = customers
    stats = scaling.fit_standardizer(x_train)
    z = scaling.standardize(x_train, stats)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-9)
    # Test data scaled with training statistics is NOT re-centred on itself.
    assert np.abs(scaling.standardize(x_test, stats).mean(axis=0)).max() > 0.01
    m = scaling.minmax(x_train, scaling.fit_minmax(x_train))
    assert m.min() == 0.0 and m.max() == 1.0


def test_condition_number_falls_with_scaling(customers):
    (x, _), _ = customers
    raw = scaling.condition_number(scaling.design(x))
    mm = scaling.condition_number(scaling.design(scaling.minmax(x, scaling.fit_minmax(x))))
    std = scaling.condition_number(
        scaling.design(scaling.standardize(x, scaling.fit_standardizer(x)))
    )
    assert raw > 1e8
    assert 5 < mm < 1e4
    assert 1 <= std < 2


def test_gradient_descent_agrees_with_the_exact_step_count(customers):
    (x, y), _ = customers
    for scaled in (
        scaling.standardize(x, scaling.fit_standardizer(x)),
        scaling.minmax(x, scaling.fit_minmax(x)),
    ):
        design = scaling.design(scaled)
        history, reached = scaling.gradient_descent(design, y, max_steps=5000)
        assert reached == scaling.steps_needed(design, y)
        assert history[reached] <= scaling.TOL < history[reached - 1]
        kappa = scaling.condition_number(design)
        assert reached <= kappa * math.log(1 / scaling.TOL) / 2 + 1  # the textbook bound


def test_raw_features_do_not_converge_and_standardised_ones_do_quickly(customers):
    (x, y), _ = customers
    history, reached = scaling.gradient_descent(scaling.design(x), y, max_steps=2000)
    assert reached is None and history[-1] > 0.1
    assert scaling.steps_needed(scaling.design(x), y) > 1e9
    z = scaling.standardize(x, scaling.fit_standardizer(x))
    assert scaling.gradient_descent(scaling.design(z), y, max_steps=2000)[1] <= 10


def test_steps_needed_is_one_for_a_perfectly_conditioned_design():
    x = np.array([[1.0, 1.0], [1.0, -1.0]])  # X^T X / n = I: one step of size 1 lands on w*
    assert scaling.steps_needed(x, np.array([3.0, -1.0])) == 1


def test_log_transform_removes_skew_and_fits_better(customers):
    (x_train, y_train), (x_test, y_test) = customers
    logged_train, logged_test = x_train.copy(), x_test.copy()
    logged_train[:, 1], logged_test[:, 1] = np.log(x_train[:, 1]), np.log(x_test[:, 1])
    assert scaling.skewness(x_train[:, 1]) > 1.0
    assert abs(scaling.skewness(logged_train[:, 1])) < 0.3
    raw = scaling.fit_and_test_mse(x_train, y_train, x_test, y_test)
    logged = scaling.fit_and_test_mse(logged_train, y_train, logged_test, y_test)
    assert logged < raw - 0.05


# --- missing_values.py ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def applicants():
    rng = np.random.default_rng(1)
    return {
        mechanism: (
            missing.make_applicants(3000, mechanism, rng),
            missing.make_applicants(3000, mechanism, rng),
        )
        for mechanism in missing.MECHANISMS
    }


def test_prepare_and_training_rows_follow_each_strategy():
    x = np.array([[30.0, 50.0, 10.0], [40.0, np.nan, 20.0]])
    assert missing.training_rows(x, "delete rows").tolist() == [True, False]
    assert missing.training_rows(x, "impute mean").all()
    assert missing.prepare(x, "delete column", 40.0).shape == (2, 2)
    flagged = missing.prepare(x, "impute mean + flag", 40.0)
    assert flagged[:, 3].tolist() == [0.0, 1.0]
    assert flagged[1, 1] == pytest.approx(math.log(40.0))
    with pytest.raises(ValueError):
        missing.make_applicants(10, "MAR?", np.random.default_rng(0))


def test_observed_mean_is_unbiased_under_mcar_and_biased_under_mnar(applicants):
    for mechanism, biased in (("MCAR", False), ("MNAR", True)):
        (x, _, income), _ = applicants[mechanism]
        assert 0.2 < np.isnan(x[:, 1]).mean() < 0.4
        shift = np.nanmean(x[:, 1]) / income.mean() - 1
        assert (shift > 0.08) if biased else (abs(shift) < 0.03)


def test_missingness_flag_helps_only_when_missingness_carries_signal(applicants):
    results = {}
    for mechanism, ((x_tr, y_tr, _), (x_te, y_te, _)) in applicants.items():
        results[mechanism] = {
            s: missing.evaluate(s, x_tr, y_tr, x_te, y_te) for s in missing.STRATEGIES
        }
    mcar, mnar = results["MCAR"], results["MNAR"]
    assert abs(mcar["impute mean + flag"]["loss"] - mcar["impute mean"]["loss"]) < 0.01
    assert mnar["impute mean + flag"]["loss"] < mnar["impute mean"]["loss"] - 0.01
    assert mnar["impute mean + flag"]["loss"] < mnar["delete rows"]["loss"] - 0.02
    for r in (mcar, mnar):  # dropping the column throws the income signal away
        assert r["delete column"]["loss"] > r["impute mean + flag"]["loss"] + 0.03
    # Deleting rows, then scoring complete rows only, flatters the model under MNAR.
    assert mnar["delete rows"]["loss_complete"] < mnar["delete rows"]["loss"] - 0.05
    assert mnar["delete rows"]["kept"] == pytest.approx(0.7, abs=0.05)


def test_complete_rows_shrink_geometrically_with_columns():
    kept = missing.complete_row_fraction(20_000, 20, 0.05, np.random.default_rng(0))
    assert kept == pytest.approx(0.95**20, abs=0.01)


# --- hashing_trick.py -------------------------------------------------------------------------


def test_stable_bucket_is_deterministic_in_range_and_salted():
    values = [f"v{i}" for i in range(200)]
    first = [hashing.stable_bucket(v, 97) for v in values]
    assert first == [hashing.stable_bucket(v, 97) for v in values]
    assert all(0 <= b < 97 for b in first)
    assert first != [hashing.stable_bucket(v, 97, salt="country:") for v in values]


def test_expected_collisions_by_hand():
    # Two values, two buckets: they share a bucket with probability 1/2, and occupy
    # 2 * (1 - 1/4) = 1.5 buckets on average.
    assert hashing.expected_collisions(2, 2) == pytest.approx({"colliding": 0.5, "occupied": 1.5})
    assert hashing.expected_collisions(1, 10)["colliding"] == 0.0


def test_measured_collisions_match_theory():
    values = [f"ad-{i:06d}" for i in range(3000)]
    for m in (1_000, 3_000, 30_000):
        got, want = hashing.measured_collisions(values, m), hashing.expected_collisions(3000, m)
        assert got["colliding"] == pytest.approx(want["colliding"], abs=0.03)
        assert got["occupied"] == pytest.approx(want["occupied"], rel=0.02)


def test_measured_collisions_counts_shared_buckets():
    values = [f"x{i}" for i in range(50)]
    assert hashing.measured_collisions(values, 1) == {"colliding": 1.0, "occupied": 1}


def test_builtin_hash_changes_between_processes():
    value = "ad-000042"
    buckets = {hashing.builtin_hash_bucket(value, 1_000_003, seed) for seed in ("1", "2")}
    assert len(buckets) == 2


# --- feature_crossing.py ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def crossing_results():
    rng = np.random.default_rng(2)
    x_train, y_train = crossing.make_xor(1000, rng)
    x_test, y_test = crossing.make_xor(1000, rng)
    results, _ = crossing.run_all(x_train, y_train, x_test, y_test)
    return results


def test_quantile_bins_hold_equal_shares_of_training_data():
    x = np.random.default_rng(0).normal(size=(4000, 2))
    buckets = crossing.discretize(x, crossing.fit_bin_edges(x, 4))
    for j in range(2):
        np.testing.assert_allclose(np.bincount(buckets[:, j], minlength=4) / 4000, 0.25, atol=0.01)


def test_best_line_accuracy_is_perfect_on_separable_data_and_limited_on_xor():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(1000, 2))
    assert crossing.best_line_accuracy(x, (x[:, 0] + 0.5 * x[:, 1] > 0.2).astype(float)) > 0.99
    xor = crossing.best_line_accuracy(x, (x[:, 0] * x[:, 1] > 0).astype(float))
    assert 0.6 < xor < 0.72  # about two thirds: a line can only cut off a corner


def test_crossed_buckets_are_one_hot_cells():
    x = np.array([[-0.9, -0.9], [0.9, 0.9], [-0.9, 0.9]])
    edges = np.array([[-0.5, 0.0, 0.5], [-0.5, 0.0, 0.5]])
    cells = crossing.features(x, "crossed buckets", edges)
    assert cells.shape == (3, 16)
    assert cells.sum(axis=1).tolist() == [1.0, 1.0, 1.0]
    assert np.argmax(cells, axis=1).tolist() == [0, 15, 3]


def test_linear_model_needs_the_cross(crossing_results):
    for kind in ("raw", "buckets"):
        assert crossing_results[kind]["test_loss"] > 0.68
        assert crossing_results[kind]["test"] < 0.66  # no better than the best straight line
    for kind in ("raw + product", "crossed buckets"):
        assert crossing_results[kind]["test"] > 0.9
        assert crossing_results[kind]["test_loss"] < 0.45


# --- leakage_split.py -------------------------------------------------------------------------


def test_splits_keep_their_promises():
    rng = np.random.default_rng(0)
    train, test = leakage.random_split(100, rng)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))
    train, test = leakage.time_split(100)
    assert train.max() < test.min() and len(test) == 20
    groups = np.repeat(np.arange(30), 3)
    train, test = leakage.group_split(groups, rng)
    assert not set(groups[train]) & set(groups[test])
    assert len(train) + len(test) == len(groups)


def test_knn_predicts_the_majority_of_neighbours():
    x_train = np.array([[0.0], [0.1], [0.2], [5.0], [5.1]])
    y_train = np.array([1.0, 1.0, 0.0, 0.0, 0.0])
    assert leakage.knn_predict(x_train, y_train, np.array([[0.05], [5.05]]), k=3).tolist() == [
        1.0,
        0.0,
    ]


def test_random_split_overstates_on_drifting_data():
    rng = np.random.default_rng(3)
    events, labels = leakage.drifting_events(leakage.HISTORY + leakage.FUTURE, rng)
    x, y = events[: leakage.HISTORY], labels[: leakage.HISTORY]
    splits = {"random": leakage.random_split(len(y), rng), "time": leakage.time_split(len(y))}
    s = leakage.compare_splits(x, y, splits, events[leakage.HISTORY :], labels[leakage.HISTORY :])
    production = s["production (future rows)"]
    assert s["random"] > s["time"] + 0.03
    assert abs(s["time"] - production) < s["random"] - production


def test_random_split_overstates_with_near_duplicates():
    rng = np.random.default_rng(4)
    x, y, posts = leakage.reposted_posts(600, rng)
    x_new, y_new, _ = leakage.reposted_posts(200, rng)
    splits = {"random": leakage.random_split(len(y), rng), "group": leakage.group_split(posts, rng)}
    s = leakage.compare_splits(x, y, splits, x_new, y_new)
    production = s["production (future rows)"]
    assert s["random"] > s["group"] + 0.1
    assert abs(s["group"] - production) < s["random"] - production


# --- permutation_importance.py ----------------------------------------------------------------


@pytest.fixture(scope="module")
def churn():
    rng = np.random.default_rng(5)
    train = importance.make_customers(3000, rng, at_export=True)
    val = importance.make_customers(1500, rng, at_export=True)
    live = importance.make_customers(1500, rng, at_export=False)
    return train, val, live


def test_leaked_feature_dominates_permutation_importance(churn):
    (x, y), (x_val, y_val), _ = churn
    predict = importance.make_model(x, y, range(len(importance.FEATURES)))
    mean, _ = importance.permutation_importance(predict, x_val, y_val, np.random.default_rng(0), 5)
    leaked = mean[importance.LEAKED]
    others = np.delete(mean, importance.LEAKED)
    assert leaked > 0.2
    assert leaked > 5 * others.max()


def test_unused_column_has_exactly_zero_importance(churn):
    (x, y), (x_val, y_val), _ = churn
    honest = [j for j in range(len(importance.FEATURES)) if j != importance.LEAKED]
    predict = importance.make_model(x, y, honest)
    mean, std = importance.permutation_importance(
        predict, x_val, y_val, np.random.default_rng(0), 3
    )
    assert mean[importance.LEAKED] == 0.0 and std[importance.LEAKED] == 0.0
    assert (mean[honest] > 0).all()


def test_leaky_model_wins_validation_and_loses_production(churn):
    (x, y), (x_val, y_val), (x_live, y_live) = churn
    leaky = importance.make_model(x, y, range(len(importance.FEATURES)))
    honest = importance.make_model(
        x, y, [j for j in range(len(importance.FEATURES)) if j != importance.LEAKED]
    )
    acc = importance.accuracy
    assert acc(leaky, x_val, y_val) > 0.88
    assert acc(leaky, x_val, y_val) > acc(honest, x_val, y_val) + 0.15
    assert acc(leaky, x_live, y_live) < acc(honest, x_live, y_live) - 0.02
    assert abs(acc(honest, x_val, y_val) - acc(honest, x_live, y_live)) < 0.04
