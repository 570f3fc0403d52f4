"""Knowledge distillation: a small student learns from a large teacher's softened outputs.

The teacher (an MLP with about 85,000 parameters) is trained on 4,000 labelled examples. The
student (about 2,400 parameters) sees only 100 of them. It is trained three ways on exactly the
same 100 inputs: on the labels alone, and on the teacher's soft targets at temperature 1 and 4
(mixed with the labels). Five seeds, each with its own 100 examples and initialisation.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

N_CLASSES, LATENT, DIM = 10, 8, 64
N_TRAIN, N_TEST, N_STUDENT = 4000, 2000, 100
TEACHER_HIDDEN, STUDENT_HIDDEN = 256, 32
TEACHER_STEPS, STUDENT_STEPS, BATCH = 300, 100, 128
SEEDS = (0, 1, 2, 3, 4)
METHODS = {
    "labels only": (1.0, 0.0),
    "distilled, T = 1": (1.0, 0.9),
    "distilled, T = 4": (4.0, 0.9),
}


def make_data(n: int, rng: np.random.Generator, noise: float = 0.3):
    """10 classes, each two Gaussian clusters in an 8-D latent space, mixed into 64 features."""
    fixed = np.random.default_rng(1234)  # the problem itself is the same for every seed
    centers = 1.6 * fixed.normal(size=(N_CLASSES, 2, LATENT))
    mixing = fixed.normal(size=(LATENT, DIM)) / np.sqrt(LATENT)
    y = rng.integers(0, N_CLASSES, n)
    z = centers[y, rng.integers(0, 2, n)] + rng.normal(size=(n, LATENT))
    x = z @ mixing + noise * rng.normal(size=(n, DIM))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def make_teacher() -> nn.Sequential:
    h = TEACHER_HIDDEN
    return nn.Sequential(
        nn.Linear(DIM, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, N_CLASSES)
    )


def make_student() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(DIM, STUDENT_HIDDEN), nn.ReLU(), nn.Linear(STUDENT_HIDDEN, N_CLASSES)
    )


def train_teacher(x, y, steps: int = TEACHER_STEPS, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model, generator = make_teacher(), torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        batch = torch.randint(0, len(y), (BATCH,), generator=generator)
        loss = F.cross_entropy(model(x[batch]), y[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model.eval()


def accuracy(model: nn.Module, x, y) -> float:
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --8<-- [start:core]
def distillation_loss(student_logits, teacher_logits, labels, temperature: float, alpha: float):
    """alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * cross-entropy(labels).

    Dividing logits by T > 1 flattens both distributions, so the student also learns how the
    teacher ranks the wrong classes. The gradient of the soft term shrinks like 1/T^2, hence
    the T^2 factor (Hinton et al., 2015). alpha = 0 is ordinary training on labels.
    """
    hard = F.cross_entropy(student_logits, labels)
    if alpha == 0:
        return hard
    soft = F.kl_div(
        F.log_softmax(student_logits / temperature, dim=1),
        F.log_softmax(teacher_logits / temperature, dim=1),
        log_target=True,
        reduction="batchmean",
    )
    return alpha * temperature**2 * soft + (1 - alpha) * hard


def train_student(x, y, teacher_logits, temperature, alpha, seed, steps=STUDENT_STEPS):
    """Full-batch Adam on the small labelled set; the teacher's logits are precomputed."""
    torch.manual_seed(seed)
    student = make_student()
    optimiser = torch.optim.Adam(student.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = distillation_loss(student(x), teacher_logits, y, temperature, alpha)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return student


def compare(teacher, x_pool, y_pool, x_test, y_test, seeds=SEEDS, n=N_STUDENT, methods=METHODS):
    """Test accuracy of each method for each seed; every method of a seed sees the same n
    examples and starts from the same initial weights."""
    results = {name: [] for name in methods}
    for seed in seeds:
        pick = torch.from_numpy(np.random.default_rng(100 + seed).choice(len(y_pool), n, False))
        x, y = x_pool[pick], y_pool[pick]
        with torch.no_grad():
            teacher_logits = teacher(x)
        for name, (temperature, alpha) in methods.items():
            student = train_student(x, y, teacher_logits, temperature, alpha, seed)
            results[name].append(accuracy(student, x_test, y_test))
    return results


# --8<-- [end:core]


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x_train, y_train = make_data(N_TRAIN, rng)
    x_test, y_test = make_data(N_TEST, rng)
    teacher = train_teacher(x_train, y_train)
    print(f"Teacher: {n_params(teacher):,} parameters, trained on {N_TRAIN:,} labels, "
          f"test accuracy {accuracy(teacher, x_test, y_test):.3f}")  # fmt: skip
    print(f"Student: {n_params(make_student()):,} parameters, sees {N_STUDENT} labelled examples")
    results = compare(teacher, x_train, y_train, x_test, y_test)
    baseline = np.array(results["labels only"])
    print(f"\nStudent test accuracy over {len(SEEDS)} seeds:")
    print(
        f"{'training':<18} {'mean':>6} {'std':>6} {'min':>6} {'max':>6} {'beats labels only':>18}"
    )
    for name, values in results.items():
        v = np.array(values)
        wins = "" if name == "labels only" else f"{int(np.sum(v > baseline))} of {len(v)}"
        stats = "".join(f"{value:>7.3f}" for value in (v.mean(), v.std(), v.min(), v.max()))
        print(f"{name:<18}{stats} {wins:>18}".rstrip())


if __name__ == "__main__":
    main()
