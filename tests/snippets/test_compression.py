"""Behaviour of the compression snippets: separable convolutions, low-rank factorisation,
pruning, quantisation and distillation. Small settings keep this file fast; whether each
snippet ran and drew its figures is checked in test_every_snippet.py."""

import io
import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from conftest import load_snippet

separable = load_snippet("compression/separable_conv.py")
low_rank = load_snippet("compression/low_rank.py")
pruning = load_snippet("compression/pruning.py")
quant = load_snippet("compression/quantization.py")
distill = load_snippet("compression/distillation.py")


pytestmark = pytest.mark.usefixtures("one_thread")


def toy_split(module, n_train=4000, n_test=2000, seed=0):
    rng = np.random.default_rng(seed)
    return (*module.make_data(n_train, rng), *module.make_data(n_test, rng))


# --- separable_conv.py ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "c_in", "c_out", "size", "stride"),
    [(3, 8, 16, 10, 1), (3, 16, 16, 9, 2), (5, 4, 32, 12, 1), (1, 8, 8, 6, 1), (7, 3, 5, 15, 3)],
)
def test_separable_counts_match_real_modules_and_formula(k, c_in, c_out, size, stride):
    x = torch.randn(2, c_in, size, size)  # batch 2: MACs must be reported per example
    std_p, std_m, out = separable.measured_counts(
        separable.standard_conv(k, c_in, c_out, stride), x
    )
    sep_p, sep_m, sep_out = separable.measured_counts(
        separable.separable_conv(k, c_in, c_out, stride), x
    )
    assert out == sep_out
    h_out = (size + 2 * (k // 2) - k) // stride + 1
    assert out[2] == out[3] == h_out
    want = separable.formula_counts(k, c_in, c_out, h_out, h_out)
    assert std_p == want["standard_params"] == k * k * c_in * c_out
    assert std_m == want["standard_macs"] == h_out * h_out * k * k * c_in * c_out
    assert sep_p == want["separable_params"]
    assert sep_m == want["separable_macs"]
    # the MobileNet ratio, exactly, and a saving whenever K > 1 and C_out > 1
    assert sep_m / std_m == pytest.approx(1 / c_out + 1 / k**2, rel=1e-12)
    if k > 1:
        assert sep_p < std_p and sep_m < std_m


def test_mac_count_uses_the_real_output_not_the_input_size():
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=0, groups=2, bias=False)
    _, macs, out = separable.measured_counts(conv, torch.randn(1, 4, 11, 11))
    assert out == (1, 6, 5, 5)
    assert macs == 5 * 5 * 6 * (4 // 2) * 3 * 3


def test_a_separable_block_is_a_standard_conv_with_a_structured_kernel():
    torch.manual_seed(0)
    block = separable.separable_conv(3, 6, 10, stride=2)
    full = separable.standard_conv(3, 6, 10, stride=2)
    x = torch.randn(2, 6, 9, 9)
    with torch.no_grad():
        full.weight.copy_(separable.as_standard_kernel(block))
        assert torch.allclose(full(x), block(x), atol=1e-5)
        # and a generic standard kernel is not separable: the block cannot match it
        full.weight.normal_()
        assert not torch.allclose(full(x), block(x), atol=1e-2)


# --- low_rank.py ------------------------------------------------------------------------------


def test_full_rank_factorisation_reproduces_the_layer():
    torch.manual_seed(0)
    layer = nn.Linear(12, 7)
    factors = low_rank.factorise(layer, 7)
    x = torch.randn(5, 12)
    assert torch.allclose(factors(x), layer(x), atol=1e-5)
    assert low_rank.relative_error(layer, factors) < 1e-5


@pytest.mark.parametrize("rank", [1, 3, 6])
def test_truncated_svd_error_and_parameter_count(rank):
    torch.manual_seed(1)
    layer = nn.Linear(20, 9)
    factors = low_rank.factorise(layer, rank)
    s = torch.linalg.svdvals(layer.weight.detach())
    eckart_young = math.sqrt(float((s[rank:] ** 2).sum() / (s**2).sum()))
    assert low_rank.relative_error(layer, factors) == pytest.approx(eckart_young, rel=1e-4)
    assert low_rank.n_params(factors) == rank * (20 + 9) + 9  # two thin matrices + the bias
    # no other rank-r matrix does better: try a random one and the SVD of a perturbed W
    w = layer.weight.detach()
    other = torch.randn(9, rank) @ torch.randn(rank, 20)
    scale = float((other * w).sum() / (other * other).sum())  # best multiple of `other`
    assert float((w - scale * other).norm() / w.norm()) > eckart_young


@pytest.fixture(scope="module")
def mlp_and_data():
    """The 64-256-256-10 MLP that low_rank.py and pruning.py both train (same data, same code)."""
    torch.manual_seed(0)
    data = toy_split(low_rank)
    return low_rank.train(low_rank.make_mlp(), data[0], data[1]), data


def test_pruning_and_low_rank_snippets_train_the_same_model():
    assert str(pruning.make_mlp()) == str(low_rank.make_mlp())
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    assert torch.equal(pruning.make_data(50, rng_a)[0], low_rank.make_data(50, rng_b)[0])


@pytest.fixture(scope="module")
def low_rank_model(mlp_and_data):
    model, (_, _, x_test, y_test) = mlp_and_data
    return model, x_test, y_test


def test_low_rank_accuracy_recovers_while_weight_error_is_large(low_rank_model):
    model, x_test, y_test = low_rank_model
    original = model[2]
    full = low_rank.accuracy(model, x_test, y_test)
    rows = {r["rank"]: r for r in low_rank.rank_sweep(model, 2, x_test, y_test, (1, 16, 256))}
    assert model[2] is original  # the sweep puts the layer back
    assert rows[256]["error"] < 1e-4 and abs(rows[256]["accuracy"] - full) < 0.005
    assert rows[16]["accuracy"] > full - 0.02  # 16 of 256 ranks are enough ...
    assert rows[16]["error"] > 0.4  # ... although most of the weight matrix is thrown away
    assert rows[16]["params"] < 0.15 * low_rank.n_params(original)
    assert rows[1]["accuracy"] < full - 0.3


# --- pruning.py -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pruning_setup(mlp_and_data):
    return mlp_and_data


@pytest.mark.parametrize("sparsity", [0.3, 0.9, 0.987])
def test_pruning_hits_the_requested_sparsity_exactly(pruning_setup, sparsity):
    model, _ = pruning_setup
    layers = pruning.linear_layers(model)
    total = sum(layer.weight.numel() for layer in layers)
    glob = pruning.prune_model(model, sparsity, "global")
    assert sum(int((layer.weight == 0).sum()) for layer in pruning.linear_layers(glob)) == round(
        sparsity * total
    )
    per_layer = pruning.prune_model(model, sparsity, "layer")
    for layer in pruning.linear_layers(per_layer):
        assert int((layer.weight == 0).sum()) == round(sparsity * layer.weight.numel())
    # magnitude pruning: every surviving weight is at least as large as every removed one
    kept, removed = [], []
    for original, pruned in zip(layers, pruning.linear_layers(glob), strict=True):
        mask = pruned.weight_mask.bool()
        kept.append(original.weight.detach()[mask].abs())
        removed.append(original.weight.detach()[~mask].abs())
    assert torch.cat(kept).min() >= torch.cat(removed).max()
    assert all(layer.bias.count_nonzero() == layer.bias.numel() for layer in layers)
    assert all(not hasattr(layer, "weight_mask") for layer in layers)  # original untouched


def test_unstructured_pruning_does_not_shrink_dense_storage(pruning_setup):
    model, _ = pruning_setup
    dense = pruning.serialized_bytes(model.state_dict())
    pruned = pruning.prune_model(model, 0.9, "global")
    with_masks = pruning.serialized_bytes(pruned.state_dict())
    assert with_masks > 1.9 * dense  # weight_orig and a float mask of the same shape
    pruning.make_permanent(pruned)
    assert set(pruned.state_dict()) == set(model.state_dict())
    assert abs(pruning.serialized_bytes(pruned.state_dict()) - dense) < 1000  # names only
    assert pruning.sparsity_of(pruned) == pytest.approx(0.9, abs=1e-4)
    # only a general-purpose compressor makes the zeros cheap on disk
    packed = pruning.serialized_bytes(pruned.state_dict(), compress=True)
    assert packed < 0.3 * pruning.serialized_bytes(model.state_dict(), compress=True)


def test_csr_bytes_pay_off_only_at_high_sparsity():
    rows = {r["form"]: r for r in pruning.storage_and_speed(size=64, batch=4)}
    dense = rows["dense, unpruned"]["bytes"]
    assert (
        dense
        == 64 * 64 * 4
        == rows["dense, 50% zeros"]["bytes"]
        == rows["dense, 90% zeros"]["bytes"]
    )
    nnz_50, nnz_90 = 64 * 64 - round(0.5 * 64 * 64), 64 * 64 - round(0.9 * 64 * 64)
    assert rows["CSR, 50% zeros"]["bytes"] == 12 * nnz_50 + 8 * 65 > dense  # float32 + int64
    assert rows["CSR, 90% zeros"]["bytes"] == 12 * nnz_90 + 8 * 65 < dense


def test_fine_tuning_keeps_the_mask_and_recovers_accuracy(pruning_setup):
    model, data = pruning_setup
    rows = {r["sparsity"]: r for r in pruning.sweep(model, *data, sparsities=(0.0, 0.9))}
    dense = pruning.accuracy(model, data[2], data[3])
    assert rows[0.0]["layer"] == rows[0.0]["global"] == pytest.approx(dense)
    assert rows[0.9]["measured"] == pytest.approx(0.9, abs=1e-4)  # zeros survive training
    assert rows[0.9]["global"] < dense - 0.2  # one-shot pruning at 90% hurts here
    assert rows[0.9]["global"] > rows[0.9]["layer"]  # a global threshold holds up a bit longer
    assert rows[0.9]["global + fine-tune"] > dense - 0.03  # retraining the survivors repairs it


# --- quantization.py --------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [8, 4, 2])
def test_symmetric_quantisation_rounds_within_half_a_step(bits):
    torch.manual_seed(0)
    w = torch.randn(16, 40) * torch.logspace(-2, 1, 16)[:, None]  # rows of very different size
    errors = {}
    for per_channel in (False, True):
        q, scale = quant.quantize_symmetric(w, bits, per_channel)
        assert q.dtype == torch.int8
        assert int(q.abs().max()) == 2 ** (bits - 1) - 1  # the largest weight uses the full range
        error = (w - quant.dequantize(q, scale)).abs()
        assert torch.all(error <= scale / 2 + 1e-6)
        errors[per_channel] = error[0].mean().item()  # the row of the smallest weights
    if bits >= 4:  # per-channel scales fit small rows far better
        assert errors[True] < errors[False] / 5


@pytest.fixture(scope="module")
def quant_setup():
    torch.manual_seed(0)
    x_train, y_train, x_test, y_test = toy_split(quant)
    model = quant.train(quant.make_mlp(), x_train, y_train).eval()
    return model, x_test, y_test


def test_int8_weights_keep_accuracy_and_two_bits_do_not(quant_setup):
    model, x_test, y_test = quant_setup
    base = (quant.predict(model, x_test) == y_test).float().mean().item()
    rows = {r["bits"]: r for r in quant.bit_sweep(model, x_test, y_test, bits=(8, 2))}
    assert abs(rows[8]["per channel"] - base) < 0.01
    assert abs(rows[8]["per tensor"] - base) < 0.01
    assert rows[2]["per tensor"] < base - 0.3
    assert rows[2]["per channel"] > rows[2]["per tensor"] + 0.2


def test_dynamic_int8_is_smaller_and_about_as_accurate(quant_setup):
    model, x_test, y_test = quant_setup
    quantized, caught = quant.dynamic_int8(model)
    dynamic_linear = torch.ao.nn.quantized.dynamic.Linear
    assert sum(isinstance(m, dynamic_linear) for m in quantized.modules()) == 3
    assert not any(type(m) is nn.Linear for m in quantized.modules())
    assert any(message.startswith("DeprecationWarning") for message in caught)  # page says so
    assert quant.state_bytes(quantized) < 0.3 * quant.state_bytes(model)
    base, after = quant.predict(model, x_test), quant.predict(quantized, x_test)
    assert abs((after == y_test).float().mean() - (base == y_test).float().mean()) < 0.01
    assert (after == base).float().mean() > 0.98
    median, p95 = quant.latency_ms(quantized, x_test[:8], repeats=10, warmup=2)
    assert 0 < median <= p95


def test_onnx_is_not_installed_as_the_page_says():
    import importlib.util

    assert importlib.util.find_spec("onnx") is None
    assert importlib.util.find_spec("onnxscript") is None  # the default (dynamo) exporter's need
    model, example = nn.Linear(2, 2), (torch.randn(1, 2),)
    with pytest.raises(ImportError, match="onnxscript"):
        torch.onnx.export(model, example, io.BytesIO())  # the default, torch.export-based
    with warnings.catch_warnings(), pytest.raises(Exception, match="onnx is not installed"):
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter is deprecated
        torch.onnx.export(model, example, io.BytesIO(), dynamo=False)


# --- distillation.py --------------------------------------------------------------------------


def test_distillation_loss_parts():
    torch.manual_seed(0)
    student, teacher = torch.randn(6, 4), torch.randn(6, 4)
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    ce = nn.functional.cross_entropy(student, labels)
    assert distill.distillation_loss(student, teacher, labels, 4.0, 0.0) == pytest.approx(ce)
    # alpha = 1: T^2 times the KL divergence between the softened distributions, by hand
    t = 3.0
    p = torch.softmax(teacher / t, 1)
    kl = (p * (p.log() - torch.log_softmax(student / t, 1))).sum(1).mean()
    got = distill.distillation_loss(student, teacher, labels, t, 1.0)
    assert got.item() == pytest.approx(t**2 * kl.item(), rel=1e-5)
    # a student that copies the teacher pays nothing for the soft part
    same = distill.distillation_loss(teacher, teacher, labels, t, 1.0)
    assert abs(same.item()) < 1e-6


def test_distilled_student_beats_the_label_only_student_on_average():
    x_train, y_train, x_test, y_test = toy_split(distill)
    teacher = distill.train_teacher(x_train, y_train)
    assert distill.accuracy(teacher, x_test, y_test) > 0.85
    results = distill.compare(teacher, x_train, y_train, x_test, y_test)  # the page's settings
    labels_only = np.array(results["labels only"])
    t1, t4 = np.array(results["distilled, T = 1"]), np.array(results["distilled, T = 4"])
    assert len(labels_only) == 5
    assert t4.mean() > labels_only.mean() + 0.04
    assert np.all(t4 > labels_only) and np.all(t1 > labels_only)  # per seed, not only on average
    assert t4.mean() > t1.mean()
