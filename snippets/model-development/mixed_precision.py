"""Mixed precision on CPU, measured: memory saved for backward, step time, and numeric range.

Compares float32 with torch.autocast to bfloat16, and shows why float16 needs loss scaling.
"""

import contextlib
import platform
import statistics
import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn

MEASURES_TIME = True  # it times code: run it on an otherwise idle machine for steady numbers

WIDTH, DEPTH, BATCH = 1024, 4, 128  # BATCH: the timed steps (emulated bfloat16 takes ~1 s each)
REPEATS, WARMUP, BUDGET = 30, 1, 4.0  # at most 30 timed steps, or as many as fit in 4 s
BATCHES = (64, 128, 256, 512, 1024, 2048, 4096)
MIB = 2**20


def make_mlp(width: int = WIDTH, depth: int = DEPTH) -> nn.Module:
    layers = [m for _ in range(depth) for m in (nn.Linear(width, width), nn.ReLU())]
    return nn.Sequential(*layers)


def precision(dtype: torch.dtype):
    """float32 runs as is; bfloat16 runs under autocast, which keeps float32 weights."""
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast("cpu", dtype=dtype)


def parameter_bytes(model: nn.Module) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


# --8<-- [start:core]
def _is_parameter_copy(tensor, parameters) -> bool:
    """True if `tensor` is a parameter or a transposed/cast copy of one (autocast's weight cast)."""
    fn = tensor.grad_fn
    while fn is not None and type(fn).__name__ in ("TBackward0", "ToCopyBackward0"):
        fn = fn.next_functions[0][0]
    return fn is not None and any(getattr(fn, "variable", None) is p for p in parameters)


def saved_tensor_bytes(model: nn.Module, x: torch.Tensor, dtype: torch.dtype) -> dict:
    """Bytes that one forward pass keeps alive for backward, split by what they hold.

    Counts each storage once (a tensor and its views, saved twice, are one allocation) and
    skips the parameters' own storage, which exists whether or not we train.
    """
    parameters = list(model.parameters())
    own = {p.untyped_storage().data_ptr() for p in parameters}
    storages = {}  # data_ptr -> (bytes, kind)

    def pack(tensor):
        ptr = tensor.untyped_storage().data_ptr()
        if ptr not in own:
            kind = "weight copies" if _is_parameter_copy(tensor, parameters) else "activations"
            storages[ptr] = (tensor.untyped_storage().nbytes(), kind)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor), precision(dtype):
        model(x)
    totals = {"activations": 0, "weight copies": 0}
    for nbytes, kind in storages.values():
        totals[kind] += nbytes
    return totals


def activation_bytes(model: nn.Module, x: torch.Tensor, dtype: torch.dtype) -> int:
    return saved_tensor_bytes(model, x, dtype)["activations"]


def time_step(model, x, dtype, repeats=REPEATS, warmup=WARMUP, budget=BUDGET, least=5):
    """Median seconds of one forward + backward pass, and how many timed runs it took: up to
    `repeats`, fewer (at least `least`) once `budget` seconds are spent; warm-up runs are
    discarded."""
    times = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        with precision(dtype):
            out = model(x)
        out.float().square().mean().backward()  # reduce the loss in float32
        model.zero_grad(set_to_none=True)
        if i >= warmup:
            times.append(time.perf_counter() - start)
        if len(times) >= least and sum(times) >= budget:
            break
    return statistics.median(times), len(times)


# --8<-- [end:core]


def round_trip(value: float, dtype: torch.dtype) -> float:
    """What `value` becomes when stored in `dtype`."""
    return torch.tensor(value, dtype=torch.float32).to(dtype).float().item()


def cpu_description() -> str:
    """The processor's model name from /proc/cpuinfo (Linux), else what Python can tell."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_bf16_flags() -> dict | None:
    """Which bfloat16 instruction sets the CPU advertises (Linux only; None elsewhere)."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return None
    flags = set()
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("flags"):
            flags |= set(line.split(":", 1)[1].split())
    return {flag: flag in flags for flag in ("avx512_bf16", "amx_bf16")}


def plot_memory(rows):
    fig, ax = plt.subplots()
    batches = [r[0] for r in rows]
    ax.plot(batches, [r[1] / MIB for r in rows], marker="o", label="float32: activations")
    ax.plot(batches, [r[2] / MIB for r in rows], marker="o", label="bfloat16: activations")
    ax.plot(
        batches,
        [(r[2] + r[3]) / MIB for r in rows],
        marker="o",
        linestyle="--",
        label="bfloat16: activations + weight copies",
    )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(batches, [str(b) for b in batches])
    ax.minorticks_off()
    ax.yaxis.set_major_formatter("{x:g}")
    ax.set_xlabel("batch size (examples, log scale)")
    ax.set_ylabel("saved for backward (MiB, log scale)")
    ax.legend()
    return fig


def span(values, fmt: str) -> str:
    """'x' if all values print the same, else 'lowest to highest'."""
    low, high = format(min(values), fmt), format(max(values), fmt)
    return low if low == high else f"{low} to {high}"


def print_machine():
    flags = cpu_bf16_flags()
    print(f"Machine: {platform.machine()}, {cpu_description()}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    found = "unknown" if flags is None else ", ".join(f"{k}: {v}" for k, v in flags.items())
    print(f"bf16 instructions advertised by the CPU: {found}")


def print_memory(model) -> list:
    print(f"\nMLP: {DEPTH} x (Linear({WIDTH}, {WIDTH}) + ReLU)")
    print(f"parameters: {parameter_bytes(model) / MIB:.1f} MiB, float32 in both modes")
    print("Saved for backward by one forward pass, MiB (each storage counted once):")
    columns = ("fp32 activations", "bf16 activations", "bf16 weight copies", "bf16 total")
    print(f"{'batch':>6}" + "".join(f"{c:>20}" for c in columns))
    rows = []
    for batch in BATCHES:
        x = torch.randn(batch, WIDTH)
        fp32 = saved_tensor_bytes(model, x, torch.float32)
        low = saved_tensor_bytes(model, x, torch.bfloat16)
        assert fp32["weight copies"] == 0  # float32 saves the parameters themselves, not copies
        rows.append((batch, fp32["activations"], low["activations"], low["weight copies"]))
        _, a32, a16, w16 = (v / MIB for v in rows[-1])
        print(f"{batch:>6}" + "".join(f"{v:>20.2f}" for v in (a32, a16, w16, a16 + w16)))
    return rows


def print_timing(model):
    x = torch.randn(BATCH, WIDTH)
    (t32, n32), (t16, n16) = time_step(model, x, torch.float32), time_step(model, x, torch.bfloat16)
    warmup = f"{WARMUP} warm-up run" + ("s" if WARMUP != 1 else "")
    print(f"\nForward + backward, batch {BATCH}, median after {warmup}:")
    print(f"  float32            {t32 * 1e3:6.1f} ms   ({n32} runs)")
    print(f"  bfloat16 autocast  {t16 * 1e3:6.1f} ms   ({n16} runs)")
    print(f"  float32 time / bfloat16 time = {t32 / t16:.2f}")


def print_number_formats():
    values = {"70000": 70000.0, "1e-8": 1e-8, "1+1/256": 1 + 1 / 256}
    print("\nRange and precision, and what three numbers become when stored in each type:")
    print(f"{'dtype':<9}" + "".join(f"{h:>12}" for h in ("max", "min normal", "eps", *values)))
    stored = {}
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        info, name = torch.finfo(dtype), str(dtype).removeprefix("torch.")
        big, tiny, near_one = stored[name] = [round_trip(v, dtype) for v in values.values()]
        limits = f"{info.max:>12.3g}{info.smallest_normal:>12.3g}{info.eps:>12.3g}"
        print(f"{name:<9}{limits}{big:>12.0f}{tiny:>12.3g}{near_one:>12.7f}")
    fp16 = torch.finfo(torch.float16)
    underflow = fp16.smallest_normal * fp16.eps / 2  # half the smallest subnormal rounds to 0
    half, brain = stored["float16"], stored["bfloat16"]
    print(f"\nIn float16, 70000 became {half[0]} and 1e-8 became {half[1]}: values below about")
    print(f"{underflow:.0e} round to zero, so small gradients vanish. float16 training therefore")
    print("multiplies the loss by a scale factor, and lowers it when an inf appears.")
    print("bfloat16 keeps float32's range, so it usually needs no loss scaling; it pays in")
    print(f"precision instead: 1 + 1/256 became {brain[2]}.")


def main():
    torch.manual_seed(0)  # the weights and the random inputs
    model = make_mlp()
    print_machine()
    rows = print_memory(model)
    print_timing(model)
    print_number_formats()

    ratios = [a16 / a32 for _, a32, a16, _ in rows]
    crossing = next((b for b, a32, a16, w16 in rows if a16 + w16 < a32), None)
    where = f"from batch {crossing} on" if crossing else "at none of these batch sizes"
    alt = (
        "Log-log line chart of memory saved for backward against batch size from "
        f"{BATCHES[0]} to {BATCHES[-1]}, for a {DEPTH}-layer MLP of width {WIDTH}. float32 "
        f"activations rise from {rows[0][1] / MIB:.2f} to {rows[-1][1] / MIB:.1f} MiB; bfloat16 "
        f"activations are {span(ratios, '.2f')} times that. A dashed line adds autocast's "
        f"bfloat16 weight copies ({span([r[3] / MIB for r in rows], '.1f')} MiB at every batch "
        f"size); it lies below the float32 line {where}."
    )
    caption = (
        "Autocast halves the activations but also keeps a bfloat16 copy of each weight for "
        f"backward, so it saves memory overall only when activations dominate: {where} here."
    )
    fig = plot_memory(rows)
    fig.savefig("mixed_precision_memory.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
