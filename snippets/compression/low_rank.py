"""Low-rank factorisation of a trained linear layer with the SVD.

A small MLP is trained on a toy problem whose 64 input features are driven by 8 hidden factors.
Its largest layer (256 x 256) is replaced by two thin layers of rank r, W ~ (U_r S_r) V_r^T, and
for each rank we print the parameters, the relative reconstruction error of the weight matrix and
the test accuracy (no fine-tuning after the cut).
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

N_CLASSES, LATENT, DIM, HIDDEN = 10, 8, 64, 256
N_TRAIN, N_TEST = 4000, 2000
STEPS, BATCH, LR = 300, 128, 3e-3
RANKS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def make_data(n: int, rng: np.random.Generator, noise: float = 0.3):
    """10 classes, each two Gaussian clusters in an 8-D latent space, mixed linearly into 64
    features plus a little noise: the signal lives in 8 of the 64 input directions."""
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


def train(model: nn.Module, x, y, steps: int = STEPS, seed: int = 0) -> nn.Module:
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=LR, fused=True)
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
def factorise(layer: nn.Linear, rank: int) -> nn.Sequential:
    """Replace y = W x + b (W is m x n) by y = A (B x) + b with A = U_r S_r (m x r) and
    B = V_r^T (r x n): the best rank-r approximation of W in Frobenius norm (Eckart-Young)."""
    u, s, vh = torch.linalg.svd(layer.weight.detach(), full_matrices=False)
    first = nn.Linear(layer.in_features, rank, bias=False)
    second = nn.Linear(rank, layer.out_features, bias=layer.bias is not None)
    with torch.no_grad():
        first.weight.copy_(vh[:rank])
        second.weight.copy_(u[:, :rank] * s[:rank])
        if layer.bias is not None:
            second.bias.copy_(layer.bias)
    return nn.Sequential(first, second)


def relative_error(layer: nn.Linear, factors: nn.Sequential) -> float:
    """||W - A B||_F / ||W||_F: how large the part the cut throws away is, relative to W."""
    w = layer.weight.detach()
    approx = factors[1].weight.detach() @ factors[0].weight.detach()
    return ((w - approx).norm() / w.norm()).item()


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def rank_sweep(model: nn.Sequential, index: int, x_test, y_test, ranks=RANKS) -> list[dict]:
    """Swap layer `index` for its rank-r factorisation, one rank at a time, and evaluate."""
    layer, rows = model[index], []
    for rank in ranks:
        factors = factorise(layer, rank)
        model[index] = factors
        rows.append(
            {
                "rank": rank,
                "params": n_params(factors),
                "error": relative_error(layer, factors),
                "accuracy": accuracy(model, x_test, y_test),
            }
        )
        model[index] = layer  # put the original back
    return rows


# --8<-- [end:core]


def plot(rows, full_accuracy: float):
    fig, ax = plt.subplots()
    ranks = [r["rank"] for r in rows]
    ax.plot(ranks, [r["accuracy"] for r in rows], marker="o", label="test accuracy")
    ax.plot(ranks, [r["error"] for r in rows], marker="s", label="relative weight error")
    ax.axhline(full_accuracy, color="#999999", linestyle="--", linewidth=1, label="unfactorised")
    ax.set_xscale("log", base=2)
    ax.set_xticks(ranks, [str(r) for r in ranks])
    ax.minorticks_off()
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("rank r of the 256 x 256 layer (log scale)")
    ax.set_ylabel("fraction")
    ax.legend(loc="center left")
    return fig


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)  # the MLP's initial weights
    rng = np.random.default_rng(0)  # the data
    x_train, y_train = make_data(N_TRAIN, rng)
    x_test, y_test = make_data(N_TEST, rng)
    model = train(make_mlp(), x_train, y_train)
    full = accuracy(model, x_test, y_test)
    layer = model[2]
    print(f"Trained MLP {DIM}-{HIDDEN}-{HIDDEN}-{N_CLASSES}: test accuracy {full:.3f}")
    singular = torch.linalg.svdvals(layer.weight.detach())
    largest = " ".join(f"{v:.1f}" for v in singular[:8].tolist())
    print(f"Largest singular values of the 256 x 256 layer: {largest} ...")
    print(f"Break-even rank: r(m + n) + m < m n + m when r < {HIDDEN * HIDDEN // (2 * HIDDEN)}\n")
    rows = rank_sweep(model, 2, x_test, y_test)
    print(f"{'rank':>5} {'params':>8} {'of layer':>9} {'weight error':>13} {'accuracy':>9}")
    for r in rows:
        share = r["params"] / n_params(layer)
        rank, params, error = r["rank"], r["params"], r["error"]
        print(f"{rank:>5} {params:>8,} {share:>9.0%} {error:>13.2f} {r['accuracy']:>9.3f}")

    good = min(r["rank"] for r in rows if r["accuracy"] >= full - 0.01)
    at_good = next(r for r in rows if r["rank"] == good)
    alt = (
        f"Line chart against rank from 1 to {HIDDEN} (log scale). Test accuracy rises from "
        f"{rows[0]['accuracy']:.2f} at rank 1 to within 0.01 of the unfactorised "
        f"{full:.2f} at rank {good}, where the relative weight error is still "
        f"{at_good['error']:.2f}; the error falls to 0 only at full rank."
    )
    caption = (
        "Accuracy recovers long before the weight matrix does: what matters is the error on the "
        "directions the data uses, not the size of the reconstruction error."
    )
    fig = plot(rows, full)
    fig.savefig("low_rank_sweep.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
