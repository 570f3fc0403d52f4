"""A model store in miniature: artifacts stored by the hash of their content, metadata as JSON,
lineage through parent links, and aliases such as "production" that point at a version.

Content addressing gives three things for free: identical artifacts are stored once, an
artifact's name proves its integrity (re-hash it and compare), and a version id cannot silently
refer to different bytes later. MLflow's model registry, W&B artifacts, DVC and Git itself all
rest on versions of this idea.
"""

import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np


# --8<-- [start:core]
def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ModelStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        (self.root / "aliases").mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes) -> str:
        """Store bytes under their hash; storing the same bytes again costs nothing."""
        key = sha256(data)
        path = self.root / "objects" / key[:2] / key[2:]
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return key

    def get(self, key: str) -> bytes:
        data = (self.root / "objects" / key[:2] / key[2:]).read_bytes()
        if sha256(data) != key:
            raise ValueError(f"object {key[:12]} is corrupted")
        return data

    def register(self, name: str, weights: bytes, parent: str | None = None, **meta) -> str:
        """A version is a JSON record (itself stored by hash) naming the weights' hash, the
        data and code versions, parameters, metrics and the version it was derived from."""
        record = {"name": name, "weights": self.put(weights), "parent": parent, **meta}
        return self.put(json.dumps(record, sort_keys=True).encode())

    def metadata(self, version: str) -> dict:
        return json.loads(self.get(version))

    def set_alias(self, name: str, alias: str, version: str) -> None:
        (self.root / "aliases" / f"{name}.{alias}").write_text(version)

    def resolve(self, name: str, alias: str) -> str:
        return (self.root / "aliases" / f"{name}.{alias}").read_text()

    def lineage(self, version: str) -> list[dict]:
        chain = []
        while version is not None:
            chain.append(self.metadata(version) | {"version": version})
            version = chain[-1]["parent"]
        return chain


# --8<-- [end:core]


def make_data(n: int, coef, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = (x @ np.asarray(coef) + rng.normal(0, 0.5, n) > 0).astype(float)
    return x, y


def fit_logistic(x, y, lr=0.5, steps=300, w=None):
    """Gradient descent from `w` (or zeros): warm-starting from a parent is fine-tuning."""
    xb = np.c_[x, np.ones(len(x))]
    w = np.zeros(xb.shape[1]) if w is None else w.copy()
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xb @ w))
        w -= lr * xb.T @ (p - y) / len(y)
    return w


def accuracy(w, x, y):
    return float(np.mean(((np.c_[x, np.ones(len(x))] @ w) > 0) == (y == 1)))


def data_version(x, y) -> str:
    return sha256(np.round(x, 6).tobytes() + y.tobytes())[:12]


def to_bytes(w) -> bytes:
    """Serialise the weights; a fixed dtype and rounding make equal models equal bytes."""
    return np.round(w, 8).astype("<f8").tobytes()


def register_run(store, w, train, val, params, parent=None) -> str:
    """Record what is needed to trust and reproduce the run, next to the weights."""
    return store.register(
        "churn",
        to_bytes(w),
        parent=parent,
        data=data_version(*train),
        code="a1b2c3d",  # in real life: the commit hash, from `git rev-parse HEAD`
        params=params,
        metrics={"val_accuracy": round(accuracy(w, *val), 4)},
    )


def split(x, y, n_train):
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def count_objects(root: Path) -> int:
    return sum(1 for p in (root / "objects").rglob("*") if p.is_file())


def main():
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = ModelStore(root)
        train1, val1 = split(*make_data(3000, [1.0, -2.0, 0.5], seed=1), 2000)
        train2, val2 = split(*make_data(3000, [1.0, -0.5, 2.0], seed=2), 2000)  # drifted
        params = {"lr": 0.5, "steps": 300}

        w1 = fit_logistic(*train1)
        v1 = register_run(store, w1, train1, val1, params)
        store.set_alias("churn", "production", v1)
        objects_before = count_objects(root)

        # The same training rerun: the same bytes, so the same objects and the same version id.
        v1_again = register_run(store, fit_logistic(*train1), train1, val1, params)
        objects_after = count_objects(root)

        # Fine-tune on the new month, starting from the production weights.
        parent = store.resolve("churn", "production")
        w_parent = np.frombuffer(store.get(store.metadata(parent)["weights"]), dtype="<f8")
        w2 = fit_logistic(*train2, steps=100, w=w_parent)
        v2 = register_run(store, w2, train2, val2, params | {"steps": 100}, parent=parent)
        store.set_alias("churn", "production", v2)

        print(f"version 1: {v1[:12]}   the identical retrain: {v1_again[:12]}")
        print(
            f"objects stored: {objects_before} after version 1, {objects_after} after the retrain"
        )
        print("(weights and record are stored once: nothing new was written)\n")
        print("Lineage of production, newest first:")
        for rec in store.lineage(store.resolve("churn", "production")):
            print(
                f"  {rec['version'][:12]}  weights {rec['weights'][:12]}  data {rec['data']}  "
                f"parent {str(rec['parent'])[:12]:<12}  "
                f"val acc {rec['metrics']['val_accuracy']:.3f}"
            )
        print(f"\nv1 on the new month's validation data: {accuracy(w1, *val2):.3f}")

        store.set_alias("churn", "production", v1)  # a rollback is moving a pointer
        print(f"rolled back: production -> {store.resolve('churn', 'production')[:12]}")

        key = store.metadata(v2)["weights"]
        path = root / "objects" / key[:2] / key[2:]
        damaged = bytearray(path.read_bytes())
        damaged[0] ^= 1  # flip one bit on disk
        path.write_bytes(bytes(damaged))
        try:
            store.get(key)
        except ValueError as err:
            print(f"after flipping one bit of v2's weights on disk: {err}")


if __name__ == "__main__":
    main()
