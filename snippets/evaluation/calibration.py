"""Calibration: a reliability diagram and the expected calibration error (ECE) of a small network,
before and after temperature scaling, and what sampling from its probabilities produces.

A network trained far past the point of best validation loss on a small training set, in which
the two classes overlap, becomes overconfident. One number, a temperature fitted on validation
data, repairs most of it without changing a single decision, so the accuracy stays the same.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

N_TRAIN, N_VAL, N_TEST = 300, 2_000, 6_000
NOISE = 0.35  # the moons overlap: near the boundary the true probability is far from 0 and 1
STEPS, LR = 600, 0.01
N_BINS = 10


def two_moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles in 2-D, classes balanced: float32 (n, 2), int64 labels."""
    labels = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, size=n)
    x = np.where(labels == 0, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle))
    features = np.stack([x, y], axis=1) + rng.normal(0.0, noise, size=(n, 2))
    order = rng.permutation(n)
    return features[order].astype(np.float32), labels[order].astype(np.int64)


def make_split(n: int, rng: np.random.Generator):
    return two_moons(n, noise=NOISE, rng=rng)


def train_mlp(x: np.ndarray, y: np.ndarray, steps: int = STEPS, seed: int = 0) -> nn.Module:
    """A 2-64-64-1 network, full-batch Adam, no regularisation, trained far too long."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
    model.append(nn.Linear(64, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).float()
    for _ in range(steps):
        loss = nn.functional.binary_cross_entropy_with_logits(model(xt).squeeze(1), yt)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


@torch.no_grad()
def logits_of(model: nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    return model(torch.from_numpy(x)).squeeze(1).double().numpy()


# --8<-- [start:core]
def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def reliability_table(probs, labels, n_bins: int = N_BINS):
    """One row per non-empty equal-width bin of the predicted probability of class 1: the bin's
    index, the mean prediction in it, the observed share of class 1, and the number of examples."""
    probs, labels = np.asarray(probs, dtype=float), np.asarray(labels, dtype=float)
    which = np.minimum((probs * n_bins).astype(int), n_bins - 1)  # p = 1.0 goes in the top bin
    rows = []
    for b in range(n_bins):
        inside = which == b
        if inside.any():
            rows.append((b, probs[inside].mean(), labels[inside].mean(), inside.sum()))
    return np.array(rows, dtype=float).reshape(-1, 4)


def expected_calibration_error(probs, labels, n_bins: int = N_BINS) -> float:
    """ECE = sum over bins of (share of examples in the bin) * |mean prediction - observed rate|."""
    table = reliability_table(probs, labels, n_bins)
    _, mean_p, observed, count = table.T
    return float(np.sum(count / count.sum() * np.abs(mean_p - observed)))


def log_loss(probs, labels) -> float:
    p = np.clip(np.asarray(probs, dtype=float), 1e-12, 1 - 1e-12)
    y = np.asarray(labels, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def fit_temperature(logits, labels) -> float:
    """The T > 0 that minimises the log loss of sigmoid(logits / T) on held-out data.

    Optimised over log T, so T stays positive. Dividing every logit by the same T > 0 never
    changes which side of 0.5 a prediction is on, so accuracy cannot change.
    """
    z = torch.as_tensor(np.asarray(logits), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.float64)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(z / log_t.exp(), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


def summary(probs, labels) -> dict[str, float]:
    probs, labels = np.asarray(probs, dtype=float), np.asarray(labels)
    return {
        "accuracy": float(np.mean((probs >= 0.5) == labels)),
        "log loss": log_loss(probs, labels),
        "Brier": float(np.mean((probs - labels) ** 2)),
        "ECE": expected_calibration_error(probs, labels),
    }


# --8<-- [end:core]


def decision_shares(raw, scaled, labels, members, rng) -> dict[str, float]:
    """For the chosen examples: the real share of class 1, and the share that each way of
    turning probabilities into labels produces (always the top class, or one random draw)."""
    raw, scaled, labels = raw[members], scaled[members], labels[members]
    return {
        "in the real labels": float(np.mean(labels)),
        "top choice (the more likely class)": float(np.mean(raw >= 0.5)),
        "labels sampled from the raw p": float(np.mean(rng.random(len(raw)) < raw)),
        "labels sampled from the scaled p": float(np.mean(rng.random(len(scaled)) < scaled)),
    }


def plot_reliability(panels):
    fig, axes = plt.subplots(
        2, len(panels), figsize=(9, 5.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    for col, (title, probs, labels) in enumerate(panels):
        index, mean_p, observed, count = reliability_table(probs, labels).T
        ax, hist = axes[0, col], axes[1, col]
        ax.plot([0, 1], [0, 1], "--", color="0.55", lw=1.4, label="perfect calibration")
        ax.vlines(mean_p, mean_p, observed, color="C5", lw=1.4, label="gap")
        ax.plot(mean_p, observed, "o-", color=f"C{col}", label="model")
        ece = expected_calibration_error(probs, labels)
        ax.set_title(f"{title}: ECE {ece:.3f}", fontsize=11)
        ax.set_ylabel("observed share of class 1" if col == 0 else "")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.legend(loc="upper left", fontsize=9)
        hist.bar((index + 0.5) / N_BINS, count / count.sum(), width=0.9 / N_BINS, color=f"C{col}")
        hist.set_xlabel("predicted probability of class 1")
        hist.set_ylabel("share of examples" if col == 0 else "", fontsize=9)
        hist.set_ylim(0, 0.6)
    fig.tight_layout()
    return fig


def print_reliability(before, after):
    print("Reliability table, test set: mean prediction -> observed share of class 1 (n)")
    print(f"{'bin':<12}{'before':>22}{'after':>24}")
    rows = [{int(r[0]): r for r in table} for table in (before, after)]
    for b in range(N_BINS):
        cells = [
            f"{r[1]:.2f} -> {r[2]:.2f} ({int(r[3]):>4})" if (r := side.get(b)) is not None else ""
            for side in rows
        ]
        print(f"[{b / N_BINS:.1f}, {(b + 1) / N_BINS:.1f}){cells[0]:>24}{cells[1]:>24}")


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x_train, y_train = make_split(N_TRAIN, rng)
    x_val, y_val = make_split(N_VAL, rng)
    x_test, y_test = make_split(N_TEST, rng)
    model = train_mlp(x_train, y_train)

    z_val, z_test = logits_of(model, x_val), logits_of(model, x_test)
    temperature = fit_temperature(z_val, y_val)
    raw, scaled = sigmoid(z_test), sigmoid(z_test / temperature)
    s_raw, s_scaled = summary(raw, y_test), summary(scaled, y_test)

    print(f"Network trained for {STEPS} steps on {N_TRAIN} examples; temperature fitted on")
    print(f"{N_VAL} validation examples: T = {temperature:.2f}. Test set: {N_TEST} examples.\n")
    print(f"{'':<20}{'accuracy':>10}{'log loss':>10}{'Brier':>8}{'ECE':>8}")
    for name, s in (("before (T = 1)", s_raw), (f"after (T = {temperature:.2f})", s_scaled)):
        print(f"{name:<20}{s['accuracy']:>10.3f}{s['log loss']:>10.3f}{s['Brier']:>8.3f}", end="")
        print(f"{s['ECE']:>8.3f}")
    print()
    before, after = reliability_table(raw, y_test), reliability_table(scaled, y_test)
    print_reliability(before, after)

    sure = raw >= 0.95
    print(f"\nThe {sure.sum()} test examples the raw model puts at p >= 0.95: share of class 1")
    for name, share in decision_shares(raw, scaled, y_test, sure, np.random.default_rng(1)).items():
        print(f"  {name:<36}{share:.3f}")

    print("\nAbstaining when unsure (scaled probabilities): share kept and accuracy on it")
    confidence = np.maximum(scaled, 1 - scaled)
    for threshold in (0.5, 0.7, 0.9):
        kept = confidence >= threshold
        accuracy = np.mean((scaled[kept] >= 0.5) == y_test[kept])
        print(f"  confidence >= {threshold:.1f}: keeps {kept.mean():6.1%}, accuracy {accuracy:.3f}")

    top = before[-1]
    fig = plot_reliability(
        [
            ("before temperature scaling", raw, y_test),
            (f"after, T = {temperature:.2f}", scaled, y_test),
        ]
    )
    extreme = (before[0, 3] + top[3]) / N_TEST
    alt = (
        "Two reliability diagrams of the same network on the test set: predicted probability of "
        "class 1 on the horizontal axis, observed share of class 1 on the vertical axis, a dashed "
        "diagonal for perfect calibration, and a histogram of the predictions below each. Before "
        f"temperature scaling the curve is flatter than the diagonal: in the top bin the mean "
        f"prediction is {top[1]:.2f} but the observed share is {top[2]:.2f}, and "
        f"{extreme:.0%} of the predictions sit in the two extreme bins; ECE is "
        f"{s_raw['ECE']:.3f}. After dividing the logits by T = {temperature:.2f} the points lie "
        f"close to the diagonal and the predictions spread over all bins; ECE is "
        f"{s_scaled['ECE']:.3f}. Accuracy is {s_raw['accuracy']:.3f} in both."
    )
    caption = (
        "An overconfident network: most of its predictions are close to 0 or 1, and it is right "
        "less often than they claim (vertical lines: the gap in each bin). One temperature, "
        "fitted on validation data, moves the points onto the diagonal and leaves every "
        "decision, and so the accuracy, unchanged."
    )
    fig.savefig("calibration_reliability.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
