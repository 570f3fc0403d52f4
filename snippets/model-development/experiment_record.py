"""Experiment tracking in its smallest useful form: one JSON record per run.

The record holds what is needed to rerun and compare a run: hashes of the code, data and
configuration, the environment, the seed and the metrics. Two runs with equal hashes must agree.
"""

import hashlib
import inspect
import json
import platform

import numpy as np
import torch
from torch import nn


def two_moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles in 2-D, classes balanced: float32 (n, 2), int64 labels."""
    labels = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, size=n)
    x = np.where(labels == 0, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle))
    features = np.stack([x, y], axis=1) + rng.normal(0.0, noise, size=(n, 2))
    order = rng.permutation(n)
    return features[order].astype(np.float32), labels[order].astype(np.int64)


def train_val_split(features, labels, val_fraction: float, rng: np.random.Generator):
    """Shuffle and split arrays into (x_train, y_train, x_val, y_val)."""
    order = rng.permutation(len(labels))
    n_val = round(val_fraction * len(labels))
    val, train = order[:n_val], order[n_val:]
    return features[train], labels[train], features[val], labels[val]


def short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def train(config: dict, x_train, y_train, x_val, y_val) -> dict:
    """Train a small MLP as `config` says and return its metrics."""
    torch.manual_seed(config["seed"])
    model = nn.Sequential(nn.Linear(2, config["width"]), nn.ReLU(), nn.Linear(config["width"], 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    for _ in range(config["steps"]):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x_train), y_train).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        logits = model(x_val)
        return {
            "val_loss": round(nn.functional.cross_entropy(logits, y_val).item(), 4),
            "val_accuracy": round((logits.argmax(1) == y_val).float().mean().item(), 4),
        }


# --8<-- [start:core]
def run_record(config: dict, data: tuple, metrics: dict) -> dict:
    """Everything needed to rerun this run and to compare it with others."""
    return {
        "code": short_hash(inspect.getsource(train).encode()),  # or the commit hash
        "data": short_hash(b"".join(np.ascontiguousarray(a).tobytes() for a in data)),
        "config": config,
        "config_hash": short_hash(json.dumps(config, sort_keys=True).encode()),
        "environment": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "threads": torch.get_num_threads(),
        },
        "metrics": metrics,
    }


def same_inputs(a: dict, b: dict) -> bool:
    """Runs with the same code, data, configuration and environment must give the same metrics."""
    keys = ("code", "data", "config_hash", "environment")
    return all(a[key] == b[key] for key in keys)


# --8<-- [end:core]


def main() -> None:
    features, labels = two_moons(600, noise=0.3, rng=np.random.default_rng(0))
    data = train_val_split(features, labels, val_fraction=0.2, rng=np.random.default_rng(1))
    tensors = [torch.from_numpy(a) for a in data]
    base = {"seed": 0, "lr": 0.01, "width": 32, "steps": 200}
    configs = [base, dict(base), {**base, "lr": 0.05}, {**base, "seed": 1}]
    records = [run_record(c, data, train(c, *tensors)) for c in configs]

    print("One JSON line per run (the first in full):")
    print(json.dumps(records[0]))
    print(f"\n{'run':<5}{'config_hash':<14}{'lr':>6}{'seed':>6}{'val_loss':>10}{'val_acc':>9}")
    for i, r in enumerate(records):
        c, m = r["config"], r["metrics"]
        print(
            f"{i:<5}{r['config_hash']:<14}{c['lr']:>6}{c['seed']:>6}"
            f"{m['val_loss']:>10.4f}{m['val_accuracy']:>9.4f}"
        )
    first, rerun, new_lr, new_seed = records
    agree = first["metrics"] == rerun["metrics"]
    print(f"\nruns 0 and 1: same inputs {same_inputs(first, rerun)}, same metrics {agree}")
    loss = [r["metrics"]["val_loss"] for r in records]
    print(f"changing the learning rate moved val_loss by {loss[2] - loss[0]:+.4f}")
    print(f"changing only the seed moved it by            {loss[3] - loss[0]:+.4f}")


if __name__ == "__main__":
    main()
