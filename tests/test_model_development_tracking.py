"""Behaviour of the experiment-record snippet: hashes identify inputs, reruns agree."""

import numpy as np
import torch

from conftest import load_snippet

tracking = load_snippet("model-development/experiment_record.py")
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
