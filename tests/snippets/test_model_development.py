"""Behaviour of the model-development snippets: baselines, reproducibility, overfitting one
batch, data parallelism, learning curves, hyperparameter search, mixed precision and the
experiment record. Small settings keep this file fast; timings are never asserted."""

import math

import numpy as np
import pytest
import torch

from conftest import load_snippet

baselines = load_snippet("model-development/baselines.py")
repro = load_snippet("model-development/reproducibility.py")
overfit = load_snippet("model-development/overfit_one_batch.py")
parallel = load_snippet("model-development/data_parallel.py")
curves = load_snippet("model-development/learning_curves.py")
search = load_snippet("model-development/hyperparameter_search.py")
mixed = load_snippet("model-development/mixed_precision.py")
tracking = load_snippet("model-development/experiment_record.py")


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


# --- learning_curves.py -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_curves():
    validation = curves.two_moons(500, curves.NOISE, np.random.default_rng(1_000))
    x_val, y_val = map(torch.from_numpy, validation)
    sizes = (16, 1024)
    settings = {"seeds": (0,), "steps": 300}
    return {
        "logistic": curves.learning_curve(curves.make_logistic, sizes, x_val, y_val, **settings),
        "mlp": curves.learning_curve(curves.make_mlp, sizes, x_val, y_val, **settings),
    }


def test_learning_curve_returns_one_value_per_size(small_curves):
    mlp = small_curves["mlp"]
    assert list(mlp["sizes"]) == [16, 1024]
    for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
        assert mlp[key].shape == (2,)
        assert np.all(np.isfinite(mlp[key]))


def test_mlp_memorises_a_small_training_set(small_curves):
    mlp = small_curves["mlp"]
    assert mlp["train_acc"][0] == 1.0
    assert mlp["val_loss"][0] - mlp["train_loss"][0] > 0.5  # high variance: a large gap


def test_mlp_validation_loss_falls_with_more_data(small_curves):
    mlp = small_curves["mlp"]
    assert mlp["val_loss"][-1] < 0.5 * mlp["val_loss"][0]
    gap = mlp["val_loss"] - mlp["train_loss"]
    assert gap[-1] < gap[0]


def test_logistic_regression_plateaus_with_a_small_gap(small_curves):
    logistic = small_curves["logistic"]
    assert abs(logistic["val_loss"][-1] - logistic["train_loss"][-1]) < 0.05
    assert logistic["val_acc"][-1] < 0.9  # high bias: a line cannot separate the moons


def test_mlp_beats_logistic_regression_with_enough_data(small_curves):
    assert small_curves["mlp"]["val_acc"][-1] > small_curves["logistic"]["val_acc"][-1]


def test_crossing_size_finds_first_size_where_challenger_is_ahead():
    sizes = np.array([8, 16, 32, 64])
    baseline = np.array([0.80, 0.80, 0.80, 0.80])
    assert curves.crossing_size(sizes, [0.70, 0.75, 0.85, 0.90], baseline) == 32
    assert curves.crossing_size(sizes, [0.70, 0.75, 0.78, 0.80], baseline) is None  # ties lose
    losses = np.array([2.0, 1.0, 0.5, 0.3])
    assert curves.crossing_size(sizes, -losses, -np.full(4, 0.6)) == 32


# --- hyperparameter_search.py -----------------------------------------------------------------


def bowl(log10_lr, log10_wd):
    """Cheap stand-in objective: learning rate matters, weight decay barely does."""
    return (log10_lr + 1.3) ** 2 + 0.01 * (log10_wd + 4.5) ** 2


def test_gp_posterior_interpolates_training_points():
    rng = np.random.default_rng(0)
    x, y = rng.random((6, 2)), rng.normal(size=6)
    mean, variance = search.gp_posterior(x, y, x)
    np.testing.assert_allclose(mean, y, atol=1e-3)
    assert np.all(variance < 1e-4)


def test_gp_posterior_reverts_to_the_prior_far_from_data():
    x, y = np.array([[0.0, 0.0], [0.1, 0.0]]), np.array([1.0, -1.0])
    mean, variance = search.gp_posterior(x, y, np.array([[5.0, 5.0]]))
    assert abs(mean[0]) < 1e-6
    assert variance[0] == pytest.approx(1.0, abs=1e-6)


def test_expected_improvement_is_non_negative_and_prefers_lower_means():
    rng = np.random.default_rng(0)
    ei = search.expected_improvement(rng.normal(size=100), rng.random(100), best=0.0)
    assert np.all(ei >= 0)
    low, high = search.expected_improvement(np.array([-1.0, 1.0]), np.full(2, 0.5), best=0.0)
    assert low > high > 0
    # With no uncertainty left, EI is the sure improvement (minus xi), or zero.
    certain = search.expected_improvement(np.array([-1.0, 1.0]), np.zeros(2), best=0.0, xi=0.0)
    np.testing.assert_allclose(certain, [1.0, 0.0])


def test_random_search_tries_more_learning_rates_than_a_grid():
    grid_points, grid_losses = search.grid_search(bowl, budget=9)
    random_points, _ = search.random_search(bowl, budget=9, rng=np.random.default_rng(0))
    assert len(grid_losses) == 9
    assert search.distinct_values(grid_points, 0) == 3
    assert search.distinct_values(random_points, 0) == 9
    # The grid spans the whole search space, corners included.
    np.testing.assert_allclose(grid_points.min(axis=0), search.BOUNDS[:, 0])
    np.testing.assert_allclose(grid_points.max(axis=0), search.BOUNDS[:, 1])


def test_bayesian_search_stays_in_bounds_and_beats_random_on_a_smooth_bowl():
    best_bo, best_random = [], []
    for seed in range(5):
        points, losses = search.bayesian_search(bowl, budget=12, rng=np.random.default_rng(seed))
        assert points.shape == (12, 2) and losses.shape == (12,)
        assert np.all(points >= search.BOUNDS[:, 0]) and np.all(points <= search.BOUNDS[:, 1])
        best_bo.append(losses.min())
        _, losses = search.random_search(bowl, budget=12, rng=np.random.default_rng(seed))
        best_random.append(losses.min())
    assert np.median(best_bo) < np.median(best_random)


def test_real_objective_depends_more_on_learning_rate_than_weight_decay():
    objective = search.make_objective(n_train=500, steps=100)
    lr_effect = objective(-4.0, -4.0) - objective(-2.0, -4.0)
    wd_effect = abs(objective(-2.0, -6.0) - objective(-2.0, -2.0))
    assert lr_effect > 5 * wd_effect


def test_diverged_trials_are_capped_at_a_coin_flip():
    objective = search.make_objective(n_train=200, steps=20)
    assert objective(3.0, -6.0) <= math.log(2) + 1e-9  # a learning rate of 1000 blows up


# --- mixed_precision.py -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_mlp():
    torch.manual_seed(0)
    return mixed.make_mlp(width=64, depth=3)


def test_bf16_halves_activation_bytes(small_mlp):
    x = torch.randn(32, 64)
    fp32 = mixed.activation_bytes(small_mlp, x, torch.float32)
    bf16 = mixed.activation_bytes(small_mlp, x, torch.bfloat16)
    assert fp32 == 4 * 32 * 64 * 4  # the input and three ReLU outputs, 4 bytes each
    assert bf16 / fp32 == pytest.approx(0.5)


def test_activation_bytes_grow_linearly_with_batch(small_mlp):
    small = mixed.activation_bytes(small_mlp, torch.randn(16, 64), torch.float32)
    large = mixed.activation_bytes(small_mlp, torch.randn(64, 64), torch.float32)
    assert large == 4 * small


def test_autocast_saves_bf16_copies_of_weights(small_mlp):
    x = torch.randn(32, 64)
    fp32 = mixed.saved_tensor_bytes(small_mlp, x, torch.float32)
    bf16 = mixed.saved_tensor_bytes(small_mlp, x, torch.bfloat16)
    assert fp32["weight copies"] == 0  # float32 saves the weights themselves
    # Layers 2 and 3 keep a bf16 copy of their weight; layer 1's is not needed (x has no grad).
    assert bf16["weight copies"] == 2 * 64 * 64 * 2


def test_parameter_bytes_counts_float32_parameters(small_mlp):
    assert mixed.parameter_bytes(small_mlp) == 3 * (64 * 64 + 64) * 4


def test_float16_overflows_and_underflows_where_bfloat16_does_not():
    assert math.isinf(mixed.round_trip(70000.0, torch.float16))
    assert math.isfinite(mixed.round_trip(70000.0, torch.bfloat16))
    assert mixed.round_trip(1e-8, torch.float16) == 0.0
    assert mixed.round_trip(1e-8, torch.bfloat16) > 0.0
    assert mixed.round_trip(1 + 1 / 256, torch.bfloat16) == 1.0
    assert mixed.round_trip(1 + 1 / 256, torch.float16) == 1 + 1 / 256


def test_time_step_stops_timing_when_the_budget_is_spent_but_keeps_a_median_of_five(small_mlp):
    x = torch.randn(8, 64)
    seconds, runs = mixed.time_step(small_mlp, x, torch.float32, repeats=9, warmup=1, budget=0)
    assert runs == 5 and seconds > 0
    _, runs = mixed.time_step(small_mlp, x, torch.float32, repeats=9, warmup=1, budget=60)
    assert runs == 9


# --- experiment_record.py -------------------------------------------------------------------------

CONFIG = {"seed": 0, "lr": 0.01, "width": 8, "steps": 20}


def small_data():
    features, labels = tracking.two_moons(100, noise=0.2, rng=np.random.default_rng(0))
    return tracking.train_val_split(features, labels, 0.2, np.random.default_rng(1))


def to_tensors(data):
    """The four arrays of a split as torch tensors, as experiment_record.py's main() does."""
    return [torch.from_numpy(a) for a in data]


def test_a_rerun_with_the_same_inputs_gives_the_same_metrics():
    data = small_data()
    first = tracking.run_record(CONFIG, data, tracking.train(CONFIG, *to_tensors(data)))
    again = tracking.run_record(dict(CONFIG), data, tracking.train(CONFIG, *to_tensors(data)))
    assert tracking.same_inputs(first, again)
    assert first["metrics"] == again["metrics"]


def test_hashes_change_with_the_configuration_and_the_data():
    data = small_data()
    base = tracking.run_record(CONFIG, data, {})
    other_config = tracking.run_record({**CONFIG, "lr": 0.02}, data, {})
    changed = list(data)
    changed[0] = changed[0] + 1e-3
    other_data = tracking.run_record(CONFIG, tuple(changed), {})
    assert other_config["config_hash"] != base["config_hash"]
    assert other_data["data"] != base["data"] and other_data["config_hash"] == base["config_hash"]
    assert not tracking.same_inputs(base, other_config)
    assert not tracking.same_inputs(base, other_data)


def test_config_hash_ignores_key_order():
    data = small_data()
    reordered = dict(reversed(list(CONFIG.items())))
    assert (
        tracking.run_record(CONFIG, data, {})["config_hash"]
        == tracking.run_record(reordered, data, {})["config_hash"]
    )
