"""Evaluate per group, and see why dropping the protected attribute does not remove a gap.

Two made-up lending data sets in which applicants of groups A (80%) and B (20%) are equally
qualified. In the first, the training labels are past decisions that turned down some qualified
applicants of group B: a labelling bias. In the second, the labels are right but one feature
measures group B's qualification too low: a measurement bias. A postcode-like feature says
nothing about qualification but is strongly correlated with the group: a proxy. A logistic
regression is trained with three feature sets and evaluated per group against the true outcome.
"""

import numpy as np

SHARE_B = 0.2


def make_data(n: int, bias: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    group = (rng.random(n) < SHARE_B).astype(float)  # 1 = group B
    qualified = rng.normal(0, 1, n)
    outcome = (qualified + rng.normal(0, 0.5, n) > 0.3).astype(float)  # would repay
    score = qualified + rng.normal(0, 0.6, n)  # e.g. a credit score
    if bias == "measurement":
        score -= 0.8 * group  # the score under-measures group B
    proxy = group + rng.normal(0, 0.2, n)  # e.g. postcode: says who, not how qualified
    label = outcome.copy()  # what the training data records
    if bias == "labels":  # past decisions turned down 35% of qualified B applicants
        label[(group == 1) & (outcome == 1) & (rng.random(n) < 0.35)] = 0.0
    return {"group": group, "outcome": outcome, "label": label, "score": score, "proxy": proxy}


# --8<-- [start:core]
FEATURE_SETS = {
    "score, proxy, group": ["score", "proxy", "group"],
    "score, proxy": ["score", "proxy"],  # "fairness through unawareness"
    "score only": ["score"],
}


def fit_logistic(x: np.ndarray, y: np.ndarray, iterations: int = 25) -> np.ndarray:
    """Logistic regression by Newton's method (with an intercept and a tiny ridge)."""
    xb = np.c_[x, np.ones(len(x))]
    w = np.zeros(xb.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-xb @ w))
        hessian = xb.T @ (xb * (p * (1 - p))[:, None]) + 1e-6 * np.eye(len(w))
        w -= np.linalg.solve(hessian, xb.T @ (p - y))
    return w


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return (np.c_[x, np.ones(len(x))] @ w > 0).astype(float)


def group_metrics(pred, truth, group) -> dict[str, dict[str, float]]:
    """Accuracy, true positive rate (qualified and approved) and false positive rate per group."""
    out = {}
    for name, g in (("A", 0.0), ("B", 1.0)):
        m = group == g
        p, t = pred[m], truth[m]
        out[name] = {
            "accuracy": float(np.mean(p == t)),
            "tpr": float(p[t == 1].mean()),
            "fpr": float(p[t == 0].mean()),
            "approved": float(p.mean()),
        }
    return out


def evaluate(bias: str, features: list[str], n: int = 20_000, seed: int = 0):
    rng = np.random.default_rng(seed)
    train, test = make_data(n, bias, rng), make_data(n, bias, rng)
    w = fit_logistic(np.c_[tuple(train[f] for f in features)], train["label"])
    pred = predict(w, np.c_[tuple(test[f] for f in features)])
    return group_metrics(pred, test["outcome"], test["group"])  # judged on the true outcome


# --8<-- [end:core]


def proxy_accuracy(seed: int = 0) -> float:
    """How well the proxy alone recovers the group (a threshold halfway between groups)."""
    data = make_data(20_000, "labels", np.random.default_rng(seed))
    return float(np.mean((data["proxy"] > 0.5) == (data["group"] == 1)))


def main():
    print(f"Group B is {SHARE_B:.0%} of applicants; both groups are equally qualified.")
    print(f"The proxy alone tells the groups apart {proxy_accuracy():.1%} of the time.\n")
    head = (
        f"{'features':<22}{'acc A':>7}{'acc B':>7}{'TPR A':>7}{'TPR B':>7}"
        f"{'FPR A':>7}{'FPR B':>7}{'TPR gap':>9}"
    )
    for bias, title in (
        ("labels", "1. Labelling bias: past decisions turned down qualified B applicants"),
        ("measurement", "2. Measurement bias: the score reads B applicants too low"),
    ):
        print(title)
        print(head)
        for name, features in FEATURE_SETS.items():
            m = evaluate(bias, features)
            a, b = m["A"], m["B"]
            gap = round(a["tpr"] - b["tpr"], 3) + 0.0  # + 0.0 turns -0.0 into 0.0
            print(
                f"{name:<22}{a['accuracy']:>7.3f}{b['accuracy']:>7.3f}{a['tpr']:>7.3f}"
                f"{b['tpr']:>7.3f}{a['fpr']:>7.3f}{b['fpr']:>7.3f}{gap:>9.3f}"
            )
        print()
    print("TPR: share of applicants who would repay that the model approves.")
    print("FPR: share of applicants who would not repay that the model approves.")


if __name__ == "__main__":
    main()
