"""Unseen data must resemble the training data: a model trained on one month meets later months.

The rule that turns inputs into labels never changes; only where the inputs fall drifts, month by
month (covariate shift). A random validation split of the training month cannot see the problem.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

MONTHS = range(7)
DRIFT_PER_MONTH = 0.5  # how far the mean of feature 1 moves each month
N_PER_MONTH = 1000


# --8<-- [start:data]
def month_data(month: int, n: int, rng: np.random.Generator):
    """Inputs for one month and their labels; only the inputs' distribution depends on month.

    Feature 1 drifts upwards (think prices under inflation); the label rule y = 1 when
    x2 > 1.5 sin(x1), blurred by a little noise, is the same in every month.
    """
    x1 = rng.normal(DRIFT_PER_MONTH * month, 0.6, size=n)
    x2 = rng.normal(0.0, 1.5, size=n)
    labels = (x2 + rng.normal(0.0, 0.2, size=n) > 1.5 * np.sin(x1)).astype(np.int64)
    return np.stack([x1, x2], axis=1).astype(np.float32), labels


# --8<-- [end:data]


def make_linear() -> nn.Module:
    return nn.Linear(2, 2)


def make_mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2)
    )


def fit(make_model, features, labels, steps: int = 200, seed: int = 0) -> nn.Module:
    """Full-batch Adam on cross-entropy; returns the trained model in eval mode."""
    torch.manual_seed(seed)
    model = make_model()
    x, y = torch.from_numpy(features), torch.from_numpy(labels)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model.eval()


def accuracy(model: nn.Module, features, labels) -> float:
    x, y = torch.from_numpy(features), torch.from_numpy(labels)
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def share_beyond(values: np.ndarray, reference: np.ndarray, quantile: float = 0.99) -> float:
    """Share of `values` above the reference's quantile: a label-free sign of drift."""
    return float(np.mean(values > np.quantile(reference, quantile)))


# --8<-- [start:core]
def drift_table(seed: int = 0) -> list[dict]:
    """Train on month 0, then score every month with the frozen models and a retrained one."""
    rng = np.random.default_rng(seed)
    x_train, y_train = month_data(0, N_PER_MONTH, rng)
    frozen = {"linear": fit(make_linear, x_train, y_train), "mlp": fit(make_mlp, x_train, y_train)}
    rows = []
    for month in MONTHS:
        x_test, y_test = month_data(month, N_PER_MONTH, rng)  # fresh examples, never trained on
        x_fresh, y_fresh = month_data(month, N_PER_MONTH, rng)  # this month's training data
        rows.append(
            {
                "month": month,
                "mean_x1": float(x_test[:, 0].mean()),
                "beyond_p99": share_beyond(x_test[:, 0], x_train[:, 0]),
                "linear_frozen": accuracy(frozen["linear"], x_test, y_test),
                "mlp_frozen": accuracy(frozen["mlp"], x_test, y_test),
                "mlp_retrained": accuracy(fit(make_mlp, x_fresh, y_fresh), x_test, y_test),
            }
        )
    return rows


# --8<-- [end:core]


def plot_accuracy(rows):
    fig, ax = plt.subplots()
    months = [r["month"] for r in rows]
    labels = {
        "linear_frozen": "linear, trained on month 0",
        "mlp_frozen": "MLP, trained on month 0",
        "mlp_retrained": "MLP, retrained on each month",
    }
    for key, label in labels.items():
        ax.plot(months, [r[key] for r in rows], marker="o", label=label)
    ax.set_xlabel("month (feature 1 drifts upwards)")
    ax.set_ylabel("accuracy on that month's data")
    ax.set_ylim(0.4, 1.0)
    ax.legend()
    return fig


def main() -> None:
    torch.set_num_threads(1)  # tiny models: more threads only add overhead
    rows = drift_table()
    print("Trained on month 0; every month is scored on fresh examples from that month.")
    print("The label rule never changes; only the inputs drift.\n")
    header = ("month", "mean x1", "beyond p99", "linear", "MLP", "MLP retrained")
    print(f"{header[0]:>5}{header[1]:>9}{header[2]:>12}{header[3]:>9}{header[4]:>9}{header[5]:>15}")
    for r in rows:
        print(
            f"{r['month']:>5}{r['mean_x1']:>9.2f}{r['beyond_p99']:>12.1%}{r['linear_frozen']:>9.3f}"
            f"{r['mlp_frozen']:>9.3f}{r['mlp_retrained']:>15.3f}"
        )
    first, last = rows[0], rows[-1]
    print(
        f"\nFrozen MLP: {first['mlp_frozen']:.3f} on month 0, which is what a random validation"
        f"\nsplit of the training month reports; {last['mlp_frozen']:.3f} on month {last['month']}."
    )

    worst = min(rows, key=lambda r: r["mlp_frozen"])
    alt = (
        f"Line chart of accuracy against month, 0 to {last['month']}. The MLP trained on month 0 "
        f"falls from {first['mlp_frozen']:.2f} to a low of {worst['mlp_frozen']:.2f} in month "
        f"{worst['month']}; the linear model trained on month 0 falls from "
        f"{first['linear_frozen']:.2f} to {last['linear_frozen']:.2f}; an MLP retrained on each "
        f"month stays between {min(r['mlp_retrained'] for r in rows):.2f} and "
        f"{max(r['mlp_retrained'] for r in rows):.2f}."
    )
    caption = (
        "Same label rule, drifting inputs: the models frozen at month 0 lose accuracy as the "
        "inputs move away from what they were trained on (the MLP down to "
        f"{worst['mlp_frozen']:.2f}), while the same MLP retrained on recent data keeps its "
        "accuracy. A more flexible model does not fix extrapolation; fresh data does."
    )
    fig = plot_accuracy(rows)
    fig.savefig("covariate_shift.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
