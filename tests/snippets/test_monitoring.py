"""Behaviour of the monitoring snippets: the KS test and its critical values, the drift
detector on sudden and gradual shifts, false alarms under multiple testing, the three kinds of
shift, train-serving skew and the recommender feedback loop. Small settings keep this file fast;
the last tests read the build's run of every snippet and check the built page."""

import re

import numpy as np
import pytest

from conftest import ROOT, SNIPPETS, load_snippet

ks = load_snippet("monitoring/ks_test.py")
detector = load_snippet("monitoring/drift_detector.py")
false_alarms = load_snippet("monitoring/false_alarms.py")
shifts = load_snippet("monitoring/shift_types.py")
skew = load_snippet("monitoring/serving_skew.py")
loop = load_snippet("monitoring/feedback_loop.py")


# --- ks_test.py -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_ks_statistic_equals_the_brute_force_definition_even_with_ties(seed):
    rng = np.random.default_rng(seed)
    for n, m in ((1, 1), (3, 8), (40, 25), (200, 300)):
        a = np.round(rng.normal(size=n), 1)
        b = np.round(rng.normal(0.2, 1.3, size=m), 1)
        expected = ks.ks_statistic_brute_force(a, b)
        assert ks.ks_statistic(a, b) == pytest.approx(expected, abs=1e-12)
        assert ks.ks_statistic(b, a) == pytest.approx(expected, abs=1e-12)


def test_ks_statistic_known_values():
    assert ks.ks_statistic([1, 2, 3], [1, 2, 3]) == 0.0
    assert ks.ks_statistic([1, 2, 3], [4, 5, 6]) == 1.0
    assert ks.ks_statistic([1, 3, 5], [2, 4, 6]) == pytest.approx(1 / 3)
    assert ks.ks_statistic([1, 1, 1, 2], [1, 2, 2, 2]) == pytest.approx(0.5)


def test_kolmogorov_distribution_matches_textbook_values():
    for t, tail in ((1.2238, 0.10), (1.3581, 0.05), (1.6276, 0.01), (1.9495, 0.001)):
        assert ks.kolmogorov_sf(t) == pytest.approx(tail, rel=2e-3)
    assert ks.kolmogorov_sf(0.0) == 1.0
    values = [ks.kolmogorov_sf(t) for t in np.linspace(0.3, 3.0, 30)]
    assert all(x > y for x, y in zip(values, values[1:], strict=False))


@pytest.mark.parametrize("alpha", [0.1, 0.05, 0.01, 0.001])
def test_critical_value_has_p_value_alpha(alpha):
    d = ks.ks_critical_value(alpha, 1000, 200)
    assert ks.ks_pvalue(d, 1000, 200) == pytest.approx(alpha, rel=1e-3)


def test_ks_test_rejects_about_alpha_of_unshifted_pairs():
    rng = np.random.default_rng(1)
    p = [
        ks.ks_pvalue(ks.ks_statistic(rng.normal(size=1000), rng.normal(size=200)), 1000, 200)
        for _ in range(1500)
    ]
    rate = np.mean(np.array(p) < 0.05)
    assert 0.025 < rate < 0.065  # the asymptotic test is slightly conservative at these sizes


def test_a_tiny_shift_becomes_significant_with_enough_data():
    rows = ks.significance_table(np.random.default_rng(0), (0.02,), (200, 200_000))
    (_, _, _, p_small), (_, _, _, p_large) = rows
    assert p_small > 0.05 and p_large < 0.001


# --- drift_detector.py ------------------------------------------------------------------------


def test_first_alarm_after_ignores_alarms_before_the_shift():
    ends = np.array([99, 199, 299, 399])
    alarms = np.array([True, False, False, True])
    assert detector.first_alarm_after(ends, alarms, 150) == 399 - 150
    assert detector.first_alarm_after(ends, np.zeros(4, dtype=bool), 150) is None


def test_detector_fires_within_two_windows_of_a_sudden_shift():
    rng = np.random.default_rng(2)
    window = 200
    for _ in range(15):
        reference, stream = detector.make_stream("sudden", rng)
        ends, _, alarms = detector.monitor(reference, stream, window)
        delay = detector.first_alarm_after(ends, alarms, detector.SHIFT_START)
        assert delay is not None and delay < 2 * window


def test_detector_false_alarm_rate_on_unshifted_streams_is_near_alpha():
    rng = np.random.default_rng(3)
    fired = []
    for _ in range(40):
        reference, stream = detector.make_stream("none", rng)
        fired.append(detector.monitor(reference, stream, 200)[2])
    rate = np.mean(np.concatenate(fired))
    assert 0.02 < rate < 0.07, rate


def test_gradual_drift_is_caught_later_and_at_a_smaller_shift_than_the_jump():
    rng = np.random.default_rng(4)
    sudden, gradual = [], []
    for _ in range(15):
        for kind, out in (("sudden", sudden), ("gradual", gradual)):
            reference, stream = detector.make_stream(kind, rng)
            ends, _, alarms = detector.monitor(reference, stream, 200)
            out.append(detector.first_alarm_after(ends, alarms, detector.SHIFT_START))
    assert None not in gradual
    assert np.median(gradual) > 2 * np.median(sudden)
    mean_at_alarm = detector.stream_mean("gradual")[detector.SHIFT_START + int(np.median(gradual))]
    assert mean_at_alarm < detector.SUDDEN_JUMP


def test_windows_shorter_than_the_daily_cycle_raise_false_alarms():
    rows = detector.window_size_study((50, detector.DAY), runs=6, cycle=0.5)
    (_, plain_short, cycle_short, delay_short), (_, plain_day, cycle_day, delay_day) = rows
    assert cycle_short > 5 * max(plain_short, 0.5)  # the cycle itself sets alarms off
    assert cycle_day < 0.5  # a window of a whole day averages the cycle away
    assert delay_short < delay_day  # ... but a long window reacts later


# --- false_alarms.py --------------------------------------------------------------------------


def test_batched_ks_statistics_equal_the_single_pair_version():
    rng = np.random.default_rng(5)
    reference = rng.normal(size=300)
    windows = rng.normal(0.1, 1.0, size=(12, 50))
    batched = false_alarms.ks_statistics(reference, windows)
    for row, d in zip(windows, batched, strict=True):
        assert d == pytest.approx(ks.ks_statistic(reference, row), abs=1e-12)


def test_consecutive_rule_needs_a_run_of_exceedances():
    critical = false_alarms.ks_critical_value(
        0.05, false_alarms.REFERENCE_SIZE, false_alarms.WINDOW
    )
    hi, lo = critical + 0.01, critical - 0.01
    stats = np.array([[hi, lo, hi, hi, hi, lo, hi]])
    assert false_alarms.alarms(stats, 0.05, 1)[0].tolist() == [1, 0, 1, 1, 1, 0, 1]
    assert false_alarms.alarms(stats, 0.05, 3)[0].tolist() == [0, 0, 0, 0, 1, 0, 0]


@pytest.fixture(scope="module")
def simulated_days():
    rng = np.random.default_rng(6)
    null = false_alarms.simulate(200, false_alarms.CHECKS_PER_DAY, rng)
    shifted = false_alarms.simulate(
        200, 2 * false_alarms.CHECKS_PER_DAY, rng, shift_at=false_alarms.CHECKS_PER_DAY
    )
    return null, shifted


def test_checking_every_window_at_005_gives_false_alarms_on_most_days(simulated_days):
    null, _ = simulated_days
    per_check, per_day = false_alarms.false_alarm_rates(null, 0.05, 1)
    assert 0.025 < per_check < 0.065
    assert per_day > 0.4
    _, bonferroni_day = false_alarms.false_alarm_rates(null, 0.05 / 24, 1)
    _, three_day = false_alarms.false_alarm_rates(null, 0.05, 3)
    assert bonferroni_day < 0.12 and three_day < 0.12


def test_stricter_rules_detect_a_small_shift_later(simulated_days):
    _, shifted = simulated_days
    at = false_alarms.CHECKS_PER_DAY
    caught, delay = false_alarms.detection(shifted, at, 0.05, 1)
    for alpha, consecutive in ((0.05 / 24, 1), (0.05, 3)):
        strict_caught, strict_delay = false_alarms.detection(shifted, at, alpha, consecutive)
        assert strict_caught <= caught and strict_delay > delay


# --- shift_types.py ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shift_table():
    return shifts.run(seed=3)


def test_each_kind_of_shift_changes_the_factor_it_should(shift_table):
    table, _, _ = shift_table
    src = table["source (held out)"]
    cov, lab, con = table["covariate shift"], table["label shift"], table["concept drift"]
    probe = f"P(Y=1|X~{shifts.X_PROBE})"
    # covariate shift: P(X) moves, P(Y|X) stays
    assert abs(cov["mean X"] - src["mean X"]) > 1.0 and abs(cov[probe] - src[probe]) < 0.1
    # label shift: P(Y) moves, P(X|Y) stays, and P(Y|X) moves with it
    assert lab["P(Y=1)"] > src["P(Y=1)"] + 0.3
    assert abs(lab["mean X|Y=1"] - src["mean X|Y=1"]) < 0.1
    assert lab[probe] > src[probe] + 0.08
    # concept drift: P(X) stays, P(Y|X) moves
    assert abs(con["mean X"] - src["mean X"]) < 0.1 and src[probe] - con[probe] > 0.3


def test_input_monitoring_sees_covariate_and_label_shift_but_not_concept_drift(shift_table):
    table, _, _ = shift_table
    assert table["covariate shift"]["KS p (X only)"] < 1e-6
    assert table["label shift"]["KS p (X only)"] < 1e-6
    assert table["concept drift"]["KS p (X only)"] > 0.001
    assert table["concept drift"]["acc squared"] < table["source (held out)"]["acc squared"] - 0.1


def test_covariate_shift_hurts_the_misspecified_model_only(shift_table):
    table, _, _ = shift_table
    src, cov = table["source (held out)"], table["covariate shift"]
    assert cov["acc linear"] < src["acc linear"] - 0.15
    assert abs(cov["acc squared"] - src["acc squared"]) < 0.05


def test_label_shift_is_estimated_and_corrected(shift_table):
    table, prior_hat, corrected = shift_table
    assert prior_hat == pytest.approx(shifts.LABEL_SHIFT_PRIOR, abs=0.05)
    assert corrected > table["label shift"]["acc squared"] + 0.03


# --- serving_skew.py --------------------------------------------------------------------------


def test_skew_is_found_in_exactly_the_broken_feature():
    day = {name: days[0] for name, days in skew.run(seed=2).items()}
    assert day["healthy"]["flagged, Bonferroni"].tolist() == []
    assert day["hours sent as minutes"]["flagged, Bonferroni"].tolist() == [skew.HOURS]
    assert day["missing filled with 0"]["flagged, Bonferroni"].tolist() == [skew.IMPUTED]
    healthy = day["healthy"]
    for bug in ("hours sent as minutes", "missing filled with 0"):
        assert abs(day[bug]["positive rate"] - healthy["positive rate"]) > 0.05
        assert day[bug]["accuracy"] < healthy["accuracy"] - 0.03


def test_per_feature_tests_need_a_multiple_testing_correction():
    days = skew.run(seed=5, days=20, bugs=False)["healthy"]
    naive = np.mean([len(d["flagged at 0.05"]) > 0 for d in days])
    bonferroni = np.mean([len(d["flagged, Bonferroni"]) > 0 for d in days])
    assert naive >= 0.4 and bonferroni <= 0.2


# --- feedback_loop.py -------------------------------------------------------------------------


def test_slates_are_distinct_items_in_score_order_without_exploration():
    rng = np.random.default_rng(0)
    clicks = np.expm1(np.arange(loop.N_ITEMS) * 1.0)  # log(1 + clicks) one apart: a clear order
    slates = loop.recommend(clicks, np.full(loop.N_ITEMS, 20.0), rng)
    assert slates.shape == (loop.USERS, loop.SLATE)
    assert all(len(set(row)) == loop.SLATE for row in slates)
    assert np.mean(slates[:, 0] == loop.N_ITEMS - 1) > 0.9  # the most clicked item comes first
    assert np.mean(np.all(np.diff(slates, axis=1) < 0, axis=1)) > 0.8  # best first, mostly


def test_users_click_the_top_positions_more():
    rng = np.random.default_rng(1)
    slates = np.tile(np.arange(loop.SLATE), (20_000, 1))
    clicked = loop.users_click(slates, np.full(loop.SLATE, 0.5), rng)
    rates = clicked.mean(axis=0)
    assert rates[0] == pytest.approx(0.5, abs=0.02) and rates[0] > rates[-1] + 0.2


@pytest.fixture(scope="module")
def loop_results():
    return loop.simulate(seed=3, rounds=20)[1]


def test_without_exploration_everyone_gets_the_same_few_items(loop_results):
    plain = loop_results["by clicks, no exploration"]["distinct items"]
    assert plain[-1] <= 2 * loop.SLATE and plain[-1] < plain[0] / 4
    assert loop_results["by clicks, no exploration"]["long-tail share"][-1] < 0.02


def test_exploration_keeps_diversity_and_rate_ranking_reaches_the_long_tail(loop_results):
    plain = loop_results["by clicks, no exploration"]
    explore = loop_results["by clicks, 10% random slots"]
    rate = loop_results["by click rate, 10% random slots"]
    assert explore["distinct items"][-1] > 8 * plain["distinct items"][-1]
    assert rate["distinct items"][-1] >= explore["distinct items"][-1]
    assert rate["long-tail share"][-1] > explore["long-tail share"][-1] + 0.1


# --- every snippet on the page, and light figures ---------------------------------------------

CHAPTER_SNIPPETS = sorted(p.name for p in (SNIPPETS / "monitoring").glob("*.py"))


def test_every_snippet_is_on_the_page():
    page = (ROOT / "docs" / "monitoring.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"^<!-- snippet: monitoring/([\w-]+\.py)(?::\w+)? -->$", page, re.M))
    assert shown == set(CHAPTER_SNIPPETS)


@pytest.mark.parametrize("name", CHAPTER_SNIPPETS)
def test_figures_of_the_chapter_stay_under_120_kb(snippet_results, name):
    """This chapter's own cap, stricter than one every figure of the handbook meets; what every
    snippet must show (its output, its figures in both themes, alt text, caption) is checked
    for all of them in test_every_snippet.py."""
    result = snippet_results(f"monitoring/{name}")
    for figure in result.figures:
        for theme in ("light", "dark"):
            assert (result.folder / "figures" / f"{figure}.{theme}.svg").stat().st_size < 120_000
