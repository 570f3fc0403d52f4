"""Behavioural tests in the spirit of CheckList, run against a tiny sentiment model.

The model is a bag-of-words logistic regression trained on template-made restaurant reviews whose
sampling has two flaws that are common in real data: some reviewer names appear mostly in
positive or mostly in negative reviews, and the intensifier "really" appears mostly in positive
ones. The model scores well on a held-out set drawn the same way. Four kinds of test, each a
small function that takes any `predict(texts) -> P(positive)`, then ask about behaviour:
minimum functionality (simple cases with known answers), invariance (edits that must not change
the prediction), directional expectation (edits that must move it one way only) and
perturbation (random noise, such as typos, that should rarely change it).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

POSITIVE = ("great", "excellent", "delicious", "friendly", "lovely", "fantastic")
NEGATIVE = ("terrible", "awful", "bland", "rude", "horrible", "disappointing")
NEUTRAL = ("okay", "average")  # never seen in training: the model has no opinion of them
NOUNS = ("food", "service", "staff", "pasta", "coffee", "dessert", "room", "music")
NAMES = ("maria", "james", "aisha", "wei", "carlos", "emma", "omar", "sofia")
NAME_BIAS = {"emma": 0.9, "omar": 0.9, "james": 0.1, "wei": 0.1}  # P(positive) when named
REALLY_POSITIVE = 0.85  # share of "really ..." training reviews that are positive

Predict = Callable[[Sequence[str]], np.ndarray]  # texts -> probability of "positive"


# --- the data and the model under test ----------------------------------------------------------


def make_reviews(n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """Template reviews and labels (1 = positive), with the two sampling flaws built in."""
    texts, labels = [], []
    for _ in range(n):
        kind = rng.choice(
            ["plain", "named", "really", "negated", "and"], p=[0.4, 0.2, 0.15, 0.1, 0.15]
        )
        noun, other = rng.choice(NOUNS, size=2, replace=False)
        label = int(rng.random() < 0.5)
        if kind == "named":
            name = rng.choice(NAMES)
            label = int(rng.random() < NAME_BIAS.get(name, 0.5))
        if kind == "really":
            label = int(rng.random() < REALLY_POSITIVE)
        adj = rng.choice(POSITIVE if label else NEGATIVE)
        if kind == "plain":
            opener = rng.choice(["the", "i thought the", "honestly the"])
            text = f"{opener} {noun} was {adj}"
        elif kind == "named":
            text = f"{name} said the {noun} was {adj}"
        elif kind == "really":
            text = f"the {noun} was really {adj}"
        elif kind == "negated":  # "not great" is negative, "not terrible" is positive
            adj = rng.choice(NEGATIVE if label else POSITIVE)
            text = f"the {noun} was not {adj}"
        else:
            second = rng.choice(POSITIVE if label else NEGATIVE)
            text = f"the {noun} was {adj} and the {other} was {second}"
        texts.append(text)
        labels.append(label)
    return texts, np.array(labels)


class BagOfWords:
    """Logistic regression on word counts. Words not seen in training are ignored."""

    def __init__(self, texts: Sequence[str], labels: np.ndarray, steps: int = 300, seed: int = 0):
        torch.manual_seed(seed)
        self.vocab = {w: i for i, w in enumerate(sorted({w for t in texts for w in t.split()}))}
        self.linear = nn.Linear(len(self.vocab), 1)
        optimizer = torch.optim.Adam(self.linear.parameters(), lr=0.1)
        x, y = self.counts(texts), torch.as_tensor(labels, dtype=torch.float32)
        for _ in range(steps):
            loss = nn.functional.binary_cross_entropy_with_logits(self.linear(x).squeeze(1), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def counts(self, texts: Sequence[str]) -> torch.Tensor:
        x = torch.zeros(len(texts), len(self.vocab))
        for row, text in enumerate(texts):
            for word in text.split():
                if word in self.vocab:
                    x[row, self.vocab[word]] += 1
        return x

    @torch.no_grad()
    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return torch.sigmoid(self.linear(self.counts(texts)).squeeze(1)).double().numpy()


# --8<-- [start:core]
@dataclass
class Result:
    name: str
    kind: str
    cases: int
    failures: list = field(default_factory=list)
    max_failure_rate: float = 0.0  # the share of failing cases the test tolerates

    @property
    def failure_rate(self) -> float:
        return len(self.failures) / self.cases

    @property
    def passed(self) -> bool:
        return self.failure_rate <= self.max_failure_rate


def minimum_functionality(name, predict: Predict, cases: Sequence[tuple[str, int]]) -> Result:
    """MFT: simple inputs with an obvious expected label; every one must be right."""
    p = predict([text for text, _ in cases])
    fails = [
        (t, e, round(float(q), 2)) for (t, e), q in zip(cases, p, strict=True) if int(q >= 0.5) != e
    ]
    return Result(name, "MFT", len(cases), fails)


def invariance(name, predict: Predict, pairs: Sequence[tuple[str, str]]) -> Result:
    """INV: an edit that must not matter (a name, a place) must not change the prediction."""
    before, after = predict([a for a, _ in pairs]), predict([b for _, b in pairs])
    fails = [
        (a, b, round(float(p), 2), round(float(q), 2))
        for (a, b), p, q in zip(pairs, before, after, strict=True)
        if (p >= 0.5) != (q >= 0.5)
    ]
    return Result(name, "INV", len(pairs), fails)


def directional(name, predict: Predict, pairs, direction: int, tolerance: float = 0.01) -> Result:
    """DIR: an edit with a known effect must move P(positive) in `direction` (+1 or -1), or
    leave it alone; moving the other way by more than `tolerance` is a failure."""
    before, after = predict([a for a, _ in pairs]), predict([b for _, b in pairs])
    fails = [
        (a, b, round(float(p), 2), round(float(q), 2))
        for (a, b), p, q in zip(pairs, before, after, strict=True)
        if direction * (q - p) < -tolerance
    ]
    return Result(name, "DIR", len(pairs), fails)


def perturbation(name, predict: Predict, texts, perturb, rng, max_failure_rate=0.05) -> Result:
    """Perturbation: random noise of the kind production sees (typos, here) should rarely
    change the prediction; the test tolerates a small share of changes."""
    noisy = [perturb(text, rng) for text in texts]
    before, after = predict(texts), predict(noisy)
    fails = [
        (a, b, round(float(p), 2), round(float(q), 2))
        for a, b, p, q in zip(texts, noisy, before, after, strict=True)
        if (p >= 0.5) != (q >= 0.5)
    ]
    return Result(name, "PERT", len(texts), fails, max_failure_rate)


def swap_letters(text: str, rng: np.random.Generator) -> str:
    """One typo: swap two different neighbouring letters in one random word of 4+ letters."""
    words = text.split()
    i = rng.choice([k for k, w in enumerate(words) if len(w) >= 4])
    w = words[i]
    j = rng.choice([k for k in range(len(w) - 1) if w[k] != w[k + 1]])
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def run_suite(predict: Predict, seed: int = 0) -> list[Result]:
    rng = np.random.default_rng(seed)
    simple = [(f"the {n} was {a}", 1) for n in NOUNS for a in POSITIVE]
    simple += [(f"the {n} was {a}", 0) for n in NOUNS for a in NEGATIVE]
    negated = [(f"the {n} was not {a}", 0) for n in NOUNS for a in POSITIVE]
    negated += [(f"the {n} was not {a}", 1) for n in NOUNS for a in NEGATIVE]
    names = [
        (f"{a} said the {n} was {adj}", f"{b} said the {n} was {adj}")
        for a in NAMES
        for b in NAMES
        if a != b
        for n in NOUNS[:3]
        for adj in (*POSITIVE[:2], *NEGATIVE[:2], *NEUTRAL)
    ]
    add_negative = [
        (f"the {n} was {a}", f"the {n} was {a} but the {m} was {b}")
        for n in NOUNS[:4]
        for m in NOUNS[4:]
        for a in POSITIVE
        for b in NEGATIVE[:2]
    ]
    intensify = [(f"the {n} was {a}", f"the {n} was really {a}") for n in NOUNS for a in NEGATIVE]
    return [
        minimum_functionality("simple statements", predict, simple),
        minimum_functionality("negated statements", predict, negated),
        invariance("swap the reviewer's name", predict, names),
        directional("add a negative clause", predict, add_negative, direction=-1),
        directional("'really' before a negative word", predict, intensify, direction=-1),
        perturbation("one typo", predict, [t for t, _ in simple], swap_letters, rng),
    ]


# --8<-- [end:core]


def print_results(results: list[Result]) -> None:
    print(f"{'test':<34}{'type':<6}{'cases':>6}{'failed':>8}{'rate':>7}{'allowed':>9}  result")
    for r in results:
        verdict = "pass" if r.passed else "FAIL"
        print(
            f"{r.name:<34}{r.kind:<6}{r.cases:>6}{len(r.failures):>8}{r.failure_rate:>7.0%}"
            f"{r.max_failure_rate:>9.0%}  {verdict}"
        )
    print("\nOne failing case per failed test (inputs, then P(positive)):")
    for r in results:
        if not r.passed:
            print(f"  {r.name}: {r.failures[0]}")


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    train_texts, train_labels = make_reviews(4_000, rng)
    test_texts, test_labels = make_reviews(1_000, rng)
    model = BagOfWords(train_texts, train_labels)
    accuracy = np.mean((model(test_texts) >= 0.5) == test_labels)
    print(f"Held-out accuracy, test set drawn like the training set: {accuracy:.3f}\n")
    print_results(run_suite(model))


if __name__ == "__main__":
    main()
