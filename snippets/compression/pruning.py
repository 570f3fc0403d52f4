"""Unstructured magnitude pruning with torch.nn.utils.prune: accuracy against sparsity, and what
sparsity does (and does not do) to storage and to the speed of a dense matrix multiply.

A small MLP is pruned layer by layer (l1_unstructured) and globally (global_unstructured) at
growing sparsity, with and without a short fine-tuning of the surviving weights.
"""

import copy
import io
import platform
import statistics
import time
import warnings
import zlib
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

MEASURES_TIME = True  # it times code: run it on an otherwise idle machine for steady numbers

N_CLASSES, LATENT, DIM, HIDDEN = 10, 8, 64, 256
N_TRAIN, N_TEST = 4000, 2000
STEPS, BATCH, LR = 300, 128, 3e-3
FINE_TUNE_STEPS, FINE_TUNE_LR = 80, 3e-3
SPARSITIES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99)
REPEATS, WARMUP = 20, 3


def make_data(n: int, rng: np.random.Generator, noise: float = 0.3):
    """10 classes, each two Gaussian clusters in an 8-D latent space, mixed into 64 features."""
    fixed = np.random.default_rng(1234)  # the problem itself is the same for every seed
    centers = 1.6 * fixed.normal(size=(N_CLASSES, 2, LATENT))
    mixing = fixed.normal(size=(LATENT, DIM)) / np.sqrt(LATENT)
    y = rng.integers(0, N_CLASSES, n)
    z = centers[y, rng.integers(0, 2, n)] + rng.normal(size=(n, LATENT))
    x = z @ mixing + noise * rng.normal(size=(n, DIM))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def make_mlp() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(DIM, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, N_CLASSES),
    )  # fmt: skip


def train(model: nn.Module, x, y, steps: int = STEPS, lr: float = LR, seed: int = 0) -> nn.Module:
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    for _ in range(steps):
        batch = torch.randint(0, len(y), (BATCH,), generator=generator)
        loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model


def accuracy(model: nn.Module, x, y) -> float:
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


# --8<-- [start:core]
def linear_layers(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def prune_model(model: nn.Module, sparsity: float, scope: str) -> nn.Module:
    """Zero the smallest-magnitude weights (biases are kept). "layer": the same share in every
    layer (l1_unstructured); "global": one threshold over all layers (global_unstructured)."""
    model = copy.deepcopy(model)
    if scope == "layer":
        for layer in linear_layers(model):
            prune.l1_unstructured(layer, name="weight", amount=sparsity)
    else:
        targets = [(layer, "weight") for layer in linear_layers(model)]
        prune.global_unstructured(targets, prune.L1Unstructured, amount=sparsity)
    return model  # each layer now holds weight_orig and weight_mask; weight = orig * mask


def sparsity_of(model: nn.Module) -> float:
    """Share of exact zeros among all weight-matrix entries."""
    weights = [layer.weight for layer in linear_layers(model)]
    zeros = sum(int((w == 0).sum()) for w in weights)
    return zeros / sum(w.numel() for w in weights)


def serialized_bytes(obj, compress: bool = False) -> int:
    """Bytes that torch.save writes: what a model file would weigh on disk; with `compress`,
    after zlib, as when the file is zipped for download."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return len(zlib.compress(buffer.getvalue(), 6)) if compress else len(buffer.getbuffer())


def make_permanent(model: nn.Module) -> nn.Module:
    """Fold the masks into plain dense weights, the form a model is shipped in."""
    for layer in linear_layers(model):
        if prune.is_pruned(layer):
            prune.remove(layer, "weight")
    return model


# --8<-- [end:core]


def sweep(model, x_train, y_train, x_test, y_test, sparsities=SPARSITIES) -> list[dict]:
    rows = []
    for sparsity in sparsities:
        row = {"sparsity": sparsity}
        for scope in ("layer", "global"):
            row[scope] = accuracy(prune_model(model, sparsity, scope), x_test, y_test)
        tuned = prune_model(model, sparsity, "global")  # masks stay on while training
        train(tuned, x_train, y_train, steps=FINE_TUNE_STEPS, lr=FINE_TUNE_LR, seed=1)
        row["global + fine-tune"] = accuracy(tuned, x_test, y_test)
        row["measured"] = sparsity_of(tuned)
        rows.append(row)
    return rows


def median_ms(fn) -> float:
    times = []
    for i in range(WARMUP + REPEATS):
        start = time.perf_counter()
        fn()
        if i >= WARMUP:
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def tensor_bytes(tensor: torch.Tensor) -> int:
    """Bytes of the arrays that hold a tensor: for CSR, the values plus both index arrays."""
    if tensor.layout == torch.sparse_csr:
        parts = (tensor.values(), tensor.col_indices(), tensor.crow_indices())
        return sum(part.nbytes for part in parts)
    return tensor.nbytes


def storage_and_speed(size: int = 1024, batch: int = 64, sparsities=(0.5, 0.9)) -> list[dict]:
    """A size x size weight pruned by magnitude: bytes and x @ W^T time, dense vs sparse CSR."""
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(size, size, generator=generator)
    x = torch.randn(batch, size, generator=generator)

    def row(form, w, multiply):
        return {"form": form, "bytes": tensor_bytes(w), "ms": median_ms(lambda: multiply(w))}

    rows = [row("dense, unpruned", weight, lambda w: x @ w.T)]
    for sparsity in sparsities:
        layer = nn.Linear(size, size, bias=False)
        with torch.no_grad():
            layer.weight.copy_(weight)
        prune.l1_unstructured(layer, "weight", amount=sparsity)
        pruned = make_permanent(layer).weight.detach()
        rows.append(row(f"dense, {sparsity:.0%} zeros", pruned, lambda w: x @ w.T))
        with warnings.catch_warnings():  # sparse CSR support is labelled beta
            warnings.simplefilter("ignore", UserWarning)
            csr = pruned.to_sparse_csr()
            rows.append(row(f"CSR, {sparsity:.0%} zeros", csr, lambda w: (w @ x.T).T))
    return rows


def cpu_description() -> str:
    """The processor's model name from /proc/cpuinfo (Linux), else what Python can tell."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def plot(rows, dense_accuracy: float):
    fig, ax = plt.subplots()
    rows_sparsity = [r["sparsity"] for r in rows]
    xs = [-np.log10(1 - s) for s in rows_sparsity]  # spreads out the high sparsities
    for key, marker in (("layer", "o"), ("global", "s"), ("global + fine-tune", "^")):
        label = "layer-wise" if key == "layer" else key
        ax.plot(xs, [r[key] for r in rows], marker=marker, label=label)
    ax.axhline(1 / N_CLASSES, color="#999999", linestyle=":", linewidth=1, label="chance")
    ax.set_xticks(xs, [f"{s:.1%}".replace(".0%", "%") for s in rows_sparsity])
    ax.minorticks_off()
    ax.set_ylim(0, 1)
    ax.set_xlabel("sparsity: share of weights set to zero (axis stretched towards 100%)")
    ax.set_ylabel("test accuracy")
    ax.legend(loc="lower left")
    return fig


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)  # the MLP's initial weights
    rng = np.random.default_rng(0)  # the data
    x_train, y_train = make_data(N_TRAIN, rng)
    x_test, y_test = make_data(N_TEST, rng)
    model = train(make_mlp(), x_train, y_train)
    dense = accuracy(model, x_test, y_test)
    n_weights = sum(layer.weight.numel() for layer in linear_layers(model))
    print(f"MLP {DIM}-{HIDDEN}-{HIDDEN}-{N_CLASSES}, {n_weights:,} weights, accuracy {dense:.3f}")
    print(f"Test accuracy after pruning (fine-tune: {FINE_TUNE_STEPS} steps, masks kept):")
    rows = sweep(model, x_train, y_train, x_test, y_test)
    print(f"{'sparsity':>9} {'measured':>9} {'layer-wise':>11} {'global':>7} {'+ fine-tune':>12}")
    for r in rows:
        print(
            f"{r['sparsity']:>9.1%} {r['measured']:>9.2%} {r['layer']:>11.3f} "
            f"{r['global']:>7.3f} {r['global + fine-tune']:>12.3f}"
        )

    pruned = prune_model(model, 0.9, "global")
    print("\nModel file (torch.save of the state_dict), 90% global sparsity:")
    files = {"dense original": model.state_dict(), "pruned, masks attached": pruned.state_dict()}
    files["pruned, masks folded in"] = make_permanent(pruned).state_dict()
    print(f"  {'':<24} {'bytes':>9} {'zlib-compressed':>16}")
    for name, state in files.items():
        size, packed = serialized_bytes(state), serialized_bytes(state, compress=True)
        print(f"  {name:<24} {size:>9,} {packed:>16,}")

    print(
        f"\nOne 1024 x 1024 weight, batch 64, x @ W^T, "
        f"median of {REPEATS} runs after {WARMUP} warm-up:"
    )
    print(f"  {'form':<18} {'tensor bytes':>12} {'time':>10}")
    for r in storage_and_speed():
        print(f"  {r['form']:<18} {r['bytes']:>12,} {r['ms']:>7.2f} ms")
    print(f"Machine: {cpu_description()}, torch {torch.__version__}, 1 thread")

    def last_within(key):  # highest sparsity whose accuracy is within 0.01 of the dense one
        return max(r["sparsity"] for r in rows if r[key] >= dense - 0.01)

    at = {r["sparsity"]: r for r in rows}
    alt = (
        f"Line chart of test accuracy against sparsity from 0 to {SPARSITIES[-1]:.0%}. Without "
        f"fine-tuning, accuracy stays within 0.01 of the dense {dense:.2f} up to "
        f"{last_within('global'):.0%} sparsity with a global threshold and "
        f"{last_within('layer'):.0%} layer-wise, and at 90% it is {at[0.9]['global']:.2f} and "
        f"{at[0.9]['layer']:.2f}. With {FINE_TUNE_STEPS} fine-tuning steps it stays within 0.01 "
        f"up to {last_within('global + fine-tune'):.0%} and is "
        f"{at[SPARSITIES[-1]]['global + fine-tune']:.2f} at {SPARSITIES[-1]:.0%}."
    )
    caption = (
        "One-shot magnitude pruning holds accuracy only at moderate sparsity here; a short "
        "retraining of the surviving weights moves the cliff far to the right."
    )
    fig = plot(rows, dense)
    fig.savefig("pruning_sparsity.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
