"""Weak supervision: label 5,000 toy messages with five labeling functions, no hand labels.

Each labeling function (LF) is a rule that votes SPAM, HAM or abstains. We measure each rule on a
small hand-labelled dev set, combine the votes by majority, and train a logistic regression on
the resulting noisy labels. The model uses every word, so it also labels the messages on which
no rule fired.
"""

import numpy as np
import torch
from torch import nn

SPAM, HAM, ABSTAIN = 1, 0, -1
# word: (probability it appears in a spam message, in a ham message)
WORDS = {
    "free": (0.35, 0.03), "winner": (0.25, 0.01), "prize": (0.25, 0.01), "click": (0.35, 0.03),
    "offer": (0.30, 0.03), "cash": (0.20, 0.02), "urgent": (0.20, 0.05), "http": (0.40, 0.10),
    "call": (0.30, 0.25), "now": (0.40, 0.20), "meeting": (0.02, 0.30), "tomorrow": (0.05, 0.30),
    "thanks": (0.05, 0.35), "report": (0.02, 0.25), "project": (0.02, 0.25), "lunch": (0.02, 0.15),
    "you": (0.60, 0.50), "today": (0.30, 0.30), "team": (0.05, 0.30), "please": (0.30, 0.35),
}  # fmt: skip
N_OTHER = 300  # other words, each weakly tied to one class: real text has a long vocabulary
SPAM_SHARE = 0.3


def word_probabilities(rng: np.random.Generator) -> np.ndarray:
    """(words, 2) probabilities of appearing in spam and in ham: the named words, then N_OTHER
    others whose spam rate differs from their ham rate by a random factor."""
    ham = rng.uniform(0.01, 0.08, N_OTHER)
    spam = np.clip(ham * np.exp(rng.normal(0.0, 0.7, N_OTHER)), 0.0, 0.5)
    return np.vstack([np.array(list(WORDS.values())), np.stack([spam, ham], axis=1)])


VOCAB = list(WORDS) + [f"word{i}" for i in range(N_OTHER)]
PROBS = word_probabilities(np.random.default_rng(42))


def make_messages(n: int, rng: np.random.Generator):
    """Bag-of-words messages (n, len(VOCAB)) of 0/1 and their true labels."""
    labels = (rng.random(n) < SPAM_SHARE).astype(int)
    probs = np.where(labels[:, None] == SPAM, PROBS[:, 0], PROBS[:, 1])
    return (rng.random((n, len(VOCAB))) < probs).astype(np.float32), labels


def has(x, *words):
    """True for the messages that contain any of `words`."""
    return x[:, [VOCAB.index(w) for w in words]].any(axis=1)


# --8<-- [start:core]
LABELING_FUNCTIONS = {
    "free or prize -> SPAM": lambda x: np.where(has(x, "free", "prize"), SPAM, ABSTAIN),
    "link -> SPAM": lambda x: np.where(has(x, "http"), SPAM, ABSTAIN),
    "meeting or tomorrow -> HAM": lambda x: np.where(has(x, "meeting", "tomorrow"), HAM, ABSTAIN),
    "thanks -> HAM": lambda x: np.where(has(x, "thanks"), HAM, ABSTAIN),
    "call -> HAM": lambda x: np.where(has(x, "call"), HAM, ABSTAIN),  # a careless rule
}


def apply_lfs(x, lfs=LABELING_FUNCTIONS) -> np.ndarray:
    """The label matrix: one column per labeling function, entries SPAM, HAM or ABSTAIN."""
    return np.stack([lf(x) for lf in lfs.values()], axis=1)


def lf_summary(votes: np.ndarray, truth: np.ndarray) -> list[dict]:
    """Per LF: coverage, overlap (another LF also voted), conflict (another LF voted otherwise)
    and accuracy where it voted. Accuracy needs truth, so compute it on a small dev set."""
    rows = []
    for j in range(votes.shape[1]):
        fired = votes[:, j] != ABSTAIN
        others = np.delete(votes, j, axis=1)
        voted = others != ABSTAIN
        disagree = voted & (others != votes[:, [j]])
        rows.append(
            {
                "coverage": fired.mean(),
                "overlap": (fired & voted.any(axis=1)).mean(),
                "conflict": (fired & disagree.any(axis=1)).mean(),
                "accuracy": (votes[fired, j] == truth[fired]).mean(),
            }
        )
    return rows


def majority_vote(votes: np.ndarray) -> np.ndarray:
    """SPAM or HAM by majority of the non-abstaining LFs; ABSTAIN when none voted or on a tie."""
    spam, ham = (votes == SPAM).sum(axis=1), (votes == HAM).sum(axis=1)
    return np.select([spam > ham, ham > spam], [SPAM, HAM], ABSTAIN)


# --8<-- [end:core]


def train_logistic(x, y, steps: int = 300, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Linear(x.shape[1], 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.float32))
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(xt).squeeze(1), yt).backward()
        optimizer.step()
    return model


@torch.no_grad()
def predict(model, x) -> np.ndarray:
    return (model(torch.from_numpy(x)).squeeze(1) > 0).numpy().astype(int)


def main():
    torch.set_num_threads(1)  # small matrices: extra threads cost more than they save
    rng = np.random.default_rng(0)
    x_train, y_train = make_messages(5_000, rng)  # labels unused: pretend we do not have them
    x_dev, y_dev = make_messages(200, rng)  # a small hand-labelled set to judge the rules
    x_test, y_test = make_messages(5_000, rng)
    print(f"Messages: {len(VOCAB)} words each present or not, {SPAM_SHARE:.0%} spam.\n")

    print("Labeling functions, measured on the 200 hand-labelled dev messages:\n")
    print(f"{'labeling function':<28}{'coverage':>9}{'overlap':>9}{'conflict':>9}{'accuracy':>9}")
    for name, row in zip(LABELING_FUNCTIONS, lf_summary(apply_lfs(x_dev), y_dev), strict=True):
        print(f"{name:<28}" + "".join(f"{row[k]:>9.2f}" for k in row))

    careful = {k: lf for k, lf in LABELING_FUNCTIONS.items() if k != "call -> HAM"}
    test_vote = majority_vote(apply_lfs(x_test))
    test_covered = test_vote != ABSTAIN
    print(f"\nTraining labels for the {len(y_train):,} messages, and test accuracy of the model")
    print(f"trained on them ({len(y_test):,} test messages; 'covered': the vote of all five LFs")
    print(f"gives a label, true for {test_covered.mean():.1%} of them):\n")
    print(
        f"{'training labels':<30}{'labelled':>9}{'label acc':>10}"
        f"{'covered':>9}{'uncovered':>10}{'all':>7}"
    )
    rows = {
        "200 hand labels (dev set)": (x_dev, y_dev, y_dev),
        "5,000 true labels (oracle)": (x_train, y_train, y_train),
    }
    for name, lfs in (
        ("vote of all five LFs", LABELING_FUNCTIONS),
        ("vote without 'call'", careful),
    ):
        weak = majority_vote(apply_lfs(x_train, lfs))
        keep = weak != ABSTAIN
        rows[name] = (x_train[keep], weak[keep], y_train[keep])
    for name, (x, y, truth) in rows.items():
        pred = predict(train_logistic(x, y), x_test)
        everything = np.ones_like(test_covered)
        acc = [np.mean(pred[m] == y_test[m]) for m in (test_covered, ~test_covered, everything)]
        print(
            f"{name:<30}{len(y):>9,}{np.mean(y == truth):>10.3f}"
            f"{acc[0]:>9.3f}{acc[1]:>10.3f}{acc[2]:>7.3f}"
        )
    vote_acc = np.mean(test_vote[test_covered] == y_test[test_covered])
    print(f"\nThe vote itself, on the covered test messages: accuracy {vote_acc:.3f}.")
    print(f"Always predicting HAM on the uncovered ones: {1 - y_test[~test_covered].mean():.3f}.")


if __name__ == "__main__":
    main()
