"""Behaviour of the model-development snippets: baselines, reproducibility, overfitting one
batch and data parallelism."""

import math

import numpy as np
import pytest
import torch

from conftest import assert_snippet_ran, load_snippet, snippet_run

baselines = load_snippet("model-development/baselines.py")
repro = load_snippet("model-development/reproducibility.py")
overfit = load_snippet("model-development/overfit_one_batch.py")
parallel = load_snippet("model-development/data_parallel.py")


# --- baselines.py ---------------------------------------------------------------------------


def test_binary_metrics_on_a_hand_checked_example():
    # tp=2, fp=1, fn=1, tn=4
    y_true = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    y_pred = np.array([1, 1, 0, 1, 0, 0, 0, 0])
    m = baselines.binary_metrics(y_true, y_pred)
    assert m["accuracy"] == pytest.approx(6 / 8)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)


def test_binary_metrics_precision_and_recall_differ():
    # tp=1, fp=3, fn=0: precision 1/4, recall 1, f1 = 2 * 0.25 / 1.25 = 0.4
    m = baselines.binary_metrics(np.array([1, 0, 0, 0]), np.array([1, 1, 1, 1]))
    assert (m["precision"], m["recall"]) == pytest.approx((0.25, 1.0))
    assert m["f1"] == pytest.approx(0.4)
    assert m["accuracy"] == pytest.approx(0.25)


def test_binary_metrics_without_positive_predictions_is_zero_not_nan():
    m = baselines.binary_metrics(np.array([1, 0, 0]), np.array([0, 0, 0]))
    assert m == {"accuracy": pytest.approx(2 / 3), "precision": 0.0, "recall": 0.0, "f1": 0.0}


@pytest.fixture(scope="module")
def imbalanced_split():
    rng = np.random.default_rng(0)
    features, labels = baselines.imbalanced_blobs(2000, positive_rate=0.05, rng=rng)
    return baselines.train_val_split(features, labels, val_fraction=0.3, rng=rng)


def test_majority_class_has_high_accuracy_and_zero_recall(imbalanced_split):
    x_train, y_train, x_val, y_val = imbalanced_split
    m = baselines.binary_metrics(y_val, baselines.majority_baseline(y_train, len(y_val)))
    assert m["accuracy"] == pytest.approx(1 - y_val.mean())
    assert m["accuracy"] > 0.9
    assert m["recall"] == 0.0 and m["f1"] == 0.0


def test_logistic_regression_f1_beats_majority_and_random(imbalanced_split):
    x_train, y_train, x_val, y_val = imbalanced_split
    torch.manual_seed(0)  # the logistic regression's initial weights
    rng = np.random.default_rng(1)
    f1 = {
        "model": baselines.logistic_regression_baseline(x_train, y_train, x_val, steps=150),
        "random": baselines.random_baseline(len(y_val), rng),
        "majority": baselines.majority_baseline(y_train, len(y_val)),
    }
    f1 = {name: baselines.binary_metrics(y_val, pred)["f1"] for name, pred in f1.items()}
    assert f1["model"] > 0.6
    assert f1["model"] > f1["random"] + 0.4
    assert f1["model"] > f1["majority"]


def test_rule_threshold_is_learned_on_training_data(imbalanced_split):
    x_train, y_train, x_val, y_val = imbalanced_split
    f1 = baselines.binary_metrics(y_val, baselines.rule_baseline(x_train, y_train, x_val))["f1"]
    assert f1 > 0.6


def test_simulated_annotators_flip_at_their_rates_and_the_vote_beats_each_one():
    rng = np.random.default_rng(0)
    truth = (rng.random(20_000) < 0.3).astype(np.int64)
    annotators = baselines.simulated_annotators(truth, [0.05, 0.1, 0.15], rng)
    error_rates = (annotators != truth).mean(axis=1)
    np.testing.assert_allclose(error_rates, [0.05, 0.1, 0.15], atol=0.01)
    vote_error = np.mean(baselines.majority_vote(annotators) != truth)
    # independent errors: the vote is wrong when at least two are, about 0.03 here
    assert vote_error < error_rates.min()


def test_cohens_kappa_on_a_hand_checked_example():
    # observed agreement 0.75; chance 0.5 * 0.25 + 0.5 * 0.75 = 0.5; kappa = 0.25 / 0.5
    a, b = np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0])
    assert baselines.cohens_kappa(a, b) == pytest.approx(0.5)


# --- reproducibility.py ---------------------------------------------------------------------


def test_same_seed_same_loss_different_seed_different_loss():
    first, again, other = (repro.train_run(seed, steps=10) for seed in (0, 0, 1))
    assert first == again
    assert first != other


@pytest.fixture
def shifted_inputs():
    torch.manual_seed(0)
    return torch.randn(64, 2) + 3.0


def test_dropout_changes_outputs_in_train_mode_only(shifted_inputs):
    model = repro.make_mlp(dropout=0.5)
    assert repro.repeat_call_difference(model, shifted_inputs, train=True) > 1e-3
    assert repro.repeat_call_difference(model, shifted_inputs, train=False) == 0.0


def test_batchnorm_makes_a_prediction_depend_on_its_batch_in_train_mode_only(shifted_inputs):
    x = shifted_inputs
    model = repro.make_mlp(dropout=0.0)
    assert repro.batch_neighbour_difference(model, x[:1], x[1:32], x[32:], train=True) > 1e-3
    assert repro.batch_neighbour_difference(model, x[:1], x[1:32], x[32:], train=False) == 0.0


def test_no_grad_does_not_stop_batchnorm_updating_running_stats(shifted_inputs):
    model = repro.make_mlp()
    tracked = model[1].num_batches_tracked.item()
    assert repro.running_mean_change(model, shifted_inputs, train=True) > 1e-3
    assert model[1].num_batches_tracked.item() == tracked + 1
    assert repro.running_mean_change(model, shifted_inputs, train=False) == 0.0
    assert model[1].num_batches_tracked.item() == tracked + 1


# --- overfit_one_batch.py -------------------------------------------------------------------


def test_softmax_bug_floor_matches_formula():
    formula, computed = overfit.softmax_bug_loss_floor()
    assert formula == pytest.approx(math.log(1 + math.exp(-1)))
    assert computed == pytest.approx(formula, abs=1e-5)
    assert computed == pytest.approx(0.3133, abs=1e-4)


def test_correct_model_memorises_one_batch_and_softmax_bug_cannot():
    torch.manual_seed(0)
    x, y = overfit.random_batch()
    correct = overfit.make_classifier(x.shape[1])
    buggy = overfit.make_classifier(x.shape[1], softmax_bug=True)
    buggy.load_state_dict(correct.state_dict())
    correct_losses = overfit.train_on_one_batch(correct, x, y, steps=150, lr=0.01)
    buggy_losses = overfit.train_on_one_batch(buggy, x, y, steps=150, lr=0.01)
    assert len(correct_losses) == 150
    assert correct_losses[-1] < 0.01
    assert correct_losses[-1] < correct_losses[0] / 50
    floor, _ = overfit.softmax_bug_loss_floor()
    assert min(buggy_losses) > floor - 1e-6
    assert min(buggy_losses) > 0.3


# --- data_parallel.py -----------------------------------------------------------------------


@pytest.fixture
def model_and_batch():
    torch.manual_seed(0)
    x, y = torch.randn(64, 2), torch.randint(0, 2, (64,))
    return parallel.make_model(), x, y


def test_averaged_equal_shard_gradients_match_full_batch(model_and_batch):
    model, x, y = model_and_batch
    full = parallel.gradients(model, x, y)
    shards = parallel.split_batch(x, y, [16, 16, 16, 16])
    averaged = parallel.data_parallel_gradients(model, shards, weight_by_size=False)
    assert [g.shape for g in averaged] == [g.shape for g in full]
    assert parallel.max_abs_difference(averaged, full) < 1e-6


def test_unequal_shards_need_size_weights(model_and_batch):
    model, x, y = model_and_batch
    full = parallel.gradients(model, x, y)
    shards = parallel.split_batch(x, y, [8, 8, 16, 32])
    naive = parallel.data_parallel_gradients(model, shards, weight_by_size=False)
    weighted = parallel.data_parallel_gradients(model, shards, weight_by_size=True)
    assert parallel.max_abs_difference(naive, full) > 1e-3
    assert parallel.max_abs_difference(weighted, full) < 1e-6


# --- every snippet runs on its own ----------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["baselines", "reproducibility", "overfit_one_batch", "data_parallel"]
)
def test_snippet_runs_as_a_script(name):
    assert_snippet_ran(snippet_run(f"model-development/{name}.py"), [])
