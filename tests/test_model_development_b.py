"""Behaviour of the model-development snippets: learning curves, hyperparameter search and
mixed precision. Small settings keep this file fast; timings are never asserted."""

import math

import numpy as np
import pytest
import torch

from conftest import assert_figures, load_snippet, snippet_run

curves = load_snippet("model-development/learning_curves.py")
search = load_snippet("model-development/hyperparameter_search.py")
mixed = load_snippet("model-development/mixed_precision.py")


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


# --- every snippet runs on its own and writes its figure ----------------------------------------


@pytest.mark.parametrize(
    ("snippet", "figure"),
    [
        ("learning_curves.py", "learning_curves"),
        ("hyperparameter_search.py", "hyperparameter_search"),
        ("mixed_precision.py", "mixed_precision_memory"),
    ],
)
def test_snippet_runs_and_writes_its_figure(snippet, figure):
    result = snippet_run(f"model-development/{snippet}")
    assert result.stdout.strip()
    assert_figures(result, [figure])
