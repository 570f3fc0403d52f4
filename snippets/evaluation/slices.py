"""Slice-based evaluation: a credit-default model that looks fine overall and fails one slice.

Applicants with a thin credit file (few years of history, 6% of applicants) have no meaningful
credit score; for them, default depends on income stability instead. A logistic regression
fitted to everyone learns the majority's rule. Its overall numbers are good; the per-slice table
shows that it is barely better than a coin for thin-file applicants and underestimates their
default rate. Letting the model treat the slice differently fixes the slice and hardly moves the
overall numbers, so the overall numbers could not have told you about the fix either.
"""

import numpy as np
import torch
from torch import nn

N_TRAIN, N_TEST = 20_000, 20_000
THIN_SHARE = 0.06
FEATURES = ("credit score", "debt ratio", "income stability", "thin file")


def one_rule(x: np.ndarray) -> np.ndarray:
    """The three applicant features only: one rule for everyone."""
    return x[:, :3]


def with_interactions(x: np.ndarray) -> np.ndarray:
    """Add the thin-file flag and flag x feature columns: the slice may get its own rule."""
    thin = x[:, 3:4]
    return np.hstack([x, x[:, :3] * thin]).astype(np.float32)


def fit_logistic(x: np.ndarray, y: np.ndarray, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Linear(x.shape[1], 1)
    optimizer = torch.optim.LBFGS(model.parameters(), max_iter=50, line_search_fn="strong_wolfe")
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).float()

    def closure():
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(xt).squeeze(1), yt)
        loss.backward()
        return loss

    optimizer.step(closure)
    return model


@torch.no_grad()
def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    return torch.sigmoid(model(torch.from_numpy(x)).squeeze(1)).double().numpy()


# --8<-- [start:core]
def make_applicants(n: int, rng: np.random.Generator):
    """Standardised features, the thin-file flag, and default labels (1 = defaulted)."""
    thin = rng.random(n) < THIN_SHARE
    score = rng.normal(size=n)
    score[thin] = rng.normal(scale=0.1, size=thin.sum())  # imputed near the mean: no information
    debt, stability = rng.normal(size=n), rng.normal(size=n)
    logit = np.where(
        thin,
        -0.6 + 0.4 * debt - 2.0 * stability,  # thin file: income stability carries the risk
        -2.0 - 1.8 * score + 0.8 * debt,  # everyone else: the credit score does
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    x = np.stack([score, debt, stability, thin.astype(float)], axis=1).astype(np.float32)
    return x, y, thin


def auc(scores, labels) -> float:
    """Area under the ROC curve: the chance that a random positive outranks a random negative
    (ties count one half), computed from ranks (the Mann-Whitney U statistic)."""
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels).astype(bool)
    order = np.argsort(scores)
    ordered = scores[order]
    first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # start of each tie group
    counts = np.diff(np.r_[first, len(scores)])
    ranks = np.empty(len(scores))
    ranks[order] = np.repeat(first + (counts + 1) / 2, counts)  # ties share their mean rank
    n_pos, n_neg = labels.sum(), (~labels).sum()
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def bootstrap_interval(stat, probs, labels, rng, repeats: int = 200, level: float = 0.95):
    """Percentile bootstrap interval of stat(probs, labels) over resampled examples."""
    n = len(labels)
    values = [stat(probs[idx], labels[idx]) for idx in rng.integers(0, n, size=(repeats, n))]
    tail = (1 - level) / 2
    return tuple(np.quantile(values, [tail, 1 - tail]))


def slice_report(probs, labels, slices: dict[str, np.ndarray], rng) -> dict[str, dict]:
    """Per slice: size, accuracy at 0.5 next to the slice's own majority-class accuracy, AUC
    with a bootstrap interval, and mean predicted versus observed default rate."""
    report = {}
    for name, members in slices.items():
        p, y = probs[members], labels[members]
        report[name] = {
            "n": int(members.sum()),
            "accuracy": float(np.mean((p >= 0.5) == y)),
            "majority accuracy": float(max(y.mean(), 1 - y.mean())),
            "auc": auc(p, y),
            "auc interval": bootstrap_interval(auc, p, y, rng),
            "predicted rate": float(p.mean()),
            "observed rate": float(y.mean()),
        }
    return report


# --8<-- [end:core]


def run(seed: int = 0):
    rng = np.random.default_rng(seed)
    x_train, y_train, _ = make_applicants(N_TRAIN, rng)
    x_test, y_test, thin = make_applicants(N_TEST, rng)
    slices = {"all applicants": np.ones(N_TEST, bool), "thick file": ~thin, "thin file": thin}
    reports = {}
    for name, design in (
        ("one rule for everyone", one_rule),
        ("thin-file terms", with_interactions),
    ):
        model = fit_logistic(design(x_train), y_train, seed)
        reports[name] = slice_report(predict(model, design(x_test)), y_test, slices, rng)
    return reports


def main():
    torch.set_num_threads(1)
    reports = run()
    for model, report in reports.items():
        print(f"Logistic regression, {model}:")
        print(
            f"{'slice':<16}{'n':>7}{'acc':>7}{'majority':>10}{'AUC':>7}{'95% interval':>16}", end=""
        )
        print(f"{'predicted':>11}{'observed':>10}")
        for name, r in report.items():
            low, high = r["auc interval"]
            print(
                f"{name:<16}{r['n']:>7}{r['accuracy']:>7.3f}{r['majority accuracy']:>10.3f}", end=""
            )
            print(f"{r['auc']:>7.3f}{f'{low:.3f}-{high:.3f}':>16}", end="")
            print(f"{r['predicted rate']:>11.3f}{r['observed rate']:>10.3f}")
        print()
    print("acc: accuracy at p >= 0.5; majority: accuracy of always predicting the slice's most")
    print("common outcome; predicted/observed: mean predicted and actual default rate.")


if __name__ == "__main__":
    main()
