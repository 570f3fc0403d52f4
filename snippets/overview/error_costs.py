"""Mistakes must be cheap: the same model is worth deploying in one setting and not in another.

Expected cost per decision = cost of making the decision + error rate x cost of an error.
A trained classifier is compared with people deciding every case, and with a hybrid in which
people decide only the cases the model is least sure about.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

# Assumed costs in dollars per decision; errors cost the same whichever way they go.
SETTINGS = {
    "cheap mistakes (route support tickets)": {"error": 1.00, "human": 0.25},
    "costly mistakes (approve insurance claims)": {"error": 200.0, "human": 10.00},
}
MODEL_COST = 0.001  # serving one prediction
HUMAN_ERROR_RATE = 0.02  # assumed: careful people still err
FRACTIONS = np.linspace(0.0, 1.0, 21)  # share of cases sent to people


def gaussian_blobs(n: int, positive_rate: float, separation: float, rng, n_features: int = 5):
    """Gaussian classes; positives shifted by `separation` along every feature."""
    labels = (rng.random(n) < positive_rate).astype(np.int64)
    features = rng.normal(size=(n, n_features)) + separation * labels[:, None]
    return features.astype(np.float32), labels


def train_val_split(features, labels, val_fraction: float, rng):
    """Shuffle and split arrays into (x_train, y_train, x_val, y_val)."""
    order = rng.permutation(len(labels))
    n_val = int(round(val_fraction * len(labels)))
    val, train = order[:n_val], order[n_val:]
    return features[train], labels[train], features[val], labels[val]


def train_scores(seed: int = 0):
    """A logistic regression on 5-feature Gaussian classes; returns P(y=1) and labels (held out)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    features, labels = gaussian_blobs(4000, positive_rate=0.5, separation=1.0, rng=rng)
    x_train, y_train, x_test, y_test = train_val_split(features, labels, val_fraction=0.5, rng=rng)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train.astype(np.float32))
    xv = torch.from_numpy(x_test)
    model = nn.Linear(xt.shape[1], 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    for _ in range(200):
        optimizer.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(xt).squeeze(1), yt).backward()
        optimizer.step()
    with torch.no_grad():
        return torch.sigmoid(model(xv).squeeze(1)).numpy(), y_test


# --8<-- [start:core]
def hybrid_cost(probs, labels, defer_fraction, error_cost, human_cost) -> dict[str, float]:
    """Expected cost per decision when people decide the least confident `defer_fraction`.

    The model decides the rest at threshold 0.5 (right for symmetric error costs). People cost
    `human_cost` per case and err at HUMAN_ERROR_RATE.
    """
    n = len(labels)
    n_deferred = int(round(defer_fraction * n))
    confidence = np.abs(probs - 0.5)
    by_confidence = np.argsort(confidence, kind="stable")  # least confident first
    model_cases = by_confidence[n_deferred:]
    model_errors = np.sum((probs[model_cases] >= 0.5) != labels[model_cases].astype(bool))
    errors = model_errors + HUMAN_ERROR_RATE * n_deferred
    cost = (n - n_deferred) * MODEL_COST + n_deferred * human_cost + errors * error_cost
    return {"error_rate": float(errors / n), "cost": float(cost / n)}


def break_even_accuracy(error_cost: float, human_cost: float) -> float:
    """Model accuracy above which the model alone is cheaper than people alone.

    Solve MODEL_COST + (1 - a) E = human_cost + HUMAN_ERROR_RATE E for a.
    """
    return 1.0 - HUMAN_ERROR_RATE - (human_cost - MODEL_COST) / error_cost


def rule_fraction(probs, error_cost: float, human_cost: float) -> float:
    """Share of cases to send to people by the per-case rule: P(model wrong) > 1 - break-even.

    With calibrated probabilities, min(p, 1 - p) is the chance that the model's decision is wrong.
    """
    p_wrong = np.minimum(probs, 1.0 - probs)
    return float(np.mean(p_wrong > 1.0 - break_even_accuracy(error_cost, human_cost)))


# --8<-- [end:core]


def cost_curve(probs, labels, costs) -> list[dict]:
    return [hybrid_cost(probs, labels, f, costs["error"], costs["human"]) for f in FRACTIONS]


def plot_curves(curves: dict[str, list[dict]]):
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.8))
    for ax, (name, curve) in zip(axes, curves.items(), strict=True):
        costs = [c["cost"] for c in curve]
        best = int(np.argmin(costs))
        ax.plot(100 * FRACTIONS, costs, marker="o", markersize=3, label="model + people")
        ax.plot(
            100 * FRACTIONS[best],
            costs[best],
            marker="*",
            markersize=14,
            linestyle="none",
            color="C2",
            label="cheapest mix",
        )
        ax.axhline(costs[-1], linestyle="--", color="C1", label="people decide all")
        ax.set_title(name.split(" (")[0], fontsize=11)
        ax.set_xlabel("cases sent to people (%)")
        ax.set_ylabel("expected cost per decision ($)")
        ax.set_ylim(bottom=0)
    axes[0].legend()
    fig.tight_layout()
    return fig


def main() -> None:
    torch.set_num_threads(1)  # a tiny model: more threads only add overhead
    probs, labels = train_scores()
    accuracy = np.mean((probs >= 0.5) == labels.astype(bool))
    print(f"Model: logistic regression, accuracy {accuracy:.3f} on {len(labels)} held-out cases.")
    print(f"People: assumed error rate {HUMAN_ERROR_RATE:.0%}; model: ${MODEL_COST} per case.\n")
    curves, best = {}, {}
    for name, costs in SETTINGS.items():
        curves[name] = curve = cost_curve(probs, labels, costs)
        best[name] = i = int(np.argmin([c["cost"] for c in curve]))
        print(
            f"{name}: an error costs ${costs['error']:g}, a person ${costs['human']:.2f} per case"
        )
        floor = break_even_accuracy(costs["error"], costs["human"])
        by_rule = rule_fraction(probs, costs["error"], costs["human"])
        print(f"  break-even model accuracy: {floor:.3f}")
        print(f"  {'policy':<38}{'error rate':>11}{'$ per decision':>16}")
        policies = [
            ("model decides all", curve[0]),
            ("people decide all", curve[-1]),
            (f"people decide least sure {FRACTIONS[i]:.0%}", curve[i]),
            (
                f"people when P(wrong) > {1 - floor:.3f} ({by_rule:.0%})",
                hybrid_cost(probs, labels, by_rule, costs["error"], costs["human"]),
            ),
        ]
        for label, c in policies:
            print(f"  {label:<38}{c['error_rate']:>11.3f}{c['cost']:>16.3f}")
        print()

    cheap, costly = SETTINGS
    c_best, k_best = FRACTIONS[best[cheap]], FRACTIONS[best[costly]]
    k_curve = curves[costly]
    alt = (
        "Two line charts of expected cost per decision against the share of cases sent to "
        "people, from 0 to 100 percent, with a dashed line for people deciding everything and a "
        "star at the cheapest mix. "
        f"Cheap mistakes: the lowest cost is at {c_best:.0%} sent to people, "
        f"${curves[cheap][best[cheap]]['cost']:.3f} against ${curves[cheap][-1]['cost']:.3f} for "
        f"people alone. Costly mistakes: the model alone costs ${k_curve[0]['cost']:.2f}, people "
        f"alone ${k_curve[-1]['cost']:.2f}, and the lowest cost, "
        f"${k_curve[best[costly]]['cost']:.2f}, is at {k_best:.0%} sent to people."
    )
    ratio = k_curve[0]["cost"] / k_curve[-1]["cost"]
    caption = (
        f"The same {accuracy:.0%}-accurate model. Where mistakes are cheap it beats people on its "
        f"own, and is cheapest when people take the {c_best:.0%} of cases it is least sure about. "
        f"Where mistakes are costly, deploying it alone costs {ratio:.1f} times as much as people, "
        f"yet letting it decide only the {1 - k_best:.0%} it is surest about beats both."
    )
    fig = plot_curves(curves)
    fig.savefig("error_costs.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
