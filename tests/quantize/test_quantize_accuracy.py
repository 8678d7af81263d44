"""Accuracy of the exported int8 file against the fp32 model on held-out data, and QAT recovering a PTQ drop.

Students are trained here with fixed seeds (briefly: CI has 2 cores). int8 accuracy is measured by running the
exported .tflite (edgekd's runtime when built, LiteRT otherwise), not the simulation.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from edgekd.distill import data, zoo
from edgekd.quantize import QATConfig, quantize_and_export, quantize_ptq, train_qat
from edgekd.quantize.export import to_ir
from edgekd.quantize.report import Int8Runner
from edgekd.tflite import write_tflite
from quantize_helpers import litert_run


def _batches(x, y, size, n=None):
    out = [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]
    return out[:n] if n else out


def _train(model, x, y, epochs, lr=3e-3, seed=0, limit=None):
    """Adam with a one-cycle schedule: converged students, not ones stopped mid-noise whose many low-margin
    predictions flip under any perturbation (the digits test set has 450 samples: 0.5 points is 2 of them)."""
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr)
    n = len(x) if limit is None else min(limit, len(x))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=epochs * ((n + 63) // 64))
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x))[:n]
        for i in range(0, len(perm), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
            sched.step()
    return model.eval()


def _file_accuracy(qm, x, y) -> float:
    graph, info = to_ir(qm)
    return float((Int8Runner(write_tflite(graph), info)(x.numpy()).argmax(1) == y.numpy()).mean())


@pytest.fixture(scope="module")
def digits():
    b = data.load("digits")
    return b.train.tensors + b.test.tensors


@pytest.fixture(scope="module")
def digits_student(digits):
    x, y, _, _ = digits
    torch.manual_seed(0)
    return _train(zoo.build("cnn_student_8x8", (1, 8, 8), 10), x, y, epochs=20, lr=2e-2)


def test_ptq_digits_cnn_student_drops_at_most_half_a_point(digits, digits_student, tmp_path):
    x, y, xt, yt = digits
    report = quantize_and_export(digits_student, _batches(x, y, 64), _batches(xt, yt, 500), tmp_path / "s.tflite",
                                 calib_batches=8, report_path=tmp_path / "s.json", measure_latency=False)
    assert report.fp32_accuracy > 0.9
    assert report.accuracy_drop <= 0.005, report.to_dict()
    assert report.output_sqnr_db >= 30.0
    assert (tmp_path / "s.tflite").stat().st_size == report.int8_bytes
    assert report.int8_backend in ("edgekd", "litert")


@pytest.mark.slow
def test_ptq_fashion_mnist_cnn_student_drops_at_most_half_a_point(tmp_path):
    try:
        b = data.load("fashion-mnist")
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"Fashion-MNIST not available: {e}")
    x, y = b.train.tensors
    xt, yt = b.test.tensors
    torch.manual_seed(0)
    model = _train(zoo.build("cnn_student", b.input_shape, 10), x, y, epochs=2, limit=8000)
    report = quantize_and_export(model, _batches(x, y, 64), _batches(xt, yt, 1000), tmp_path / "fm.tflite",
                                 calib_batches=16, measure_latency=False)
    assert report.fp32_accuracy > 0.75
    assert report.eval_samples == 10_000
    assert report.accuracy_drop <= 0.005, report.to_dict()


def _with_junk_units(mlp: nn.Sequential, magnitude: float = 50.0, n: int = 2) -> nn.Sequential:
    """The same function plus ``n`` hidden units with huge activations and zero outgoing weights: fp32 does not
    change, but the hidden layer's int8 range is set by the junk, leaving the real units a few steps."""
    h = mlp[1].out_features
    out = nn.Sequential(nn.Flatten(), nn.Linear(mlp[1].in_features, h + n), nn.ReLU(), nn.Linear(h + n, 10))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        out[1].weight[:h], out[1].bias[:h] = mlp[1].weight, mlp[1].bias
        out[1].weight[h:] = magnitude * torch.rand(n, mlp[1].in_features, generator=g)
        out[1].bias[h:] = magnitude
        out[3].weight.zero_()
        out[3].weight[:, :h], out[3].bias[:] = mlp[3].weight, mlp[3].bias
    return out.eval()


def test_qat_recovers_at_least_half_of_a_pathological_ptq_drop(digits):
    x, y, xt, yt = digits
    torch.manual_seed(0)
    model = _with_junk_units(_train(zoo.build("tiny_mlp", (1, 8, 8), 10), x, y, epochs=20, lr=1e-2))
    with torch.no_grad():
        fp32 = float((model(xt).argmax(1) == yt).float().mean())
    qm = quantize_ptq(model, _batches(x, y, 64), calib_batches=8)
    ptq = _file_accuracy(qm, xt, yt)
    assert fp32 - ptq >= 0.01, f"the pathological model should lose accuracy with PTQ: fp32 {fp32}, int8 {ptq}"
    train_qat(qm, _batches(x, y, 64), QATConfig(epochs=3, lr=1e-3, seed=0))
    qat = _file_accuracy(qm, xt, yt)
    assert qat - ptq >= 0.5 * (fp32 - ptq), f"fp32 {fp32:.4f}, PTQ {ptq:.4f}, QAT {qat:.4f}"


def test_qat_result_runs_in_the_file_like_the_simulation(digits, digits_student):
    x, y, xt, _ = digits
    qm = quantize_ptq(digits_student, _batches(x, y, 64), calib_batches=4)
    train_qat(qm, _batches(x, y, 64, n=6), QATConfig(epochs=2, freeze_bn_after=1))
    with torch.no_grad():
        sim = qm(xt[:64]).numpy()
    got = litert_run(write_tflite(to_ir(qm)[0]), xt[:64].numpy())
    steps = np.abs(got - sim) / qm.qp(qm.output_names[0])[0]
    assert steps.max() <= 1.0 + 1e-4 and steps.mean() < 0.1


def test_bn_statistics_freeze_after_the_given_epochs(digits, digits_student):
    x, y, _, _ = digits
    qm = quantize_ptq(digits_student, _batches(x, y, 64), calib_batches=2)
    bn = next(m for m in qm.modules() if isinstance(m, nn.BatchNorm2d))
    before = bn.running_mean.clone()
    train_qat(qm, _batches(x, y, 64, n=3), QATConfig(epochs=1, freeze_bn_after=0))
    assert torch.equal(bn.running_mean, before), "BN frozen from epoch 0 must keep its statistics"
    train_qat(qm, _batches(x, y, 64, n=3), QATConfig(epochs=1, freeze_bn_after=1))
    assert not torch.equal(bn.running_mean, before), "BN before its freeze epoch must track batch statistics"
    assert qm.bn_frozen and not qm.training


def test_qat_with_distillation_uses_the_teachers_soft_targets(digits, digits_student, monkeypatch):
    x, y, _, _ = digits
    import edgekd.distill.losses as losses

    calls = []
    real = losses.distillation_loss

    def spy(student, teacher, labels, temperature, alpha):
        calls.append((temperature, alpha))
        return real(student, teacher, labels, temperature, alpha)

    monkeypatch.setattr(losses, "distillation_loss", spy)
    teacher = _train(zoo.build("cnn_teacher_8x8", (1, 8, 8), 10), x, y, epochs=1, limit=256)
    qm = quantize_ptq(digits_student, _batches(x, y, 64), calib_batches=2)
    hist = train_qat(qm, _batches(x, y, 64, n=3), QATConfig(epochs=1, temperature=3.0, alpha=0.25), teacher=teacher)
    assert calls and calls[0] == (3.0, 0.25) and len(calls) == 3
    assert np.isfinite(hist[0].loss)
