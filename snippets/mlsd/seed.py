"""Seed every random number generator a snippet may touch."""

import os
import random

import numpy as np


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch, and return a NumPy generator seeded the same way.

    Seeding makes a run repeatable on the same machine and library versions. Bit-identical
    results across different hardware or thread counts are not promised by PyTorch, which is why
    snippets print rounded numbers.
    """
    os.environ["PYTHONHASHSEED"] = str(seed)  # affects subprocesses only; set for completeness
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - code that still uses NumPy's legacy global generator
    import torch  # here, not at the top: snippets that only plot need not load torch (~1 s)

    torch.manual_seed(seed)
    return np.random.default_rng(seed)
