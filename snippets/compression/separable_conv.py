"""Depthwise-separable convolutions (MobileNet): parameters and multiply-adds, counted twice.

Once with the formulas, once from real torch.nn.Conv2d modules (parameters from .numel(), MACs
from the size of each layer's actual output), for a few layer shapes. Then a check that a
separable block is a standard convolution with a constrained kernel, and a timing.
"""

import platform
import statistics
import time
from pathlib import Path

import torch
from torch import nn

MEASURES_TIME = True  # it times code: run it on an otherwise idle machine for steady numbers

# (kernel K, input channels, output channels, input height = width, stride)
SETTINGS = [(3, 32, 64, 112, 1), (3, 128, 128, 56, 2), (3, 512, 512, 14, 1), (5, 64, 128, 28, 1)]
REPEATS, WARMUP = 30, 5


# --8<-- [start:core]
def formula_counts(k: int, c_in: int, c_out: int, h_out: int, w_out: int) -> dict:
    """Parameters and multiply-accumulates (MACs) of both designs, no biases.

    Standard: C_out filters, each K x K x C_in, evaluated at every output position.
    Separable: one K x K filter per input channel (depthwise), then C_out filters of
    size 1 x 1 x C_in (pointwise) that mix the channels.
    """
    positions = h_out * w_out
    return {
        "standard_params": k * k * c_in * c_out,
        "standard_macs": positions * k * k * c_in * c_out,
        "separable_params": k * k * c_in + c_in * c_out,
        "separable_macs": positions * (k * k * c_in + c_in * c_out),
    }


def standard_conv(k: int, c_in: int, c_out: int, stride: int = 1) -> nn.Module:
    return nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False)


def separable_conv(k: int, c_in: int, c_out: int, stride: int = 1) -> nn.Module:
    depthwise = nn.Conv2d(c_in, c_in, k, stride=stride, padding=k // 2, groups=c_in, bias=False)
    pointwise = nn.Conv2d(c_in, c_out, 1, bias=False)
    return nn.Sequential(depthwise, pointwise)


def measured_counts(module: nn.Module, x: torch.Tensor) -> tuple[int, int, torch.Size]:
    """Parameters from .numel(); MACs of every Conv2d from the output it really produced:
    each output value costs (C_in / groups) x K_h x K_w multiply-adds."""
    macs = 0

    def count(conv, inputs, output):
        nonlocal macs
        k_h, k_w = conv.kernel_size
        macs += output.numel() * (conv.in_channels // conv.groups) * k_h * k_w

    convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
    handles = [conv.register_forward_hook(count) for conv in convs]
    with torch.no_grad():
        out = module(x)
    for handle in handles:
        handle.remove()
    params = sum(p.numel() for p in module.parameters())
    return params, macs // x.shape[0], out.shape


# --8<-- [end:core]


def as_standard_kernel(block: nn.Sequential) -> torch.Tensor:
    """The C_out x C_in x K x K kernel of the standard convolution that computes `block`:
    W[o, i] = pointwise[o, i] * depthwise[i]. Every separable block is a standard convolution
    whose kernel has this rank-one structure per channel pair, never the other way round."""
    depthwise, pointwise = block[0].weight, block[1].weight  # (C_in,1,K,K), (C_out,C_in,1,1)
    return pointwise[:, :, 0, 0, None, None] * depthwise[:, 0][None]


def median_ms(module: nn.Module, x: torch.Tensor) -> float:
    times = []
    with torch.no_grad():
        for i in range(WARMUP + REPEATS):
            start = time.perf_counter()
            module(x)
            if i >= WARMUP:
                times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


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
    torch.manual_seed(0)  # the random inputs and the layers' weights
    header = f"{'K':>2} {'C_in':>5} {'C_out':>5} {'output':>8} | {'standard':>20} | "
    print(header + f"{'separable':>20} | {'MACs ratio':>10}  1/C_out+1/K^2")
    print(f"{'':>23} | {'params':>9} {'MMACs':>10} | {'params':>9} {'MMACs':>10} |")
    for k, c_in, c_out, size, stride in SETTINGS:
        x = torch.randn(1, c_in, size, size)
        std_p, std_m, out = measured_counts(standard_conv(k, c_in, c_out, stride), x)
        sep_p, sep_m, sep_out = measured_counts(separable_conv(k, c_in, c_out, stride), x)
        want = formula_counts(k, c_in, c_out, out[2], out[3])
        assert out == sep_out, "both designs produce the same output shape"
        assert (std_p, std_m) == (want["standard_params"], want["standard_macs"])
        assert (sep_p, sep_m) == (want["separable_params"], want["separable_macs"])
        shape = f"{out[2]}x{out[3]}"
        print(
            f"{k:>2} {c_in:>5} {c_out:>5} {shape:>8} | {std_p:>9,} {std_m / 1e6:>10.1f} | "
            f"{sep_p:>9,} {sep_m / 1e6:>10.1f} | {sep_m / std_m:>10.3f}  {1 / c_out + 1 / k**2:.3f}"
        )
    print("Formulas and module counts agree for every row (checked with assert).")

    k, c_in, c_out, size, stride = SETTINGS[1]
    block, x = separable_conv(k, c_in, c_out, stride), torch.randn(1, c_in, size, size)
    full = standard_conv(k, c_in, c_out, stride)
    with torch.no_grad():
        full.weight.copy_(as_standard_kernel(block))
        gap = (full(x) - block(x)).abs().max().item()
    same = "yes" if gap < 1e-4 else "NO"
    print(f"\nSeparable block = standard conv with the equivalent kernel (within 1e-4): {same}")

    print(f"\nLatency, batch 1, {c_in}->{c_out} channels, {size}x{size} input, stride {stride},")
    print(f"median of {REPEATS} runs after {WARMUP} warm-up runs:")
    t_std, t_sep = median_ms(full, x), median_ms(block, x)
    _, m_std, _ = measured_counts(full, x)
    _, m_sep, _ = measured_counts(block, x)
    print(f"  standard {t_std:.2f} ms, separable {t_sep:.2f} ms")
    print(f"  time ratio {t_sep / t_std:.2f} vs MACs ratio {m_sep / m_std:.2f}")
    print(f"Machine: {cpu_description()}, torch {torch.__version__}, 1 thread")


if __name__ == "__main__":
    main()
