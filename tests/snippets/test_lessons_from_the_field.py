"""Behaviour of the lessons-from-the-field snippets: time-aware splits, the paired bootstrap,
selective prediction, data checks and model behaviour checks. Small settings keep this file
fast; whether each snippet ran is checked in test_every_snippet.py."""

import numpy as np
import pytest

from conftest import load_snippet

splits = load_snippet("lessons-from-the-field/time_splits.py")
boot = load_snippet("lessons-from-the-field/paired_bootstrap.py")
selective = load_snippet("lessons-from-the-field/selective_prediction.py")
checks = load_snippet("lessons-from-the-field/data_checks.py")
behaviour = load_snippet("lessons-from-the-field/behaviour_checks.py")


# --- time_splits.py ---------------------------------------------------------------------------


def test_rolling_origin_splits_train_only_on_the_past():
    folds = list(splits.rolling_origin_splits(100, 10, 4))
    assert len(folds) == 4
    for train, test in folds:
        assert train.max() < test.min()  # no row from after the test window
        assert np.array_equal(train, np.arange(test.min()))  # expanding window from the start
        assert np.array_equal(test, np.arange(test.min(), test.min() + 10))
    assert folds[-1][1][-1] == 99  # the last window ends with the data
    assert [t.min() for _, t in folds] == [60, 70, 80, 90]


def test_lag_features_use_only_earlier_days():
    series = np.arange(30.0)
    x, y = splits.lag_features(series)
    assert len(y) == 30 - max(splits.LAGS)
    np.testing.assert_array_equal(x, y[:, None] - np.array(splits.LAGS))


def test_nearest_neighbours_cannot_forecast_beyond_what_they_saw():
    x = np.arange(50.0)[:, None]
    predict = splits.fit_knn(x, 2 * x[:, 0], k=3)
    assert predict(np.array([[500.0]]))[0] <= 98  # the trend is not extrapolated
    linear = splits.fit_linear(x, 2 * x[:, 0])
    assert linear(np.array([[500.0]]))[0] == pytest.approx(1000)


@pytest.fixture(scope="module")
def knn_results():
    return splits.compare(splits.fit_knn, worlds=8, continuations=10)


def test_random_split_flatters_and_rolling_origin_tracks_the_future(knn_results):
    r, truth = knn_results, knn_results["truth"]
    random_cv, rolling = r["random 5-fold"], r["rolling origin"]
    # error: the random split looks better than walk-forward, in every history
    assert np.all(random_cv < rolling)
    assert random_cv.mean() < 0.85 * truth.mean()
    # and walk-forward is closer to the error the deployed model will really have
    assert np.abs(rolling - truth).mean() < 0.6 * np.abs(random_cv - truth).mean()
    assert abs(rolling.mean() - truth.mean()) < 0.1 * truth.mean()
    # a holdout much longer than the retraining cadence is far too pessimistic
    assert r["last 20% held out"].mean() > 1.5 * truth.mean()


def test_random_cv_is_nearly_unbiased_for_the_linear_autoregression():
    r = splits.compare(splits.fit_linear, worlds=8, continuations=10)
    assert abs(r["random 5-fold"].mean() - r["truth"].mean()) < 0.05 * r["truth"].mean()


def test_error_grows_with_model_age_for_neighbours_only():
    knn = splits.error_by_age(splits.fit_knn, worlds=3, step=7)
    linear = splits.error_by_age(splits.fit_linear, worlds=3, step=7)
    assert knn[-7:].mean() > 1.5 * knn[:7].mean()
    assert linear[-7:].mean() < 1.1 * linear[:7].mean()


# --- paired_bootstrap.py ----------------------------------------------------------------------


def test_identical_models_give_a_zero_width_interval():
    correct = (np.arange(50) % 3 > 0).astype(np.int8)
    diff, lo, hi, _ = boot.paired_bootstrap(correct, correct, np.random.default_rng(0), 200)
    assert diff == lo == hi == 0


def test_pairing_narrows_the_interval_for_correlated_models():
    rng = np.random.default_rng(1)
    a = (rng.random(400) < 0.85).astype(np.int8)
    b = a.copy()
    flip = rng.choice(400, 12, replace=False)
    b[flip] = 1 - b[flip]  # the models disagree on 3% of the examples
    _, lo, hi, _ = boot.paired_bootstrap(a, b, rng, 1000)
    _, ulo, uhi, _ = boot.unpaired_bootstrap(a, b, rng, 1000)
    assert hi - lo < 0.5 * (uhi - ulo)


def test_counts_shortcut_matches_resampling_examples():
    a = np.r_[np.ones(170), np.zeros(30)].astype(np.int8)
    b = a.copy()
    b[[0, 1, 2]] = 0  # current right, candidate wrong on 3
    b[170:181] = 1  # candidate right, current wrong on 11
    rng = np.random.default_rng(2)
    _, lo, hi, _ = boot.paired_bootstrap(a, b, rng, 4000)
    (clo,), (chi,) = boot.paired_bootstrap_from_counts(11, 3, 200, rng, 4000)
    assert clo == pytest.approx(lo, abs=0.006) and chi == pytest.approx(hi, abs=0.006)


@pytest.fixture(scope="module")
def pool():
    return boot.two_models_on_a_pool()


def test_paired_interval_covers_the_true_difference_at_about_the_nominal_rate(pool):
    a, b = pool
    truth = b.mean() - a.mean()
    rng = np.random.default_rng(3)
    covered = 0
    for _ in range(120):  # the example-resampling version itself, on small test sets
        idx = rng.integers(0, len(a), 300)
        _, lo, hi, _ = boot.paired_bootstrap(a[idx], b[idx], rng, 500)
        covered += lo <= truth <= hi
    assert 0.86 <= covered / 120 <= 1.0
    _, lo, hi = boot.repeated_test_sets(a, b, 1000, 400, rng, 500)
    assert 0.91 <= np.mean((lo <= truth) & (truth <= hi)) <= 0.98


def test_a_single_small_test_set_often_gets_the_order_wrong(pool):
    a, b = pool
    rng = np.random.default_rng(4)
    assert 0.02 < b.mean() - a.mean() < 0.03
    small, _, _ = boot.repeated_test_sets(a, b, 100, 400, rng, 200)
    large, lo, _ = boot.repeated_test_sets(a, b, 10_000, 100, rng, 200)
    assert np.mean(small <= 0) > 0.1
    assert np.all(large > 0) and np.all(lo > 0)


# --- selective_prediction.py ------------------------------------------------------------------


@pytest.fixture(scope="module")
def selective_setup():
    (x, y), val, test, drift = selective.make_data()
    w = selective.fit_logistic(selective.cubic_features(x), y)
    return {
        name: (selective.predict_proba(w, d[0]), d[1])
        for name, d in zip(("val", "test", "drift"), (val, test, drift), strict=True)
    }


def test_abstaining_raises_accuracy_and_lowers_coverage_monotonically(selective_setup):
    p, y = selective_setup["test"]
    rows = np.array([selective.selective(p, y, t) for t in selective.THRESHOLDS])
    coverage, accuracy = rows[:, 0], rows[:, 1]
    assert coverage[0] == 1.0 and np.all(np.diff(coverage) < 0)
    assert np.all(np.diff(accuracy) > 0)
    assert accuracy[-1] > 0.99 > 0.95 > accuracy[0]


def test_selective_edge_cases():
    p = np.array([0.9, 0.2, 0.6, 0.45])
    y = np.array([1, 1, 1, 0])
    assert selective.selective(p, y, 0.5) == (1.0, 0.75)
    assert selective.selective(p, y, 0.8) == (0.5, 0.5)
    coverage, accuracy = selective.selective(p, y, 1.01)
    assert coverage == 0 and np.isnan(accuracy)


def test_threshold_reaches_the_target_on_validation_but_not_under_drift(selective_setup):
    p_val, y_val = selective_setup["val"]
    t = selective.threshold_for_target(p_val, y_val, selective.TARGET)
    coverage, accuracy = selective.selective(p_val, y_val, t)
    assert accuracy >= selective.TARGET and 0.5 < coverage < 0.9
    assert selective.selective(p_val, y_val, t - 0.01)[1] < selective.TARGET
    p_test, y_test = selective_setup["test"]
    assert selective.selective(p_test, y_test, t)[1] > selective.TARGET - 0.01
    p_drift, y_drift = selective_setup["drift"]
    drift_coverage, drift_accuracy = selective.selective(p_drift, y_drift, t)
    assert drift_accuracy < selective.TARGET - 0.05  # confidently wrong under drift
    assert (
        drift_coverage > selective.selective(p_test, y_test, t)[0] - 0.15
    )  # coverage barely moves


# --- data_checks.py ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def profiles():
    return checks.fit_profile(checks.make_batch(20_000, np.random.default_rng(0)))


INTENDED = {
    "column renamed upstream": "schema",
    "amount sent in cents": "distribution",
    "amount sent as text": "schema",
    "account join failed (30%)": "nulls",
    "country codes lower-case": "categories",
    "hour in UTC, not local": "distribution",
}


def test_each_planted_corruption_is_caught_and_the_clean_batch_passes(profiles):
    batches = checks.corrupted_batches(np.random.default_rng(1))
    assert set(batches) == {"clean", *INTENDED}
    assert not any(checks.run_checks(batches["clean"], profiles).values())
    for label, check in INTENDED.items():
        assert checks.run_checks(batches[label], profiles)[check], label


def test_clean_batches_raise_no_false_alarms(profiles):
    rng = np.random.default_rng(2)
    for _ in range(40):
        assert not any(checks.run_checks(checks.make_batch(checks.ROWS, rng), profiles).values())


def test_psi_and_ks():
    shares = np.array([0.2, 0.3, 0.5])
    assert checks.psi(shares, shares) == 0
    assert checks.psi(shares, shares[::-1]) > 0.2
    p, d = checks.ks_pvalue(np.arange(10.0), np.arange(10.0) + 100)
    assert d == 1 and p < 1e-3
    rng = np.random.default_rng(3)
    p, _ = checks.ks_pvalue(rng.normal(size=500), rng.normal(size=500))
    assert p > 0.01


# --- behaviour_checks.py ----------------------------------------------------------------------


def test_release_gate_blocks_each_buggy_model_for_the_right_reason():
    rng = np.random.default_rng(0)
    models = behaviour.model_variants(rng)
    x, y = behaviour.make_listings(behaviour.N_TEST, rng)
    passed = {
        name: {check for check, (ok, _) in behaviour.release_gate(m, x, y, rng).items() if ok}
        for name, m in models.items()
    }
    everything = {"accuracy", "invariance", "directional", "minimum"}
    assert passed["correct model"] == everything
    assert passed["trained with the id column"] == everything - {"invariance"}
    assert {"directional", "minimum"}.isdisjoint(passed["serving swaps two columns"])


def test_the_id_model_looks_fine_now_and_fails_in_the_next_period():
    rng = np.random.default_rng(0)
    models = behaviour.model_variants(rng)
    good, with_id = models["correct model"], models["trained with the id column"]
    x, y = behaviour.make_listings(behaviour.N_TEST, rng)
    x_next, y_next = behaviour.make_listings(behaviour.N_TEST, rng, period=1)

    def accuracy(predict, x, y):
        return np.mean((predict(x) >= 0.5) == y)

    assert abs(accuracy(with_id, x, y) - accuracy(good, x, y)) < 0.02
    assert accuracy(with_id, x_next, y_next) < accuracy(good, x_next, y_next) - 0.05
