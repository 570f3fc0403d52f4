"""Post-training int8 quantisation of a small MLP: by hand, then with PyTorch's dynamic
quantisation, with file size, latency and accuracy before and after.

By hand: each weight row gets one scale, w ~ scale * q with q an integer in [-127, 127]; we
sweep the bit width to see where accuracy breaks. Then torch.ao.quantization.quantize_dynamic
stores int8 weights and quantises activations on the fly at inference.
"""

import copy
import io
import platform
import statistics
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

MEASURES_TIME = True  # it times code: run it on an otherwise idle machine for steady numbers

N_CLASSES, LATENT, DIM, HIDDEN = 10, 8, 64, 512
N_TRAIN, N_TEST = 4000, 2000
STEPS, BATCH, LR = 300, 128, 2e-3
BITS = (8, 6, 4, 3, 2)
LATENCY_BATCH, REPEATS, WARMUP = 64, 200, 20


def make_data(n: int, rng: np.random.Generator, noise: float = 0.3):
    """10 classes, each two Gaussian clusters in an 8-D latent space, mixed into 64 features."""
    fixed = np.random.default_rng(1234)  # the problem itself is the same for every seed
    centers = 1.6 * fixed.normal(size=(N_CLASSES, 2, LATENT))
    mixing = fixed.normal(size=(LATENT, DIM)) / np.sqrt(LATENT)
    y = rng.integers(0, N_CLASSES, n)
    z = centers[y, rng.integers(0, 2, n)] + rng.normal(size=(n, LATENT))
    x = z @ mixing + noise * rng.normal(size=(n, DIM))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def make_mlp() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(DIM, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, N_CLASSES),
    )  # fmt: skip


def train(model: nn.Module, x, y, steps: int = STEPS, seed: int = 0) -> nn.Module:
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=LR, fused=True)
    for _ in range(steps):
        batch = torch.randint(0, len(y), (BATCH,), generator=generator)
        loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model


def predict(model: nn.Module, x) -> torch.Tensor:
    with torch.no_grad():
        return model(x).argmax(1)


# --8<-- [start:core]
def quantize_symmetric(w: torch.Tensor, bits: int = 8, per_channel: bool = True):
    """w ~ scale * q, q integer in [-(2^(bits-1) - 1), 2^(bits-1) - 1], zero maps to zero.

    The scale is max|w| / qmax, over each output row (per channel) or over the whole tensor.
    Rounding moves each weight by at most scale / 2.
    """
    qmax = 2 ** (bits - 1) - 1
    peak = w.abs().amax(dim=1, keepdim=True) if per_channel else w.abs().max()
    scale = peak.clamp(min=1e-12) / qmax
    q = torch.clamp(torch.round(w / scale), -qmax, qmax).to(torch.int8)
    return q, scale


def dequantize(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return q.float() * scale


def with_quantized_weights(model: nn.Module, bits: int, per_channel: bool) -> nn.Module:
    """A copy whose Linear weights are replaced by their quantise-then-dequantise values,
    which isolates the accuracy effect of rounding the weights."""
    model = copy.deepcopy(model)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                q, scale = quantize_symmetric(layer.weight, bits, per_channel)
                layer.weight.copy_(dequantize(q, scale))
    return model


def first_sentence(text: str) -> str:
    return text.strip().split(". ")[0].split("\n")[0].rstrip(".") + "."


def dynamic_int8(model: nn.Module) -> tuple[nn.Module, list[str]]:
    """PyTorch's dynamic quantisation: int8 weights (per tensor by default), activations
    quantised on the fly per batch. Returns the model and the warnings the call raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quantized = torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8
        )
    return quantized, [f"{w.category.__name__}: {first_sentence(str(w.message))}" for w in caught]


def state_bytes(model: nn.Module) -> int:
    """Size of the file torch.save(model.state_dict()) writes."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return len(buffer.getbuffer())


def latency_ms(model: nn.Module, x, repeats: int = REPEATS, warmup: int = WARMUP):
    """Median and 95th percentile of one forward pass, after warm-up runs."""
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            start = time.perf_counter()
            model(x)
            if i >= warmup:
                times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1e3, times[int(0.95 * (len(times) - 1))] * 1e3


# --8<-- [end:core]


def bit_sweep(model, x_test, y_test, bits=BITS) -> list[dict]:
    rows = []
    for b in bits:
        row = {"bits": b}
        for per_channel, key in ((False, "per tensor"), (True, "per channel")):
            quantized = with_quantized_weights(model, b, per_channel)
            row[key] = (predict(quantized, x_test) == y_test).float().mean().item()
        rows.append(row)
    return rows


def cpu_description() -> str:
    """The processor's model name from /proc/cpuinfo (Linux), else what Python can tell."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)  # the MLP's initial weights
    rng = np.random.default_rng(0)  # the data
    x_train, y_train = make_data(N_TRAIN, rng)
    x_test, y_test = make_data(N_TEST, rng)
    model = train(make_mlp(), x_train, y_train).eval()
    base = predict(model, x_test)
    base_acc = (base == y_test).float().mean().item()
    print(f"float32 MLP {DIM}-{HIDDEN}-{HIDDEN}-{N_CLASSES}: test accuracy {base_acc:.3f}")

    print("\nWeights rounded to b bits (symmetric), test accuracy:")
    print(f"{'bits':>5} {'per tensor':>11} {'per channel':>12}")
    for r in bit_sweep(model, x_test, y_test):
        print(f"{r['bits']:>5} {r['per tensor']:>11.3f} {r['per channel']:>12.3f}")

    quantized, caught = dynamic_int8(model)
    q_pred = predict(quantized, x_test)
    call = "torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)"
    print(f"\n{call}\nworked, " + ("and warned:" if caught else "without a warning."))
    for message in sorted(set(caught)):
        print(textwrap.fill(message, width=92, initial_indent="  ", subsequent_indent="    "))
    x = x_test[:LATENCY_BATCH]
    print(f"\n{'':>22} {'float32':>10} {'int8 dynamic':>13}")
    print(f"{'state_dict bytes':>22} {state_bytes(model):>10,} {state_bytes(quantized):>13,}")
    print(f"{'test accuracy':>22} {base_acc:>10.3f} {(q_pred == y_test).float().mean():>13.3f}")
    (m32, p32), (m8, p8) = latency_ms(model, x), latency_ms(quantized, x)
    print(f"{'median latency, ms':>22} {m32:>10.3f} {m8:>13.3f}")
    print(f"{'p95 latency, ms':>22} {p32:>10.3f} {p8:>13.3f}")
    print(f"Predictions that agree with float32: {(q_pred == base).float().mean():.1%}")
    print(f"Latency: batch {LATENCY_BATCH}, {REPEATS} runs after {WARMUP} warm-up runs")
    print(f"Machine: {cpu_description()}, torch {torch.__version__}, 1 thread,")
    print(f"quantized engine {torch.backends.quantized.engine}")


if __name__ == "__main__":
    main()
