"""Behaviour of the offline-evaluation snippets: cost-based metrics and the paired bootstrap,
slice reports, calibration and temperature scaling, the four loss/accuracy movements, and the
CheckList-style behavioural tests, which must pass on a model that behaves and fail on models
that break each property. Whether each snippet ran is checked in test_every_snippet.py."""

import math

import numpy as np
import pytest

from conftest import load_snippet

business = load_snippet("evaluation/business_metrics.py")
slices = load_snippet("evaluation/slices.py")
calibration = load_snippet("evaluation/calibration.py")
movements = load_snippet("evaluation/loss_vs_accuracy.py")
behaviour = load_snippet("evaluation/behavioral_tests.py")


pytestmark = pytest.mark.usefixtures("one_thread")


# --- business_metrics.py ----------------------------------------------------------------------


def test_cost_per_example_charges_misses_and_false_alarms():
    flagged = np.array([1, 1, 0, 0], bool)
    fraud = np.array([1, 0, 1, 0], bool)
    costs = business.cost_per_example(flagged, fraud)
    assert costs.tolist() == [0.0, business.COST_FALSE_ALARM, business.COST_MISSED_FRAUD, 0.0]


def test_cost_threshold_minimises_expected_cost_for_calibrated_probabilities():
    p = np.linspace(0.0005, 0.9995, 2000)  # true probabilities, so expected costs are exact
    grid = np.linspace(0.0, 0.5, 1001)
    expected = [
        np.sum(np.where(p > t, (1 - p) * business.COST_FALSE_ALARM, p * business.COST_MISSED_FRAUD))
        for t in grid
    ]
    best = grid[int(np.argmin(expected))]
    assert business.cost_threshold() == pytest.approx(5 / 105)
    assert abs(best - business.cost_threshold()) < 0.002
    assert business.cost_threshold(cost_missed=1, cost_alarm=1) == 0.5  # equal costs: p > 0.5


@pytest.fixture(scope="module")
def fraud_policies():
    return business.policies()


def test_accuracy_and_cost_rank_the_policies_differently(fraud_policies):
    decisions, fraud = fraud_policies
    reports = {name: business.report(flagged, fraud) for name, flagged in decisions.items()}
    names = list(reports)
    approve, rule, default, tuned = (reports[n] for n in names)
    cheapest = min(reports, key=lambda n: reports[n]["cost per 1000"])
    most_accurate = max(reports, key=lambda n: reports[n]["accuracy"])
    assert cheapest == names[3] and most_accurate != names[3]
    # approving everything is (nearly) as accurate as the model at 0.5, and finds nothing
    assert abs(approve["accuracy"] - default["accuracy"]) < 0.005 and approve["recall"] == 0
    # at the default threshold the model even loses to the tuned rule on cost
    assert rule["cost per 1000"] < default["cost per 1000"]
    assert tuned["recall"] > rule["recall"] and tuned["precision"] > rule["precision"]


def test_paired_bootstrap_is_centred_and_narrows_with_more_data(fraud_policies):
    decisions, fraud = fraud_policies
    names = list(decisions)
    a = business.cost_per_example(decisions[names[3]], fraud)
    b = business.cost_per_example(decisions[names[1]], fraud)
    rng = np.random.default_rng(0)
    mean, low, high = business.paired_bootstrap(a, b, rng, repeats=300)
    assert low < mean < high < 0  # the model's saving over the rule is real on 20,000
    small = business.paired_bootstrap(a[:2000], b[:2000], rng, repeats=300)
    assert small[2] - small[1] > 2 * (high - low)  # about sqrt(10) times wider
    assert business.paired_bootstrap(a, a, rng, repeats=50) == (0.0, 0.0, 0.0)


# --- slices.py --------------------------------------------------------------------------------


def brute_force_auc(scores, labels):
    pos, neg = scores[labels == 1], scores[labels == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_auc_matches_pairwise_definition_with_ties():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 8, size=300).astype(float)  # many ties
    labels = (rng.random(300) < 0.3 + 0.05 * scores).astype(int)
    assert slices.auc(scores, labels) == pytest.approx(brute_force_auc(scores, labels))
    assert slices.auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 1.0
    assert slices.auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    assert slices.auc([0.5] * 4, [0, 1, 0, 1]) == 0.5


def test_bootstrap_interval_contains_the_estimate_and_shrinks_with_n():
    rng = np.random.default_rng(1)
    scores = rng.random(4000)
    labels = (rng.random(4000) < scores).astype(int)
    wide = slices.bootstrap_interval(slices.auc, scores[:400], labels[:400], rng, repeats=200)
    narrow = slices.bootstrap_interval(slices.auc, scores, labels, rng, repeats=200)
    assert wide[0] < slices.auc(scores[:400], labels[:400]) < wide[1]
    assert narrow[1] - narrow[0] < 0.6 * (wide[1] - wide[0])


@pytest.fixture(scope="module")
def slice_reports():
    return slices.run()


def test_the_pooled_model_looks_fine_overall_and_fails_the_thin_file_slice(slice_reports):
    pooled = slice_reports["one rule for everyone"]
    overall, thin = pooled["all applicants"], pooled["thin file"]
    assert overall["auc"] > 0.8 and overall["accuracy"] > overall["majority accuracy"] + 0.04
    assert thin["auc"] < overall["auc"] - 0.15
    assert thin["accuracy"] < thin["majority accuracy"] + 0.02  # no better than a constant
    assert thin["auc interval"][1] < overall["auc interval"][0]  # not a small-sample fluke
    assert thin["observed rate"] - thin["predicted rate"] > 0.1  # miscalibrated on the slice
    assert abs(overall["observed rate"] - overall["predicted rate"]) < 0.02  # but not overall


def test_slice_terms_fix_the_slice_far_more_than_they_move_the_total(slice_reports):
    pooled, fixed = slice_reports["one rule for everyone"], slice_reports["thin-file terms"]
    thin_gain = fixed["thin file"]["auc"] - pooled["thin file"]["auc"]
    overall_gain = fixed["all applicants"]["auc"] - pooled["all applicants"]["auc"]
    assert thin_gain > 0.15 and 0 <= overall_gain < thin_gain / 4
    thin = fixed["thin file"]
    assert abs(thin["observed rate"] - thin["predicted rate"]) < 0.05


# --- calibration.py ---------------------------------------------------------------------------


def test_ece_is_small_for_calibrated_and_large_for_overconfident_probabilities():
    rng = np.random.default_rng(0)
    p = rng.random(100_000)
    y = (rng.random(100_000) < p).astype(int)
    overconfident = calibration.sigmoid(3 * np.log(p / (1 - p)))
    assert calibration.expected_calibration_error(p, y) < 0.01
    assert calibration.expected_calibration_error(overconfident, y) > 0.08
    # calibrated but useless: always predicting the base rate has ECE close to 0
    assert calibration.expected_calibration_error(np.full(len(y), y.mean()), y) < 1e-9


def test_reliability_table_bins_every_example_once():
    rng = np.random.default_rng(2)
    p = np.r_[rng.random(999), 1.0]  # p = 1.0 belongs to the top bin
    y = (rng.random(1000) < p).astype(int)
    table = calibration.reliability_table(p, y, n_bins=10)
    index, mean_p, _, count = table.T
    assert count.sum() == 1000 and index[-1] == 9
    assert np.all((mean_p >= index / 10) & (mean_p <= (index + 1) / 10))


def test_fit_temperature_recovers_a_known_temperature():
    rng = np.random.default_rng(3)
    z = rng.normal(scale=6.0, size=20_000)
    y = (rng.random(20_000) < calibration.sigmoid(z / 2.5)).astype(int)
    assert calibration.fit_temperature(z, y) == pytest.approx(2.5, rel=0.05)


@pytest.fixture(scope="module")
def calibrated_model():
    rng = np.random.default_rng(0)
    x_train, y_train = calibration.make_split(calibration.N_TRAIN, rng)
    x_val, y_val = calibration.make_split(calibration.N_VAL, rng)
    x_test, y_test = calibration.make_split(calibration.N_TEST, rng)
    model = calibration.train_mlp(x_train, y_train)
    z_val, z_test = calibration.logits_of(model, x_val), calibration.logits_of(model, x_test)
    temperature = calibration.fit_temperature(z_val, y_val)
    raw, scaled = calibration.sigmoid(z_test), calibration.sigmoid(z_test / temperature)
    return temperature, raw, scaled, y_test


def test_temperature_scaling_lowers_ece_and_loss_and_keeps_accuracy(calibrated_model):
    temperature, raw, scaled, y = calibrated_model
    before, after = calibration.summary(raw, y), calibration.summary(scaled, y)
    assert temperature > 2  # the network was overconfident: T > 1 softens it
    assert after["ECE"] < 0.6 * before["ECE"]
    assert after["log loss"] < 0.6 * before["log loss"]
    assert after["accuracy"] == before["accuracy"]
    assert np.array_equal(raw >= 0.5, scaled >= 0.5)


def test_sampling_reproduces_the_probabilities_not_the_truth(calibrated_model):
    _, raw, scaled, y = calibrated_model
    sure = raw >= 0.95
    shares = calibration.decision_shares(raw, scaled, y, sure, np.random.default_rng(1))
    real = shares["in the real labels"]
    # sampling from overconfident probabilities gives their mean, far from the real share ...
    assert abs(shares["labels sampled from the raw p"] - raw[sure].mean()) < 0.02
    assert shares["labels sampled from the raw p"] - real > 0.05
    # ... and calibrating first brings the sampled share much closer to reality
    assert abs(shares["labels sampled from the scaled p"] - real) < 0.75 * (
        shares["labels sampled from the raw p"] - real
    )


# --- loss_vs_accuracy.py ----------------------------------------------------------------------


def test_log_loss_from_logits_is_exact_and_stable():
    z, y = np.array([-2.0, 0.0, 3.0]), np.array([0, 1, 1])
    p = 1 / (1 + np.exp(-z))
    naive = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert np.allclose(movements.log_loss_from_logits(z, y), naive)
    huge = movements.log_loss_from_logits(np.array([1000.0, -1000.0]), np.array([0, 1]))
    assert np.allclose(huge, [1000.0, 1000.0])  # a confident mistake costs its logit


def test_quadrant_names_every_movement():
    def stats(accuracy, loss):
        return {"accuracy": accuracy, "loss": loss}

    base = stats(0.8, 0.5)
    assert movements.quadrant(base, stats(0.9, 0.4)) == "accuracy up, loss down"
    assert movements.quadrant(base, stats(0.9, 0.6)) == "accuracy up, loss up"
    assert movements.quadrant(base, stats(0.7, 0.4)) == "accuracy down, loss down"
    assert movements.quadrant(base, stats(0.7, 0.6)) == "accuracy down, loss up"
    assert movements.quadrant(base, stats(0.8, 0.4)) == "accuracy unchanged, loss down"


def test_describe_splits_the_loss_between_right_and_wrong_answers():
    z = np.array([4.0, 4.0, -4.0, 8.0])
    y = np.array([1, 1, 0, 0])  # the last one is a confident mistake
    d = movements.describe(z, y)
    assert d["accuracy"] == 0.75 and d["errors"] == 1 and d["confident errors"] == 1
    assert d["loss per error"] == pytest.approx(8.0, abs=1e-3)
    assert d["share of loss from errors"] > 0.9


@pytest.fixture(scope="module")
def scored_models():
    logits, y, curve, temperature = movements.score_models()
    return {name: movements.describe(z, y) for name, z in logits.items()}, curve, temperature


def test_the_comparisons_produce_all_four_movements(scored_models):
    stats, _, _ = scored_models
    found = [movements.quadrant(stats[a], stats[b]) for a, b, _ in movements.COMPARISONS]
    assert found == [
        "accuracy up, loss down",
        "accuracy up, loss up",
        "accuracy down, loss down",
        "accuracy down, loss up",
        "accuracy unchanged, loss down",
    ]


def test_loss_up_with_accuracy_up_comes_from_confident_errors(scored_models):
    stats, curve, temperature = scored_models
    simple, early = stats["logistic regression"], stats["network, stopped early"]
    late, scaled = stats["network, trained too long"], stats["too long, temperature-scaled"]
    assert late["errors"] < simple["errors"]  # fewer mistakes ...
    assert late["loss per error"] > 3 * simple["loss per error"]  # ... far more expensive ones
    assert late["confident errors"] > 5 * max(early["confident errors"], simple["confident errors"])
    assert temperature > 2 and scaled["loss"] < simple["loss"] + 0.01
    steps, loss, accuracy = curve.T
    best = int(np.argmin(loss))
    assert best < len(loss) // 4  # the loss turns early ...
    assert (
        loss[-1] > 2 * loss[best] and abs(accuracy[-1] - accuracy[best]) < 0.05
    )  # ... accuracy barely


def test_a_swapped_column_is_the_worst_case(scored_models):
    stats, _, _ = scored_models
    bug, early = stats["stopped early, columns swapped"], stats["network, stopped early"]
    assert bug["accuracy"] < early["accuracy"] - 0.3 and bug["loss"] > 5 * early["loss"]
    assert bug["confident errors"] > bug["errors"] / 3  # wrong, and confidently so


# --- behavioral_tests.py ----------------------------------------------------------------------


SENTIMENT = {w: 1 for w in behaviour.POSITIVE} | {w: -1 for w in behaviour.NEGATIVE}


def letters(word: str) -> str:
    return "".join(sorted(word))


def oracle(texts, name_weight=0.0, but_weight=0.0, really=2.0, typo_proof=True):
    """A rule-based model that behaves as the tests demand, with knobs that break one property
    each: names that matter, a 'but' that sounds positive, an intensifier that weakens, and a
    vocabulary that does not recognise a misspelt word."""
    lookup = {(letters(w) if typo_proof else w): s for w, s in SENTIMENT.items()}
    probs = []
    for text in texts:
        score, sign, gain = 0.0, 1.0, 1.0
        for word in text.split():
            key = letters(word) if typo_proof else word
            if word == "not":
                sign = -1.0
            elif word == "really":
                gain = really
            elif word == "but":
                score += but_weight
            elif word in ("emma", "omar"):
                score += name_weight
            elif key in lookup:
                score += sign * gain * lookup[key]
                sign, gain = 1.0, 1.0
        probs.append(1 / (1 + math.exp(-2 * score)))
    return np.array(probs)


def verdicts(results):
    return {r.name: r.passed for r in results}


def test_a_model_that_behaves_passes_every_test():
    results = behaviour.run_suite(oracle)
    assert all(r.passed for r in results), [(r.name, r.failures[:1]) for r in results]
    assert {r.kind for r in results} == {"MFT", "INV", "DIR", "PERT"}


@pytest.mark.parametrize(
    "broken, failing",
    [
        (lambda t: np.full(len(t), 0.9), {"simple statements", "negated statements"}),
        (lambda t: oracle(t, name_weight=1.5), {"swap the reviewer's name"}),
        (lambda t: oracle(t, but_weight=3.0), {"add a negative clause"}),
        (lambda t: oracle(t, really=0.5), {"'really' before a negative word"}),
        (lambda t: oracle(t, typo_proof=False), {"one typo"}),
    ],
    ids=["always-positive", "names-matter", "positive-but", "weak-intensifier", "typo-fragile"],
)
def test_each_check_fails_on_a_model_that_violates_it(broken, failing):
    result = verdicts(behaviour.run_suite(broken))
    assert {name for name, passed in result.items() if not passed} == failing


@pytest.fixture(scope="module")
def sentiment_model():
    rng = np.random.default_rng(0)
    texts, labels = behaviour.make_reviews(4_000, rng)
    test_texts, test_labels = behaviour.make_reviews(1_000, rng)
    model = behaviour.BagOfWords(texts, labels)
    return model, np.mean((model(test_texts) >= 0.5) == test_labels)


def test_the_bag_of_words_model_is_accurate_and_fails_four_behaviours(sentiment_model):
    model, accuracy = sentiment_model
    assert accuracy > 0.85
    assert verdicts(behaviour.run_suite(model)) == {
        "simple statements": True,
        "negated statements": False,
        "swap the reviewer's name": False,
        "add a negative clause": True,
        "'really' before a negative word": False,
        "one typo": False,
    }


def test_names_decide_only_where_the_review_carries_no_sentiment(sentiment_model):
    model, _ = sentiment_model
    names = next(r for r in behaviour.run_suite(model) if r.name == "swap the reviewer's name")
    assert names.failures and {f[0].split()[-1] for f in names.failures} <= set(behaviour.NEUTRAL)


def test_swap_letters_makes_one_adjacent_transposition():
    rng = np.random.default_rng(0)
    for _ in range(50):
        text = "the dessert was delicious"
        noisy = behaviour.swap_letters(text, rng)
        diff = [i for i, (a, b) in enumerate(zip(text, noisy, strict=True)) if a != b]
        assert len(diff) == 2 and diff[1] == diff[0] + 1
        assert sorted(text) == sorted(noisy) and noisy.split()[0] == "the"


def test_a_tolerance_lets_a_perturbation_test_pass_with_few_failures():
    result = behaviour.Result("x", "PERT", 100, failures=[0] * 5, max_failure_rate=0.05)
    assert result.passed and not behaviour.Result("x", "MFT", 100, failures=[0]).passed
