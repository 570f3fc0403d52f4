"""Several mostly-correct answers to the same question, and how to give the user one.

A probabilistic model returns a distribution over answers. Sampling from it gives answers that
are each often right but differ from call to call. The model here is calibrated by construction
(the truth is drawn from its own probabilities), so the numbers have exact values to check
against: a sampled answer is right with probability sum_k p_k^2, which is also the chance that
two calls agree, while the most probable answer is right with probability max_k p_k.
"""

import hashlib

import matplotlib.pyplot as plt
import numpy as np

N_INPUTS, N_ANSWERS = 4000, 6


def make_model(n: int, k: int, rng: np.random.Generator):
    """Predicted probabilities for n inputs over k answers, and the true answer of each input,
    drawn from those probabilities, so that the model is calibrated."""
    logits = rng.normal(0, 1.0, (n, k))
    logits[np.arange(n), rng.integers(0, k, n)] += rng.uniform(1.5, 4.5, n)  # a favourite
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    truth = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return p, truth


# --8<-- [start:core]
def sample(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One answer per row, drawn from the row's distribution (temperature 1)."""
    return (p.cumsum(axis=1) > rng.random((len(p), 1))).argmax(axis=1)


def majority_of(p: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw n answers per row and return the most frequent (ties go to the lowest index)."""
    draws = np.stack([sample(p, rng) for _ in range(n)], axis=1)
    counts = np.stack([(draws == k).sum(axis=1) for k in range(p.shape[1])], axis=1)
    return counts.argmax(axis=1)


def seeded_sample(p: np.ndarray, input_ids: list[str]) -> np.ndarray:
    """Sample with a generator seeded by the input itself: random across inputs, but the
    same input always gets the same answer (a cache gives the same effect)."""
    out = np.empty(len(p), dtype=int)
    for i, key in enumerate(input_ids):
        seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
        out[i] = sample(p[i : i + 1], np.random.default_rng(seed))[0]
    return out


def with_temperature(p: np.ndarray, t: float) -> np.ndarray:
    """Sharpen (t < 1) or flatten (t > 1) each distribution: q proportional to p^(1/t)."""
    logq = np.log(p) / t
    q = np.exp(logq - logq.max(axis=1, keepdims=True))
    return q / q.sum(axis=1, keepdims=True)


def exact_rates(p: np.ndarray, t: float) -> tuple[float, float]:
    """Accuracy (sum_k p_k q_k) and agreement of two calls (sum_k q_k^2) at temperature t,
    averaged over inputs, for a calibrated p."""
    q = with_temperature(p, t)
    return float((p * q).sum(axis=1).mean()), float((q * q).sum(axis=1).mean())


def strategies(p, ids, rng):
    """Each strategy answers the same inputs twice, as if the user asked again."""
    return {
        "sample (temperature 1)": lambda: sample(p, rng),
        "majority of 5 samples": lambda: majority_of(p, 5, rng),
        "seeded by input / cache": lambda: seeded_sample(p, ids),
        "most probable (temp. 0)": lambda: p.argmax(axis=1),
    }


# --8<-- [end:core]


def top_k_contains(p: np.ndarray, truth: np.ndarray, k: int) -> float:
    top = np.argsort(-p, axis=1)[:, :k]
    return float((top == truth[:, None]).any(axis=1).mean())


def plot(p):
    temps = np.geomspace(0.05, 3, 40)
    acc, agree = np.array([exact_rates(p, t) for t in temps]).T
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(temps, acc, label="accuracy of one answer")
    ax.plot(temps, agree, label="two calls give the same answer", ls="--")
    ax.axvline(1.0, color="0.5", lw=1, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("sampling temperature (1 = the model's own probabilities)")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left")
    fig.tight_layout()
    return fig, temps, acc, agree


def main():
    rng = np.random.default_rng(0)
    p, truth = make_model(N_INPUTS, N_ANSWERS, rng)
    ids = [f"question-{i}" for i in range(N_INPUTS)]
    print(f"{N_INPUTS} inputs, {N_ANSWERS} possible answers; the model's top answer has")
    print(f"probability {p.max(axis=1).mean():.2f} on average.\n")
    print(f"{'strategy':<26}{'accuracy':>9}{'same answer when asked again':>30}")
    for name, answer in strategies(p, ids, rng).items():
        first, second = answer(), answer()
        print(f"{name:<26}{np.mean(first == truth):>9.3f}{np.mean(first == second):>30.3f}")
    sampled = exact_rates(p, 1.0)
    print(f"\nExact: sampling is right, and agrees with itself, {sampled[0]:.3f} of the time")
    print(f"(mean of sum p_k^2); the most probable answer is right {p.max(axis=1).mean():.3f}")
    print("of the time (mean of max p_k) and always agrees with itself.")
    top3 = top_k_contains(p, truth, 3)
    print(
        f"Showing the top 3 instead of one: the right answer is among them {top3:.1%} of the time."
    )

    fig, temps, acc, agree = plot(p)
    alt = (
        f"Accuracy and agreement between two calls against sampling temperature, from "
        f"{temps[0]:g} to {temps[-1]:g} on a log scale. At the lowest temperature accuracy is "
        f"{acc[0]:.2f} and agreement {agree[0]:.2f}; at temperature 1 both equal "
        f"{sampled[0]:.2f}; at the highest temperature accuracy falls to {acc[-1]:.2f} and "
        f"agreement to {agree[-1]:.2f}."
    )
    caption = (
        "For a calibrated model, lowering the temperature makes answers both more consistent and "
        "more accurate. Sampling buys variety, not accuracy, and costs consistency."
    )
    fig.savefig("consistency_temperature.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
